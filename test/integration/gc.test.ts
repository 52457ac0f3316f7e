import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { S3BlobStore } from '../../src/adapters/blob/s3/s3-blob-store.ts';
import type { BlobStore } from '../../src/core/ports/blob-store.ts';
import type { StrataCore } from '../../src/core/strata.ts';
import { ObjectStore, DEFAULT_OBJECT_STORE_OPTIONS } from '../../src/core/objects/object-store.ts';
import { bytesOf, createTestCore, ctx, DIALECTS, errorCode, readAll, type TestCore } from '../support/core.ts';
import { startGateway, type TestGateway } from '../support/s3.ts';

const DAY = 24 * 60 * 60 * 1000;
const sha = (data: string | Buffer): string => createHash('sha256').update(data).digest('hex');

/** A clock the test moves: commit times (and so retention) follow it. */
function movableClock(start: string): { now(): Date; set(day: number): void } {
  const origin = Date.parse(start);
  let at = origin;
  return { now: () => new Date(at), set: (day) => { at = origin + day * DAY; } };
}

type Backend = 'fs' | 's3';
const BACKENDS: Backend[] = ['fs', 's3'];

let gateway: TestGateway | undefined;
let buckets = 0;
afterAll(async () => {
  await gateway?.close();
});

/** An S3 blob store in a fresh bucket of a gateway started once; undefined for fs (the test core's own). */
async function s3BlobsFor(backend: Backend): Promise<BlobStore | undefined> {
  if (backend === 'fs') return undefined;
  gateway ??= await startGateway();
  const bucket = `gc-blobs-${++buckets}`;
  await gateway.client.send(new CreateBucketCommand({ Bucket: bucket }));
  return new S3BlobStore({ bucket, prefix: 'objects', endpoint: gateway.endpoint, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: gateway.key.id, secretAccessKey: gateway.key.secret } });
}

async function listed(blobs: BlobStore): Promise<Map<string, number>> {
  const all = new Map<string, number>();
  for await (const blob of blobs.list()) all.set(blob.sha256, (await blobs.stat(blob.sha256))?.size ?? -1);
  return all;
}

