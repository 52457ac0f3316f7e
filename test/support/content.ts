import { createHash } from 'node:crypto';

/**
 * Deterministic contents named by path, so a verifier can recompute the exact bytes a killed
 * process wrote. Every 7th path is large enough to be stored as chunks.
 */
export function contentFor(path: string): Buffer {
  const seed = createHash('sha256').update(path).digest();
  const n = seed.readUInt32LE(0);
  const size = n % 7 === 0 ? 5 * 1024 * 1024 + (n % 100_000) : 200 + (n % 20_000);
  const out = Buffer.allocUnsafe(size);
  let block = seed;
  for (let offset = 0; offset < size; offset += block.length) {
    block = createHash('sha256').update(block).digest();
    block.copy(out, offset, 0, Math.min(block.length, size - offset));
  }
  return out;
}
