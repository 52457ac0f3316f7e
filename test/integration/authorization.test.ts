import { CopyObjectCommand, CreateBucketCommand, CreateMultipartUploadCommand, DeleteObjectCommand, GetBucketAclCommand, GetObjectCommand, HeadBucketCommand, HeadObjectCommand, ListBucketsCommand, ListObjectsV2Command, PutBucketAclCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer } from '../../src/http/build-server.ts';
import { strata } from '../support/cli.ts';
import { ctx, DIALECTS } from '../support/core.ts';
import { failure, startGateway, type TestGateway } from '../support/s3.ts';

/** One principal per built-in role, one without any policy, and no credential at all. */
const ROLES = ['admin', 'writer', 'reader', 'auditor', 'inference-writer', 'none', 'anonymous'] as const;
type Role = (typeof ROLES)[number];

/** Expected HTTP status per role, in ROLES order. */
type Row = [name: string, method: string, path: (role: Role) => string, body: ((role: Role) => unknown) | undefined, statuses: number[]];

const DENIED_READ = [403, 403, 401];
const CALL = { application: 'bot', model: 'gpt-4o', usage: { inputTokens: 1, outputTokens: 1 } };
const REST: Row[] = [
  ['list repositories', 'GET', () => '/api/v1/repositories', undefined, [200, 200, 200, 200, 403, 403, 401]],
  ['create a repository', 'POST', () => '/api/v1/repositories', (role) => ({ name: `made-by-${role}` }), [201, 201, 403, 403, 403, 403, 401]],
  ['read an object', 'GET', () => '/api/v1/repositories/shared/refs/main/objects?path=doc.txt', undefined, [200, 200, 200, 200, 403, 403, 401]],
  ['write an object', 'PUT', (role) => `/api/v1/repositories/shared/branches/main/objects?path=by-${role}.txt`, () => 'bytes', [201, 201, 403, 403, 403, 403, 401]],
  ['read the audit log', 'GET', () => '/api/v1/audit/entries?limit=1', undefined, [200, 403, 403, 200, 403, 403, 401]],
  ['log inference calls', 'POST', () => '/api/v1/inference', () => ({ records: [CALL] }), [207, 207, 403, 403, 207, 403, 401]],
  ['create a principal', 'POST', () => '/api/v1/principals', (role) => ({ id: `new-${role}`, kind: 'user' }), [201, 403, 403, 403, 403, 403, 401]],
  ['issue a token to oneself', 'POST', () => '/api/v1/tokens', () => ({ name: 'mine' }), [201, 201, 201, 201, 201, 403, 401]],
  ['issue a token to another', 'POST', () => '/api/v1/tokens', () => ({ name: 'theirs', principal: 'p-target' }), [201, 403, 403, 403, 403, 403, 401]],
  ['attach a policy', 'PUT', () => '/api/v1/principals/p-target/policies/reader', undefined, [200, 403, 403, 403, 403, 403, 401]],
  ['who am I', 'GET', () => '/api/v1/whoami', undefined, [200, 200, 200, 200, 200, 200, 401]],
  // One row per action family, named by the action a refusal names.
  ['branch:list', 'GET', () => '/api/v1/repositories/shared/branches', undefined, [200, 200, 200, 200, ...DENIED_READ]],
  ['branch:create', 'POST', () => '/api/v1/repositories/shared/branches', (r) => ({ name: `b-${r}` }), [201, 201, 403, 403, ...DENIED_READ]],
  ['tag:create', 'POST', () => '/api/v1/repositories/shared/tags', (r) => ({ name: `t-${r}`, ref: 'main' }), [201, 201, 403, 403, ...DENIED_READ]],
  ['commit:read (diff)', 'GET', () => '/api/v1/repositories/shared/diff?left=main&right=main', undefined, [200, 200, 200, 200, ...DENIED_READ]],
  ['branch:merge', 'POST', () => '/api/v1/repositories/shared/branches/side/merge', () => ({ source: 'main' }), [200, 200, 403, 403, ...DENIED_READ]],
  ['repository:protect', 'PATCH', () => '/api/v1/repositories/shared', () => ({ protection: [] }), [200, 403, 403, 403, ...DENIED_READ]],
  ['repository:delete', 'DELETE', (r) => `/api/v1/repositories/del-${r}`, undefined, [204, 204, 403, 403, ...DENIED_READ]],
  ['dataset:create', 'POST', () => '/api/v1/datasets', (r) => ({ name: `d-${r}`, repository: 'shared' }), [201, 201, 403, 403, ...DENIED_READ]],
  ['dataset:list', 'GET', () => '/api/v1/datasets', undefined, [200, 200, 200, 200, ...DENIED_READ]],
  ['catalog:search', 'GET', () => '/api/v1/search?q=shared', undefined, [200, 200, 200, 200, ...DENIED_READ]],
  ['lineage:read', 'GET', () => '/api/v1/lineage/graph?node=shared@main:doc.txt', undefined, [200, 200, 200, 200, ...DENIED_READ]],
  ['run:create', 'POST', () => '/api/v1/runs', (r) => ({ job: `job-${r}` }), [201, 201, 403, 403, ...DENIED_READ]],
  ['model:create', 'POST', () => '/api/v1/models', (r) => ({ name: `m-${r}` }), [201, 201, 403, 403, ...DENIED_READ]],
  ['recipe:custom', 'POST', () => '/api/v1/recipes/validate', () => ({ recipe: "name: c\nsteps:\n  - custom: { module: 'shared@main:missing.mjs' }\n" }), [404, 403, 403, 403, ...DENIED_READ]],
  ['inference:read', 'GET', () => '/api/v1/inference', undefined, [200, 200, 403, 200, ...DENIED_READ]],
  ['inference:read (SQL)', 'POST', () => '/api/v1/inference/query', () => ({ sql: 'select 1 as one' }), [200, 200, 403, 200, ...DENIED_READ]],
  ['audit:read (verify)', 'GET', () => '/api/v1/audit/verify', undefined, [200, 403, 403, 200, ...DENIED_READ]],
  ['principal:list', 'GET', () => '/api/v1/principals', undefined, [200, 403, 403, 200, ...DENIED_READ]],
  ['policy:write', 'PUT', (r) => `/api/v1/policies/p-${r}`, () => ({ statements: [{ effect: 'allow', actions: ['object:read'], resources: ['*'] }] }), [200, 403, 403, 403, ...DENIED_READ]],
  ['access-key:create (own)', 'POST', () => '/api/v1/access-keys', () => ({}), [201, 201, 201, 201, 201, 403, 401]],
];

