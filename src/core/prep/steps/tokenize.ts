import type { Tiktoken } from 'js-tiktoken/lite';
import { z } from 'zod';
import type { StepInstance } from '../record.ts';

export const TokenizeParams = z.strictObject({
  /** A BPE encoding bundled with js-tiktoken: o200k_base (GPT-4o family) or cl100k_base (GPT-4, GPT-3.5). */
  encoding: z.enum(['o200k_base', 'cl100k_base']).default('o200k_base'),
  /** Write the token ids beside each shard (`<shard>.tokens.bin`, uint32 little-endian), indexed from each record. */
  write_ids: z.boolean().default(true),
});
export type TokenizeConfig = z.infer<typeof TokenizeParams>;

/** Encoders are large (o200k: ~0.5 s to build); one per encoding per process. */
const encoders = new Map<string, Promise<Tiktoken>>();

function encoder(encoding: TokenizeConfig['encoding']): Promise<Tiktoken> {
  let loading = encoders.get(encoding);
  if (!loading) {
    loading = (async () => {
      const { Tiktoken: Encoder } = await import('js-tiktoken/lite');
      const ranks = encoding === 'o200k_base' ? (await import('js-tiktoken/ranks/o200k_base')).default : (await import('js-tiktoken/ranks/cl100k_base')).default;
      return new Encoder(ranks);
    })();
    encoders.set(encoding, loading);
  }
  return loading;
}

/** `tokenize`: BPE token count on every record (`meta.tokens`), and the ids themselves for the shard writer. */
export async function tokenizeStep(params: TokenizeConfig): Promise<StepInstance> {
  const bpe = await encoder(params.encoding);
  return {
    kind: 'record',
    process(record) {
      const ids = bpe.encode(record.text);
      const count = { tokens: ids.length };
      const kept = { ...record, meta: { ...record.meta, tokens: ids.length, encoding: params.encoding } };
      return { keep: params.write_ids ? { ...kept, tokens: ids } : kept, count };
    },
  };
}
