import { createHash, randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer } from '../../src/http/build-server.ts';
import type { StrataApi } from '../../src/sdk/api.ts';
import { StrataClient } from '../../src/sdk/client.ts';
import { createLocalApi } from '../../src/sdk/local-api.ts';
import { bytesOf, createTestCore, errorCode, readAll, type TestCore, withToken } from '../support/core.ts';

/** The same scenario through both StrataApi implementations: in-process, and HTTP via the SDK. */
describe.each(['local', 'http'] as const)('StrataApi (%s)', (kind) => {
  let t: TestCore;
  let api: StrataApi;
  let server: FastifyInstance | undefined;
  beforeAll(async () => {
    t = await createTestCore('sqlite');
    if (kind === 'local') {
      api = createLocalApi(t.core, 'ada');
    } else {
      server = await buildServer({ core: t.core, logLevel: 'silent' });
      const address = await server.listen({ host: '127.0.0.1', port: 0 });
      api = new StrataClient({ endpoint: address, token: t.token });
    }
    await api.createRepository({ name: 'corpus' });
  });
  afterAll(async () => {
    await server?.close();
    await t.dispose();
  });

  it('round-trips exact bytes, metadata and ranges', async () => {
    const bytes = randomBytes(6 * 1024 * 1024 + 3);
    const info = await api.putObject({ repository: 'corpus', branch: 'main', path: 'raw/file.bin', body: bytesOf(bytes), size: bytes.length, contentType: 'application/x-test', metadata: { source: 'unit' } });
    expect(info).toMatchObject({ path: 'raw/file.bin', size: bytes.length, contentType: 'application/x-test', metadata: { source: 'unit' } });
    expect(info.sha256).toBe(createHash('sha256').update(bytes).digest('hex'));
    const whole = await api.getObject({ repository: 'corpus', ref: 'main', path: 'raw/file.bin' });
    expect((await readAll(whole.body)).equals(bytes)).toBe(true);
    const part = await api.getObject({ repository: 'corpus', ref: 'main', path: 'raw/file.bin', range: { start: 4_194_000, end: 4_195_000 } });
    expect((await readAll(part.body)).equals(bytes.subarray(4_194_000, 4_195_000))).toBe(true);
  });

  it('commits, branches, diffs, merges and reports errors with codes', async () => {
    await api.putObjects(
      ['a.txt', 'b.txt', 'c/d.txt'].map((path) => ({ repository: 'corpus', branch: 'main', path, body: bytesOf(path) })),
    );
    expect((await api.status({ repository: 'corpus', branch: 'main' })).map((c) => c.path)).toEqual(['a.txt', 'b.txt', 'c/d.txt', 'raw/file.bin']);
    const first = await api.commit({ repository: 'corpus', branch: 'main', message: 'first', metadata: { run: '1' } });
    expect(first.metadata).toEqual({ run: '1' });
    await api.createBranch({ repository: 'corpus', name: 'exp', from: 'main' });
    await api.putObject({ repository: 'corpus', branch: 'exp', path: 'a.txt', body: bytesOf('changed') });
    await api.deleteObject({ repository: 'corpus', branch: 'exp', path: 'b.txt' });
    await api.commit({ repository: 'corpus', branch: 'exp', message: 'exp' });
    const diff = await api.diff({ repository: 'corpus', left: 'main', right: 'exp' });
    expect(diff.map((c) => [c.path, c.type])).toEqual([['a.txt', 'changed'], ['b.txt', 'removed']]);
    const merge = await api.merge({ repository: 'corpus', source: 'exp', destination: 'main' });
    expect(merge).toMatchObject({ merged: true, changes: 2 });
    const listing = await api.listObjects({ repository: 'corpus', ref: 'main', delimiter: '/' });
    expect([listing.objects.map((o) => o.path), listing.commonPrefixes]).toEqual([['a.txt'], ['c/', 'raw/']]);
    await api.createTag({ repository: 'corpus', name: 'v1', ref: 'main' });
    expect((await api.log({ repository: 'corpus', ref: 'v1' })).map((c) => c.message)).toEqual([merge.commit.message, 'exp', 'first', 'Repository created']);
    expect((await api.show({ repository: 'corpus', ref: first.id.slice(0, 10) })).id).toBe(first.id);
    const reverted = await api.revert({ repository: 'corpus', branch: 'main', ref: merge.commit.id, parent: 1 });
    expect(reverted.commit.parents).toEqual([merge.commit.id]);
    expect((await readAll((await api.getObject({ repository: 'corpus', ref: 'main', path: 'b.txt' })).body)).toString()).toBe('b.txt');

    expect(await errorCode(api.createRepository({ name: 'corpus' }))).toBe('Conflict');
    expect(await errorCode(api.createRepository({ name: 'UPPER' }))).toBe('InvalidArgument');
    expect(await errorCode(api.getObject({ repository: 'corpus', ref: 'main', path: 'nope' }))).toBe('NotFound');
    expect(await errorCode(api.commit({ repository: 'corpus', branch: 'main', message: 'empty' }))).toBe('InvalidArgument');
    expect(await errorCode(api.deleteBranch({ repository: 'corpus', name: 'main' }))).toBe('InvalidArgument');
    expect(await errorCode(api.putObject({ repository: 'corpus', branch: 'main', path: 'x\u0000y', body: bytesOf('x') }))).toBe('InvalidArgument');
    expect(await errorCode(api.listObjects({ repository: 'corpus', ref: 'no-such-ref' }))).toBe('NotFound');
    expect(await api.status({ repository: 'corpus', branch: 'main' })).toEqual([]);
  });
});

