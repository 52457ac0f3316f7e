import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { verifyConsistency, verifyInclusion } from '../../src/core/audit/merkle.ts';
import { buildServer } from '../../src/http/build-server.ts';
import { ctx, injectAs } from '../support/core.ts';
import { ok, strata } from '../support/cli.ts';
import { startGateway, type TestGateway } from '../support/s3.ts';

let gw: TestGateway;
let server: FastifyInstance;
let inject: ReturnType<typeof injectAs>;
let graceToken: string;
beforeAll(async () => {
  gw = await startGateway();
  server = await buildServer({ core: gw.core, logLevel: 'silent' });
  inject = injectAs(server, gw.token);
  await gw.core.identity.createPrincipal(ctx, { id: 'grace', kind: 'user' });
  await gw.core.identity.attach(ctx, { policy: 'writer', principal: 'grace' });
  graceToken = (await gw.core.identity.createToken(ctx, { principal: 'grace', name: 'test' })).token;
});
afterAll(async () => {
  await server.close();
  await gw.close();
});

const hex = (h: string): Buffer => Buffer.from(h, 'hex');

describe('audit log over HTTP and S3', () => {
  it('records API calls with their request id and address, S3 reads once a repository asks, and offers no way to change the log', async () => {
    const created = await inject({ method: 'POST', url: '/api/v1/repositories', headers: { authorization: `Bearer ${graceToken}`, 'x-request-id': 'req-create-1' }, payload: { name: 'evidence' } });
    expect(created.statusCode).toBe(201);
    await gw.client.send(new PutObjectCommand({ Bucket: 'evidence', Key: 'main/a.txt', Body: 'alpha' }));
    await gw.client.send(new GetObjectCommand({ Bucket: 'evidence', Key: 'main/a.txt' }));
    const patched = await inject({ method: 'PATCH', url: '/api/v1/repositories/evidence', headers: { authorization: `Bearer ${graceToken}` }, payload: { auditReads: true } });
    expect(patched.json()).toMatchObject({ auditReads: true });
    const got = await gw.client.send(new GetObjectCommand({ Bucket: 'evidence', Key: 'main/a.txt' }));
    expect(await got.Body?.transformToString()).toBe('alpha');

    const listed = await inject({ method: 'GET', url: '/api/v1/audit/entries?resource=evidence' });
    const entries = listed.json<{ entries: Array<Record<string, unknown>> }>().entries;
    expect(entries.map((e) => [e.actor, e.action, e.resource, e.outcome, e.source])).toEqual([
      ['grace', 'repository:create', 'evidence', 'ok', '127.0.0.1'],
      ['ada', 'object:write', 'evidence@main:a.txt', 'ok', '127.0.0.1'],
      ['grace', 'repository:update', 'evidence', 'ok', '127.0.0.1'],
      ['ada', 'object:read', 'evidence@main:a.txt', 'ok', '127.0.0.1'],
    ]);
    expect(entries[0]?.requestId).toBe('req-create-1');
    expect(String(entries[1]?.requestId)).toMatch(/^[0-9A-F]{16}$/);

    for (const method of ['POST', 'PUT', 'PATCH', 'DELETE'] as const) {
      for (const url of ['/api/v1/audit/entries', '/api/v1/audit/entries/0', '/api/v1/audit/heads']) {
        const response = await inject({ method, url, payload: method === 'DELETE' ? undefined : {} });
        expect([method, url, response.statusCode, response.json<{ code: string }>().code]).toEqual([method, url, 404, 'NotFound']);
      }
    }
  });

  it('serves signed heads, proofs that verify against them, the public key and a verification', async () => {
    await gw.core.audit.publishHead();
    const head = (await inject({ method: 'GET', url: '/api/v1/audit/heads/latest' })).json<{ treeSize: number; rootHash: string }>();
    expect(head.treeSize).toBe((await gw.core.audit.entries(ctx, { limit: 10_000 })).length);
    const proof = (await inject({ method: 'GET', url: `/api/v1/audit/proofs/inclusion?seq=1&treeSize=${head.treeSize}` })).json<{ leafHash: string; proof: string[]; rootHash: string }>();
    expect(proof.rootHash).toBe(head.rootHash);
    expect(verifyInclusion({ leaf: hex(proof.leafHash), index: 1, size: head.treeSize, proof: proof.proof.map(hex), root: hex(head.rootHash) })).toBe(true);
    const consistency = (await inject({ method: 'GET', url: `/api/v1/audit/proofs/consistency?first=2&second=${head.treeSize}` })).json<{ firstRoot: string; secondRoot: string; proof: string[] }>();
    expect(verifyConsistency({ first: 2, second: head.treeSize, firstRoot: hex(consistency.firstRoot), secondRoot: hex(consistency.secondRoot), proof: consistency.proof.map(hex) })).toBe(true);
    const bad = await inject({ method: 'GET', url: `/api/v1/audit/proofs/inclusion?seq=${head.treeSize}&treeSize=${head.treeSize}` });
    expect([bad.statusCode, bad.json<{ code: string }>().code]).toEqual([400, 'InvalidArgument']);
    const key = (await inject({ method: 'GET', url: '/api/v1/audit/public-key' })).json<{ publicKeyPem: string }>();
    expect(key.publicKeyPem).toMatch(/^-----BEGIN PUBLIC KEY-----/);
    const report = (await inject({ method: 'GET', url: '/api/v1/audit/verify' })).json<{ ok: boolean; entries: number }>();
    expect(report).toMatchObject({ ok: true, problems: [] });
    const openapi = (await inject({ method: 'GET', url: '/api/v1/openapi.json' })).json<{ paths: Record<string, Record<string, unknown>> }>();
    expect(Object.keys(openapi.paths).filter((p) => p.startsWith('/api/v1/audit')).sort()).toEqual(['/api/v1/audit/entries', '/api/v1/audit/entries/{seq}', '/api/v1/audit/heads', '/api/v1/audit/heads/latest', '/api/v1/audit/proofs/consistency', '/api/v1/audit/proofs/inclusion', '/api/v1/audit/public-key', '/api/v1/audit/verify']);
    for (const path of Object.values(openapi.paths).filter((_, i) => Object.keys(openapi.paths)[i]?.startsWith('/api/v1/audit'))) expect(Object.keys(path)).toEqual(['get']);
  });
});

