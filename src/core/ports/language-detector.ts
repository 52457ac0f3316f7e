/** A guess of a text's language: ISO 639-1 code ('' when unknown) and a score in [0, 1]. */
export interface LanguageGuess {
  language: string;
  confidence: number;
  /** The detector's own judgement that the guess can be trusted. */
  reliable: boolean;
}

/**
 * Language identification for the `language` recipe step. Adapter:
 * `adapters/extract/eld-language-detector.ts` (ELD's n-gram model). `load` prepares the model
 * once (it takes a moment and some memory) and returns a synchronous detector.
 */
export interface LanguageDetector {
  load(): Promise<(text: string) => LanguageGuess>;
}
