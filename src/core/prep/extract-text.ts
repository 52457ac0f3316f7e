import type { DocumentTextExtractor } from '../ports/document-text.ts';
import type { Recipe } from './recipe.ts';
import type { PrepRecord } from './record.ts';

/** The source of a recipe run: one object's bytes and what its records need to name it. */
export interface SourceText {
  key: string;
  repository: string;
  path: string;
  sha256: string;
  contentType: string;
  bytes: Uint8Array;
  title?: string;
}

/** Whether the recipe reads objects of this type (exact, or by top-level type). */
export function accepts(recipe: Pick<Recipe, 'extract'>, contentType: string): boolean {
  const top = contentType.split('/')[0] ?? '';
  return recipe.extract.types.some((t) => t === contentType || t === top || t === `${top}/*`);
}

/**
 * `extract-text`: plain text and Markdown as they are; JSON Lines as one record per line's
 * `text` field (span: the line's characters); PDF, DOCX and HTML (main content, boilerplate
 * removed) through the document extractor, or HTML as all its visible text without one.
 * A source that cannot be read gives an error the run reports with its path.
 */
export async function extractRecords(source: SourceText, documents?: DocumentTextExtractor): Promise<PrepRecord[]> {
  const base = { key: source.key, repository: source.repository, path: source.path, sha256: source.sha256 };
  const meta: PrepRecord['meta'] = { path: source.path, content_type: source.contentType };
  if (source.title !== undefined) meta.title = source.title;
  if (documents?.handles(source.contentType)) {
    const document = await documents.extract(source.contentType, source.bytes);
    if (document.title !== undefined && meta.title === undefined) meta.title = document.title;
    if (document.pages !== undefined) meta.pages = document.pages;
    return [{ id: `${source.key}#0`, text: document.text, meta, source: base }];
  }
  const text = Buffer.from(source.bytes.buffer, source.bytes.byteOffset, source.bytes.byteLength).toString('utf8');
  if (source.contentType === 'application/x-ndjson') return jsonLines(text, base, meta);
  return [{ id: `${source.key}#0`, text: source.contentType === 'text/html' ? visibleText(text) : text, meta, source: base }];
}

function jsonLines(content: string, base: PrepRecord['source'], meta: PrepRecord['meta']): PrepRecord[] {
  const records: PrepRecord[] = [];
  let offset = 0;
  for (const [index, line] of content.split('\n').entries()) {
    const start = offset;
    offset += line.length + 1;
    if (line.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      continue;
    }
    const text = (value as { text?: unknown } | null)?.text;
    if (typeof text !== 'string') continue;
    records.push({ id: `${base.key}#${index}`, text, meta: { ...meta, line: index + 1 }, source: { ...base, span: [start, start + line.length] } });
  }
  return records;
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ' };

/** The visible text of HTML: scripts, styles and tags removed, block ends as newlines, common entities decoded. */
export function visibleText(html: string): string {
  return html
    .replace(/<(script|style|noscript|template)\b[\s\S]*?<\/\1\s*>/gi, ' ')
    .replace(/<!--[\s\S]*?-->/g, ' ')
    .replace(/<\/(p|div|h[1-6]|li|tr|br|section|article)\s*>|<br\s*\/?>/gi, '\n')
    .replace(/<[^>]+>/g, ' ')
    .replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (whole, entity: string) => {
      if (entity.startsWith('#x') || entity.startsWith('#X')) return String.fromCodePoint(parseInt(entity.slice(2), 16));
      if (entity.startsWith('#')) return String.fromCodePoint(Number(entity.slice(1)));
      return ENTITIES[entity.toLowerCase()] ?? whole;
    });
}
