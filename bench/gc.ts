import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FsBlobStore } from '../src/adapters/blob/fs/fs-blob-store.ts';
import type { GcReport } from '../src/core/gc/gc-service.ts';
import { ctx, openBenchCore } from './open-core.ts';
import { fmt, freshDir, MiB, report, SCALE, time } from './support.ts';

const pathOf = (n: number): string => `shard-${String(n % 1000).padStart(4, '0')}/sample-${String(n).padStart(8, '0')}.json`;

/**
 * Garbage collection of a repository of 1,000,000 entries (each a real blob) and 100 commits of
 * 1,000 changes, retention 0 days: every replaced version and every tree node only old commits
 * hold goes. Timed in a fresh process for its peak RSS, against `find` listing (and stat-ing)
 * every blob once in the same run.
 */
export async function benchGc(): Promise<void> {
  const entries = Math.max(10_000, Math.round(1_000_000 * SCALE));
  const COMMITS = 100;
  const CHANGES = 1000;
  const dir = await freshDir(`gc-${entries}`);
  const core = await openBenchCore(dir, { STRATA_FSYNC: 'false' });
  // Contents are written straight to the blob folder (fsync off): building the store is not what is measured.
  const blobs = await FsBlobStore.open({ root: join(dir, '.strata', 'blobs'), fsync: false });
  const content = async (n: number, version: number): Promise<{ sha256: string; md5: string; size: number }> => {
    const bytes = Buffer.from(`{"sample":${n},"version":${version}}\n`);
    const { sha256 } = await blobs.put(bytes);
    return { sha256, md5: createHash('md5').update(bytes).digest('hex'), size: bytes.length };
  };
  await core.repositories.create(ctx, { name: 'bench' });
  const build = await time(async () => {
    for (let start = 0; start < entries; start += 5000) {
      const objects = [];
      for (let n = start; n < Math.min(start + 5000, entries); n++) objects.push({ path: pathOf(n), content: await content(n, 0) });
      await core.objects.stage(ctx, { repository: 'bench', branch: 'main', objects });
    }
    await core.commits.commit(ctx, { repository: 'bench', branch: 'main', message: 'fill' });
    for (let c = 1; c <= COMMITS; c++) {
      const objects = [];
      for (let i = 0; i < CHANGES; i++) {
        const n = (c * 7919 + i * 104_729) % entries;
        objects.push({ path: pathOf(n), content: await content(n, c) });
      }
      await core.objects.stage(ctx, { repository: 'bench', branch: 'main', objects });
      await core.commits.commit(ctx, { repository: 'bench', branch: 'main', message: `change ${c}` });
    }
  });
  await core.repositories.update(ctx, 'bench', { retention: { days: 0, branches: [], lifecycle: [], staleBranches: [] } });
  await core.close();
  console.log(`  built ${entries.toLocaleString('en')} entries and ${COMMITS} commits in ${fmt(build.seconds, 0)} s`);
  const objects = join(dir, '.strata', 'blobs', 'objects');
  const find = await time(() => spawnSync('find', [objects, '-type', 'f', '-printf', '%s %T@\n'], { stdio: ['ignore', 'ignore', 'inherit'] }));
  // A second baseline for the sweep: deleting that many files at all, with `find -delete` on a copy.
  const copy = join(dir, 'objects-copy');
  spawnSync('cp', ['-a', objects, copy]);
  const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'gc-child.ts'), dir], { stdio: ['ignore', 'pipe', 'inherit'] });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  if (code !== 0) throw new Error(`gc child exited ${String(code)}`);
  const { maxRssBytes, seconds, report: gc } = JSON.parse(output) as { maxRssBytes: number; seconds: number; report: GcReport };
  const collected = new Set<string>();
  for (const shard of await readdir(copy)) for (const name of await readdir(join(copy, shard))) collected.add(`${shard}/${name}`);
  for (const shard of await readdir(objects)) for (const name of await readdir(join(objects, shard))) collected.delete(`${shard}/${name}`);
  const list = join(dir, 'collected.txt');
  await writeFile(list, [...collected].map((p) => join(copy, p)).join('\n'));
  const rmTime = await time(() => spawnSync('sh', ['-c', `xargs -a '${list}' rm -f`], { stdio: ['ignore', 'ignore', 'inherit'] }));
  report({
    name: `gc of ${entries.toLocaleString('en')} entries and ${COMMITS} commits (${gc.blobs.listed.toLocaleString('en')} blobs, ${gc.blobs.collected.count.toLocaleString('en')} collected, ${gc.commits.expired} commits expired)`,
    strata: `${fmt(seconds)} s (mark ${fmt(gc.phases.mark / 1000)} s, sweep ${fmt(gc.phases.sweep / 1000)} s), peak RSS ${fmt(maxRssBytes / MiB, 0)} MiB`,
    baseline: `find listing and stat-ing every blob: ${fmt(find.seconds)} s; rm of the ${collected.size.toLocaleString('en')} collected files: ${fmt(rmTime.seconds)} s`,
    ratio: `${fmt(seconds / find.seconds)}× find, ${fmt(seconds / (find.seconds + rmTime.seconds))}× find + rm`,
    goal: '≤ 2× find, RSS ≤ 512 MiB',
    met: seconds <= 2 * find.seconds && maxRssBytes <= 512 * MiB,
  });
}
