import { createHash, randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { StrataCore } from '../../src/core/strata.ts';
import { bytesOf, createTestCore, ctx, DIALECTS, errorCode, readAll, type TestCore } from '../support/core.ts';

describe.each(DIALECTS)('versioning on %s', (dialect) => {
  let t: TestCore;
  let s: StrataCore;
  beforeEach(async () => {
    t = await createTestCore(dialect);
    s = t.core;
    await s.repositories.create(ctx, { name: 'data' });
  });
  afterEach(async () => {
    await t.dispose();
  });

  const put = (path: string, text: string, branch = 'main') =>
    s.objects.put(ctx, { repository: 'data', branch, path, body: bytesOf(text), contentType: 'text/plain' });
  const text = async (ref: string, path: string) => (await readAll((await s.objects.get(ctx, { repository: 'data', ref, path })).body)).toString();
  const paths = async (ref: string, prefix = '') => (await s.objects.list(ctx, { repository: 'data', ref, prefix })).objects.map((o) => o.path);

  it('puts, reads, commits and logs', async () => {
    const info = await put('docs/a.txt', 'alpha');
    expect(info).toMatchObject({ path: 'docs/a.txt', size: 5, contentType: 'text/plain' });
    expect(info.sha256).toBe(createHash('sha256').update('alpha').digest('hex'));
    expect(info.md5).toBe(createHash('md5').update('alpha').digest('hex'));
    expect(await text('main', 'docs/a.txt')).toBe('alpha');
    expect((await s.commits.status(ctx, { repository: 'data', branch: 'main' })).map((c) => [c.path, c.type])).toEqual([['docs/a.txt', 'added']]);
    const commit = await s.commits.commit(ctx, { repository: 'data', branch: 'main', message: 'add a', metadata: { source: 'test' } });
    expect(commit).toMatchObject({ message: 'add a', author: 'ada', metadata: { source: 'test' }, generation: 1 });
    expect(await s.commits.status(ctx, { repository: 'data', branch: 'main' })).toEqual([]);
    expect(await text(commit.id, 'docs/a.txt')).toBe('alpha');
    expect(await text(commit.id.slice(0, 8), 'docs/a.txt')).toBe('alpha');
    const log = await s.commits.log(ctx, { repository: 'data', ref: 'main' });
    expect(log.map((c) => c.message)).toEqual(['add a', 'Repository created']);
    expect(await errorCode(s.commits.commit(ctx, { repository: 'data', branch: 'main', message: 'again' }))).toBe('InvalidArgument');
  });

  it('lists and commits more staged changes than one page holds (5,000 sealed, 1,000 listed)', async () => {
    const content = await s.objects.writeContent(ctx, { repository: 'data', branch: 'main', body: bytesOf('same') });
    const objects = Array.from({ length: 5003 }, (_, i) => ({ path: `many/${String(i).padStart(5, '0')}`, content }));
    await s.objects.stage(ctx, { repository: 'data', branch: 'main', objects });
    expect((await s.objects.list(ctx, { repository: 'data', ref: 'main', prefix: 'many/', limit: 10000 })).objects.length).toBe(5003);
    expect((await s.commits.status(ctx, { repository: 'data', branch: 'main' })).length).toBe(5003);
    const commit = await s.commits.commit(ctx, { repository: 'data', branch: 'main', message: 'many' });
    const listed = (await s.objects.list(ctx, { repository: 'data', ref: commit.id, prefix: 'many/', limit: 10000 })).objects.map((o) => o.path);
    expect(listed).toEqual(objects.map((o) => o.path));
  });

  it('branches are O(1) and isolated; tags are fixed', async () => {
    await put('a', '1');
    await s.commits.commit(ctx, { repository: 'data', branch: 'main', message: 'one' });
    await s.repositories.createBranch(ctx, { repository: 'data', name: 'dev', from: 'main' });
    await s.repositories.createTag(ctx, { repository: 'data', name: 'v1', ref: 'main' });
    await put('a', '2', 'dev');
    await put('b', 'new', 'dev');
    expect(await text('dev', 'a')).toBe('2');
    expect(await text('main', 'a')).toBe('1');
    expect(await paths('main')).toEqual(['a']);
    expect(await paths('dev')).toEqual(['a', 'b']);
    await s.commits.commit(ctx, { repository: 'data', branch: 'dev', message: 'dev work' });
    const diff = await s.commits.diff(ctx, { repository: 'data', left: 'v1', right: 'dev' });
    expect(diff.map((c) => [c.path, c.type])).toEqual([['a', 'changed'], ['b', 'added']]);
    expect(await text('v1', 'a')).toBe('1');
    expect((await s.repositories.listBranches(ctx, 'data')).map((b) => b.name)).toEqual(['dev', 'main']);
    expect(await errorCode(s.repositories.deleteBranch(ctx, { repository: 'data', name: 'main' }))).toBe('InvalidArgument');
    await s.repositories.deleteBranch(ctx, { repository: 'data', name: 'dev' });
    expect(await errorCode(s.objects.stat(ctx, { repository: 'data', ref: 'dev', path: 'a' }))).toBe('NotFound');
  });

  it('lists with prefix, any delimiter and pagination, over tree and staging together', async () => {
    for (const p of ['a/1', 'a/2', 'a/b/3', 'b-x', 'b-y', 'c']) await put(p, p);
    await s.commits.commit(ctx, { repository: 'data', branch: 'main', message: 'base' });
    await put('a/0', 'staged');
    await s.objects.delete(ctx, { repository: 'data', branch: 'main', path: 'a/2' });
    const root = await s.objects.list(ctx, { repository: 'data', ref: 'main', delimiter: '/' });
    expect(root.commonPrefixes).toEqual(['a/']);
    expect(root.objects.map((o) => o.path)).toEqual(['b-x', 'b-y', 'c']);
    const dash = await s.objects.list(ctx, { repository: 'data', ref: 'main', delimiter: '-' });
    expect([dash.commonPrefixes, dash.objects.map((o) => o.path)]).toEqual([['b-'], ['a/0', 'a/1', 'a/b/3', 'c']]);
    const underA = await s.objects.list(ctx, { repository: 'data', ref: 'main', prefix: 'a/', delimiter: '/' });
    expect([underA.objects.map((o) => o.path), underA.commonPrefixes]).toEqual([['a/0', 'a/1'], ['a/b/']]);
    const page1 = await s.objects.list(ctx, { repository: 'data', ref: 'main', limit: 2, delimiter: '/' });
    expect([page1.commonPrefixes, page1.objects.map((o) => o.path), page1.truncated, page1.nextAfter]).toEqual([['a/'], ['b-x'], true, 'b-x']);
    const page2 = await s.objects.list(ctx, { repository: 'data', ref: 'main', limit: 2, delimiter: '/', after: 'a/' });
    expect([page2.objects.map((o) => o.path), page2.truncated]).toEqual([['b-x', 'b-y'], true]);
    const page3 = await s.objects.list(ctx, { repository: 'data', ref: 'main', limit: 2, after: 'b-y' });
    expect([page3.objects.map((o) => o.path), page3.truncated]).toEqual([['c'], false]);
  });

  it('status, reset and deletePrefix', async () => {
    await put('x/1', 'a');
    await put('x/2', 'b');
    await s.commits.commit(ctx, { repository: 'data', branch: 'main', message: 'base' });
    expect(await s.objects.deletePrefix(ctx, { repository: 'data', branch: 'main', prefix: 'x/' })).toBe(2);
    await put('x/1', 'a'); // same content as head: not a change
    expect((await s.commits.status(ctx, { repository: 'data', branch: 'main' })).map((c) => [c.path, c.type])).toEqual([['x/2', 'removed']]);
    expect(await s.commits.reset(ctx, { repository: 'data', branch: 'main' })).toBe(2);
    expect(await paths('main')).toEqual(['x/1', 'x/2']);
  });

  it('merges three ways, with conflict strategies', async () => {
    await put('shared', 'base');
    await put('both', 'base');
    await s.commits.commit(ctx, { repository: 'data', branch: 'main', message: 'base' });
    await s.repositories.createBranch(ctx, { repository: 'data', name: 'feature' });
    await put('feature-only', 'f', 'feature');
    await put('both', 'feature', 'feature');
    await s.commits.commit(ctx, { repository: 'data', branch: 'feature', message: 'feature' });
    await put('main-only', 'm');
    await put('both', 'main');
    await s.commits.commit(ctx, { repository: 'data', branch: 'main', message: 'main' });

    const failing = s.merges.merge(ctx, { repository: 'data', source: 'feature', destination: 'main' });
    await expect(failing).rejects.toMatchObject({ code: 'Conflict', details: { conflicts: ['both'] } });
    expect(await text('main', 'both')).toBe('main');

    const result = await s.merges.merge(ctx, { repository: 'data', source: 'feature', destination: 'main', strategy: 'dest-wins' });
    expect(result).toMatchObject({ merged: true, resolvedConflicts: ['both'], changes: 1 });
    expect(result.commit.parents).toHaveLength(2);
    expect(await paths('main')).toEqual(['both', 'feature-only', 'main-only', 'shared']);
    expect(await text('main', 'both')).toBe('main');
    const again = await s.merges.merge(ctx, { repository: 'data', source: 'feature', destination: 'main' });
    expect(again.merged).toBe(false);

    await s.repositories.createBranch(ctx, { repository: 'data', name: 'other', from: result.commit.parents[0] ?? '' });
    const sourceWins = await s.merges.merge(ctx, { repository: 'data', source: 'feature', destination: 'other', strategy: 'source-wins' });
    expect(sourceWins.resolvedConflicts).toEqual(['both']);
    expect(await text('other', 'both')).toBe('feature');
  });

  it('refuses to merge into a branch with uncommitted changes', async () => {
    await s.repositories.createBranch(ctx, { repository: 'data', name: 'f' });
    await put('a', '1', 'f');
    await s.commits.commit(ctx, { repository: 'data', branch: 'f', message: 'f' });
    await put('dirty', 'x');
    expect(await errorCode(s.merges.merge(ctx, { repository: 'data', source: 'f', destination: 'main' }))).toBe('Conflict');
  });

  it('reverts a commit, and refuses when the path changed since', async () => {
    await put('a', '1');
    const first = await s.commits.commit(ctx, { repository: 'data', branch: 'main', message: 'first' });
    await put('a', '2');
    await put('b', 'new');
    const second = await s.commits.commit(ctx, { repository: 'data', branch: 'main', message: 'second' });
    const revert = await s.merges.revert(ctx, { repository: 'data', branch: 'main', ref: second.id });
    expect(revert.commit.message).toContain('Revert "second"');
    expect(await text('main', 'a')).toBe('1');
    expect(await paths('main')).toEqual(['a']);
    expect(await errorCode(s.merges.revert(ctx, { repository: 'data', branch: 'main', ref: second.id }))).toBe('Conflict');
    expect(await errorCode(s.merges.revert(ctx, { repository: 'data', branch: 'main', ref: first.parents[0] ?? '' }))).toBe('InvalidArgument');
  });

  it('stores large contents as deduplicated chunks and serves exact ranges', async () => {
    const big = randomBytes(12 * 1024 * 1024);
    const info = await s.objects.put(ctx, { repository: 'data', branch: 'main', path: 'ckpt/1.bin', body: bytesOf(big) });
    expect(info.manifest).toBeDefined();
    expect(info.sha256).toBe(createHash('sha256').update(big).digest('hex'));
    const got = await readAll((await s.objects.get(ctx, { repository: 'data', ref: 'main', path: 'ckpt/1.bin' })).body);
    expect(got.equals(big)).toBe(true);
    const range = { start: 5_000_000, end: 9_000_123 };
    const part = await readAll((await s.objects.get(ctx, { repository: 'data', ref: 'main', path: 'ckpt/1.bin', range })).body);
    expect(part.equals(big.subarray(range.start, range.end))).toBe(true);
    // A second version that differs in its middle stores only the chunks that changed.
    const second = Buffer.from(big);
    randomBytes(1024).copy(second, 6_000_000);
    let before = 0;
    for await (const _ of t.blobs.list()) before++;
    await s.objects.put(ctx, { repository: 'data', branch: 'main', path: 'ckpt/2.bin', body: bytesOf(second) });
    let after = 0;
    for await (const _ of t.blobs.list()) after++;
    expect(after - before).toBeLessThanOrEqual(3); // one or two new chunks + the manifest
  });

  it('rejects bad input with clear errors and changes nothing', async () => {
    expect(await errorCode(s.repositories.create(ctx, { name: 'Bad_Name' }))).toBe('InvalidArgument');
    expect(await errorCode(s.repositories.create(ctx, { name: 'data' }))).toBe('Conflict');
    expect(await errorCode(s.repositories.createBranch(ctx, { repository: 'data', name: 'a/b' }))).toBe('InvalidArgument');
    expect(await errorCode(s.repositories.createBranch(ctx, { repository: 'data', name: 'x', from: 'nope' }))).toBe('NotFound');
    // Paths are S3 keys (`../x` and `a//b` are valid keys; the CLI refuses them for local folders).
    expect(await errorCode(put('', 'x'))).toBe('InvalidArgument');
    expect(await errorCode(put('a\u0000b', 'x'))).toBe('InvalidArgument');
    expect(await errorCode(put('k'.repeat(1025), 'x'))).toBe('InvalidArgument');
    expect(await errorCode(put('a', 'x', 'nope'))).toBe('NotFound');
    expect(await errorCode(s.objects.stat(ctx, { repository: 'nope', ref: 'main', path: 'a' }))).toBe('NotFound');
    expect(await errorCode(s.commits.commit(ctx, { repository: 'data', branch: 'main', message: ' ' }))).toBe('InvalidArgument');
    expect(await errorCode(s.objects.delete(ctx, { repository: 'data', branch: 'main', path: 'missing' }))).toBe('NotFound');
    expect(await s.commits.status(ctx, { repository: 'data', branch: 'main' })).toEqual([]);
    let blobs = 0;
    for await (const _ of t.blobs.list()) blobs++;
    expect(blobs).toBe(0);
  });
});