describe.each(DIALECTS.flatMap((dialect) => BACKENDS.map((backend) => ({ dialect, backend }))))('garbage collection ($dialect metadata, $backend blobs)', ({ dialect, backend }) => {
  let t: TestCore;
  let s: StrataCore;
  let blobs: BlobStore;
  const clock = movableClock('2026-01-01T00:00:00Z');
  const big1 = randomBytes(6 * 1024 * 1024);
  const big2 = Buffer.from(big1);
  randomBytes(4096).copy(big2, 5 * 1024 * 1024);
  /** Blob hashes the scenario makes unreachable, with their sizes. */
  const garbage = new Map<string, number>();
  let c1 = '';
  let c2 = '';
  let c3 = '';

  const put = (repository: string, path: string, body: string | Buffer, branch = 'main'): Promise<unknown> => s.objects.put(ctx, { repository, branch, path, body: bytesOf(body) });
  const commit = (repository: string, message: string, branch = 'main'): Promise<{ id: string }> => s.commits.commit(ctx, { repository, branch, message });
  const read = async (ref: string, path: string): Promise<Buffer> => readAll((await s.objects.get(ctx, { repository: 'data', ref, path })).body);

  beforeAll(async () => {
    const s3 = await s3BlobsFor(backend);
    t = await createTestCore(dialect, { clock, minPartSize: 1, ...(s3 ? { blobs: s3 } : {}) });
    s = t.core;
    blobs = s3 ?? t.blobs;
    const objects = new ObjectStore(blobs, DEFAULT_OBJECT_STORE_OPTIONS);
    await s.repositories.create(ctx, { name: 'data' });
    await s.repositories.update(ctx, 'data', { retention: { days: 30, branches: [], lifecycle: [], staleBranches: [] } });
    // Day 0: the first versions, and a large file stored as chunks.
    clock.set(0);
    await put('data', 'a.txt', 'A1: replaced on day 1');
    await put('data', 'b.txt', 'B1: deleted on day 1');
    await put('data', 'shared.txt', 'SHARED by two repositories');
    await put('data', 'big.bin', big1);
    c1 = (await commit('data', 'day 0')).id;
    await s.repositories.createBranch(ctx, { repository: 'data', name: 'exp', from: 'main' });
    // Day 1: a replaced, b deleted, big changed in one place.
    clock.set(1);
    await put('data', 'a.txt', 'A2: current');
    await s.objects.delete(ctx, { repository: 'data', branch: 'main', path: 'b.txt' });
    await put('data', 'big.bin', big2);
    c2 = (await commit('data', 'day 1')).id;
    await s.repositories.createTag(ctx, { repository: 'data', name: 'v1', ref: c2 });
    // Day 40: one more commit; something staged and never committed; a write never staged.
    clock.set(40);
    await put('data', 'c.txt', 'C1: day 40');
    c3 = (await commit('data', 'day 40')).id;
    await put('data', 'staged.txt', 'S1: staged, not committed');
    await s.objects.writeContent(ctx, { repository: 'data', branch: 'main', body: bytesOf('ORPHAN: stored, never staged') });
    // An aborted multipart upload.
    const upload = await s.multipart.create(ctx, { repository: 'data', branch: 'main', path: 'up.bin', template: {} });
    await s.multipart.uploadPart(ctx, { repository: 'data', path: 'up.bin', uploadId: upload.id, partNumber: 1, body: bytesOf('PART: of an aborted upload') });
    await s.multipart.abort(ctx, { repository: 'data', path: 'up.bin', uploadId: upload.id });
    // A deleted repository: its own blobs go, what it shared with `data` stays.
    await s.repositories.create(ctx, { name: 'old' });
    await put('old', 'old.txt', 'OLD: in a deleted repository');
    await put('old', 'shared.txt', 'SHARED by two repositories');
    await commit('old', 'old data');
    const oldTree = (await s.commits.show(ctx, { repository: 'old', ref: 'main' })).treeId;
    await s.repositories.delete(ctx, 'old');
    // The exp branch (at day 0) is deleted: nothing but main and the tag is left.
    await s.repositories.deleteBranch(ctx, { repository: 'data', name: 'exp' });
    clock.set(45);

    // What must go: day 0's a and b, its tree, big1's manifest and the chunks big2 does not
    // share, the orphan, the aborted part, the deleted repository's own object and tree.
    const show = (ref: string): Promise<{ treeId: string | null }> => s.commits.show(ctx, { repository: 'data', ref });
    const big1Entry = await s.objects.stat(ctx, { repository: 'data', ref: c1, path: 'big.bin' });
    const big2Entry = await s.objects.stat(ctx, { repository: 'data', ref: c2, path: 'big.bin' });
    const kept = new Set((await objects.chunksOf(big2Entry)).map((c) => c.sha256));
    for (const chunk of await objects.chunksOf(big1Entry)) if (!kept.has(chunk.sha256)) garbage.set(chunk.sha256, chunk.size);
    const all = await listed(blobs);
    const sized = (hash: string): void => {
      garbage.set(hash, all.get(hash) ?? -1);
    };
    sized(big1Entry.manifest ?? '');
    for (const text of ['A1: replaced on day 1', 'B1: deleted on day 1', 'ORPHAN: stored, never staged', 'PART: of an aborted upload', 'OLD: in a deleted repository']) sized(sha(text));
    sized((await show(c1)).treeId ?? '');
    sized(oldTree ?? '');
    expect([...garbage.values()].every((size) => size > 0)).toBe(true);
    expect(garbage.size).toBeGreaterThanOrEqual(9); // 5 contents, 2 trees, a manifest, at least one chunk
    // Blobs are compared with the time the collection starts: let the clock pass their mtimes.
    await new Promise((resolve) => setTimeout(resolve, backend === 's3' ? 1100 : 60));
  }, 120_000);

  afterAll(async () => {
    await t.dispose();
  });

  it('a dry run counts exactly the unreachable blobs and deletes nothing', async () => {
    const before = await listed(blobs);
    const report = await s.gc.collect(ctx, { dryRun: true, graceMs: 0 });
    expect(report.dryRun).toBe(true);
    expect(report.blobs.collected).toEqual({ count: garbage.size, bytes: [...garbage.values()].reduce((a, b) => a + b, 0) });
    expect(report.blobs.listed).toBe(before.size);
    expect(report.blobs.reachable + report.blobs.collected.count + report.blobs.young.count).toBe(before.size);
    expect(report.commits.expired).toBe(2); // day 0's commit and the repository's empty root commit
    expect(await listed(blobs)).toEqual(before);
    expect(await read(c1, 'a.txt')).toEqual(Buffer.from('A1: replaced on day 1')); // nothing expired yet
  });

  it('collects exactly those blobs, and every kept version reads back byte for byte', async () => {
    const before = await listed(blobs);
    const report = await s.gc.collect(ctx, { graceMs: 0 });
    expect(report.blobs.collected).toEqual({ count: garbage.size, bytes: [...garbage.values()].reduce((a, b) => a + b, 0) });
    const after = await listed(blobs);
    expect(after.size).toBe(before.size - garbage.size);
    for (const hash of garbage.keys()) expect(after.has(hash)).toBe(false);
    for (const hash of before.keys()) if (!garbage.has(hash)) expect(after.has(hash)).toBe(true);

    for (const ref of [c2, 'v1']) {
      expect((await read(ref, 'a.txt')).toString()).toBe('A2: current');
      expect((await read(ref, 'big.bin')).equals(big2)).toBe(true);
      expect((await read(ref, 'shared.txt')).toString()).toBe('SHARED by two repositories');
    }
    expect((await read(c3, 'c.txt')).toString()).toBe('C1: day 40');
    expect((await read('main', 'staged.txt')).toString()).toBe('S1: staged, not committed');
    expect((await read('main', 'big.bin')).equals(big2)).toBe(true);
  });

  it('answers Gone for a version it collected, naming the rule, and the log still shows the commit', async () => {
    const failure = await s.objects.get(ctx, { repository: 'data', ref: c1, path: 'a.txt' }).then(() => undefined, (e: unknown) => e as { code: string; message: string; details: Record<string, unknown> });
    expect(failure?.code).toBe('Gone');
    expect(failure?.message).toContain('retention 30d on main');
    expect(failure?.details.commit).toBe(c1);
    const log = await s.commits.log(ctx, { repository: 'data', ref: 'main' });
    expect(log.map((c) => c.message)).toEqual(['day 40', 'day 1', 'day 0', 'Repository created']);
    // S3 versions end at the last kept commit, and each one listed reads back.
    const { versions } = await s.objects.listVersions(ctx, { repository: 'data', branch: 'main', limit: 100 });
    expect(new Set(versions.map((v) => v.versionId)).has(c1)).toBe(false);
    expect(versions.filter((v) => v.path === 'a.txt').map((v) => v.versionId)).toEqual([c2]);
    for (const v of versions) if (v.entry && v.versionId !== 'null') expect((await read(v.versionId, v.path)).length).toBe(v.entry.size);
    // Nothing can be built on it again: no branch, no tag.
    expect(await errorCode(s.repositories.createBranch(ctx, { repository: 'data', name: 'back', from: c1 }))).toBe('Gone');
    expect(await errorCode(s.repositories.createTag(ctx, { repository: 'data', name: 'back', ref: c1 }))).toBe('Gone');
  });

  it('a second collection finds nothing more', async () => {
    const report = await s.gc.collect(ctx, { graceMs: 0 });
    expect(report.blobs.collected).toEqual({ count: 0, bytes: 0 });
    expect(report.commits).toMatchObject({ expired: 0, expiredBefore: 2 });
    const history = await s.gc.history(ctx);
    expect(history.map((r) => r.dryRun)).toEqual([false, false, true]);
  });
});

