import { z } from 'zod';
import type { DatasetStepInstance } from '../record.ts';

/**
 * MinHash with locality-sensitive hashing (Broder 1997; Leskovec et al., "Mining of Massive
 * Datasets" §3.4). Written here because no maintained JavaScript package does streaming MinHash
 * LSH over millions of records; it is a few dozen lines of arithmetic.
 */
export const DedupNearParams = z
  .strictObject({
    /** Words per shingle. */
    ngram: z.number().int().min(1).max(20).default(5),
    bands: z.number().int().min(1).max(64).default(14),
    rows: z.number().int().min(1).max(32).default(8),
    /** A candidate pair counts as duplicate when its estimated Jaccard similarity reaches this. */
    threshold: z.number().min(0).max(1).default(0.7),
  })
  .refine((p) => p.bands * p.rows <= 1024, { message: 'bands × rows must be at most 1024 permutations' });
export type DedupNearConfig = z.infer<typeof DedupNearParams>;

/** FNV-1a, 32 bits, over UTF-16 units; two seeds give the two base hashes. */
function fnv1a(text: string, seed: number): number {
  let h = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  // Final avalanche (murmur3 fmix32): FNV's low bits mix poorly.
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b) >>> 0;
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}

/** Word n-grams of the lowercased text (the whole text when it has fewer words). */
export function shingles(text: string, n: number): Set<string> {
  const words = text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
  const out = new Set<string>();
  if (words.length <= n) {
    out.add(words.join(' '));
    return out;
  }
  for (let i = 0; i + n <= words.length; i++) out.add(words.slice(i, i + n).join(' '));
  return out;
}

/**
 * The signature: for each of k permutations, the least value of h1 + i·h2 (mod 2^32) over the
 * shingles — Kirsch–Mitzenmacher double hashing standing in for k independent hash functions.
 */
export function signature(set: Set<string>, permutations: number): Uint32Array {
  const sig = new Uint32Array(permutations).fill(0xffffffff);
  for (const shingle of set) {
    const h1 = fnv1a(shingle, 0);
    const h2 = fnv1a(shingle, 0x9e3779b9) | 1;
    for (let i = 0; i < permutations; i++) {
      const v = (h1 + Math.imul(i, h2)) >>> 0;
      if (v < (sig[i] as number)) sig[i] = v;
    }
  }
  return sig;
}

/** The share of equal positions: an unbiased estimate of the Jaccard similarity. */
export function estimate(a: Uint32Array, b: Uint32Array): number {
  let equal = 0;
  for (let i = 0; i < a.length; i++) if (a[i] === b[i]) equal++;
  return equal / a.length;
}

/**
 * One number per band: the band index and a 32-bit hash of its rows. Two bands that differ can
 * share a key (about once in 2^32 pairs); that only adds a candidate, which the similarity check
 * then rejects. Numbers instead of joined strings: the lookups were most of a rerun's time.
 */
function bandKeys(sig: Uint32Array, params: { bands: number; rows: number }): number[] {
  const keys: number[] = [];
  for (let b = 0; b < params.bands; b++) {
    let h = 0x811c9dc5 ^ b;
    for (let r = b * params.rows; r < (b + 1) * params.rows; r++) {
      h = Math.imul(h ^ (sig[r] as number), 0x01000193);
      h ^= h >>> 15;
    }
    keys.push(b * 2 ** 32 + (h >>> 0));
  }
  return keys;
}

/**
 * `dedup-near`: keeps the first record of each cluster of near-duplicates (input order), drops
 * the others as `near-duplicate`. A record is compared with kept records sharing at least one
 * LSH band, and dropped when the estimated similarity reaches the threshold. The signature is the
 * per-record feature (base64 of its uint32 values), so it is computed in parallel and cached.
 */
export function dedupNearStep(params: DedupNearConfig): DatasetStepInstance {
  const permutations = params.bands * params.rows;
  const buckets = new Map<number, number[]>();
  const kept: Uint32Array[] = [];
  let dropped = 0;
  const clusters = new Set<number>();
  return {
    kind: 'dataset',
    feature(record) {
      const sig = signature(shingles(record.text, params.ngram), permutations);
      return { keep: record, feature: Buffer.from(sig.buffer, sig.byteOffset, sig.byteLength).toString('base64') };
    },
    decide(feature) {
      // Copied into a fresh (aligned) buffer; the same byte order wrote it.
      const sig = new Uint32Array(new Uint8Array(Buffer.from(feature, 'base64')).buffer);
      const keys = bandKeys(sig, params);
      const candidates = new Set<number>();
      for (const key of keys) for (const index of buckets.get(key) ?? []) candidates.add(index);
      for (const index of candidates) {
        if (estimate(sig, kept[index] as Uint32Array) >= params.threshold) {
          dropped++;
          clusters.add(index);
          return 'near-duplicate';
        }
      }
      const index = kept.push(sig) - 1;
      for (const key of keys) {
        const bucket = buckets.get(key);
        if (bucket) bucket.push(index);
        else buckets.set(key, [index]);
      }
      return undefined;
    },
    counters: () => ({ 'near.clusters': clusters.size, 'near.removed': dropped }),
  };
}
