import { createHash } from 'node:crypto';

/** Words in a row that make a quote: long enough that a common phrase does not match by chance. */
const QUOTE_WORDS = 8;
/** A text shorter than this many words is too short to be recognised when quoted. */
const MIN_WORDS = 4;

function words(text: string): string[] {
  return text
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter((w) => w !== '');
}

const digest = (text: string): string => createHash('sha256').update(text).digest('base64');

/**
 * Recognises quotes of erased texts in other texts (an inference input that pasted a document,
 * an answer that repeats it): any run of eight words of an erased text, compared after case,
 * accents and punctuation are set aside. A text of four to seven words matches only whole.
 * Hashes, not words, are kept in memory.
 */
export class QuoteFinder {
  private readonly runs = new Set<string>();
  private readonly short = new Set<string>();

  add(text: string): void {
    const w = words(text);
    if (w.length < MIN_WORDS) return;
    if (w.length < QUOTE_WORDS) {
      this.short.add(w.join(' '));
      return;
    }
    for (let i = 0; i + QUOTE_WORDS <= w.length; i++) this.runs.add(digest(w.slice(i, i + QUOTE_WORDS).join(' ')));
  }

  get empty(): boolean {
    return this.runs.size === 0 && this.short.size === 0;
  }

  quotes(text: string): boolean {
    if (this.empty || text === '') return false;
    const w = words(text);
    for (let i = 0; i + QUOTE_WORDS <= w.length && this.runs.size > 0; i++) if (this.runs.has(digest(w.slice(i, i + QUOTE_WORDS).join(' ')))) return true;
    if (this.short.size === 0) return false;
    const joined = ` ${w.join(' ')} `;
    for (const needle of this.short) if (joined.includes(` ${needle} `)) return true;
    return false;
  }
}
