import { spawn } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { join } from 'node:path';
import { ctx, openBenchCore } from './open-core.ts';
import { duBytes, fmt, freshDir, GiB, MiB, report, SCALE, writeFile } from './support.ts';

/**
 * Two checkpoints of 16 "tensors" of 64 MiB; in the second, 30% of the tensors are rewritten.
 * Stored growth for the second must stay close to the bytes that changed.
 */
export async function benchDedup(): Promise<void> {
  const dir = await freshDir('dedup');
  const tensor = Math.round(64 * MiB * SCALE);
  const tensors = 16;
  const changed = new Set([1, 4, 7, 10, 13]); // 5 of 16 ≈ 31%
  const first = join(dir, 'ckpt-1.bin');
  const second = join(dir, 'ckpt-2.bin');
  // Same seed per unchanged tensor: fill each tensor's blocks from its index (and version).
  const seeded = (version: number) => (offset: number, block: Buffer): void => {
    const index = Math.floor(offset / tensor);
    const v = changed.has(index) ? version : 0;
    for (let i = 0; i < block.length; i += 8) {
      block.writeUInt32LE(((offset + i) ^ Math.imul(index, 2654435761)) >>> 0, i);
      block.writeUInt32LE(Math.imul(offset + i + v * 97, 2246822519) >>> 0, i + 4);
    }
  };
  await writeFile(first, tensor * tensors, seeded(1));
  await writeFile(second, tensor * tensors, seeded(2));
  const core = await openBenchCore(dir);
  await core.repositories.create(ctx, { name: 'ckpt' });
  const blobs = join(dir, '.strata', 'blobs', 'objects');
  await core.objects.put(ctx, { repository: 'ckpt', branch: 'main', path: 'step-1.bin', body: createReadStream(first) });
  const afterFirst = await duBytes(blobs);
  await core.objects.put(ctx, { repository: 'ckpt', branch: 'main', path: 'step-2.bin', body: createReadStream(second) });
  const afterSecond = await duBytes(blobs);
  await core.close();
  const changedBytes = changed.size * tensor;
  const stored = afterSecond - afterFirst;
  report({
    name: `dedup: second ${fmt((tensor * tensors) / GiB, 2)} GiB checkpoint with ${changed.size}/16 tensors changed`,
    strata: `stored ${fmt(stored / MiB, 1)} MiB for the second checkpoint (first: ${fmt(afterFirst / MiB, 1)} MiB)`,
    baseline: `changed bytes ${fmt(changedBytes / MiB, 1)} MiB`,
    ratio: `${fmt(stored / changedBytes)}x changed bytes`,
    goal: '<= 1.1x',
    met: stored / changedBytes <= 1.1,
  });
}

/** Peak RSS of a fresh process that puts and then gets a 4 GiB file. */
export async function benchMemory(): Promise<void> {
  const dir = await freshDir('memory');
  const size = Math.round(4 * GiB * SCALE);
  const file = join(dir, 'big.bin');
  await writeFile(file, size);
  const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'memory-child.ts'), dir, file], { stdio: ['ignore', 'pipe', 'inherit'] });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  if (code !== 0) throw new Error(`memory child exited ${String(code)}`);
  const { maxRssBytes, putSeconds, getSeconds } = JSON.parse(output) as { maxRssBytes: number; putSeconds: number; getSeconds: number };
  report({
    name: `peak RSS while putting and getting a ${fmt(size / GiB, 1)} GiB file`,
    strata: `${fmt(maxRssBytes / MiB, 0)} MiB (put ${fmt(putSeconds)} s, get ${fmt(getSeconds)} s)`,
    baseline: `file size ${fmt(size / MiB, 0)} MiB`,
    ratio: `${fmt(maxRssBytes / size, 3)}x file size`,
    goal: '<= 256 MiB',
    met: maxRssBytes <= 256 * MiB,
  });
}
