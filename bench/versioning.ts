import { createHash } from 'node:crypto';
import type { StrataCore } from '../src/core/strata.ts';
import { ctx, openBenchCore } from './open-core.ts';
import { fmt, freshDir, report, SCALE, time } from './support.ts';

/** A stored-content stand-in: commit and diff work on entries, not bytes. */
function fakeContent(n: number, version: number): { sha256: string; md5: string; size: number } {
  const sha256 = createHash('sha256').update(`${n}:${version}`).digest('hex');
  return { sha256, md5: sha256.slice(0, 32), size: 4096 };
}

const pathOf = (n: number): string => `shard-${String(n % 1000).padStart(4, '0')}/sample-${String(n).padStart(8, '0')}.json`;

async function fill(core: StrataCore, count: number): Promise<number> {
  const BATCH = 5000;
  const { seconds } = await time(async () => {
    for (let start = 0; start < count; start += BATCH) {
      const objects = [];
      for (let n = start; n < Math.min(start + BATCH, count); n++) objects.push({ path: pathOf(n), content: fakeContent(n, 0) });
      await core.objects.stage(ctx, { repository: 'bench', branch: 'main', objects });
    }
    await core.commits.commit(ctx, { repository: 'bench', branch: 'main', message: `fill ${count}` });
  });
  return seconds;
}

/** Stages `changes` random modifications and times only the commit. */
async function commitChanges(core: StrataCore, input: { count: number; changes: number; version: number }): Promise<number> {
  const objects = [];
  const seen = new Set<number>();
  while (objects.length < input.changes) {
    const n = Math.floor(Math.random() * input.count);
    if (seen.has(n)) continue;
    seen.add(n);
    objects.push({ path: pathOf(n), content: fakeContent(n, input.version) });
  }
  await core.objects.stage(ctx, { repository: 'bench', branch: 'main', objects });
  return (await time(() => core.commits.commit(ctx, { repository: 'bench', branch: 'main', message: `change ${input.version}` }))).seconds;
}

/** Commit and diff cost at growing branch sizes: both must track the change, not the size. */
export async function benchCommitAndDiff(): Promise<void> {
  const sizes = [10_000, 100_000, 1_000_000].map((n) => Math.max(1000, Math.round(n * SCALE)));
  const results: { size: number; fill: number; commit: number; diff: number }[] = [];
  for (const size of sizes) {
    const dir = await freshDir(`tree-${size}`);
    const core = await openBenchCore(dir);
    await core.repositories.create(ctx, { name: 'bench' });
    const fillSeconds = await fill(core, size);
    const before = (await core.commits.show(ctx, { repository: 'bench', ref: 'main' })).id;
    // Warm-up commit, then the measured one (median of three).
    await commitChanges(core, { count: size, changes: 1000, version: 1 });
    const commits: number[] = [];
    for (let v = 2; v < 5; v++) commits.push(await commitChanges(core, { count: size, changes: 1000, version: v }));
    const log = await core.commits.log(ctx, { repository: 'bench', ref: 'main', limit: 2 });
    const left = (log[1] ?? log[0])?.id ?? before;
    const diffs: number[] = [];
    for (let i = 0; i < 3; i++) {
      diffs.push((await time(() => core.commits.diff(ctx, { repository: 'bench', left, right: 'main' }))).seconds);
    }
    const changes = await core.commits.diff(ctx, { repository: 'bench', left, right: 'main' });
    if (changes.length !== 1000) throw new Error(`diff found ${changes.length} changes, expected 1000`);
    await core.close();
    results.push({ size, fill: fillSeconds, commit: median(commits), diff: median(diffs) });
    console.log(`  ${size} entries: initial commit ${fmt(fillSeconds)} s, commit of 1000 changes ${fmt(median(commits) * 1000, 0)} ms, diff of 1000 changes ${fmt(median(diffs) * 1000, 0)} ms`);
  }
  const small = results[0];
  const large = results[results.length - 1];
  if (!small || !large) return;
  report({
    name: `commit of 1,000 changed entries on a ${large.size}-entry branch`,
    strata: `${fmt(large.commit * 1000, 0)} ms`,
    baseline: `same commit on ${small.size} entries: ${fmt(small.commit * 1000, 0)} ms`,
    ratio: `${fmt(large.commit / small.commit)}x`,
    goal: '<= 1 s at 1M',
    met: large.commit <= 1,
  });
  report({
    name: `diff of two commits 1,000 entries apart, ${large.size} vs ${small.size} entries`,
    strata: `${fmt(large.diff * 1000, 0)} ms at ${large.size}`,
    baseline: `${fmt(small.diff * 1000, 0)} ms at ${small.size}`,
    ratio: `${fmt(large.diff / small.diff)}x`,
    goal: '<= 2x',
    met: large.diff / small.diff <= 2,
  });
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}
