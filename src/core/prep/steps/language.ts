import { z } from 'zod';
import { invalidArgument } from '../../errors.ts';
import type { LanguageDetector } from '../../ports/language-detector.ts';
import type { StepInstance } from '../record.ts';

export const LanguageParams = z.strictObject({
  /** ISO 639-1 codes to keep; all languages when absent. */
  keep: z.array(z.string().regex(/^[a-z]{2}$/)).optional(),
  /** Guesses below this score count as unknown. */
  min_confidence: z.number().min(0).max(1).default(0.5),
  /** Keep records whose language is unknown (too short, mixed, unreliable). */
  keep_unknown: z.boolean().default(false),
});

/**
 * `language`: identifies each record's language (`meta.language`, `meta.language_confidence`)
 * and keeps the listed ones; drops are counted as `language` (another language) or
 * `language-unknown`, and every language seen is counted.
 */
export async function languageStep(params: z.infer<typeof LanguageParams>, detector: LanguageDetector | undefined): Promise<StepInstance> {
  if (!detector) throw invalidArgument('the language step needs a language detector, and this process has none');
  const detect = await detector.load();
  return {
    kind: 'record',
    process(record) {
      const guess = detect(record.text);
      const known = guess.language !== '' && guess.reliable && guess.confidence >= params.min_confidence;
      const language = known ? guess.language : 'unknown';
      const count = { [`language.${language}`]: 1 };
      if (!known && !params.keep_unknown) return { drop: 'language-unknown', count };
      if (known && params.keep !== undefined && !params.keep.includes(language)) return { drop: 'language', count };
      return { keep: { ...record, meta: { ...record.meta, language, language_confidence: Math.round(guess.confidence * 1000) / 1000 } }, count };
    },
  };
}
