import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { FastCdc, StreamChunker } from './fastcdc.ts';

const small = { minSize: 2048, avgSize: 8192, maxSize: 32768 };

function chunkAll(data: Buffer, piece: number): Buffer[] {
  const chunker = new StreamChunker(new FastCdc(small));
  const out: Uint8Array[] = [];
  for (let i = 0; i < data.length; i += piece) out.push(...chunker.push(data.subarray(i, i + piece)));
  out.push(...chunker.finish());
  return out.map((c) => Buffer.from(c));
}

describe('FastCDC', () => {
  it('reassembles exactly and respects the size bounds, whatever the input piece size', () => {
    const data = randomBytes(1_000_003);
    const reference = chunkAll(data, data.length);
    for (const piece of [1, 1000, 4096, 65536, 300_000]) {
      const chunks = piece === 1 ? chunkAll(data.subarray(0, 100_000), 1) : chunkAll(data, piece);
      if (piece !== 1) expect(chunks.map((c) => c.length)).toEqual(reference.map((c) => c.length));
      expect(Buffer.concat(chunks).equals(piece === 1 ? data.subarray(0, 100_000) : data)).toBe(true);
    }
    for (const chunk of reference.slice(0, -1)) {
      expect(chunk.length).toBeGreaterThanOrEqual(small.minSize);
      expect(chunk.length).toBeLessThanOrEqual(small.maxSize);
    }
    const mean = data.length / reference.length;
    expect(mean).toBeGreaterThan(small.avgSize / 2);
    expect(mean).toBeLessThan(small.avgSize * 2);
  });

  it('cuts at content, so an insertion changes only the chunks around it', () => {
    const data = randomBytes(500_000);
    const edited = Buffer.concat([data.subarray(0, 250_000), Buffer.from('inserted bytes'), data.subarray(250_000)]);
    const a = new Set(chunkAll(data, 65536).map((c) => c.toString('hex')));
    const b = chunkAll(edited, 65536).map((c) => c.toString('hex'));
    const fresh = b.filter((c) => !a.has(c));
    expect(fresh.length).toBeLessThanOrEqual(2);
  });

  it('rejects inconsistent sizes', () => {
    expect(() => new FastCdc({ minSize: 10, avgSize: 1000, maxSize: 5000 })).toThrow('power of two');
    expect(() => new FastCdc({ minSize: 4096, avgSize: 1024, maxSize: 5000 })).toThrow('minSize < avgSize < maxSize');
  });
});
