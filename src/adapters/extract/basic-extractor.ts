import { randomUUID } from 'node:crypto';
import { closeSync, openSync, rmSync, writeSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeHTML } from 'entities';
import { fileTypeFromBuffer } from 'file-type';
import type { ExtractedValue, Extraction, ExtractionSession, MetadataExtractor } from '../../core/ports/metadata-extractor.ts';
import { DOCX_TYPE, ODT_TYPE, officeFields, pdfFields } from './formats/documents.ts';
import { guessLanguage } from './formats/language.ts';
import { MAX_SAFETENSORS_HEADER, SAFETENSORS_TYPE, safetensorsFields } from './formats/safetensors.ts';
import { audioVideoFields, imageFields, svgSize } from './formats/media.ts';
import { TABULAR_EXTENSIONS, TabularStats, type TabularKind } from './formats/tabular.ts';
import { TruncationCheck } from './formats/truncation.ts';

/** Bytes kept from the start of a file for sniffing and header-based fields. */
const HEAD_BYTES = 64 * 1024;

/** Text formats that content alone cannot tell apart from plain text: the extension decides. */
const TEXT_BY_EXTENSION: Record<string, string> = {
  md: 'text/markdown',
  markdown: 'text/markdown',
  csv: 'text/csv',
  tsv: 'text/tab-separated-values',
  json: 'application/json',
  jsonl: 'application/x-ndjson',
  ndjson: 'application/x-ndjson',
  yaml: 'application/yaml',
  yml: 'application/yaml',
  html: 'text/html',
  htm: 'text/html',
  xhtml: 'text/html',
  svg: 'image/svg+xml',
  xml: 'application/xml',
};

/** Types whose truncation `TruncationCheck` can tell. */
const CHECKED_FOR_TRUNCATION = new Set(['image/png', 'audio/mpeg']);

/**
 * MIME type from the content (file-type's magic numbers; for text, whether the bytes decode as
 * UTF-8 or carry a UTF-16 byte-order mark), text encoding, and for text: characters, words,
 * lines and, for HTML and Markdown, the title. Images: dimensions and EXIF (image-size, exifr);
 * audio and video: duration, codec, sample rate, bit rate, channels (music-metadata), all read
 * from the first 64 KiB. Text counts cover the whole file, computed as it streams by.
 */
export class BasicExtractor implements MetadataExtractor {
  private readonly tabular = new TabularStats();

  start(input: { path: string; size?: number }): ExtractionSession {
    const extension = /\.([a-z0-9]+)$/i.exec(input.path)?.[1]?.toLowerCase() ?? '';
    const kind = TABULAR_EXTENSIONS[extension] ?? (DOCUMENT_EXTENSIONS.has(extension) ? 'document' : undefined);
    const spool = kind === undefined ? undefined : new Spool(kind, this.tabular);
    // A safetensors header can run to megabytes (one entry per tensor): keep enough of the head.
    return new BasicSession({ path: input.path, size: input.size, headLimit: extension === 'safetensors' ? MAX_SAFETENSORS_HEADER + 8 : HEAD_BYTES }, spool);
  }
}

/**
 * Tabular files and documents are parsed whole (DuckDB, pdf.js, unzip), so their bytes are also
 * copied to a temporary file as they stream by — chosen by extension, before the content is seen.
 */
export const MAX_TABULAR_BYTES = 1024 * 1024 * 1024;
/** Documents are parsed in memory: larger ones keep only their type. */
export const MAX_DOCUMENT_BYTES = 256 * 1024 * 1024;
const DOCUMENT_EXTENSIONS = new Set(['pdf', 'docx', 'odt']);

class Spool {
  private readonly file = join(tmpdir(), `strata-extract-${randomUUID()}`);
  private fd: number | undefined = openSync(this.file, 'w');
  private bytes = 0;

  constructor(
    readonly kind: TabularKind | 'document',
    private readonly stats: TabularStats,
  ) {}

  private get limit(): number {
    return this.kind === 'document' ? MAX_DOCUMENT_BYTES : MAX_TABULAR_BYTES;
  }

  write(bytes: Uint8Array): void {
    if (this.fd === undefined) return;
    this.bytes += bytes.length;
    if (this.bytes > this.limit) {
      this.release();
      return;
    }
    writeSync(this.fd, bytes);
  }

  /** Tabular statistics, or a reason they were skipped; the temporary file is removed either way. */
  async fields(): Promise<Record<string, ExtractedValue>> {
    if (this.fd === undefined || this.kind === 'document') return { tabular: `skipped: larger than ${this.limit} bytes` };
    closeSync(this.fd);
    this.fd = undefined;
    try {
      return await this.stats.fields(this.file, this.kind);
    } finally {
      rmSync(this.file, { force: true });
    }
  }

