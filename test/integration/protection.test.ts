import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { DuckDBInstance } from '@duckdb/node-api';
import type { FastifyInstance } from 'fastify';
import { verify } from 'node:crypto';
import { readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuckDbTableReader } from '../../src/adapters/protection/duckdb-table-reader.ts';
import { HttpWebhookSender } from '../../src/adapters/protection/http-webhook-sender.ts';
import { buildServer } from '../../src/http/build-server.ts';
import { strata } from '../support/cli.ts';
import { bytesOf, ctx, DIALECTS } from '../support/core.ts';
import { failure, startGateway, type TestGateway } from '../support/s3.ts';

const SCHEMA = { type: 'object', required: ['id', 'text'], properties: { id: { type: 'integer' }, text: { type: 'string' } } };

/** A webhook that answers what the test last set, and keeps what it was sent. */
function startHook(): Promise<{ server: Server; url: string; answer: { status: number; body: string }; received: unknown[]; signatures: Array<{ timestamp: string; signature: string; body: string }> }> {
  const hook = { answer: { status: 200, body: 'looks good' }, received: [] as unknown[], signatures: [] as Array<{ timestamp: string; signature: string; body: string }>, server: undefined as unknown as Server, url: '' };
  const server = createServer((request, response) => {
    const parts: Buffer[] = [];
    request.on('data', (part: Buffer) => parts.push(part));
    request.on('end', () => {
      const body = Buffer.concat(parts).toString('utf8');
      hook.received.push(JSON.parse(body));
      hook.signatures.push({ timestamp: String(request.headers['x-strata-timestamp']), signature: String(request.headers['x-strata-signature']), body });
      response.writeHead(hook.answer.status, { 'content-type': 'text/plain' }).end(hook.answer.body);
    });
  });
  hook.server = server;
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => { resolve(Object.assign(hook, { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/check` })); }));
}

async function parquet(rows: string): Promise<Buffer> {
  const file = join(tmpdir(), `strata-test-${process.pid}-${Date.now()}.parquet`);
  const duck = await DuckDBInstance.create(':memory:');
  const connection = await duck.connect();
  await connection.run(`COPY (${rows}) TO '${file}' (FORMAT parquet)`);
  connection.closeSync();
  const bytes = await readFile(file);
  await rm(file);
  return bytes;
}

describe.each(DIALECTS)('branch protection on %s', (dialect) => {
  let gw: TestGateway;
  let server: FastifyInstance;
  let base: string;
  let hook: Awaited<ReturnType<typeof startHook>>;
  let wes: { token: string; s3: S3Client };
  const as = (token: string, method: string, path: string, body?: unknown): Promise<Response> =>
    fetch(`${base}${path}`, { method, headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': typeof body === 'string' ? 'text/plain' : 'application/json' }) }, ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }) });
  const head = async (): Promise<string> => (await gw.core.commits.show(ctx, { repository: 'shop', ref: 'main' })).id;
  /** A branch off main where wes adds the files (a Buffer is a Parquet table) and commits. */
  const branchWith = async (branch: string, files: Record<string, string | Buffer>): Promise<void> => {
    await gw.core.repositories.createBranch(ctx, { repository: 'shop', name: branch, from: 'main' });
    for (const [path, body] of Object.entries(files)) {
      const type = typeof body === 'string' ? {} : { contentType: 'application/vnd.apache.parquet' };
      await gw.core.objects.put({ actor: { id: 'wes' } }, { repository: 'shop', branch, path, body: bytesOf(body), ...type });
    }
    await gw.core.commits.commit({ actor: { id: 'wes' } }, { repository: 'shop', branch, message: `add ${Object.keys(files).join(', ')}` });
  };
  const merge = (source: string) => as(wes.token, 'POST', '/api/v1/repositories/shop/branches/main/merge', { source });

  beforeAll(async () => {
    gw = await startGateway(dialect, { core: { tables: new DuckDbTableReader(), webhooks: new HttpWebhookSender({ allowPrivateNetworks: true }) } });
    server = await buildServer({ core: gw.core, logLevel: 'silent' });
    base = await server.listen({ host: '127.0.0.1', port: 0 });
    hook = await startHook();
    await gw.core.repositories.create(ctx, { name: 'shop', s3Layout: 'plain' });
    await gw.core.objects.put(ctx, { repository: 'shop', branch: 'main', path: 'data/first.jsonl', body: bytesOf('{"id":1,"text":"first"}\n') });
    await gw.core.commits.commit(ctx, { repository: 'shop', branch: 'main', message: 'first records' });
    await gw.core.datasets.create(ctx, { name: 'customers', repository: 'shop', prefix: 'people/', labels: ['pii'] });
    await gw.core.identity.createPrincipal(ctx, { id: 'wes', kind: 'user' });
    await gw.core.identity.attach(ctx, { policy: 'writer', principal: 'wes' });
    const key = await gw.core.accessKeys.create(ctx, { principal: 'wes' });
    wes = { token: (await gw.core.identity.createToken(ctx, { principal: 'wes', name: 'test' })).token, s3: gw.clientWith({ accessKeyId: key.id, secretAccessKey: key.secret }) };
  });
  afterAll(async () => {
    await server.close();
    await new Promise((resolve) => hook.server.close(resolve));
    await gw.close();
  });

  it('protecting is its own right: a writer may not protect or lift protection; an administrator may', async () => {
    const rules = [
      { branch: 'main', checks: [{ type: 'schema', prefix: 'data/', schema: SCHEMA }, { type: 'max-size', bytes: 1_000_000 }, { type: 'forbidden-label', label: 'pii' }, { type: 'webhook', url: hook.url }] },
      { branch: 'release-*', mergeOnly: false },
    ];
    const refused = await as(wes.token, 'PATCH', '/api/v1/repositories/shop', { protection: rules });
    expect([refused.status, ((await refused.json()) as { message: string }).message]).toEqual([403, 'wes may not repository:protect on repository:shop']);
    const invalid = await as(gw.token, 'PATCH', '/api/v1/repositories/shop', { protection: [{ branch: 'main', checks: [{ type: 'max-size', bytes: -1 }] }] });
    expect(invalid.status).toBe(400);
    const uncompilable = await as(gw.token, 'PATCH', '/api/v1/repositories/shop', { protection: [{ branch: 'main', checks: [{ type: 'schema', schema: { type: 'nonsense' } }] }] });
    expect([uncompilable.status, ((await uncompilable.json()) as { message: string }).message]).toEqual([400, expect.stringContaining('does not compile') as unknown]);
    const set = await as(gw.token, 'PATCH', '/api/v1/repositories/shop', { protection: rules });
    expect(set.status).toBe(200);
    const saved = ((await set.json()) as { protection: Array<{ branch: string; mergeOnly: boolean; noDelete: boolean; checks: unknown[] }> }).protection;
    expect(saved.map((r) => [r.branch, r.mergeOnly, r.noDelete, r.checks.length])).toEqual([['main', true, true, 4], ['release-*', false, true, 0]]);
  });

  it('refuses direct writes and commits to a protected branch, over S3 and REST, whoever asks; and deleting it', async () => {
    const before = await head();
    expect(await failure(wes.s3.send(new PutObjectCommand({ Bucket: 'shop', Key: 'data/direct.jsonl', Body: '{"id":2,"text":"x"}\n' })))).toEqual({ name: 'AccessDenied', status: 403 });
    expect(await failure(gw.client.send(new PutObjectCommand({ Bucket: 'shop', Key: 'data/direct.jsonl', Body: '{"id":2,"text":"x"}\n' })))).toEqual({ name: 'AccessDenied', status: 403 });
    const rest = await as(gw.token, 'PUT', '/api/v1/repositories/shop/branches/main/objects?path=data/direct.jsonl', 'x');
    expect([rest.status, await rest.json()]).toEqual([403, { code: 'Forbidden', message: "branch 'main' of shop is protected: changes arrive by merge only", details: { reason: 'protected-branch', rule: 'main' } }]);
    await gw.core.repositories.createBranch(ctx, { repository: 'shop', name: 'release-1', from: 'main' });
    const deleted = await as(gw.token, 'DELETE', '/api/v1/repositories/shop/branches/release-1');
    expect([deleted.status, ((await deleted.json()) as { message: string }).message]).toEqual([403, "branch 'release-1' of shop is protected: it cannot be deleted"]);
    expect(await gw.metadata.getStaged('shop', 'main', 'data/direct.jsonl')).toBeUndefined();
    expect(await head()).toBe(before);
    const repositoryDelete = await as(gw.token, 'DELETE', '/api/v1/repositories/shop');
    expect(repositoryDelete.status).toBe(403);
  });

  it('refuses a merge whose result fails a check, with every failed check named, leaving main unchanged', async () => {
    const before = await head();
    await branchWith('bad-records', { 'data/more.jsonl': '{"id":2,"text":"two"}\n{"id":"three","text":"three"}\n' });
    const refused = await merge('bad-records');
    const body = (await refused.json()) as { code: string; message: string; details: { checks: Array<{ check: string; passed: boolean }> } };
    expect([refused.status, body.code, body.message]).toEqual([412, 'PreconditionFailed', "merge into protected branch 'main' refused: schema under data/: data/more.jsonl line 2: /id must be integer"]);
    expect(body.details.checks.map((c) => [c.check, c.passed])).toEqual([['schema under data/', false], ['max-size 1000000', true], ['forbidden-label pii', true], [`webhook ${new URL(hook.url).origin}`, true]]);
    expect(await head()).toBe(before);

    await branchWith('labelled', { 'people/ana.jsonl': '{"name":"Ana"}\n' });
    hook.answer = { status: 409, body: 'frozen for the release' };
    const twice = await merge('labelled');
    expect([twice.status, ((await twice.json()) as { message: string }).message]).toEqual([
      412,
      `merge into protected branch 'main' refused: forbidden-label pii: people/ana.jsonl lies in a dataset labelled 'pii'; webhook ${new URL(hook.url).origin}: answered 409: frozen for the release`,
    ]);
    expect(hook.received.at(-1)).toEqual({ repository: 'shop', source: 'labelled', destination: 'main', head: before, changes: { added: 1, changed: 0, removed: 0 }, paths: [{ path: 'people/ana.jsonl', type: 'added', size: 15 }], truncated: false });
    expect(await head()).toBe(before);
    // Signed with the audit key: the receiver checks it with the public key alone.
    const { keyId, publicKeyPem } = await gw.core.audit.publicKey(ctx);
    const last = hook.signatures.at(-1) ?? { timestamp: '', signature: '', body: '' };
    const [, id, sig] = /^ed25519 keyid=([0-9a-f]+) sig=(.+)$/.exec(last.signature) ?? [];
    expect(id).toBe(keyId);
    expect(verify(null, Buffer.from(`${last.timestamp}.${last.body}`), publicKeyPem, Buffer.from(sig ?? '', 'base64'))).toBe(true);
    expect(verify(null, Buffer.from(`${last.timestamp}.${last.body} `), publicKeyPem, Buffer.from(sig ?? '', 'base64'))).toBe(false);

    const audited = (await gw.core.audit.entries(ctx, { limit: 10_000, details: true })).filter((e) => e.action === 'branch:merge' && e.actor === 'wes');
    expect(audited.map((e) => e.outcome)).toEqual(['PreconditionFailed', 'PreconditionFailed']);
    expect((JSON.parse(audited[0]?.detailsJson ?? '{}') as { checks: Array<{ passed: boolean }> }).checks.map((c) => c.passed)).toEqual([false, true, true, true]);
  });

  it('moves main when every check passes, and records each outcome on the merge commit and in the audit log', async () => {
    hook.answer = { status: 200, body: 'looks good' };
    const table = await parquet("SELECT 3::INTEGER AS id, 'three' AS text UNION ALL SELECT 4, 'four'");
    await branchWith('good-records', { 'data/more.jsonl': '{"id":2,"text":"two"}\n\n{"id":3,"text":"three"}\n', 'data/table.parquet': table });
    const merged = await merge('good-records');
    const result = (await merged.json()) as { merged: boolean; commit: { id: string; metadata: Record<string, string> }; checks: Array<{ check: string; passed: boolean; message: string }> };
    expect([merged.status, result.merged]).toEqual([200, true]);
    expect(result.checks).toEqual([
      { check: 'schema under data/', passed: true, message: '4 record(s) match the schema' },
      { check: 'max-size 1000000', passed: true, message: 'no object is larger than 1000000 bytes' },
      { check: 'forbidden-label pii', passed: true, message: "no object lies in a dataset labelled 'pii'" },
      { check: `webhook ${new URL(hook.url).origin}`, passed: true, message: 'looks good' },
    ]);
    expect(await head()).toBe(result.commit.id);
    expect(JSON.parse(result.commit.metadata['strata.checks'] ?? '[]')).toEqual(result.checks);
    const forged = await as(wes.token, 'POST', '/api/v1/repositories/shop/branches/bad-records/merge', { source: 'main', metadata: { 'strata.checks': '[]' } });
    expect([forged.status, ((await forged.json()) as { message: string }).message]).toEqual([400, "metadata key 'strata.checks' is reserved: Strata records a protected branch's check outcomes there"]);
    const audited = (await gw.core.audit.entries(ctx, { limit: 10_000, details: true })).filter((e) => e.action === 'branch:merge' && e.actor === 'wes');
    expect(audited.at(-1)?.outcome).toBe('ok');
    expect((JSON.parse(audited.at(-1)?.detailsJson ?? '{}') as { checks: unknown }).checks).toEqual(result.checks);
    await branchWith('bad-table', { 'data/bad.parquet': await parquet('SELECT 5 AS id, 6 AS text') });
    const refused = await merge('bad-table');
    expect(((await refused.json()) as { message: string }).message).toBe("merge into protected branch 'main' refused: schema under data/: data/bad.parquet row 1: /text must be string");
  });

  it("runs a kept recipe's validate steps over the records a merge brings", async () => {
    await gw.core.repositories.create(ctx, { name: 'recipes' });
    const recipe = 'name: shard-check\nsteps:\n  - validate: { schema: { type: object, required: [meta], properties: { meta: { type: object, required: [lang], properties: { lang: { type: string } } } } } }\n';
    await gw.core.objects.put(ctx, { repository: 'recipes', branch: 'main', path: 'shard-check.yaml', body: bytesOf(recipe) });
    await gw.core.commits.commit(ctx, { repository: 'recipes', branch: 'main', message: 'checks' });
    const rules = ((await gw.core.repositories.get(ctx, 'shop')).protection ?? []).filter((r) => r.branch !== 'release-*');
    await gw.core.repositories.update(ctx, 'shop', { protection: [...rules, { branch: 'release-*', mergeOnly: true, noDelete: true, checks: [{ type: 'recipe', prefix: 'shards/', recipe: 'shard-check@main' }] }] });
    await gw.core.repositories.createBranch(ctx, { repository: 'shop', name: 'release-2', from: 'main' });
    const into = (source: string) => as(wes.token, 'POST', '/api/v1/repositories/shop/branches/release-2/merge', { source });
    await branchWith('shards-bad', { 'shards/s.jsonl': '{"id":"a#0","text":"one","meta":{"lang":"en"}}\n{"id":"b#0","text":"two","meta":{}}\n' });
    const refused = await into('shards-bad');
    expect([refused.status, ((await refused.json()) as { message: string }).message]).toEqual([412, "merge into protected branch 'release-2' refused: recipe shard-check@main under shards/: shards/s.jsonl line 2: /meta must have required property 'lang'"]);
    await branchWith('shards-good', { 'shards/s.jsonl': '{"id":"a#0","text":"one","meta":{"lang":"en"}}\n{"id":"b#0","text":"two","meta":{"lang":"fr"}}\n' });
    const merged = await into('shards-good');
    expect([merged.status, ((await merged.json()) as { checks: unknown[] }).checks]).toEqual([200, [{ check: 'recipe shard-check@main under shards/', passed: true, message: '2 record(s) pass its validate steps' }]]);
  });

  it('CLI: protect, list and unprotect', async () => {
    const env = { STRATA_TOKEN: gw.token };
    const protect = await strata(gw.dir, ['--endpoint', base, 'branch', 'protect', 'shop@staging', '--max-size', '1024', '--forbid-label', 'pii'], env);
    expect([protect.code, protect.stdout]).toEqual([0, 'protected shop@staging: merge only; no delete; checks: forbid label pii, max size 1024\n']);
    const listed = await strata(gw.dir, ['--endpoint', base, 'branch', 'protection', 'shop'], env);
    expect(listed.stdout).toBe(
      [
        'main                 merge only; no delete; checks: schema under data/, max size 1000000, forbid label pii, webhook ' + hook.url,
        'release-*            merge only; no delete; checks: recipe shard-check@main under shards/',
        'staging              merge only; no delete; checks: forbid label pii, max size 1024',
        '',
      ].join('\n'),
    );
    const byWes = await strata(gw.dir, ['--endpoint', base, 'branch', 'unprotect', 'shop@staging'], { STRATA_TOKEN: wes.token });
    expect([byWes.code, byWes.stderr]).toEqual([6, 'strata: wes may not repository:protect on repository:shop\n']);
    expect((await strata(gw.dir, ['--endpoint', base, 'branch', 'unprotect', 'shop@staging'], env)).stdout).toBe('unprotected shop@staging\n');
    const bad = await strata(gw.dir, ['--endpoint', base, 'branch', 'protect', 'shop@x', '--max-size', 'lots'], env);
    expect([bad.code, bad.stderr]).toEqual([2, "strata: --max-size must be a whole number of bytes, not 'lots'\n"]);
  });
});