describe('strata audit on the command line', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'strata-audit-cli-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('lists what the commands did, exports the log, and verify catches an edited export', { timeout: 120_000 }, async () => {
    await ok(dir, ['init']);
    await ok(dir, ['repo', 'create', 'notes']);
    await writeFile(join(dir, 'n.txt'), 'note');
    await ok(dir, ['put', join(dir, 'n.txt'), 'notes@main:n.txt']);
    await ok(dir, ['commit', 'notes@main', '-m', 'first note']);
    const listed = JSON.parse(await ok(dir, ['--json', 'audit', 'list'])) as Array<{ action: string; resource: string; source: string; outcome: string }>;
    expect(listed.map((e) => [e.action, e.resource, e.source, e.outcome])).toEqual([
      ['repository:create', 'notes', 'cli', 'ok'],
      ['object:write', 'notes@main:n.txt', 'cli', 'ok'],
      ['branch:commit', 'notes@main', 'cli', 'ok'],
    ]);
    expect(await ok(dir, ['audit', 'verify'])).toBe('ok: 3 entries, 0 signed heads verified (through 0 entries)\n');

    const out = join(dir, 'export');
    expect(await ok(dir, ['audit', 'export', out])).toBe(`exported 3 entries and 0 signed heads to ${out}\n`);
    expect((await ok(dir, ['audit', 'verify', '--export', out])).startsWith('ok: 3 entries')).toBe(true);
    const lines = (await readFile(join(out, 'entries.jsonl'), 'utf8')).split('\n');
    lines[1] = (lines[1] as string).replace('"object:write"', '"object:read"');
    await writeFile(join(out, 'entries.jsonl'), lines.join('\n'));
    const failed = await strata(dir, ['audit', 'verify', '--export', out]);
    expect(failed.code).toBe(9);
    expect(failed.stdout).toBe('FAILED: 1 problem in 3 entries and 0 signed heads (verified through 0)\n  altered: entry 1 does not match the hash it was appended with: its fields were changed\n');
    const missing = await strata(dir, ['audit', 'show', '99']);
    expect([missing.code, missing.stderr]).toEqual([3, 'strata: no audit entry 99\n']);
  });
});