  /** The whole file, or undefined when it was too large to keep. */
  async whole(): Promise<Buffer | undefined> {
    if (this.fd === undefined) return undefined;
    closeSync(this.fd);
    this.fd = undefined;
    try {
      return await readFile(this.file);
    } finally {
      rmSync(this.file, { force: true });
    }
  }

  release(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
    rmSync(this.file, { force: true });
  }
}

class BasicSession implements ExtractionSession {
  private readonly head: Uint8Array[] = [];
  private headBytes = 0;
  private totalBytes = 0;
  private readonly decoder = new TextDecoder('utf-8', { fatal: true });
  private utf8 = true;
  private chars = 0;
  private words = 0;
  private lines = 0;
  private inWord = false;
  private lastChar = '';
  /** Decided on the first bytes: PNG and MPEG audio files are followed unit by unit. */
  private truncation: TruncationCheck | undefined;

  private readonly path: string;
  private readonly size: number | undefined;
  /** Bytes of the head kept for sniffing and header-based fields. */
  private readonly headLimit: number;

  constructor(
    file: { path: string; size: number | undefined; headLimit: number },
    private readonly spool: Spool | undefined,
  ) {
    this.path = file.path;
    this.size = file.size;
    this.headLimit = file.headLimit;
  }

  update(bytes: Uint8Array): void {
    this.spool?.write(bytes);
    if (this.totalBytes === 0) this.truncation = TruncationCheck.forHead(bytes);
    this.truncation?.update(bytes);
    this.totalBytes += bytes.length;
    if (this.headBytes < this.headLimit) {
      const kept = bytes.subarray(0, this.headLimit - this.headBytes);
      this.head.push(kept);
      this.headBytes += kept.length;
    }
    if (!this.utf8) return;
    try {
      this.count(this.decoder.decode(bytes, { stream: true }));
    } catch {
      this.utf8 = false;
    }
  }

  async finish(): Promise<Extraction> {
    try {
      const extraction = await this.identify();
      const truncated = CHECKED_FOR_TRUNCATION.has(extraction.contentType) ? this.truncation?.finish() : undefined;
      if (truncated === undefined) return extraction;
      return { ...extraction, error: extraction.error === undefined ? truncated : `${truncated}; ${extraction.error}` };
    } finally {
      this.spool?.release();
    }
  }

  private async identify(): Promise<Extraction> {
    const head = Buffer.concat(this.head);
    if (this.headLimit > HEAD_BYTES) {
      try {
        return { contentType: SAFETENSORS_TYPE, fields: safetensorsFields(head, this.size ?? this.totalBytes) };
      } catch (error) {
        return { contentType: 'application/octet-stream', fields: {}, error: `cannot read the safetensors header: ${(error as Error).message}` };
      }
    }
    if (this.utf8) {
      try {
        this.count(this.decoder.decode());
      } catch {
        this.utf8 = false;
      }
    }
    // A UTF-16 byte-order mark also reads as an MPEG frame sync: text that decodes cleanly wins.
    const bom16 = utf16Text(head);
    const sniffed = bom16 === undefined ? await fileTypeFromBuffer(head) : undefined;
    // file-type calls every document with an XML declaration application/xml; SVG and XHTML are
    // told apart by their root element below, as text.
    if (sniffed && !(sniffed.mime === 'application/xml' && this.utf8)) return this.formatFields(sniffed.mime, { format: sniffed.ext }, head);
    if (!this.utf8 && bom16 === undefined) return { contentType: 'application/octet-stream', fields: {} };
    const text = bom16 === undefined ? head.toString('utf8') : new TextDecoder(bom16).decode(head);
    const contentType = textType(this.path, text);
    const fields: Record<string, ExtractedValue> = { encoding: bom16 ?? 'utf-8' };
    if (bom16 === undefined) Object.assign(fields, { characters: this.chars, words: this.words, lines: this.lines + (this.lastChar !== '' && this.lastChar !== '\n' ? 1 : 0) });
    const title = titleOf(contentType, text);
    if (title !== undefined) fields.title = title;
    if (contentType === 'image/svg+xml') Object.assign(fields, { format: 'svg', ...svgSize(head) });
    const language = await guessLanguage(contentType, text);
    if (language !== undefined) fields.language = language;
    return this.tabularFields(contentType, fields);
  }

  private async tabularFields(contentType: string, fields: Record<string, ExtractedValue>): Promise<Extraction> {
    if (!this.spool) return { contentType, fields };
    try {
      return { contentType, fields: { ...fields, ...(await this.spool.fields()) } };
    } catch (error) {
      return { contentType, fields, error: `cannot read the ${this.spool.kind} table: ${(error as Error).message.split('\n')[0] ?? ''}` };
    }
  }

