import { z } from 'zod';
import type { StepInstance } from '../record.ts';

/**
 * Heuristic document filters in the style of Gopher (Rae et al. 2021, "MassiveText" quality
 * filters) and C4 (Raffel et al. 2020). Every threshold is a parameter; every drop is counted by
 * the rule that made it.
 */
export const QualityParams = z.strictObject({
  min_words: z.number().int().min(0).default(50),
  max_words: z.number().int().min(1).default(100_000),
  min_mean_word_length: z.number().min(0).default(3),
  max_mean_word_length: z.number().min(0).default(10),
  /** (# + …) per word. */
  max_symbol_word_ratio: z.number().min(0).default(0.1),
  /** Share of lines ending in terminal punctuation (C4 keeps lines that do; here a document threshold). */
  min_punctuated_lines: z.number().min(0).max(1).default(0),
  /** Share of lines (by count) that repeat an earlier line. */
  max_duplicate_lines: z.number().min(0).max(1).default(0.3),
  /** Share of characters in the most frequent word 2-gram. */
  max_top_2gram_chars: z.number().min(0).max(1).default(0.2),
  /** Share of lines starting with a bullet. */
  max_bullet_lines: z.number().min(0).max(1).default(0.9),
  /** Share of lines ending with an ellipsis. */
  max_ellipsis_lines: z.number().min(0).max(1).default(0.3),
  /** Share of words containing at least one letter. */
  min_alpha_words: z.number().min(0).max(1).default(0.8),
});
export type QualityConfig = z.infer<typeof QualityParams>;

const WORD = /\S+/gu;
const BULLET = /^\s*([-*•‣◦▪●]|\d+[.)])\s/u;
const TERMINAL = /[.!?"'”’)]$/u;

/** `quality`: drops documents failing any rule, with the rule's name as the reason. */
export function qualityStep(params: QualityConfig): StepInstance {
  return {
    kind: 'record',
    process(record) {
      const reason = failedRule(record.text, params);
      return reason === undefined ? { keep: record } : { drop: reason };
    },
  };
}

/** The first rule the text fails, or undefined. Exported for the online path and tests. */
export function failedRule(text: string, p: QualityConfig): string | undefined {
  const words = text.match(WORD) ?? [];
  if (words.length < p.min_words) return 'too-few-words';
  if (words.length > p.max_words) return 'too-many-words';
  // Code points, not UTF-16 units: a word of emoji or CJK is as long as it looks.
  const mean = words.reduce((sum, w) => sum + Array.from(w).length, 0) / Math.max(words.length, 1);
  if (mean < p.min_mean_word_length) return 'mean-word-too-short';
  if (mean > p.max_mean_word_length) return 'mean-word-too-long';
  const symbols = (text.match(/#/g)?.length ?? 0) + (text.match(/\.\.\.|…/g)?.length ?? 0);
  if (symbols / words.length > p.max_symbol_word_ratio) return 'symbol-ratio';
  if (words.filter((w) => /\p{L}/u.test(w)).length / words.length < p.min_alpha_words) return 'few-alphabetic-words';
  const lines = text.split('\n').map((l) => l.trim()).filter((l) => l !== '');
  if (lines.length > 0) {
    if (lines.filter((l) => TERMINAL.test(l)).length / lines.length < p.min_punctuated_lines) return 'unpunctuated-lines';
    if (lines.filter((l) => BULLET.test(l)).length / lines.length > p.max_bullet_lines) return 'bullet-lines';
    if (lines.filter((l) => l.endsWith('...') || l.endsWith('…')).length / lines.length > p.max_ellipsis_lines) return 'ellipsis-lines';
    const seen = new Set<string>();
    let repeated = 0;
    for (const line of lines) {
      if (seen.has(line)) repeated++;
      else seen.add(line);
    }
    if (repeated / lines.length > p.max_duplicate_lines) return 'duplicate-lines';
  }
  if (topBigramShare(words) > p.max_top_2gram_chars) return 'repeated-2gram';
  return undefined;
}

/** Characters covered by the most frequent word 2-gram, over all word characters (Gopher's top-n-gram rule). */
function topBigramShare(words: string[]): number {
  if (words.length < 2) return 0;
  const counts = new Map<string, number>();
  let best = 0;
  let bestGram = '';
  for (let i = 0; i + 1 < words.length; i++) {
    const gram = `${(words[i] as string).toLowerCase()} ${(words[i + 1] as string).toLowerCase()}`;
    const n = (counts.get(gram) ?? 0) + 1;
    counts.set(gram, n);
    if (n > best) {
      best = n;
      bestGram = gram;
    }
  }
  if (best < 2) return 0;
  const total = words.reduce((sum, w) => sum + w.length, 0);
  return (best * (bestGram.length - 1)) / total;
}
