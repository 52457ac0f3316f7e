import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ThreadPoolMapper } from '../../src/adapters/prep/thread-pool-mapper.ts';
import type { PrepSummary } from '../../src/core/prep/prep-service.ts';
import { parseRecipe } from '../../src/core/prep/recipe.ts';
import { bytesOf, createTestCore, ctx, DIALECTS, readAll, type TestCore } from '../support/core.ts';

/** The standard recipe's shape: every kind of step, dataset steps in the middle. */
const RECIPE = parseRecipe(`
name: incremental
steps:
  - normalize
  - quality: { min_words: 20 }
  - dedup-exact
  - dedup-near
  - pii
  - tokenize: { encoding: cl100k_base }
shard: { target_bytes: 4096 }
`);

const doc = (topic: string, extra = ''): string =>
  `A long paragraph about ${topic} that has plenty of words to pass every quality rule. It talks about ${topic} at length, sentence after sentence.\nAnother line says why ${topic} matters to people who read about it.${extra}\n`;

async function populate(t: TestCore, docs: Record<string, string>): Promise<string> {
  for (const [path, text] of Object.entries(docs)) await t.core.objects.put(ctx, { repository: 'raw', branch: 'main', path, body: bytesOf(text), contentType: 'text/plain' });
  return (await t.core.commits.commit(ctx, { repository: 'raw', branch: 'main', message: 'docs' })).id;
}

/** The shards' lines (JSON, token ids resolved), in order, and the shard files' bytes. */
async function output(t: TestCore, summary: PrepSummary): Promise<{ lines: unknown[]; shards: string[] }> {
  const lines: unknown[] = [];
  const shards: string[] = [];
  for (const shard of summary.shards) {
    const body = (await readAll((await t.core.objects.get(ctx, { repository: 'prepared', ref: summary.outputCommit, path: shard.path })).body)).toString('utf8');
    shards.push(body);
    lines.push(...body.trim().split('\n').map((l) => JSON.parse(l) as unknown));
  }
  return { lines, shards };
}

const counts = (summary: PrepSummary) => summary.steps.map((s) => [s.name, s.in, s.out, s.dropped, s.counters]);

describe.each(DIALECTS)('incremental recipe runs on %s', (dialect) => {
  let t: TestCore;
  let fresh: TestCore | undefined;
  beforeEach(async () => {
    t = await createTestCore(dialect);
    for (const name of ['raw', 'prepared']) await t.core.repositories.create(ctx, { name });
  });
  afterEach(async () => {
    await t.dispose();
    await fresh?.dispose();
    fresh = undefined;
  });

  it('prepares only new and changed sources, drops deleted ones, and writes what a full run writes', async () => {
    const docs: Record<string, string> = {};
    for (let i = 0; i < 30; i++) docs[`docs/${String(i).padStart(2, '0')}.txt`] = doc(`topic ${i}`, i % 7 === 0 ? ' Mail ada@example.com now.' : '');
    docs['docs/30-copy.txt'] = docs['docs/03.txt'] as string;
    docs['docs/31-near.txt'] = (docs['docs/04.txt'] as string).replace('read about it.', 'read about it all.');
    await populate(t, docs);
    const first = await t.core.prep.run(ctx, { recipe: RECIPE, input: 'raw@main:docs/', output: 'prepared@main' });
    expect(first).toMatchObject({ sources: 32, reused: 0, tasks: 0, written: 30 });

    // Same input, same recipe: everything reused, the same shards.
    const again = await t.core.prep.run(ctx, { recipe: RECIPE, input: 'raw@main:docs/', output: 'prepared@main' });
    expect(again).toMatchObject({ sources: 32, reused: 32, written: 30 });
    expect(again.shards).toEqual(first.shards);
    expect(counts(again)).toEqual(counts(first));

    // One changed, one deleted, one added; the deleted one held the original of a duplicate.
    docs['docs/05.txt'] = doc('a changed topic', ' Call (415) 555-2671 today.');
    await t.core.objects.put(ctx, { repository: 'raw', branch: 'main', path: 'docs/05.txt', body: bytesOf(docs['docs/05.txt']), contentType: 'text/plain' });
    await t.core.objects.delete(ctx, { repository: 'raw', branch: 'main', path: 'docs/03.txt' });
    delete docs['docs/03.txt'];
    docs['docs/32-new.txt'] = doc('something new');
    await populate(t, { 'docs/32-new.txt': docs['docs/32-new.txt'] });
    const rerun = await t.core.prep.run(ctx, { recipe: RECIPE, input: 'raw@main:docs/', output: 'prepared@main' });
    expect(rerun).toMatchObject({ sources: 32, reused: 30, written: 31 });
    const { lines, shards } = await output(t, rerun);
    const paths = lines.map((l) => (l as { source: { path: string } }).source.path);
    expect(paths).not.toContain('docs/03.txt');
    // With its original gone, the copy is now the first of its content and is kept.
    expect(paths).toContain('docs/30-copy.txt');
    expect(lines.find((l) => (l as { source: { path: string } }).source.path === 'docs/05.txt')).toMatchObject({ text: expect.stringContaining('changed topic') as unknown });
    expect(rerun.steps.find((s) => s.name === 'pii')?.counters).toEqual({ 'pii.email': 5, 'pii.phone': 1 });

    // A full run over the same final documents in an empty Strata, mapped on a thread pool
    // instead of in place, writes the same bytes.
    fresh = await createTestCore(dialect, { mapper: new ThreadPoolMapper(2) });
    for (const name of ['raw', 'prepared']) await fresh.core.repositories.create(ctx, { name });
    await populate(fresh, docs);
    const full = await fresh.core.prep.run(ctx, { recipe: RECIPE, input: 'raw@main:docs/', output: 'prepared@main' });
    expect(full.reused).toBe(0);
    expect(counts(rerun)).toEqual(counts(full));
    expect((await output(fresh, full)).shards).toEqual(shards);
  });

  it('prepares again what a changed recipe would prepare differently', async () => {
    await populate(t, { 'docs/a.txt': doc('rivers'), 'docs/b.txt': doc('lakes') });
    await t.core.prep.run(ctx, { recipe: RECIPE, input: 'raw@main:docs/', output: 'prepared@main' });
    const changed = parseRecipe(`
name: incremental
steps:
  - normalize: { lowercase: true }
  - quality: { min_words: 20 }
shard: { target_bytes: 4096 }
`);
    const run = await t.core.prep.run(ctx, { recipe: changed, input: 'raw@main:docs/', output: 'prepared@main' });
    expect(run).toMatchObject({ sources: 2, reused: 0, written: 2 });
    const { lines } = await output(t, run);
    expect((lines[0] as { text: string }).text).toBe(doc('rivers').trim().toLowerCase());
    // Only the shard size changed: the prepared records are reused.
    const resharded = await t.core.prep.run(ctx, { recipe: { ...changed, shard: { ...changed.shard, target_bytes: 2048 } }, input: 'raw@main:docs/', output: 'prepared@main' });
    expect(resharded).toMatchObject({ sources: 2, reused: 2, written: 2 });
  });
});