  /** Format-specific fields; a file they cannot be read from keeps its type and records why. */
  private async formatFields(contentType: string, base: Record<string, ExtractedValue>, head: Buffer): Promise<Extraction> {
    try {
      if (contentType.startsWith('image/')) return { contentType, fields: { ...base, ...(await imageFields(head)) } };
      if (this.spool?.kind === 'parquet' && contentType === 'application/vnd.apache.parquet') return await this.tabularFields(contentType, base);
      if (this.spool?.kind === 'document' && (contentType === 'application/pdf' || contentType === DOCX_TYPE || contentType === ODT_TYPE)) {
        const whole = await this.spool.whole();
        if (whole === undefined) return { contentType, fields: { ...base, document: `skipped: larger than ${MAX_DOCUMENT_BYTES} bytes` } };
        const fields = contentType === 'application/pdf' ? await pdfFields(whole) : officeFields(whole, contentType);
        return { contentType, fields: { ...base, ...fields } };
      }
      if (contentType.startsWith('audio/') || contentType.startsWith('video/')) {
        return { contentType, fields: { ...base, ...(await audioVideoFields(head, { mimeType: contentType, size: this.size })) } };
      }
    } catch (error) {
      return { contentType, fields: base, error: `cannot read ${contentType} metadata: ${((error as Error).message.split('\n')[0] ?? '').trim()}` };
    }
    return { contentType, fields: base };
  }

  /** Characters (code points), words (runs of non-space) and lines, over char codes: no regex per character. */
  private count(text: string): void {
    let inWord = this.inWord;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c < 0xdc00 || c > 0xdfff) this.chars++;
      if (c === 10) this.lines++;
      const space = isSpace(c);
      if (!space && !inWord) this.words++;
      inWord = !space;
    }
    this.inWord = inWord;
    if (text.length > 0) this.lastChar = text[text.length - 1] ?? '';
  }

}

/** JavaScript's `\s`, as char codes. */
function isSpace(c: number): boolean {
  if (c <= 32) return c === 32 || (c >= 9 && c <= 13);
  return c === 0xa0 || c === 0x1680 || (c >= 0x2000 && c <= 0x200a) || c === 0x2028 || c === 0x2029 || c === 0x202f || c === 0x205f || c === 0x3000 || c === 0xfeff;
}

/** 'utf-16le' or 'utf-16be' when the bytes start with that byte-order mark and decode to text. */
function utf16Text(head: Buffer): 'utf-16le' | 'utf-16be' | undefined {
  const encoding = head[0] === 0xff && head[1] === 0xfe ? 'utf-16le' : head[0] === 0xfe && head[1] === 0xff ? 'utf-16be' : undefined;
  if (encoding === undefined) return undefined;
  const sample = head.subarray(2, 4098 - (head.length % 2));
  try {
    const text = new TextDecoder(encoding, { fatal: true }).decode(sample);
    // eslint-disable-next-line no-control-regex -- looking for control characters is the point
    return /[\u0000-\u0008\u000e-\u001f]/.test(text) ? undefined : encoding;
  } catch {
    return undefined;
  }
}

/**
 * Markup by its first element, after an XML declaration, comments and a doctype: `<svg>` is
 * SVG, `<html>` (XHTML included: recipes read it as HTML, as browsers do for `.html`) and HTML
 * fragments starting with `<head>`/`<body>` are HTML, any other root after an XML declaration is
 * XML. Other text is typed by its extension.
 */
function textType(path: string, text: string): string {
  const prolog = /^\uFEFF?\s*(<\?xml[^>]*\?>\s*)?((<!--[\s\S]*?-->|<!doctype[^>]*>)\s*)*/i.exec(text);
  const rest = text.slice(prolog?.[0].length ?? 0);
  const root = /^<([a-z][\w:.-]*)/i.exec(rest)?.[1]?.toLowerCase().replace(/^[\w.-]+:/, '');
  if (root === 'svg') return 'image/svg+xml';
  if (root === 'html' || root === 'head' || root === 'body' || /<!doctype\s+html/i.test(prolog?.[0] ?? '')) return 'text/html';
  const extension = /\.([a-z0-9]+)$/i.exec(path)?.[1]?.toLowerCase();
  const byExtension = extension !== undefined ? TEXT_BY_EXTENSION[extension] : undefined;
  if (root !== undefined && prolog?.[1] !== undefined && byExtension !== 'text/html') return 'application/xml';
  return byExtension ?? 'text/plain';
}

function titleOf(contentType: string, text: string): string | undefined {
  // Entities decoded as a browser does (&amp;, &eacute;, &#8212;); whitespace runs, newlines included, as one space.
  if (contentType === 'text/html') return decodeHTML(/<title[^>]*>([^<]*)<\/title\s*>/i.exec(text)?.[1] ?? '').trim().replace(/\s+/g, ' ') || undefined;
  if (contentType === 'text/markdown') return /^#\s+(.+)$/m.exec(text)?.[1]?.trim() || undefined;
  return undefined;
}
