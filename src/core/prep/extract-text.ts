import type { Recipe } from './recipe.ts';
import type { PrepRecord } from './record.ts';

/** The source of a recipe run: one object's text. */
export interface SourceText {
  key: string;
  repository: string;
  path: string;
  sha256: string;
  contentType: string;
  text: string;
  title?: string;
}

/** Whether the recipe reads objects of this type (exact, or by top-level type). */
export function accepts(recipe: Pick<Recipe, 'extract'>, contentType: string): boolean {
  const top = contentType.split('/')[0] ?? '';
  return recipe.extract.types.some((t) => t === contentType || t === top || t === `${top}/*`);
}

/**
 * `extract-text` for the text formats: plain text and Markdown as they are, HTML as its visible
 * text (scripts, styles and tags removed, entities of the common kinds decoded), JSON Lines as one
 * record per line's `text` field (span: the line's characters). PDF and DOCX are not read yet.
 */
export function extractRecords(source: SourceText): PrepRecord[] {
  const base = { key: source.key, repository: source.repository, path: source.path, sha256: source.sha256 };
  const meta: PrepRecord['meta'] = { path: source.path, content_type: source.contentType };
  if (source.title !== undefined) meta.title = source.title;
  if (source.contentType === 'application/x-ndjson') return jsonLines(source, base, meta);
  const text = source.contentType === 'text/html' ? visibleText(source.text) : source.text;
  return [{ id: `${source.key}#0`, text, meta, source: base }];
}

function jsonLines(source: SourceText, base: PrepRecord['source'], meta: PrepRecord['meta']): PrepRecord[] {
  const records: PrepRecord[] = [];
  let offset = 0;
  for (const [index, line] of source.text.split('\n').entries()) {
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
    records.push({ id: `${source.key}#${index}`, text, meta: { ...meta, line: index + 1 }, source: { ...base, span: [start, start + line.length] } });
  }
  return records;
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ' };

function visibleText(html: string): string {
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
