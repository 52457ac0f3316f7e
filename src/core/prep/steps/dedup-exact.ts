import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { StepInstance } from '../record.ts';

export const DedupExactParams = z.strictObject({
  /** Compare after lowercasing and collapsing whitespace (default), or byte for byte. */
  normalized: z.boolean().default(true),
});

/**
 * `dedup-exact`: keeps the first record of each content (SHA-256 of the normalized text) in
 * input order, which is path order, so reruns keep the same ones.
 */
export function dedupExactStep(params: z.infer<typeof DedupExactParams>): StepInstance {
  const seen = new Set<string>();
  return {
    process(record) {
      const text = params.normalized ? record.text.normalize('NFC').toLowerCase().replace(/\s+/g, ' ').trim() : record.text;
      const digest = createHash('sha256').update(text).digest('base64');
      if (seen.has(digest)) return { drop: 'duplicate' };
      seen.add(digest);
      return { keep: { ...record, meta: { ...record.meta, content_sha256: Buffer.from(digest, 'base64').toString('hex') } } };
    },
  };
}
