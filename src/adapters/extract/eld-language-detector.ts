import type { LanguageDetector, LanguageGuess } from '../../core/ports/language-detector.ts';

/**
 * ELD (Efficient Language Detector, `eld/extrasmall`: 60 languages) on the calling thread, for
 * recipe runs. Ingest's language field uses the same model on a worker thread instead
 * (`formats/language.ts`), where the main thread must stay free for I/O.
 */
export class EldLanguageDetector implements LanguageDetector {
  private loading: Promise<(text: string) => LanguageGuess> | undefined;

  load(): Promise<(text: string) => LanguageGuess> {
    this.loading ??= import('eld/extrasmall').then(({ eld }) => (text: string): LanguageGuess => {
      const result = eld.detect(text);
      const scores = result.getScores();
      return { language: result.language, confidence: scores[result.language] ?? 0, reliable: result.isReliable() };
    });
    return this.loading;
  }
}