describe('garbage collection over REST', () => {
  let t: TestCore;
  let old = '';
  beforeAll(async () => {
    t = await createTestCore('sqlite');
    const s = t.core;
    await s.repositories.create(ctx, { name: 'data' });
    await s.objects.put(ctx, { repository: 'data', branch: 'main', path: 'a.txt', body: bytesOf('first') });
    old = (await s.commits.commit(ctx, { repository: 'data', branch: 'main', message: 'first' })).id;
    await s.objects.put(ctx, { repository: 'data', branch: 'main', path: 'a.txt', body: bytesOf('second') });
    await s.commits.commit(ctx, { repository: 'data', branch: 'main', message: 'second' });
    await s.identity.createPrincipal(ctx, { id: 'wes', kind: 'user' });
    await s.identity.attach(ctx, { policy: 'writer', principal: 'wes' });
  });
  afterAll(async () => {
    await t.dispose();
  });

  it('needs storage:gc and repository:retention, and reports what it did', async () => {
    const { buildServer } = await import('../../src/http/build-server.ts');
    const server = await buildServer({ core: t.core, logLevel: 'silent' });
    try {
      const writer = (await t.core.identity.createToken(ctx, { principal: 'wes', name: 'test' })).token;
      const as = (token: string | undefined, method: 'GET' | 'POST' | 'PATCH', url: string, payload?: unknown) =>
        server.inject({ method, url, ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }), headers: token === undefined ? {} : { authorization: `Bearer ${token}` } });
      expect((await as(undefined, 'POST', '/api/v1/gc', {})).statusCode).toBe(401);
      const refused = await as(writer, 'POST', '/api/v1/gc', { dryRun: true });
      expect(refused.statusCode).toBe(403);
      expect(refused.json()).toMatchObject({ code: 'Forbidden' });
      expect((await as(writer, 'PATCH', '/api/v1/repositories/data', { retention: { days: 0 } })).statusCode).toBe(403);
      const bad = await as(t.token, 'PATCH', '/api/v1/repositories/data', { retention: { days: -1 } });
      expect(bad.statusCode).toBe(400);
      expect(bad.json()).toMatchObject({ code: 'InvalidArgument' });
      const set = await as(t.token, 'PATCH', '/api/v1/repositories/data', { retention: { days: 0 } });
      expect(set.statusCode).toBe(200);
      expect(set.json()).toMatchObject({ retention: { days: 0, branches: [], lifecycle: [], staleBranches: [] } });
      await new Promise((resolve) => setTimeout(resolve, 60));
      const run = await as(t.token, 'POST', '/api/v1/gc', { graceSeconds: 0 });
      expect(run.statusCode).toBe(200);
      expect(run.json()).toMatchObject({ dryRun: false, graceMs: 0, commits: { expired: 2 }, blobs: { collected: { count: 2 } } });
      const gone = await as(t.token, 'GET', `/api/v1/repositories/data/refs/${old}/objects?path=a.txt`);
      expect(gone.statusCode).toBe(410);
      expect(gone.json()).toMatchObject({ code: 'Gone', details: { reason: 'expired-commit', commit: old, rule: 'retention 0d on main' } });
      expect(gone.json<{ message: string }>().message).toContain("has expired under the rule 'retention 0d on main'");
      const runs = await as(t.token, 'GET', '/api/v1/gc/runs?limit=5');
      expect(runs.json<{ runs: unknown[] }>().runs).toHaveLength(1);
      expect((await as(writer, 'GET', '/api/v1/gc/runs')).statusCode).toBe(403);
    } finally {
      await server.close();
    }
  });
});

