import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { StrataCore } from '../../src/core/strata.ts';
import { attachCore, bytesOf, createTestCore, ctx, DIALECTS, errorCode, readAll, type TestCore } from '../support/core.ts';

/**
 * Commits, merges and their guarantees under concurrency, with two cores sharing one database
 * and blob folder as two servers would. Counts and contents are asserted exactly; timings are
 * measured in bench/concurrency.ts, not here.
 */
describe.each(DIALECTS)('commits and merges under concurrency on %s', (dialect) => {
  let t: TestCore;
  let second: { core: StrataCore; close(): Promise<void> };
  let servers: StrataCore[];
  beforeEach(async () => {
    t = await createTestCore(dialect);
    second = await attachCore(t);
    servers = [t.core, second.core];
    await t.core.repositories.create(ctx, { name: 'data' });
  });
  afterEach(async () => {
    await second.close();
    await t.dispose();
  });

  const put = (core: StrataCore, branch: string, path: string, text: string) =>
    core.objects.put(ctx, { repository: 'data', branch, path, body: bytesOf(text), contentType: 'text/plain' });
  const text = async (ref: string, path: string) => (await readAll((await t.core.objects.get(ctx, { repository: 'data', ref, path })).body)).toString();

  it('puts a change acknowledged before a commit starts into that commit or an earlier one', async () => {
    const WRITERS = 12;
    const ROUNDS = 8;
    const failures: string[] = [];
    await Promise.all(
      Array.from({ length: WRITERS }, async (_, w) => {
        const core = servers[w % 2] as StrataCore;
        const path = `w${w}/value.txt`;
        for (let round = 0; round < ROUNDS; round++) {
          await put(core, 'main', path, `${w}:${round}`);
          // Half the writers commit everything staged (another writer's commit may have taken
          // theirs already), half commit only their own path.
          const commit = w % 2 === 0
            ? await core.commits.commit(ctx, { repository: 'data', branch: 'main', message: `w${w} r${round}`, unchangedIsHead: true })
            : await core.commits.commit(ctx, { repository: 'data', branch: 'main', message: `w${w} r${round}`, only: [`w${w}/`], unchangedIsHead: true });
          const seen = await text(commit.id, path);
          if (seen !== `${w}:${round}`) failures.push(`${path} at ${commit.id.slice(0, 8)}: ${seen} instead of ${w}:${round}`);
        }
      }),
    );
    expect(failures).toEqual([]);
    expect(await t.core.commits.status(ctx, { repository: 'data', branch: 'main' })).toEqual([]);
    for (let w = 0; w < WRITERS; w++) expect(await text('main', `w${w}/value.txt`)).toBe(`${w}:${ROUNDS - 1}`);
  });

  it('commits each of 24 concurrent writers with --only, every commit its own, none failing', async () => {
    const results = await Promise.all(
      Array.from({ length: 24 }, async (_, w) => {
        const core = servers[w % 2] as StrataCore;
        await put(core, 'main', `own/${w}.txt`, `writer ${w}`);
        return core.commits.commit(ctx, { repository: 'data', branch: 'main', message: `writer ${w}`, only: [`own/${w}.txt`] });
      }),
    );
    expect(new Set(results.map((c) => c.id)).size).toBe(24);
    const log = await t.core.commits.log(ctx, { repository: 'data', ref: 'main', limit: 100 });
    expect(log).toHaveLength(25);
    // Linear history: each commit's parent is the one before it.
    for (let i = 0; i < 24; i++) expect(log[i]?.parents).toEqual([log[i + 1]?.id]);
    for (const commit of results) {
      const w = Number(/writer (\d+)/.exec(commit.message)?.[1]);
      const changed = await t.core.commits.diff(ctx, { repository: 'data', left: commit.parents[0] ?? '', right: commit.id });
      expect(changed.map((c) => c.path)).toEqual([`own/${w}.txt`]);
    }
  });

  it('commits only the named paths and prefixes and leaves the rest staged', async () => {
    for (const path of ['a', 'a/1', 'a/b/2', 'ab', 'b/3', 'c']) await put(t.core, 'main', path, path);
    const commit = await t.core.commits.commit(ctx, { repository: 'data', branch: 'main', message: 'a and c', only: ['a', 'c'] });
    const changed = await t.core.commits.diff(ctx, { repository: 'data', left: commit.parents[0] ?? '', right: commit.id });
    expect(changed.map((c) => c.path)).toEqual(['a', 'a/1', 'a/b/2', 'c']);
    expect((await t.core.commits.status(ctx, { repository: 'data', branch: 'main' })).map((c) => c.path)).toEqual(['ab', 'b/3']);
    const prefixOnly = await t.core.commits.commit(ctx, { repository: 'data', branch: 'main', message: 'b', only: ['b/'] });
    expect((await t.core.commits.diff(ctx, { repository: 'data', left: prefixOnly.parents[0] ?? '', right: prefixOnly.id })).map((c) => c.path)).toEqual(['b/3']);
    await expect(t.core.commits.commit(ctx, { repository: 'data', branch: 'main', message: 'none', only: ['zzz'] })).rejects.toThrow('nothing to commit on data@main (only zzz)');
    expect(await errorCode(t.core.commits.commit(ctx, { repository: 'data', branch: 'main', message: 'bad', only: [] }))).toBe('InvalidArgument');
    expect((await t.core.commits.status(ctx, { repository: 'data', branch: 'main' })).map((c) => c.path)).toEqual(['ab']);
  });

  it('lands 32 concurrent merges of disjoint branches, from two servers', async () => {
    const N = 32;
    for (let i = 0; i < N; i++) {
      await t.core.repositories.createBranch(ctx, { repository: 'data', name: `f${i}`, from: 'main' });
      await put(t.core, `f${i}`, `feature/${i}.txt`, `feature ${i}`);
      await t.core.commits.commit(ctx, { repository: 'data', branch: `f${i}`, message: `feature ${i}` });
    }
    const outcomes = await Promise.all(
      Array.from({ length: N }, (_, i) => (servers[i % 2] as StrataCore).merges.merge(ctx, { repository: 'data', source: `f${i}`, destination: 'main' }).then(() => 'merged', (error: unknown) => String(error))),
    );
    expect(outcomes).toEqual(Array.from({ length: N }, () => 'merged'));
    const listed = await t.core.objects.list(ctx, { repository: 'data', ref: 'main', prefix: 'feature/', limit: 1000 });
    expect(listed.objects).toHaveLength(N);
    for (let i = 0; i < N; i++) expect(await text('main', `feature/${i}.txt`)).toBe(`feature ${i}`);
    const merges = (await t.core.commits.log(ctx, { repository: 'data', ref: 'main', limit: 1000 })).filter((c) => c.parents.length === 2);
    expect(merges).toHaveLength(N);
  });

  it('of 8 concurrent merges changing one path, exactly one wins and 7 report that path as a conflict', async () => {
    await put(t.core, 'main', 'shared.txt', 'base');
    await t.core.commits.commit(ctx, { repository: 'data', branch: 'main', message: 'base' });
    for (let i = 0; i < 8; i++) {
      await t.core.repositories.createBranch(ctx, { repository: 'data', name: `c${i}`, from: 'main' });
      await put(t.core, `c${i}`, 'shared.txt', `version ${i}`);
      await t.core.commits.commit(ctx, { repository: 'data', branch: `c${i}`, message: `version ${i}` });
    }
    const outcomes = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        (servers[i % 2] as StrataCore).merges.merge(ctx, { repository: 'data', source: `c${i}`, destination: 'main' }).then(
          () => ({ won: i }),
          (error: unknown) => ({ code: (error as { code?: string }).code, conflicts: (error as { details?: { conflicts?: string[] } }).details?.conflicts }),
        ),
      ),
    );
    const winners = outcomes.filter((o) => 'won' in o);
    expect(winners).toHaveLength(1);
    expect(outcomes.filter((o) => !('won' in o))).toEqual(Array.from({ length: 7 }, () => ({ code: 'Conflict', conflicts: ['shared.txt'] })));
    expect(await text('main', 'shared.txt')).toBe(`version ${(winners[0] as { won: number }).won}`);
  });
});
