import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { DatasetStepInstance } from '../record.ts';

export const DedupExactParams = z.strictObject({
  /** Compare after lowercasing and collapsing whitespace (default), or byte for byte. */
  normalized: z.boolean().default(true),
  /**
   * Other datasets (`repo@ref:prefix/`, e.g. an evaluation set) whose contents this one must not
   * repeat: a record equal to one of theirs is dropped as `in-other-dataset`.
   */
  against: z.array(z.string().min(1)).default([]),
});

/**
 * `dedup-exact`: keeps the first record of each content (SHA-256 of the normalized text) in
 * input order, which is path order, so reruns keep the same ones.
 */
export function dedupExactStep(params: z.infer<typeof DedupExactParams>): DatasetStepInstance & { seed(feature: string): void } {
  /** Digest → where it was first seen. */
  const seen = new Map<string, 'run' | 'other'>();
  return {
    kind: 'dataset',
    feature(record) {
      const text = params.normalized ? record.text.normalize('NFC').toLowerCase().replace(/\s+/g, ' ').trim() : record.text;
      const digest = createHash('sha256').update(text).digest('hex');
      return { keep: { ...record, meta: { ...record.meta, content_sha256: digest } }, feature: digest };
    },
    decide(digest) {
      const first = seen.get(digest);
      if (first !== undefined) return first === 'run' ? 'duplicate' : 'in-other-dataset';
      seen.set(digest, 'run');
      return undefined;
    },
    /** A content of another dataset: later equal records are dropped. */
    seed(digest) {
      if (!seen.has(digest)) seen.set(digest, 'other');
    },
    counters: () => ({}),
  };
}
