import { createHash, randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { buildServer } from '../../src/http/build-server.ts';
import { createTestCore, injectAs, type TestCore } from '../support/core.ts';

// Multipart uploads over REST (the Python client's parallel upload of large files).
let t: TestCore;
let server: FastifyInstance;
let call: ReturnType<typeof injectAs>;
const MiB = 1024 * 1024;
const base = '/api/v1/repositories/data/branches/main/uploads';

beforeAll(async () => {
  t = await createTestCore('sqlite');
  server = await buildServer({ core: t.core, logLevel: 'silent' });
  call = injectAs(server, t.token);
  await t.core.repositories.create({ actor: { id: 'ada' } }, { name: 'data' });
  await t.core.repositories.createBranch({ actor: { id: 'ada' } }, { repository: 'data', name: 'dev', from: 'main' });
});
afterAll(async () => {
  await server.close();
  await t.dispose();
});

async function start(path: string): Promise<string> {
  const response = await call({ method: 'POST', url: base, payload: { path, contentType: 'application/x-test', metadata: { source: 'rest' } } });
  expect(response.statusCode).toBe(201);
  return response.json<{ uploadId: string }>().uploadId;
}

const part = (id: string, n: number, path: string, body: Buffer) =>
  call({ method: 'PUT', url: `${base}/${id}/parts/${n}?path=${encodeURIComponent(path)}`, payload: body, headers: { 'content-type': 'application/octet-stream' } });

it('parts sent out of order make the object in part order, exact bytes and S3 multipart ETag', async () => {
  const parts = [randomBytes(5 * MiB), randomBytes(5 * MiB + 7), randomBytes(1000)];
  const id = await start('big/model.bin');
  const answers = await Promise.all([2, 0, 1].map(async (i) => ({ i, response: await part(id, i + 1, 'big/model.bin', parts[i] as Buffer) })));
  for (const { i, response } of answers) {
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ partNumber: i + 1, etag: `"${createHash('md5').update(parts[i] as Buffer).digest('hex')}"`, size: (parts[i] as Buffer).length });
  }
  const etags = answers.sort((a, b) => a.i - b.i).map(({ i, response }) => ({ partNumber: i + 1, etag: response.json<{ etag: string }>().etag }));
  const done = await call({ method: 'POST', url: `${base}/${id}/complete?path=big%2Fmodel.bin`, payload: { parts: etags } });
  expect(done.statusCode).toBe(201);
  const whole = Buffer.concat(parts);
  const partMd5s = createHash('md5');
  for (const p of parts) partMd5s.update(createHash('md5').update(p).digest());
  expect(done.json()).toMatchObject({ path: 'big/model.bin', size: whole.length, sha256: createHash('sha256').update(whole).digest('hex'), contentType: 'application/x-test', metadata: { source: 'rest' }, etag: `${partMd5s.digest('hex')}-3` });
  const read = await call({ method: 'GET', url: '/api/v1/repositories/data/refs/main/objects?path=big%2Fmodel.bin' });
  expect(read.rawPayload.equals(whole)).toBe(true);
  // Completing again with the same parts answers the same object (S3's idempotent complete).
  const again = await call({ method: 'POST', url: `${base}/${id}/complete?path=big%2Fmodel.bin`, payload: { parts: etags } });
  expect(again.statusCode).toBe(201);
  expect(again.json<{ sha256: string }>().sha256).toBe(done.json<{ sha256: string }>().sha256);
});

it('refuses a part below 5 MiB but the last, a wrong ETag, another branch and an unknown upload, with codes', async () => {
  const id = await start('small.bin');
  const first = await part(id, 1, 'small.bin', randomBytes(1000));
  const second = await part(id, 2, 'small.bin', randomBytes(1000));
  const tooSmall = await call({ method: 'POST', url: `${base}/${id}/complete?path=small.bin`, payload: { parts: [first.json(), second.json()].map((p: { partNumber: number; etag: string }) => ({ partNumber: p.partNumber, etag: p.etag })) } });
  expect(tooSmall.statusCode).toBe(400);
  expect(tooSmall.json()).toMatchObject({ code: 'InvalidArgument' });
  const wrongEtag = await call({ method: 'POST', url: `${base}/${id}/complete?path=small.bin`, payload: { parts: [{ partNumber: 1, etag: '"00000000000000000000000000000000"' }] } });
  expect(wrongEtag.statusCode).toBe(400);
  const otherBranch = await call({ method: 'POST', url: `/api/v1/repositories/data/branches/dev/uploads/${id}/complete?path=small.bin`, payload: { parts: [{ partNumber: 1, etag: first.json<{ etag: string }>().etag }] } });
  expect(otherBranch.statusCode).toBe(404);
  expect(otherBranch.json()).toMatchObject({ code: 'NotFound' });
  const unknown = await part('no-such-upload', 1, 'small.bin', randomBytes(10));
  expect(unknown.statusCode).toBe(404);
  const badNumber = await part(id, 10_001, 'small.bin', randomBytes(10));
  expect(badNumber.statusCode).toBe(400);
  // Nothing was staged by any of these.
  const status = await call({ method: 'GET', url: '/api/v1/repositories/data/branches/main/status?prefix=small' });
  expect(status.json()).toEqual({ changes: [] });
});

it('an aborted upload takes no more parts and cannot be completed', async () => {
  const id = await start('gone.bin');
  expect((await part(id, 1, 'gone.bin', randomBytes(100))).statusCode).toBe(200);
  const aborted = await call({ method: 'DELETE', url: `${base}/${id}?path=gone.bin` });
  expect(aborted.statusCode).toBe(204);
  expect((await part(id, 2, 'gone.bin', randomBytes(100))).statusCode).toBe(404);
  const complete = await call({ method: 'POST', url: `${base}/${id}/complete?path=gone.bin`, payload: { parts: [{ partNumber: 1, etag: '"x"' }] } });
  expect(complete.statusCode).toBe(404);
});

it('without a credential nothing starts', async () => {
  const response = await server.inject({ method: 'POST', url: base, payload: { path: 'x.bin' } });
  expect(response.statusCode).toBe(401);
});
