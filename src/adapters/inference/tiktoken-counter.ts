import type { Tiktoken } from 'js-tiktoken/lite';
import type { TokenCounter } from '../../core/ports/archive-engine.ts';

/** o200k_base (the GPT-4o/4.1/5 family's encoding) from js-tiktoken, loaded on first use. */
export class TiktokenCounter implements TokenCounter {
  readonly encoding = 'o200k_base';
  private bpe: Promise<Tiktoken> | undefined;

  async count(text: string): Promise<number> {
    this.bpe ??= (async () => {
      const { Tiktoken: Encoder } = await import('js-tiktoken/lite');
      return new Encoder((await import('js-tiktoken/ranks/o200k_base')).default);
    })();
    return (await this.bpe).encode(text).length;
  }
}