describe('lifecycle and stale-branch rules, run by a worker through the task queue (postgres)', () => {
  let t: TestCore;
  const clock = movableClock('2026-03-01T00:00:00Z');
  beforeAll(async () => {
    t = await createTestCore('postgres', { clock }, { tasks: { expireInSeconds: 30 } });
    const s = t.core;
    clock.set(0);
    await s.repositories.create(ctx, { name: 'logs' });
    await s.objects.put(ctx, { repository: 'logs', branch: 'main', path: 'logs/old.txt', body: bytesOf('day 0 log') });
    await s.objects.put(ctx, { repository: 'logs', branch: 'main', path: 'other/keep.txt', body: bytesOf('not under the prefix') });
    await s.commits.commit(ctx, { repository: 'logs', branch: 'main', message: 'day 0' });
    await s.repositories.createBranch(ctx, { repository: 'logs', name: 'exp-1' });
    await s.repositories.createBranch(ctx, { repository: 'logs', name: 'exp-p' });
    clock.set(20);
    await s.objects.put(ctx, { repository: 'logs', branch: 'main', path: 'logs/new.txt', body: bytesOf('day 20 log') });
    await s.commits.commit(ctx, { repository: 'logs', branch: 'main', message: 'day 20' });
    await s.repositories.createBranch(ctx, { repository: 'logs', name: 'exp-2' });
    await s.repositories.update(ctx, 'logs', {
      protection: [{ branch: 'exp-p', mergeOnly: true, noDelete: true, checks: [] }],
      retention: { branches: [], lifecycle: [{ prefix: 'logs/', days: 10, branches: ['main'] }], staleBranches: [{ pattern: 'exp-*', days: 14 }] },
    });
    clock.set(25);
    await s.gc.serveTasks(); // this process is the worker too
  }, 120_000);
  afterAll(async () => {
    await t.dispose();
  });

  it('a dry run reports what the rules would do and changes nothing', async () => {
    const report = await t.core.gc.collect(ctx, { dryRun: true, graceMs: 0 });
    expect(report.rules).toEqual([
      { kind: 'lifecycle', repository: 'logs', branch: 'main', rule: 'lifecycle logs/ 10d', objects: 1 },
      { kind: 'stale-branch', repository: 'logs', branch: 'exp-1', rule: 'stale-branch exp-* 14d' },
    ]);
    expect((await t.core.repositories.listBranches(ctx, 'logs')).map((b) => b.name)).toEqual(['exp-1', 'exp-2', 'exp-p', 'main']);
    expect((await t.core.objects.list(ctx, { repository: 'logs', ref: 'main', limit: 10 })).objects.map((o) => o.path)).toEqual(['logs/new.txt', 'logs/old.txt', 'other/keep.txt']);
  });

  it('a worker applies them: a lifecycle commit on main, the stale branch deleted, the protected one kept', async () => {
    const report = await t.core.gc.collectOnWorker(ctx, { graceMs: 0 });
    expect(report.rules).toHaveLength(2);
    expect(report.rules[0]).toMatchObject({ kind: 'lifecycle', branch: 'main', objects: 1 });
    expect(report.rules[0]?.commit).toMatch(/^[0-9a-f]{64}$/);
    expect(report.rules[1]).toEqual({ kind: 'stale-branch', repository: 'logs', branch: 'exp-1', rule: 'stale-branch exp-* 14d' });
    expect((await t.core.repositories.listBranches(ctx, 'logs')).map((b) => b.name)).toEqual(['exp-2', 'exp-p', 'main']);
    expect((await t.core.objects.list(ctx, { repository: 'logs', ref: 'main', limit: 10 })).objects.map((o) => o.path)).toEqual(['logs/new.txt', 'other/keep.txt']);
    const [head] = await t.core.commits.log(ctx, { repository: 'logs', ref: 'main', limit: 1 });
    expect(head?.message).toBe('lifecycle logs/ 10d: 1 object(s) older than 10 days deleted');
    expect(head?.metadata).toEqual({ 'strata.lifecycle': 'lifecycle logs/ 10d' });
    // No retention rule: the deleted object stays readable in history.
    expect((await readAll((await t.core.objects.get(ctx, { repository: 'logs', ref: 'exp-p', path: 'logs/old.txt' })).body)).toString()).toBe('day 0 log');
    expect((await t.core.gc.history(ctx, 1))[0]?.id).toBe(report.id);
  });
});