describe('REST server', () => {
  let t: TestCore;
  let server: FastifyInstance;
  let base: string;
  let call: typeof fetch;
  beforeAll(async () => {
    t = await createTestCore('sqlite');
    server = await buildServer({ core: t.core, logLevel: 'silent', maxUploadBytes: 1000 });
    base = await server.listen({ host: '127.0.0.1', port: 0 });
    call = withToken(t.token);
    await t.core.repositories.create({ actor: { id: 'ada' } }, { name: 'web' });
  });
  afterAll(async () => {
    await server.close();
    await t.dispose();
  });

  it('serves health, metrics and an OpenAPI document covering the API', async () => {
    expect(await (await fetch(`${base}/healthz`)).json()).toEqual({ status: 'ok' });
    const openapi = (await (await fetch(`${base}/api/v1/openapi.json`)).json()) as { openapi: string; paths: Record<string, unknown> };
    expect(openapi.openapi).toMatch(/^3\./);
    expect(Object.keys(openapi.paths)).toEqual(expect.arrayContaining([
      '/api/v1/repositories',
      '/api/v1/repositories/{repo}/branches/{branch}/objects',
      '/api/v1/repositories/{repo}/branches/{branch}/commits',
      '/api/v1/repositories/{repo}/branches/{branch}/merge',
      '/api/v1/repositories/{repo}/diff',
    ]));
    const docs = await fetch(`${base}/api/v1/docs/`);
    expect(docs.status).toBe(200);
    expect(await docs.text()).toContain('swagger');
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toContain('strata_http_requests_total{method="GET",route="/healthz",status="200"} 1');
  });

  it('answers errors as {code, message} with the mapped status', async () => {
    const missing = await call(`${base}/api/v1/repositories/nope`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ code: 'NotFound', message: "repository 'nope' not found" });
    const invalid = await call(`${base}/api/v1/repositories`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"name": 5}' });
    expect(invalid.status).toBe(400);
    expect(((await invalid.json()) as { code: string }).code).toBe('InvalidArgument');
    const tooLarge = await call(`${base}/api/v1/repositories/web/branches/main/objects?path=big`, { method: 'PUT', body: Buffer.alloc(2000) });
    expect(tooLarge.status).toBe(413);
    expect(((await tooLarge.json()) as { code: string }).code).toBe('PayloadTooLarge');
    const unknown = await call(`${base}/api/v2/anything`);
    expect([unknown.status, ((await unknown.json()) as { code: string }).code]).toEqual([404, 'NotFound']);
    expect(await t.core.commits.status({ actor: { id: 'ada' } }, { repository: 'web', branch: 'main' })).toEqual([]);
  });

  it('serves ranges with 206 and unsatisfiable ones with 416; JSON uploads are stored raw', async () => {
    const put = await call(`${base}/api/v1/repositories/web/branches/main/objects?path=doc.json`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: '{"a":1}' });
    expect(put.status).toBe(201);
    const ranged = await call(`${base}/api/v1/repositories/web/refs/main/objects?path=doc.json`, { headers: { range: 'bytes=-3' } });
    expect([ranged.status, ranged.headers.get('content-range'), await ranged.text()]).toEqual([206, 'bytes 4-6/7', ':1}']);
    const whole = await call(`${base}/api/v1/repositories/web/refs/main/objects?path=doc.json`);
    expect([whole.status, whole.headers.get('content-type'), whole.headers.get('etag'), await whole.text()]).toEqual([
      200, 'application/json', `"${createHash('md5').update('{"a":1}').digest('hex')}"`, '{"a":1}',
    ]);
    const bad = await call(`${base}/api/v1/repositories/web/refs/main/objects?path=doc.json`, { headers: { range: 'bytes=7-' } });
    expect([bad.status, bad.headers.get('content-range')]).toEqual([416, 'bytes */7']);
  });
});
