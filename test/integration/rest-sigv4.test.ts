import { SignatureV4 } from '@smithy/signature-v4';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { request } from 'node:http';
import { promisify } from 'node:util';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer } from '../../src/http/build-server.ts';
import { createTestCore, ctx, DIALECTS, type TestCore } from '../support/core.ts';
import { NodeSha256 } from '../support/s3.ts';

const run = promisify(execFile);

describe.each(DIALECTS)('REST with AWS SigV4 on %s', (dialect) => {
  let t: TestCore;
  let server: FastifyInstance;
  let base: URL;
  let key: { id: string; secret: string };

  /** curl signing with its own SigV4 implementation (--aws-sigv4): a client that is not ours. */
  const curl = async (args: string[], secret = key.secret): Promise<{ status: number; body: string }> => {
    const { stdout } = await run('curl', ['-s', '-w', '\n%{http_code}', '--aws-sigv4', 'aws:amz:us-east-1:s3', '--user', `${key.id}:${secret}`, ...args]);
    const at = stdout.lastIndexOf('\n');
    return { status: Number(stdout.slice(at + 1)), body: stdout.slice(0, at) };
  };

  /** A request signed over `signed` but sending `sent` (a body swapped in transit). */
  const swapped = async (path: string, signed: string, sent: string): Promise<{ status: number; body: string }> => {
    const signer = new SignatureV4({ credentials: { accessKeyId: key.id, secretAccessKey: key.secret }, region: 'us-east-1', service: 's3', sha256: NodeSha256, uriEscapePath: false });
    const [pathname = '', search = ''] = path.split('?');
    const query = Object.fromEntries(new URLSearchParams(search));
    const headers = { host: base.host, 'content-type': 'application/octet-stream', 'content-length': String(Buffer.byteLength(sent)), 'x-amz-content-sha256': createHash('sha256').update(signed).digest('hex') };
    const signedRequest = await signer.sign({ method: 'PUT', protocol: 'http:', hostname: base.hostname, port: Number(base.port), path: pathname, query, headers, body: signed });
    return new Promise((resolve, reject) => {
      const req = request({ host: base.hostname, port: base.port, method: 'PUT', path, headers: signedRequest.headers }, (res) => {
        const parts: Buffer[] = [];
        res.on('data', (d: Buffer) => parts.push(d));
        res.on('end', () => { resolve({ status: res.statusCode ?? 0, body: Buffer.concat(parts).toString('utf8') }); });
      });
      req.on('error', reject);
      req.end(sent);
    });
  };

  beforeAll(async () => {
    t = await createTestCore(dialect);
    server = await buildServer({ core: t.core, logLevel: 'silent' });
    base = new URL(await server.listen({ host: '127.0.0.1', port: 0 }));
    await t.core.repositories.create(ctx, { name: 'data' });
    await t.core.identity.createPrincipal(ctx, { id: 'sam', kind: 'service' });
    await t.core.identity.attach(ctx, { policy: 'writer', principal: 'sam' });
    const created = await t.core.accessKeys.create(ctx, { principal: 'sam' });
    key = { id: created.id, secret: created.secret };
  });
  afterAll(async () => {
    await server.close();
    await t.dispose();
  });

  it("acts as the key's principal: one credential for S3 and REST", async () => {
    const who = await curl([`${base.origin}/api/v1/whoami`]);
    expect([who.status, (JSON.parse(who.body) as { id: string; policies: string[] })]).toMatchObject([200, { id: 'sam', policies: ['writer'] }]);
    const sha256 = createHash('sha256').update('signed bytes\n').digest('hex');
    const put = await curl(['-X', 'PUT', '-H', 'content-type: application/octet-stream', '-H', `x-amz-content-sha256: ${sha256}`, '--data-binary', 'signed bytes\n', `${base.origin}/api/v1/repositories/data/branches/main/objects?path=a.txt`]);
    expect(put.status).toBe(201);
    const got = await curl([`${base.origin}/api/v1/repositories/data/refs/main/objects?path=a.txt`]);
    expect(got).toEqual({ status: 200, body: 'signed bytes\n' });
    const entries = (await t.core.audit.entries(ctx, { limit: 1000 })).filter((e) => e.actor === 'sam' && e.action === 'object:write');
    expect(entries.map((e) => e.resource)).toEqual(['data@main:a.txt']);
  });

  it('refuses a wrong secret, an unknown key and a revoked one with 401, audited as anonymous', async () => {
    const wrong = await curl([`${base.origin}/api/v1/whoami`], 'not-the-secret-at-all');
    expect([wrong.status, JSON.parse(wrong.body) as unknown]).toEqual([401, { code: 'Unauthorized', message: 'SigV4: SignatureDoesNotMatch: The request signature we calculated does not match the signature you provided. Check your key and signing method.' }]);
    const other = await t.core.accessKeys.create(ctx, { principal: 'sam' });
    await t.core.accessKeys.revoke(ctx, other.id);
    const { stdout } = await run('curl', ['-s', '-o', '/dev/null', '-w', '%{http_code}', '--aws-sigv4', 'aws:amz:us-east-1:s3', '--user', `${other.id}:${other.secret}`, `${base.origin}/api/v1/whoami`]);
    expect(stdout).toBe('401');
    const denied = (await t.core.audit.entries(ctx, { limit: 1000 })).filter((e) => e.actor === 'anonymous' && e.action === 'api:call' && e.resource === 'GET /api/v1/whoami');
    expect(denied.length).toBe(2);
  });

  it('checks the body against the signed SHA-256: a swapped body stores nothing', async () => {
    const refused = await swapped('/api/v1/repositories/data/branches/main/objects?path=b.txt', 'what was signed', 'what was sent!!');
    expect(refused.status).toBe(400);
    expect((JSON.parse(refused.body) as { message: string }).message).toMatch(/^the body's SHA-256 [0-9a-f]{64} is not the signed x-amz-content-sha256 [0-9a-f]{64}$/);
    expect(await t.metadata.getStaged('data', 'main', 'b.txt')).toBeUndefined();
    const honest = await swapped('/api/v1/repositories/data/branches/main/objects?path=b.txt', 'same bytes', 'same bytes');
    expect(honest.status).toBe(201);
  });
});
