import { createHash, verify } from 'node:crypto';
import { CreateBucketCommand, GetObjectCommand, HeadObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { S3BlobStore } from '../../src/adapters/blob/s3/s3-blob-store.ts';
import type { ErasureCertificate } from '../../src/core/erasure/erasure-service.ts';
import { buildServer } from '../../src/http/build-server.ts';
import { bytesOf, createTestCore, ctx, errorCode, readAll, type TestCore } from '../support/core.ts';
import { failure, startGateway, type TestGateway } from '../support/s3.ts';

/** Erasure as REST and S3 clients see it: who may, what a read of erased data answers, the certificate. */
const JANE = 'Jane Doe, 12 Elm Street, asked to be forgotten.';
const OTHER = 'A note that mentions nobody.';
const sha = (data: string): string => createHash('sha256').update(data).digest('hex');

describe('erasure over REST and S3', () => {
  let gw: TestGateway;
  let server: FastifyInstance;
  let writer = '';
  let first = '';
  type Method = 'GET' | 'POST';
  const as = (token: string | undefined, method: Method, url: string, payload?: Record<string, unknown>) =>
    server.inject({ method, url, ...(payload === undefined ? {} : { payload }), headers: token === undefined ? {} : { authorization: `Bearer ${token}` } });

  beforeAll(async () => {
    gw = await startGateway();
    server = await buildServer({ core: gw.core, logLevel: 'silent' });
    const s = gw.core;
    await s.repositories.create(ctx, { name: 'people' });
    // Keys are paths on the default branch, as in a bucket S3 CreateBucket made.
    await s.repositories.update(ctx, 'people', { s3Layout: 'plain' });
    await s.objects.put(ctx, { repository: 'people', branch: 'main', path: 'jane.txt', body: bytesOf(JANE) });
    await s.objects.put(ctx, { repository: 'people', branch: 'main', path: 'other.txt', body: bytesOf(OTHER) });
    first = (await s.commits.commit(ctx, { repository: 'people', branch: 'main', message: 'first' })).id;
    await s.identity.createPrincipal(ctx, { id: 'wes', kind: 'user' });
    await s.identity.attach(ctx, { policy: 'writer', principal: 'wes' });
    writer = (await s.identity.createToken(ctx, { principal: 'wes', name: 'test' })).token;
  });
  afterAll(async () => {
    await server.close();
    await gw.close();
  });

  it('refuses a caller without erasure rights and a target it cannot parse, changing nothing', async () => {
    expect((await as(undefined, 'POST', '/api/v1/erasures', { target: 'people@main:jane.txt' })).statusCode).toBe(401);
    const refused = await as(writer, 'POST', '/api/v1/erasures', { target: 'people@main:jane.txt' });
    expect(refused.statusCode).toBe(403);
    expect(refused.json()).toMatchObject({ code: 'Forbidden' });
    expect((await as(writer, 'GET', '/api/v1/erasures')).statusCode).toBe(403);
    const bad = await as(gw.token, 'POST', '/api/v1/erasures', { target: 'jane.txt' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toEqual({ code: 'InvalidArgument', message: "cannot erase 'jane.txt': name repo@ref:path, source:<uri>, sha256:<64 hex digits> or dataset:<name>" });
    const missing = await as(gw.token, 'POST', '/api/v1/erasures', { target: 'people@main:nobody.txt' });
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toMatchObject({ code: 'NotFound' });
    expect((await as(gw.token, 'GET', '/api/v1/erasures/00000000-0000-0000-0000-000000000000')).json()).toMatchObject({ code: 'NotFound' });
    const still = await as(gw.token, 'GET', '/api/v1/repositories/people/refs/main/objects?path=jane.txt');
    expect(still.statusCode).toBe(200);
    expect(still.body).toBe(JANE);
  });

  it('plans in a dry run, then erases: REST answers 451, S3 AccessDenied, and the certificate verifies offline', async () => {
    const plan = await as(gw.token, 'POST', '/api/v1/erasures', { target: 'people@main:jane.txt', dryRun: true, reason: 'request 7' });
    expect(plan.statusCode).toBe(200);
    expect(plan.json()).toMatchObject({ dryRun: true, reason: 'request 7', destroyed: [sha(JANE)], objectVersions: [{ repository: 'people', path: 'jane.txt', sha256: sha(JANE) }], blobs: [], commits: [] });
    expect((await as(gw.token, 'GET', '/api/v1/repositories/people/refs/main/objects?path=jane.txt')).body).toBe(JANE);

    const done = await as(gw.token, 'POST', '/api/v1/erasures', { target: 'people@main:jane.txt', reason: 'request 7' });
    expect(done.statusCode).toBe(200);
    const certificate = done.json<ErasureCertificate>();
    expect(certificate).toMatchObject({ format: 'strata-erasure/1', dryRun: false, actor: 'ada', destroyed: [sha(JANE)], checks: [{ sha256: sha(JANE), absent: true }] });
    expect(certificate.commits).toHaveLength(1);

    const old = await as(gw.token, 'GET', `/api/v1/repositories/people/refs/${first}/objects?path=jane.txt`);
    expect(old.statusCode).toBe(451);
    expect(old.json()).toMatchObject({ code: 'Erased', message: `this content was erased (erasure ${certificate.id}) and is unavailable for legal reasons` });
    expect((await as(gw.token, 'GET', '/api/v1/repositories/people/refs/main/objects?path=jane.txt')).json()).toMatchObject({ code: 'NotFound' });
    expect((await as(gw.token, 'GET', `/api/v1/repositories/people/refs/${first}/objects?path=other.txt`)).body).toBe(OTHER);

    expect(await failure(gw.client.send(new GetObjectCommand({ Bucket: 'people', Key: 'jane.txt', VersionId: first })))).toEqual({ name: 'AccessDenied', status: 403 });
    const denied = await gw.client.send(new GetObjectCommand({ Bucket: 'people', Key: 'jane.txt', VersionId: first })).then(() => undefined, (error: unknown) => error as Error);
    expect(denied?.message).toBe(`this content was erased (erasure ${certificate.id}) and is unavailable for legal reasons`);
    expect((await failure(gw.client.send(new HeadObjectCommand({ Bucket: 'people', Key: 'jane.txt', VersionId: first })))).status).toBe(403);
    expect(await failure(gw.client.send(new GetObjectCommand({ Bucket: 'people', Key: 'jane.txt' })))).toEqual({ name: 'NoSuchKey', status: 404 });
    const kept = await gw.client.send(new GetObjectCommand({ Bucket: 'people', Key: 'other.txt', VersionId: first }));
    expect(await kept.Body?.transformToString()).toBe(OTHER);

    const listed = await as(gw.token, 'GET', '/api/v1/erasures?limit=5');
    expect(listed.json()).toMatchObject({ erasures: [{ id: certificate.id, actor: 'ada', target: 'people@main:jane.txt' }] });
    const shown = (await as(gw.token, 'GET', `/api/v1/erasures/${certificate.id}`)).json<{ certificate: ErasureCertificate; text: string; signature: string }>();
    expect(JSON.parse(shown.text)).toEqual(certificate);
    expect(shown.certificate).toEqual(certificate);
    const key = (await as(gw.token, 'GET', '/api/v1/audit/public-key')).json<{ publicKeyPem: string }>();
    expect(verify(null, Buffer.from(shown.text), key.publicKeyPem, Buffer.from(shown.signature, 'base64'))).toBe(true);
    expect(verify(null, Buffer.from(shown.text.replace('request 7', 'request 8')), key.publicKeyPem, Buffer.from(shown.signature, 'base64'))).toBe(false);
    const checked = await as(gw.token, 'POST', `/api/v1/erasures/${certificate.id}/verify`);
    expect(checked.json()).toEqual({ id: certificate.id, valid: true, signature: 'valid', checked: 1, present: [] });
  });

  it('documents its routes in the OpenAPI document', async () => {
    const doc = (await as(undefined, 'GET', '/api/v1/openapi.json')).json<{ paths: Record<string, Record<string, { responses: Record<string, unknown> }>> }>();
    expect(Object.keys(doc.paths).filter((p) => p.includes('erasures')).sort()).toEqual(['/api/v1/erasures', '/api/v1/erasures/{id}', '/api/v1/erasures/{id}/verify']);
    expect(Object.keys(doc.paths['/api/v1/repositories/{repo}/refs/{ref}/objects']?.get?.responses ?? {})).toContain('451');
  });
});

describe('erasure with blobs in an S3 bucket', () => {
  let backend: TestGateway;
  let t: TestCore;
  let blobs: S3BlobStore;
  beforeAll(async () => {
    backend = await startGateway();
    await backend.client.send(new CreateBucketCommand({ Bucket: 'blobs' }));
    blobs = new S3BlobStore({ bucket: 'blobs', prefix: 'objects', endpoint: backend.endpoint, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: backend.key.id, secretAccessKey: backend.key.secret } });
    t = await createTestCore('sqlite', { blobs });
  });
  afterAll(async () => {
    await t.dispose();
    await backend.close();
  });

  it("deletes the erased content's object from the bucket and keeps the others", async () => {
    const s = t.core;
    await s.repositories.create(ctx, { name: 'people' });
    await s.objects.put(ctx, { repository: 'people', branch: 'main', path: 'jane.txt', body: bytesOf(JANE) });
    await s.objects.put(ctx, { repository: 'people', branch: 'main', path: 'other.txt', body: bytesOf(OTHER) });
    const first = await s.commits.commit(ctx, { repository: 'people', branch: 'main', message: 'first' });
    const keys = async (): Promise<string[]> => ((await backend.client.send(new ListObjectsV2Command({ Bucket: 'blobs' }))).Contents ?? []).map((o) => o.Key ?? '');
    expect((await keys()).filter((k) => k.includes(sha(JANE)))).toHaveLength(1);
    const certificate = await s.erasure.erase(ctx, { target: `sha256:${sha(JANE)}` });
    expect(certificate.blobs).toEqual([sha(JANE)]);
    expect((await keys()).filter((k) => k.includes(sha(JANE)))).toEqual([]);
    expect((await keys()).filter((k) => k.includes(sha(OTHER)))).toHaveLength(1);
    expect(await errorCode(s.objects.get(ctx, { repository: 'people', ref: first.id, path: 'jane.txt' }))).toBe('Erased');
    expect((await readAll((await s.objects.get(ctx, { repository: 'people', ref: first.id, path: 'other.txt' })).body)).toString()).toBe(OTHER);
    expect(await s.erasure.verify(ctx, certificate.id)).toMatchObject({ valid: true, present: [] });
  });
});

describe('erasure of a large content that is only staged', () => {
  let t: TestCore;
  beforeAll(async () => {
    t = await createTestCore('sqlite');
  });
  afterAll(async () => {
    await t.dispose();
  });

  it('deletes its manifest and the chunks only it holds, keeps those a committed content shares, and unstages it', async () => {
    const s = t.core;
    await s.repositories.create(ctx, { name: 'ckpt' });
    const random = (seed: number, size: number): Buffer => {
      const out = Buffer.alloc(size);
      let x = seed;
      for (let i = 0; i < size; i += 4) {
        x = (Math.imul(x ^ (x >>> 15), 0x2c1b3c6d) + 0x9e3779b9) >>> 0;
        out.writeUInt32LE(x, i);
      }
      return out;
    };
    const head = random(1, 5 * 1024 * 1024);
    const kept = Buffer.concat([head, random(2, 1024 * 1024)]);
    const erased = Buffer.concat([head, random(3, 1024 * 1024)]);
    await s.objects.put(ctx, { repository: 'ckpt', branch: 'main', path: 'kept.bin', body: bytesOf(kept) });
    await s.commits.commit(ctx, { repository: 'ckpt', branch: 'main', message: 'kept' });
    const staged = await s.objects.put(ctx, { repository: 'ckpt', branch: 'main', path: 'erased.bin', body: bytesOf(erased) });
    expect(staged.manifest).toBeDefined();
    const certificate = await s.erasure.erase(ctx, { target: `sha256:${staged.sha256}` });
    expect(certificate.staged).toEqual([{ repository: 'ckpt', branch: 'main', path: 'erased.bin', sha256: staged.sha256 }]);
    expect(certificate.blobs).toContain(staged.manifest);
    expect(certificate.shared.length).toBeGreaterThan(0);
    expect(certificate.blobs.length).toBeGreaterThan(1);
    for (const sha of certificate.blobs) expect(await t.blobs.stat(sha)).toBeUndefined();
    for (const sha of certificate.shared) expect(await t.blobs.stat(sha)).toBeDefined();
    expect(await errorCode(s.objects.stat(ctx, { repository: 'ckpt', ref: 'main', path: 'erased.bin' }))).toBe('NotFound');
    expect((await readAll((await s.objects.get(ctx, { repository: 'ckpt', ref: 'main', path: 'kept.bin' })).body)).equals(kept)).toBe(true);
    expect(await s.erasure.verify(ctx, certificate.id)).toMatchObject({ valid: true, present: [] });
  });
});
