import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer } from '../../src/http/build-server.ts';
import { bytesOf, createTestCore, ctx, DIALECTS, type TestCore } from '../support/core.ts';

/** One principal per built-in role, one without any policy, and no credential at all. */
const ROLES = ['admin', 'writer', 'reader', 'auditor', 'inference-writer', 'none', 'anonymous'] as const;
type Role = (typeof ROLES)[number];
type Row = [action: string, method: string, path: (role: Role) => string, body: ((role: Role) => unknown) | undefined, statuses: number[]];

const DENIED_READ = [403, 403, 401];
/** What each role gets, per action family, over REST (statuses in ROLES order). */
const TABLE: Row[] = [
  ['branch:list', 'GET', () => '/api/v1/repositories/shared/branches', undefined, [200, 200, 200, 200, ...DENIED_READ]],
  ['branch:create', 'POST', () => '/api/v1/repositories/shared/branches', (r) => ({ name: `b-${r}` }), [201, 201, 403, 403, ...DENIED_READ]],
  ['tag:create', 'POST', () => '/api/v1/repositories/shared/tags', (r) => ({ name: `t-${r}`, ref: 'main' }), [201, 201, 403, 403, ...DENIED_READ]],
  ['commit:read (diff)', 'GET', () => '/api/v1/repositories/shared/diff?left=main&right=main', undefined, [200, 200, 200, 200, ...DENIED_READ]],
  ['branch:merge', 'POST', () => '/api/v1/repositories/shared/branches/main/merge', () => ({ source: 'main' }), [200, 200, 403, 403, ...DENIED_READ]],
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

describe.each(DIALECTS)('every action family by role over REST on %s', (dialect) => {
  let t: TestCore;
  let server: FastifyInstance;
  let base: string;
  const tokens = new Map<Role, string>();

  beforeAll(async () => {
    t = await createTestCore(dialect);
    server = await buildServer({ core: t.core, logLevel: 'silent' });
    base = await server.listen({ host: '127.0.0.1', port: 0 });
    await t.core.repositories.create(ctx, { name: 'shared' });
    await t.core.objects.put(ctx, { repository: 'shared', branch: 'main', path: 'doc.txt', body: bytesOf('shared text') });
    await t.core.commits.commit(ctx, { repository: 'shared', branch: 'main', message: 'doc' });
    for (const role of ROLES) {
      await t.core.repositories.create(ctx, { name: `del-${role}` });
      if (role === 'anonymous') continue;
      const id = `p-${role}`;
      await t.core.identity.createPrincipal(ctx, { id, kind: 'user' });
      if (role !== 'none') await t.core.identity.attach(ctx, { policy: role, principal: id });
      tokens.set(role, (await t.core.identity.createToken(ctx, { principal: id, name: 'test' })).token);
    }
  });
  afterAll(async () => {
    await server.close();
    await t.dispose();
  });

  it.each(TABLE)('%s', async (action, method, path, body, statuses) => {
    const got: Array<[Role, number]> = [];
    for (const role of ROLES) {
      const token = tokens.get(role);
      const payload = body?.(role);
      const response = await fetch(`${base}${path(role)}`, {
        method,
        headers: { ...(token === undefined ? {} : { authorization: `Bearer ${token}` }), ...(payload === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(payload === undefined ? {} : { body: JSON.stringify(payload) }),
      });
      if (response.status === 401 || response.status === 403) {
        const error = (await response.json()) as { code: string; message: string };
        expect(error.code).toBe(response.status === 401 ? 'Unauthorized' : 'Forbidden');
        if (response.status === 403) expect(error.message).toMatch(new RegExp(`^p-${role} may not ${action.split(' ')[0] ?? ''}`));
      }
      got.push([role, response.status]);
    }
    expect(got).toEqual(ROLES.map((role, i) => [role, statuses[i]]));
  });
});
