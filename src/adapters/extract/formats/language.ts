import { franc } from 'franc-min';

/** Types whose prose a language guess makes sense for (not tables, code or data). */
const PROSE = new Set(['text/plain', 'text/markdown', 'text/html']);

/** Below this many letters a guess is noise; franc itself reads at most 2,048 characters. */
const MIN_LETTERS = 40;

/**
 * The language of a text as an ISO 639-3 code (`eng`, `fra`, `deu`…), guessed by franc-min
 * (trigram profiles of the 82 languages with 8M+ speakers); undefined when the text is too
 * short or the guess is undetermined. HTML is reduced to its visible text first.
 */
export function guessLanguage(contentType: string, text: string): string | undefined {
  if (!PROSE.has(contentType)) return undefined;
  const prose = contentType === 'text/html' ? visibleText(text) : text;
  if ((prose.match(/\p{L}/gu)?.length ?? 0) < MIN_LETTERS) return undefined;
  const code = franc(prose, { minLength: MIN_LETTERS });
  return code === 'und' ? undefined : code;
}

/** Drops scripts, styles, tags and entities: enough for a language guess, not a renderer. */
function visibleText(html: string): string {
  return html
    .replace(/<(script|style|noscript)\b[\s\S]*?<\/\1\s*>/gi, ' ')
    .replace(/<[^>]*>/g, ' ')
    .replace(/&[#\w]+;/g, ' ');
}
