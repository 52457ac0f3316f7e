import { spawn, type ChildProcess } from 'node:child_process';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import type { PrepSummary } from '../../src/core/prep/prep-service.ts';
import { parseRecipe } from '../../src/core/prep/recipe.ts';
import { PREP_QUEUE } from '../../src/core/prep/prep-tasks.ts';
import { BIN } from '../support/cli.ts';
import { bytesOf, createTestCore, ctx, readAll, type TestCore } from '../support/core.ts';
import { seededRandom } from '../support/random.ts';

const RECIPE = parseRecipe(`
name: distributed
steps:
  - normalize
  - quality: { min_words: 20, max_duplicate_lines: 1, max_top_2gram_chars: 1 }
  - dedup-exact
  - dedup-near
  - pii
  - tokenize
shard: { target_bytes: 1048576 }
`);

/** 256 documents of ~24 KiB of seeded random words: 4 tasks of 64 sources, each long enough to be killed in. */
function corpus(): Record<string, string> {
  const rnd = seededRandom(7);
  const words = Array.from({ length: 5000 }, (_, i) => `w${i.toString(36)}${'aeiou'[i % 5] ?? ''}`);
  const docs: Record<string, string> = {};
  for (let d = 0; d < 256; d++) {
    const lines: string[] = [];
    for (let l = 0; l < 120; l++) lines.push(`${Array.from({ length: 25 }, () => words[Math.floor(rnd() * words.length)]).join(' ')}.`);
    if (d % 50 === 0) lines.push(`Reach me at person${d}@example.com.`);
    docs[`docs/${String(d).padStart(3, '0')}.txt`] = lines.join('\n');
  }
  docs['docs/copy.txt'] = docs['docs/010.txt'] as string;
  return docs;
}

async function populate(t: TestCore, docs: Record<string, string>): Promise<void> {
  for (const name of ['raw', 'prepared']) await t.core.repositories.create(ctx, { name });
  for (const [path, text] of Object.entries(docs)) await t.core.objects.put(ctx, { repository: 'raw', branch: 'main', path, body: bytesOf(text), contentType: 'text/plain' });
  await t.core.commits.commit(ctx, { repository: 'raw', branch: 'main', message: 'docs' });
}

async function shards(t: TestCore, summary: PrepSummary): Promise<string[]> {
  const out: string[] = [];
  for (const shard of summary.shards) out.push((await readAll((await t.core.objects.get(ctx, { repository: 'prepared', ref: summary.outputCommit, path: shard.path })).body)).toString('utf8'));
  return out;
}

function worker(t: TestCore, log: string[]): ChildProcess {
  const child = spawn(process.execPath, [BIN, 'worker', '--concurrency', '1'], {
    env: { ...process.env, STRATA_ENDPOINT: '', STRATA_DATABASE_URL: t.databaseUrl ?? '', STRATA_DATA_DIR: t.dir, STRATA_TASK_TIMEOUT_SECONDS: '4' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  child.stderr.on('data', (d: Buffer) => log.push(d.toString()));
  return child;
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, seconds = 120): Promise<T> {
  const deadline = Date.now() + seconds * 1000;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('recipe runs on worker processes (PostgreSQL)', () => {
  const cleanup: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const step of cleanup.reverse()) await step();
    cleanup.length = 0;
  });

  it('splits a run into tasks for strata worker processes; a worker killed mid-task loses and duplicates nothing', async () => {
    const docs = corpus();
    const t = await createTestCore('postgres', {}, { tasks: { expireInSeconds: 4 } });
    cleanup.push(() => t.dispose());
    await populate(t, docs);
    const db = new pg.Client({ connectionString: t.databaseUrl });
    await db.connect();
    cleanup.push(() => db.end());
    const log: string[] = [];
    const workers: ChildProcess[] = [];
    cleanup.push(async () => {
      for (const w of workers) if (w.exitCode === null && w.signalCode === null) w.kill('SIGKILL');
      await Promise.resolve();
    });

    const first = worker(t, log);
    workers.push(first);
    const running = t.core.prep.run(ctx, { recipe: RECIPE, input: 'raw@main:docs/', output: 'prepared@main', workers: true });
    running.catch(() => undefined);
    const active = `SELECT count(*)::int AS n FROM pgboss.job WHERE name = '${PREP_QUEUE}' AND state = 'active'`;
    // Kill the only worker while it holds a task: freeze it, look, and kill it only if a task is
    // active (it may be between two tasks; then let it go on and look again).
    const activeCount = async (): Promise<number> => (await db.query<{ n: number }>(active).catch(() => ({ rows: [{ n: 0 }] }))).rows[0]?.n ?? 0;
    for (;;) {
      await until('a task to be taken', async () => ((await activeCount()) > 0 ? true : undefined));
      first.kill('SIGSTOP');
      if ((await activeCount()) === 1) break;
      first.kill('SIGCONT');
    }
    first.kill('SIGKILL');
    await new Promise((resolve) => first.once('exit', resolve));
    expect(await activeCount()).toBe(1);

    workers.push(worker(t, log));
    const summary = await running;
    expect(summary).toMatchObject({ sources: 257, reused: 0, tasks: 5, written: 256 });
    expect(summary.steps.find((s) => s.name === 'dedup-exact')?.dropped).toEqual({ duplicate: 1 });
    // The killed worker's task ran again after its expiry.
    const retried = await db.query<{ n: number }>(`SELECT coalesce(sum(retry_count), 0)::int AS n FROM (SELECT retry_count FROM pgboss.job WHERE name = $1 UNION ALL SELECT retry_count FROM pgboss.archive WHERE name = $1) AS attempts`, [PREP_QUEUE]);
    expect(retried.rows[0]?.n).toBeGreaterThanOrEqual(1);
    const written = await shards(t, summary);
    const ids = written.flatMap((s) => s.trim().split('\n')).map((l) => (JSON.parse(l) as { id: string }).id);
    expect(new Set(ids).size).toBe(256);
    expect(ids).toHaveLength(256);

    // The same bytes as a run in one process on the embedded store.
    const local = await createTestCore('sqlite');
    cleanup.push(() => local.dispose());
    await populate(local, docs);
    const alone = await local.core.prep.run(ctx, { recipe: RECIPE, input: 'raw@main:docs/', output: 'prepared@main' });
    expect(summary.steps).toEqual(alone.steps);
    expect(written).toEqual(await shards(local, alone));
  });

  it('refuses runs on workers without PostgreSQL, with the reason', async () => {
    const t = await createTestCore('sqlite');
    cleanup.push(() => t.dispose());
    await populate(t, { 'docs/a.txt': 'text' });
    await expect(t.core.prep.run(ctx, { recipe: RECIPE, input: 'raw@main:docs/', output: 'prepared@main', workers: true })).rejects.toMatchObject({
      code: 'InvalidArgument',
      message: 'runs on workers need PostgreSQL (STRATA_DATABASE_URL=postgres://…) and `strata worker` processes sharing it',
    });
  });
});
