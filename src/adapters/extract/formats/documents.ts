import { unzipSync } from 'fflate';
import { XMLParser } from 'fast-xml-parser';
import { getDocumentProxy, getMeta } from 'unpdf';
import type { ExtractedValue } from '../../../core/ports/metadata-extractor.ts';

/**
 * pdf.js prints its warnings ("Warning: Indexing all PDF objects" for a damaged cross-reference
 * table) with console.log, onto the terminal of whoever runs an ingest; verbosity 0 keeps only
 * errors, which reach the caller as exceptions (recorded on the object as its extraction error).
 */
export const PDF_OPTIONS = { verbosity: 0 };

type Fields = Record<string, ExtractedValue>;

export const DOCX_TYPE = 'application/vnd.openxmlformats-officedocument.wordprocessingml.document';
export const ODT_TYPE = 'application/vnd.oasis.opendocument.text';

/** Pages at most read to decide whether a PDF has a text layer. */
const TEXT_LAYER_PAGES = 5;

/**
 * The part of pdf.js's document proxy used here. unpdf re-exports pdf.js's types from a bundle
 * that does not resolve under this project's module settings, so the shape is stated locally.
 */
interface PdfDocument {
  numPages: number;
  getPage(page: number): Promise<{ getTextContent(): Promise<{ items: { str?: unknown }[] }> }>;
  destroy(): Promise<void>;
}

/** Page count, title, author, creation date, and whether the first pages carry text (unpdf/pdf.js). */
export async function pdfFields(bytes: Uint8Array): Promise<Fields> {
  const proxy: unknown = await getDocumentProxy(new Uint8Array(bytes), PDF_OPTIONS);
  const pdf = proxy as PdfDocument;
  try {
    const fields: Fields = { pages: pdf.numPages };
    const info = (await getMeta(proxy as Parameters<typeof getMeta>[0])).info as Record<string, unknown>;
    if (typeof info.Title === 'string' && info.Title.trim() !== '') fields.title = info.Title.trim();
    if (typeof info.Author === 'string' && info.Author.trim() !== '') fields.author = info.Author.trim();
    const created = pdfDate(info.CreationDate);
    if (created !== undefined) fields.created = created;
    let text = '';
    for (let page = 1; page <= Math.min(pdf.numPages, TEXT_LAYER_PAGES) && text.trim() === ''; page++) {
      const content = await (await pdf.getPage(page)).getTextContent();
      text += content.items.map((item) => (typeof item.str === 'string' ? item.str : '')).join('');
    }
    fields.textLayer = text.trim() !== '';
    return fields;
  } finally {
    await pdf.destroy();
  }
}

/** PDF dates look like `D:20240102030405Z` or `D:20240102030405+01'00'`. */
function pdfDate(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const m = /^D:(\d{4})(\d{2})?(\d{2})?(\d{2})?(\d{2})?(\d{2})?(Z|[+-]\d{2}'?\d{2}'?)?/.exec(value);
  if (!m) return undefined;
  const zone = m[7] === undefined || m[7] === 'Z' ? 'Z' : `${m[7].slice(0, 3)}:${m[7].slice(-3, -1).replace("'", '')}`;
  const date = new Date(`${m[1] ?? ''}-${m[2] ?? '01'}-${m[3] ?? '01'}T${m[4] ?? '00'}:${m[5] ?? '00'}:${m[6] ?? '00'}${zone}`);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}

const xml = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@', removeNSPrefix: true, parseTagValue: false });

/** DOCX: docProps/core.xml (title, creator, dates) and docProps/app.xml (words). ODT: meta.xml. */
export function officeFields(bytes: Uint8Array, contentType: string): Fields {
  const wanted = contentType === ODT_TYPE ? ['meta.xml'] : ['docProps/core.xml', 'docProps/app.xml'];
  const files = unzipSync(new Uint8Array(bytes), { filter: (file) => wanted.includes(file.name) });
  const read = (name: string): Record<string, unknown> => {
    const file = files[name];
    return file ? (xml.parse(Buffer.from(file).toString('utf8')) as Record<string, unknown>) : {};
  };
  const fields: Fields = {};
  const set = (key: string, value: unknown): void => {
    const text = typeof value === 'object' && value !== null && '#text' in value ? value['#text'] : value;
    if (typeof text === 'string' && text.trim() !== '') fields[key] = key === 'words' ? Number(text) : text.trim();
  };
  if (contentType === ODT_TYPE) {
    const meta = ((read('meta.xml')['document-meta'] as Record<string, unknown> | undefined)?.meta ?? {}) as Record<string, unknown>;
    set('title', meta.title);
    set('author', meta['initial-creator'] ?? meta.creator);
    set('created', meta['creation-date']);
    set('modified', meta.date);
    set('words', (meta['document-statistic'] as Record<string, unknown> | undefined)?.['@word-count']);
    return fields;
  }
  const core = (read('docProps/core.xml').coreProperties ?? {}) as Record<string, unknown>;
  set('title', core.title);
  set('author', core.creator);
  set('created', core.created);
  set('modified', core.modified);
  set('words', ((read('docProps/app.xml').Properties ?? {}) as Record<string, unknown>).Words);
  return fields;
}
