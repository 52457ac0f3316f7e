import { Readability } from '@mozilla/readability';
import * as linkedom from 'linkedom';
import * as mammothModule from 'mammoth';
import { extractText, getDocumentProxy, getMeta } from 'unpdf';
import type { DocumentText, DocumentTextExtractor } from '../../core/ports/document-text.ts';
import { visibleText } from '../../core/prep/extract-text.ts';
import { DOCX_TYPE, PDF_OPTIONS } from './formats/documents.ts';

/**
 * The parts of linkedom and mammoth used here, stated locally: their declaration files do not
 * resolve under this project's module settings for the type-aware linter.
 */
interface HtmlDocument {
  title: string;
}
const parseHTML = (html: string): { document: HtmlDocument } => (linkedom as unknown as { parseHTML(html: string): { document: HtmlDocument } }).parseHTML(html);
const ReaderView = Readability as unknown as new (document: HtmlDocument, options: { charThreshold: number }) => { parse(): { title?: string | null; content?: string | null } | null };
const mammoth = ((mammothModule as unknown as { default?: unknown }).default ?? mammothModule) as { extractRawText(input: { buffer: Buffer }): Promise<{ value: string }> };

/**
 * Document text for recipes: PDF through unpdf (pdf.js; pages joined by blank lines), DOCX
 * through mammoth (paragraphs as lines), HTML through Mozilla's Readability on a linkedom DOM —
 * the main content with navigation, sidebars and footers removed, as Firefox's reader view does;
 * pages Readability finds no article in fall back to all visible text.
 */
export class LibraryDocumentText implements DocumentTextExtractor {
  handles(contentType: string): boolean {
    return contentType === 'application/pdf' || contentType === DOCX_TYPE || contentType === 'text/html';
  }

  async extract(contentType: string, bytes: Uint8Array): Promise<DocumentText> {
    if (contentType === 'application/pdf') return pdfText(bytes);
    if (contentType === DOCX_TYPE) {
      const { value } = await mammoth.extractRawText({ buffer: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength) });
      return { text: value.replace(/\n{3,}/g, '\n\n').trim() };
    }
    return htmlMainText(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'));
  }
}

async function pdfText(bytes: Uint8Array): Promise<DocumentText> {
  // unpdf's types do not resolve under this project's settings (see formats/documents.ts).
  const pdf: unknown = await getDocumentProxy(new Uint8Array(bytes), PDF_OPTIONS);
  const { totalPages, text } = await extractText(pdf as Parameters<typeof extractText>[0], { mergePages: false });
  const info = (await getMeta(pdf as Parameters<typeof getMeta>[0])).info as Record<string, unknown>;
  const result: DocumentText = { text: text.map((page) => page.trim()).filter((page) => page !== '').join('\n\n'), pages: totalPages };
  if (typeof info.Title === 'string' && info.Title.trim() !== '') result.title = info.Title.trim();
  return result;
}

function htmlMainText(html: string): DocumentText {
  const { document } = parseHTML(html);
  const title = document.title.trim();
  const article = new ReaderView(document, { charThreshold: 200 }).parse();
  const text = visibleText(article?.content ?? html);
  const name = article?.title?.trim() ?? '';
  const chosen = name === '' ? title : name;
  return { text: text.replace(/[ \t]+\n/g, '\n').replace(/\n{3,}/g, '\n\n').trim(), ...(chosen === '' ? {} : { title: chosen }) };
}