describe.each(DIALECTS)('authorization by role on %s', (dialect) => {
  let gw: TestGateway;
  let server: FastifyInstance;
  let base: string;
  const tokens = new Map<Role, string>();
  const s3 = new Map<Role, S3Client>();

  beforeAll(async () => {
    gw = await startGateway(dialect);
    server = await buildServer({ core: gw.core, logLevel: 'silent' });
    base = await server.listen({ host: '127.0.0.1', port: 0 });
    await gw.core.repositories.create(ctx, { name: 'shared' });
    await gw.core.objects.put(ctx, { repository: 'shared', branch: 'main', path: 'doc.txt', body: (async function* () { await Promise.resolve(); yield Buffer.from('shared text'); })() });
    await gw.core.commits.commit(ctx, { repository: 'shared', branch: 'main', message: 'doc' });
    for (const role of ROLES) await gw.core.repositories.create(ctx, { name: `del-${role}` });
    await gw.core.repositories.createBranch(ctx, { repository: 'shared', name: 'side', from: 'main' });
    await gw.client.send(new CreateBucketCommand({ Bucket: 'plain' }));
    await gw.client.send(new PutObjectCommand({ Bucket: 'plain', Key: 'doc.txt', Body: 'plain text' }));
    // Changed by the tests (a token issued to it, a policy attached), never acting itself.
    await gw.core.identity.createPrincipal(ctx, { id: 'p-target', kind: 'user' });
    for (const role of ROLES) {
      if (role === 'anonymous') continue;
      const id = `p-${role}`;
      await gw.core.identity.createPrincipal(ctx, { id, kind: 'user' });
      if (role !== 'none') await gw.core.identity.attach(ctx, { policy: role, principal: id });
      tokens.set(role, (await gw.core.identity.createToken(ctx, { principal: id, name: 'test' })).token);
      const key = await gw.core.accessKeys.create(ctx, { principal: id });
      s3.set(role, gw.clientWith({ accessKeyId: key.id, secretAccessKey: key.secret }));
    }
  });
  afterAll(async () => {
    await server.close();
    await gw.close();
  });

  it.each(REST)('REST: %s', async (_name, method, path, body, statuses) => {
    const got: Array<[Role, number]> = [];
    for (const role of ROLES) {
      const token = tokens.get(role);
      const payload = body?.(role);
      const response = await fetch(`${base}${path(role)}`, {
        method,
        headers: { ...(token === undefined ? {} : { authorization: `Bearer ${token}` }), ...(typeof payload === 'object' ? { 'content-type': 'application/json' } : {}) },
        ...(payload === undefined ? {} : { body: typeof payload === 'string' ? payload : JSON.stringify(payload) }),
      });
      if (response.status === 401 || response.status === 403) {
        const error = (await response.json()) as { code: string; message: string };
        expect(error.code).toBe(response.status === 401 ? 'Unauthorized' : 'Forbidden');
        const action = /^[a-z-]+:[a-z]+/.exec(_name)?.[0];
        if (response.status === 403 && action !== undefined) expect(error.message).toMatch(new RegExp(`^p-${role} may not ${action}`));
      }
      got.push([role, response.status]);
    }
    expect(got).toEqual(ROLES.map((role, i) => [role, statuses[i]]));
  });

  it('S3: list buckets, read and write by role, with each principal\'s own keys', async () => {
    const outcome = async (promise: Promise<unknown>): Promise<number> => {
      try {
        await promise;
        return 200;
      } catch {
        return (await failure(promise)).status ?? 0;
      }
    };
    const rows: Array<[string, (client: S3Client, role: Role) => Promise<unknown>, number[]]> = [
      ['ListBuckets', (client) => client.send(new ListBucketsCommand({})), [200, 200, 200, 200, 403, 403]],
      ['GetObject', (client) => client.send(new GetObjectCommand({ Bucket: 'plain', Key: 'doc.txt' })), [200, 200, 200, 200, 403, 403]],
      ['PutObject', (client, role) => client.send(new PutObjectCommand({ Bucket: 'plain', Key: `by-${role}.txt`, Body: 'x' })), [200, 200, 403, 403, 403, 403]],
      ['HeadObject', (client) => client.send(new HeadObjectCommand({ Bucket: 'plain', Key: 'doc.txt' })), [200, 200, 200, 200, 403, 403]],
      ['ListObjectsV2', (client) => client.send(new ListObjectsV2Command({ Bucket: 'plain' })), [200, 200, 200, 200, 403, 403]],
      ['CopyObject', (client, role) => client.send(new CopyObjectCommand({ Bucket: 'plain', Key: `copy-${role}.txt`, CopySource: 'plain/doc.txt' })), [200, 200, 403, 403, 403, 403]],
      ['DeleteObject', (client, role) => client.send(new DeleteObjectCommand({ Bucket: 'plain', Key: `by-${role}.txt` })), [200, 200, 403, 403, 403, 403]],
      ['CreateMultipartUpload', (client, role) => client.send(new CreateMultipartUploadCommand({ Bucket: 'plain', Key: `big-${role}.bin` })), [200, 200, 403, 403, 403, 403]],
      ['HeadBucket', (client) => client.send(new HeadBucketCommand({ Bucket: 'plain' })), [200, 200, 200, 200, 403, 403]],
      ['GetBucketAcl', (client) => client.send(new GetBucketAclCommand({ Bucket: 'plain' })), [200, 200, 200, 200, 403, 403]],
      ['PutBucketAcl', (client) => client.send(new PutBucketAclCommand({ Bucket: 'plain', ACL: 'private' })), [200, 200, 403, 403, 403, 403]],
      ['CreateBucket', (client, role) => client.send(new CreateBucketCommand({ Bucket: `s3-made-by-${role}` })), [200, 200, 403, 403, 403, 403]],
    ];
    for (const [name, call, statuses] of rows) {
      const got: Array<[string, Role, number]> = [];
      for (const role of ROLES) {
        const client = s3.get(role);
        if (client !== undefined) got.push([name, role, await outcome(call(client, role))]);
      }
      expect(got).toEqual(ROLES.filter((r) => r !== 'anonymous').map((role, i) => [name, role, statuses[i]]));
    }
    const anonymous = await fetch(`${gw.endpoint}/plain/doc.txt`);
    expect(anonymous.status).toBe(403);
    expect(await anonymous.text()).toContain('<Code>AccessDenied</Code>');
    const forged = gw.clientWith({ accessKeyId: (await gw.core.accessKeys.list(ctx, { principal: 'p-reader' }))[0]?.id ?? '', secretAccessKey: 'not-the-secret' });
    expect(await failure(forged.send(new GetObjectCommand({ Bucket: 'plain', Key: 'doc.txt' })))).toEqual({ name: 'SignatureDoesNotMatch', status: 403 });
    expect(await failure(gw.clientWith({ accessKeyId: 'AKIANOSUCHKEY0000000', secretAccessKey: 'x' }).send(new GetObjectCommand({ Bucket: 'plain', Key: 'doc.txt' })))).toEqual({ name: 'InvalidAccessKeyId', status: 403 });
    const audited = (await gw.core.audit.entries(ctx, { limit: 10_000 })).filter((e) => e.actor === 'anonymous' && e.outcome === 'denied' && e.resource.startsWith('S3 '));
    expect(audited.map((e) => [e.action, e.resource])).toEqual([['api:call', 'S3 GET /plain/doc.txt'], ['api:call', 'S3 GET /plain/doc.txt'], ['api:call', 'S3 GET /plain/doc.txt']]);
  });

  it('CLI --endpoint: each role gets the exit code its rights give (0, or 6 with one line naming the refusal)', async () => {
    const rows: Array<[string[], number[]]> = [
      [['ls', 'shared@main'], [0, 0, 0, 0, 6, 6, 6]],
      [['branch', 'create', 'shared@cli-${role}'], [0, 0, 6, 6, 6, 6, 6]],
      [['audit', 'list', '--limit', '1'], [0, 6, 6, 0, 6, 6, 6]],
    ];
    for (const [args, codes] of rows) {
      const got: Array<[string, Role, number]> = [];
      for (const role of ROLES) {
        const run = await strata(gw.dir, ['--endpoint', base, ...args.map((a) => a.replace('${role}', role))], { STRATA_TOKEN: tokens.get(role) ?? '' });
        if (run.code !== 0) expect(run.stderr).toMatch(role === 'anonymous' ? /^strata: authentication required/ : new RegExp(`^strata: p-${role} may not [a-z-]+:[a-z]+`));
        got.push([args[0] ?? '', role, run.code ?? -1]);
      }
      expect(got).toEqual(ROLES.map((role, i) => [args[0] ?? '', role, codes[i]]));
    }
  });

  it('CLI --endpoint: acts as the token\'s principal, and a refusal is one line with a non-zero exit', async () => {
    const asRole = (role: Role, args: string[]) => strata(gw.dir, ['--endpoint', base, ...args], { STRATA_TOKEN: tokens.get(role) ?? '' });
    expect((await asRole('reader', ['whoami'])).stdout).toBe('p-reader (user)\n  policies: reader\n  groups:   (none)\n');
    const listed = await asRole('reader', ['repo', 'list']);
    expect([listed.code, listed.stdout.includes('shared')]).toEqual([0, true]);
    const refused = await asRole('reader', ['repo', 'create', 'not-yours']);
    expect([refused.code, refused.stderr]).toEqual([6, 'strata: p-reader may not repository:create on repository:not-yours\n']);
    const none = await strata(gw.dir, ['--endpoint', base, 'repo', 'list'], { STRATA_TOKEN: '' });
    expect(none.code).toBe(6);
    expect(none.stderr).toMatch(/^strata: authentication required/);
  });

  it('refuses a forged identity (x-strata-actor, no credential) with 401 and audits it as anonymous', async () => {
    const forged = await fetch(`${base}/api/v1/repositories`, { method: 'POST', headers: { 'x-strata-actor': 'admin', 'content-type': 'application/json' }, body: JSON.stringify({ name: 'forged' }) });
    expect([forged.status, ((await forged.json()) as { code: string }).code]).toEqual([401, 'Unauthorized']);
    const bad = await fetch(`${base}/api/v1/repositories`, { headers: { authorization: 'Bearer st_0123456789abcdef_notatoken' } });
    expect([bad.status, ((await bad.json()) as { message: string }).message]).toEqual([401, 'the token is not valid: unknown, revoked, expired, or its principal disabled']);
    expect(await gw.metadata.getRepository('forged')).toBeUndefined();
    const denied = (await gw.core.audit.entries(ctx, { limit: 1000 })).filter((e) => e.outcome === 'denied' && e.action === 'api:call');
    expect(denied.slice(-2).map((e) => [e.actor, e.resource])).toEqual([['anonymous', 'POST /api/v1/repositories'], ['anonymous', 'GET /api/v1/repositories']]);
  });

  it('stops a revoked token, an expired one and a disabled principal at once; a scoped token acts with its roles only', async () => {
    await gw.core.identity.createPrincipal(ctx, { id: 'temp', kind: 'user' });
    await gw.core.identity.attach(ctx, { policy: 'writer', principal: 'temp' });
    await gw.core.identity.attach(ctx, { policy: 'auditor', principal: 'temp' });
    const status = async (token: string, path = '/api/v1/repositories'): Promise<number> => (await fetch(`${base}${path}`, { headers: { authorization: `Bearer ${token}` } })).status;
    const revoked = await gw.core.identity.createToken(ctx, { principal: 'temp', name: 'a' });
    expect(await status(revoked.token)).toBe(200);
    await gw.core.identity.revokeToken(ctx, revoked.id);
    expect(await status(revoked.token)).toBe(401);
    const scoped = await gw.core.identity.createToken(ctx, { principal: 'temp', name: 'audit only', roles: ['auditor'] });
    expect(await status(scoped.token, '/api/v1/audit/entries?limit=1')).toBe(200);
    const write = await fetch(`${base}/api/v1/repositories`, { method: 'POST', headers: { authorization: `Bearer ${scoped.token}`, 'content-type': 'application/json' }, body: JSON.stringify({ name: 'scoped' }) });
    expect([write.status, ((await write.json()) as { details: { reason: string } }).details.reason]).toEqual([403, "outside the token's roles (auditor)"]);
    expect(await errorOf(gw.core.identity.createToken(ctx, { principal: 'temp', name: 'x', roles: ['admin'] }))).toBe('temp has no admin');
    const short = await gw.core.identity.createToken(ctx, { principal: 'temp', name: 'b', expiresInDays: 1 });
    expect(await status(short.token)).toBe(200);
    const later = await gw.core.identity.authenticate(short.token);
    expect(later).toEqual({ id: 'temp' });
    const whole = await gw.core.identity.createToken(ctx, { principal: 'temp', name: 'c' });
    await gw.core.identity.disablePrincipal(ctx, 'temp');
    expect(await status(whole.token)).toBe(401);
  });

  it('lists only the repositories one may read, over REST and S3, without auditing the ones left out', async () => {
    await gw.core.identity.putPolicy(ctx, { name: 'shared-only', document: { statements: [{ effect: 'allow', actions: ['repository:list', 'repository:read', 'object:read'], resources: ['*'] }, { effect: 'deny', actions: ['*'], resources: ['repository:plain'] }] } });
    await gw.core.identity.createPrincipal(ctx, { id: 'lena', kind: 'user' });
    await gw.core.identity.attach(ctx, { policy: 'shared-only', principal: 'lena' });
    const { token } = await gw.core.identity.createToken(ctx, { principal: 'lena', name: 'test' });
    const everything = (await gw.core.repositories.list(ctx)).map((r) => r.name);
    expect(everything).toEqual(expect.arrayContaining(['plain', 'shared']));
    const rest = (await (await fetch(`${base}/api/v1/repositories`, { headers: { authorization: `Bearer ${token}` } })).json()) as { repositories: Array<{ name: string }> };
    expect(rest.repositories.map((r) => r.name)).toEqual(everything.filter((name) => name !== 'plain'));
    const key = await gw.core.accessKeys.create(ctx, { principal: 'lena' });
    const buckets = await gw.clientWith({ accessKeyId: key.id, secretAccessKey: key.secret }).send(new ListBucketsCommand({}));
    expect((buckets.Buckets ?? []).map((b) => b.Name)).toEqual(everything.filter((name) => name !== 'plain'));
    const denied = (await gw.core.audit.entries(ctx, { limit: 10_000 })).filter((e) => e.actor === 'lena' && e.outcome === 'denied');
    expect(denied).toEqual([]);
  });

  it('applies custom policies: deny wins, resource patterns, ${principal}; access check names the deciding statement', async () => {
    await gw.core.repositories.create(ctx, { name: 'secret-plans' });
    await gw.core.identity.putPolicy(ctx, {
      name: 'team-data',
      document: {
        statements: [
          { effect: 'allow', actions: ['object:*', 'repository:read', 'branch:read'], resources: ['repository:*'] },
          { effect: 'deny', actions: ['object:*'], resources: ['repository:secret-*'] },
          { effect: 'allow', actions: ['token:*'], resources: ['principal:${principal}'] },
        ],
      },
    });
    await gw.core.identity.createPrincipal(ctx, { id: 'team', kind: 'group' });
    await gw.core.identity.createPrincipal(ctx, { id: 'tess', kind: 'user' });
    await gw.core.identity.addMember(ctx, { group: 'team', member: 'tess' });
    await gw.core.identity.attach(ctx, { policy: 'team-data', principal: 'team' });
    const tess = { actor: { id: 'tess' } };
    expect((await gw.core.objects.stat(tess, { repository: 'shared', ref: 'main', path: 'doc.txt' })).size).toBe(11);
    expect(await errorOf(gw.core.objects.stat(tess, { repository: 'secret-plans', ref: 'main', path: 'x' }))).toBe('tess may not object:read on repository:secret-plans/main/x');
    expect(await gw.core.identity.check(ctx, { principal: 'tess', action: 'object:write', resource: 'repository:secret-plans' })).toEqual({ allowed: false, reason: 'denied by team-data#2' });
    expect(await gw.core.identity.check(ctx, { principal: 'tess', action: 'object:write', resource: 'repository:shared' })).toEqual({ allowed: true, reason: 'allowed by team-data#1' });
    expect(await gw.core.identity.check(ctx, { principal: 'tess', action: 'token:create', resource: 'principal:tess' })).toEqual({ allowed: true, reason: 'allowed by team-data#3' });
    expect(await gw.core.identity.check(ctx, { principal: 'tess', action: 'token:create', resource: 'principal:ada' })).toEqual({ allowed: false, reason: 'no statement allows it' });
    expect(await errorOf(gw.core.identity.putPolicy(ctx, { name: 'bad', document: { statements: [{ effect: 'allow', actions: ['object:frobnicate'] }] } }))).toBe('invalid policy: statements.0.actions.0: names no action (see `strata policy actions`)');
    expect(await errorOf(gw.core.identity.putPolicy(ctx, { name: 'admin', document: { statements: [{ effect: 'allow', actions: ['*'] }] } }))).toBe("'admin' is a built-in role and cannot be changed");
    // Leaving the group takes the rights away at once.
    await gw.core.identity.removeMember(ctx, { group: 'team', member: 'tess' });
    expect(await errorOf(gw.core.objects.stat(tess, { repository: 'shared', ref: 'main', path: 'doc.txt' }))).toBe('tess may not object:read on repository:shared/main/doc.txt');
  });
});

async function errorOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    return (error as Error).message.replace(/^.*: (?=[a-z]+ has no )/, '');
  }
  throw new Error('expected a failure');
}
