import { describe, expect, it } from 'vitest';
import { seededRandom as random } from '../../../../test/support/random.ts';
import type { PrepRecord } from '../record.ts';
import { DedupNearParams, dedupNearStep, shingles } from './dedup-near.ts';


const rnd = random(3);
const VOCAB = Array.from({ length: 5000 }, (_, i) => `w${i.toString(36)}`);
const word = (): string => VOCAB[Math.floor(rnd() * VOCAB.length)] as string;
const record = (id: string, text: string): PrepRecord => ({ id, text, meta: {}, source: { key: id, repository: 'r', path: id, sha256: '' } });

function jaccard(a: Set<string>, b: Set<string>): number {
  let common = 0;
  for (const x of a) if (b.has(x)) common++;
  return common / (a.size + b.size - common);
}

describe('dedup-near on planted near-duplicates', () => {
  it('removes ≥ 0.9 of pairs above 0.8 similarity and < 0.05 of pairs below 0.5', () => {
    const records: PrepRecord[] = [];
    const pairs: Array<{ variant: string; similarity: number }> = [];
    for (let d = 0; d < 400; d++) {
      const words = Array.from({ length: 300 }, word);
      const variant = [...words];
      // Half the variants replace 0.1–4% of the words, half 4–30%: true similarities from ~0.99 down to ~0.1.
      const share = d % 2 === 0 ? 0.001 + rnd() * 0.039 : 0.04 + rnd() * 0.26;
      for (let i = 0; i < variant.length; i++) if (rnd() < share) variant[i] = word();
      records.push(record(`base-${d}`, words.join(' ')), record(`variant-${d}`, variant.join(' ')));
      pairs.push({ variant: `variant-${d}`, similarity: jaccard(shingles(words.join(' '), 5), shingles(variant.join(' '), 5)) });
    }
    const step = dedupNearStep(DedupNearParams.parse({}));
    const dropped = new Set(records.filter((r) => step.decide(step.feature(r).feature) !== undefined).map((r) => r.id));
    const high = pairs.filter((p) => p.similarity >= 0.8);
    const low = pairs.filter((p) => p.similarity < 0.5);
    const highRate = high.filter((p) => dropped.has(p.variant)).length / high.length;
    const lowRate = low.filter((p) => dropped.has(p.variant)).length / low.length;
    console.log(`dedup-near: ${high.length} pairs ≥ 0.8 similar, ${(highRate * 100).toFixed(1)}% removed; ${low.length} pairs < 0.5, ${(lowRate * 100).toFixed(1)}% removed; ${[...dropped].filter((id) => id.startsWith('base-')).length} distinct documents removed`);
    expect(high.length).toBeGreaterThan(50);
    expect(low.length).toBeGreaterThan(50);
    expect(highRate).toBeGreaterThanOrEqual(0.9);
    expect(lowRate).toBeLessThan(0.05);
    expect([...dropped].filter((id) => id.startsWith('base-'))).toEqual([]);
    expect(step.counters()).toEqual({ 'near.clusters': dropped.size, 'near.removed': dropped.size });
  });
});
