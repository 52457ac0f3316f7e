import Database from 'better-sqlite3';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import type { StrataCore } from '../src/core/strata.ts';
import { ctx, openBenchCore } from './open-core.ts';
import { fmt, freshDir, report, SCALE, time } from './support.ts';

/** A stored-content stand-in: commit and diff work on entries, not bytes. */
function fakeContent(n: number, version: number): { sha256: string; md5: string; size: number } {
  const sha256 = createHash('sha256').update(`${n}:${version}`).digest('hex');
  return { sha256, md5: sha256.slice(0, 32), size: 4096 };
}

const pathOf = (n: number): string => `shard-${String(n % 1000).padStart(4, '0')}/sample-${String(n).padStart(8, '0')}.json`;

const FILL_BATCH = 5000;

/** Stages `count` entries in batches and commits them: what an import of that many objects costs. */
async function fill(core: StrataCore, count: number): Promise<{ stage: number; commit: number }> {
  const stage = await time(async () => {
    for (let start = 0; start < count; start += FILL_BATCH) {
      const objects = [];
      for (let n = start; n < Math.min(start + FILL_BATCH, count); n++) objects.push({ path: pathOf(n), content: fakeContent(n, 0) });
      await core.objects.stage(ctx, { repository: 'bench', branch: 'main', objects });
    }
  });
  const commit = await time(() => core.commits.commit(ctx, { repository: 'bench', branch: 'main', message: `fill ${count}` }));
  return { stage: stage.seconds, commit: commit.seconds };
}

/**
 * The floor under staging: the same rows upserted into a table shaped like `staging`, in the same
 * batches, through prepared statements on raw SQLite with the embedded default's settings.
 */
async function rawStagingUpserts(dir: string, count: number): Promise<number> {
  const db = new Database(join(dir, 'raw.db'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('secure_delete = ON');
  db.exec('create table staging (repository text not null, branch text not null, path text not null, entry text, write_id text, primary key (repository, branch, path))');
  const ROWS = 500;
  const upsert = db.prepare(`insert into staging values ${Array.from({ length: ROWS }, () => '(?, ?, ?, ?, ?)').join(', ')} on conflict (repository, branch, path) do update set entry = excluded.entry, write_id = excluded.write_id`);
  const { seconds } = await time(() => {
    for (let start = 0; start < count; start += FILL_BATCH) {
      const rows: unknown[][] = [];
      for (let n = start; n < Math.min(start + FILL_BATCH, count); n++) rows.push(['bench', 'main', pathOf(n), JSON.stringify(fakeContent(n, 0)), `w${start}`]);
      rows.sort((a, b) => ((a[2] as string) < (b[2] as string) ? -1 : 1));
      db.transaction(() => {
        for (let i = 0; i + ROWS <= rows.length; i += ROWS) upsert.run(rows.slice(i, i + ROWS).flat());
      })();
    }
  });
  db.close();
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
  const results: { size: number; fill: { stage: number; commit: number }; commit: number; diff: number }[] = [];
  for (const size of sizes) {
    const dir = await freshDir(`tree-${size}`);
    const core = await openBenchCore(dir);
    await core.repositories.create(ctx, { name: 'bench' });
    const filled = await fill(core, size);
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
    results.push({ size, fill: filled, commit: median(commits), diff: median(diffs) });
    console.log(`  ${size} entries: staged in ${fmt(filled.stage)} s, initial commit ${fmt(filled.commit)} s, commit of 1000 changes ${fmt(median(commits) * 1000, 0)} ms, diff of 1000 changes ${fmt(median(diffs) * 1000, 0)} ms`);
  }
  const small = results[0];
  const large = results[results.length - 1];
  if (!small || !large) return;
  const raw = await rawStagingUpserts(await freshDir('tree-raw'), large.size);
  const initial = large.fill.stage + large.fill.commit;
  report({
    name: `initial commit of ${large.size.toLocaleString('en')} entries (staged in batches of ${FILL_BATCH.toLocaleString('en')}, then one commit)`,
    strata: `${fmt(initial)} s (stage ${fmt(large.fill.stage)} s + commit ${fmt(large.fill.commit)} s)`,
    baseline: `raw SQLite upserts of the same staging rows: ${fmt(raw)} s`,
    ratio: `${fmt(raw / initial)}x raw`,
    goal: '<= 10 s',
    met: initial <= 10,
  });
  report({
    name: `commit of 1,000 changed entries on a ${large.size.toLocaleString('en')}-entry branch`,
    strata: `${fmt(large.commit * 1000, 0)} ms`,
    baseline: `same commit on ${small.size.toLocaleString('en')} entries: ${fmt(small.commit * 1000, 0)} ms`,
    ratio: `${fmt(large.commit / small.commit)}x`,
    goal: '<= 0.25 s at 1M',
    met: large.commit <= 0.25,
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
