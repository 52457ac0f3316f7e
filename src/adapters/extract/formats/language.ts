import { availableParallelism } from 'node:os';
import { Piscina } from 'piscina';
/** Types whose prose a language guess makes sense for (not tables, code or data). */
const PROSE = new Set(['text/plain', 'text/markdown', 'text/html']);

/** Below 40 letters a guess is noise. One regex that stops at the 40th (counting them all cost more than the guess). */
const ENOUGH_LETTERS = /^(?:\P{L}*\p{L}){40}/u;
/** The detector's accuracy levels off well before this; longer samples only cost time. */
const SAMPLE_CHARS = 2048;

let pool: Piscina<string[], string[]> | undefined;
/** Samples waiting for the next batch, sent together: piscina's own cost per task (~95 µs on the
 * calling thread, measured) exceeded the detection itself when every text was its own task. */
let waiting: { sample: string; resolve: (language: string) => void; reject: (error: unknown) => void }[] = [];

/**
 * The language of a text as an ISO 639-1 code (`en`, `fr`, `de`…), by ELD (Efficient Language
 * Detector, n-gram model of 60 languages; maintained, and ~80 µs per 700-character text against
 * franc's ~450 µs). Detection runs on a worker thread: in-process, the detector's 80 MiB table
 * made every major GC of the ingest slower (10,000 small texts: 12.5 s instead of 8.1 s).
 * Undefined when the text is short, not prose, or the guess is unreliable. HTML is reduced to its
 * visible text first.
 */
export async function guessLanguage(contentType: string, text: string): Promise<string | undefined> {
  if (!PROSE.has(contentType)) return undefined;
  const prose = (contentType === 'text/html' ? visibleText(text) : text).slice(0, SAMPLE_CHARS);
  if (!ENOUGH_LETTERS.test(prose)) return undefined;
  const language = await new Promise<string>((resolve, reject) => {
    if (waiting.length === 0) setImmediate(sendBatch);
    waiting.push({ sample: prose, resolve, reject });
  });
  return language === '' ? undefined : language;
}

function sendBatch(): void {
  const batch = waiting;
  waiting = [];
  pool ??= new Piscina({
    filename: new URL('./language-worker.mjs', import.meta.url).href,
    minThreads: 0,
    // The ingest's other work stays on the main thread; leave it a core.
    maxThreads: Math.max(1, availableParallelism() - 1),
    // Idle threads exit (and, unref'd by piscina, never hold a finished CLI open).
    idleTimeout: 2000,
  });
  pool.run(batch.map((item) => item.sample)).then(
    (languages) => {
      batch.forEach((item, i) => {
        item.resolve(languages[i] ?? '');
      });
    },
    (error: unknown) => {
      for (const item of batch) item.reject(error);
    },
  );
}

/** Drops scripts, styles, tags and entities: enough for a language guess, not a renderer. */
function visibleText(html: string): string {
  return html
    .replace(/<(script|style|noscript)\b[\s\S]*?<\/\1\s*>/gi, ' ')
    .replace(/<[^>]*>/g, ' ')
    .replace(/&[#\w]+;/g, ' ');
}
