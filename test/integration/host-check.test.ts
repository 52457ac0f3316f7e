/**
 * DNS rebinding: a web page whose name resolves to 127.0.0.1 reaches a local server, but its
 * requests carry its own name in Host. Both listeners refuse such requests before anything runs.
 */
import { request } from 'node:http';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.ts';
import { hostAllowed } from '../../src/http/host-check.ts';
import { buildServer } from '../../src/http/build-server.ts';
import { rawRequest, startGateway, type TestGateway } from '../support/s3.ts';
import { ctx } from '../support/core.ts';

function send(url: string, input: { method: string; path: string; host: string; token?: string; body?: string }): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const target = new URL(url);
    const req = request({ host: target.hostname, port: target.port, method: input.method, path: input.path, headers: { host: input.host, ...(input.token === undefined ? {} : { authorization: `Bearer ${input.token}` }), ...(input.body === undefined ? {} : { 'content-type': 'application/json' }) } }, (res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString()));
      res.on('end', () => {
        resolve({ status: res.statusCode ?? 0, text });
      });
    });
    req.on('error', reject);
    req.end(input.body);
  });
}

describe('Host header check', () => {
  let gw: TestGateway;
  let server: FastifyInstance;
  let base = '';
  beforeAll(async () => {
    gw = await startGateway('sqlite', { allowedHosts: ['strata.internal', '.corp.example'] });
    server = await buildServer({ core: gw.core, logLevel: 'silent', allowedHosts: ['strata.internal', '.corp.example'] });
    base = await server.listen({ host: '127.0.0.1', port: 0 });
    await gw.core.repositories.create(ctx, { name: 'data', s3Layout: 'plain' });
  });
  afterAll(async () => {
    await server.close();
    await gw.close();
  });

  it('decides by name: IP literals, localhost, the S3 domain and configured names pass', () => {
    const policy = { allowed: ['strata.internal', '.corp.example'], domain: 's3.strata.test' };
    const passes = ['127.0.0.1:8420', '[::1]:8420', '10.1.2.3', 'localhost:8420', 'LOCALHOST', 'bucket.localhost:8421', 's3.strata.test', 'bucket.s3.strata.test:443', 'strata.internal:8420', 'corp.example', 'a.b.corp.example'];
    const refused = ['attacker.example', 'attacker.example:8420', 'localhost.attacker.example', 'strata.internal.attacker.example', 'xcorp.example', 'evil-s3.strata.test'];
    expect(passes.filter((h) => !hostAllowed(h, policy))).toEqual([]);
    expect(refused.filter((h) => hostAllowed(h, policy))).toEqual([]);
    expect(hostAllowed('anything.example', { allowed: ['*'] })).toBe(true);
  });

  it('reads STRATA_ALLOWED_HOSTS and STRATA_INGEST_ROOTS as comma-separated lists', () => {
    const config = loadConfig({ env: { STRATA_DATA_DIR: '/nonexistent/strata', STRATA_ALLOWED_HOSTS: ' strata.internal, .corp.example ,', STRATA_INGEST_ROOTS: '/srv/a,/srv/b' }, cwd: '/' });
    expect([config.allowedHosts, config.ingestRoots, config.ingestAllowPrivateNetworks, config.ingestS3]).toEqual([['strata.internal', '.corp.example'], ['/srv/a', '/srv/b'], false, false]);
    expect(loadConfig({ env: { STRATA_DATA_DIR: '/nonexistent/strata' }, cwd: '/' }).allowedHosts).toEqual([]);
  });

  it('REST: a foreign Host is refused with 403 before authentication, and changes nothing', async () => {
    const foreign = await send(base, { method: 'POST', path: '/api/v1/repositories', host: 'attacker.example:8420', token: gw.token, body: JSON.stringify({ name: 'rebound' }) });
    expect([foreign.status, JSON.parse(foreign.text)]).toEqual([403, { code: 'Forbidden', message: "this server does not answer to the host 'attacker.example:8420' (add it to STRATA_ALLOWED_HOSTS)" }]);
    expect(await gw.metadata.getRepository('rebound')).toBeUndefined();
    // Even the public paths: a rebinding page must not read metrics either.
    expect((await send(base, { method: 'GET', path: '/metrics', host: 'attacker.example' })).status).toBe(403);
    expect((await send(base, { method: 'GET', path: '/healthz', host: 'localhost:1' })).status).toBe(200);
    expect((await send(base, { method: 'GET', path: '/api/v1/whoami', host: 'strata.internal', token: gw.token })).status).toBe(200);
    expect((await send(base, { method: 'GET', path: '/api/v1/whoami', host: 'ci.corp.example:8420', token: gw.token })).status).toBe(200);
  });

  it('S3: a signed request with a foreign Host gets AccessDenied and writes nothing', async () => {
    const foreign = await rawRequest(gw, { method: 'PUT', path: '/data/x.txt', headers: { host: 'attacker.example' }, body: 'rebound' });
    expect(foreign.status).toBe(403);
    expect(foreign.text).toContain('<Code>AccessDenied</Code><Message>this server does not answer to the host &apos;attacker.example&apos; (add it to STRATA_ALLOWED_HOSTS)</Message>');
    expect((await gw.core.objects.list(ctx, { repository: 'data', ref: 'main' })).objects).toEqual([]);
    const allowed = await rawRequest(gw, { method: 'PUT', path: '/data/x.txt', headers: { host: 'strata.internal' }, body: 'fine' });
    expect(allowed.status).toBe(200);
  });
});