describe('garbage collection prunes the recipe cache of sources no kept version holds', () => {
  let t: TestCore;
  afterAll(async () => {
    await t.dispose();
  });

  it('keeps the entries of kept sources and drops (then collects) the others', async () => {
    t = await createTestCore('sqlite');
    const s = t.core;
    for (const name of ['raw', 'prepared']) await s.repositories.create(ctx, { name });
    const text = (topic: string): string => `A paragraph about ${topic}, long enough for the recipe, with words and more words about ${topic}.\n`;
    await s.objects.put(ctx, { repository: 'raw', branch: 'main', path: 'docs/a.txt', body: bytesOf(text('apples')), contentType: 'text/plain' });
    await s.objects.put(ctx, { repository: 'raw', branch: 'main', path: 'docs/b.txt', body: bytesOf(text('bananas')), contentType: 'text/plain' });
    await s.commits.commit(ctx, { repository: 'raw', branch: 'main', message: 'docs' });
    const { parseRecipe } = await import('../../src/core/prep/recipe.ts');
    const recipe = parseRecipe('name: cache\nsteps:\n  - normalize\nshard: { target_bytes: 4096 }\n');
    await s.prep.run(ctx, { recipe, input: 'raw@main:docs/', output: 'prepared@main' });
    // b.txt is replaced: with no history kept, its first version's cache entry can never be hit again.
    await s.objects.put(ctx, { repository: 'raw', branch: 'main', path: 'docs/b.txt', body: bytesOf(text('blueberries')), contentType: 'text/plain' });
    await s.commits.commit(ctx, { repository: 'raw', branch: 'main', message: 'b changed' });
    const second = await s.prep.run(ctx, { recipe, input: 'raw@main:docs/', output: 'prepared@main' });
    await s.repositories.update(ctx, 'raw', { retention: { days: 0, branches: [], lifecycle: [], staleBranches: [] } });
    await s.repositories.update(ctx, 'prepared', { retention: { days: 0, branches: [], lifecycle: [], staleBranches: [] } });
    await new Promise((resolve) => setTimeout(resolve, 60));
    const dry = await s.gc.collect(ctx, { dryRun: true, graceMs: 0 });
    expect(dry.prepCache.pruned).toBe(1);
    const real = await s.gc.collect(ctx, { graceMs: 0 });
    expect(real.prepCache.pruned).toBe(1);
    expect(real.blobs.collected.count).toBe(dry.blobs.collected.count);
    // A rerun still finds both current sources in the cache and writes the same shards.
    const rerun = await s.prep.run(ctx, { recipe, input: 'raw@main:docs/', output: 'prepared@main' });
    expect(rerun.reused).toBe(2);
    expect(rerun.shards.map((shard) => shard.sha256)).toEqual(second.shards.map((shard) => shard.sha256));
    expect((await s.gc.collect(ctx, { graceMs: 0 })).prepCache.pruned).toBe(0);
  });
});
