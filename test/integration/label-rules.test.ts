import { CopyObjectCommand, GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, ListObjectVersionsCommand, type S3Client } from '@aws-sdk/client-s3';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseRecipe } from '../../src/core/prep/recipe.ts';
import { buildServer } from '../../src/http/build-server.ts';
import { bytesOf, ctx, DIALECTS, errorCode } from '../support/core.ts';
import { failure, startGateway, type TestGateway } from '../support/s3.ts';

const PEOPLE = 'Rita Levi lives at 12 Elm Street, mail rita.levi@example.com for the interview.\n';
const NOTES = 'Open notes about rivers and mountains, nothing personal here.\n';

/** Readers of everything but data labelled pii, which only the privacy group may touch. */
const PII_GUARD = {
  statements: [{ effect: 'deny', actions: ['object:read', 'object:list', 'dataset:read'], resources: ['*'], labels: ['pii'], exceptPrincipals: ['privacy'] }],
};

describe.each(DIALECTS)('label rules on %s', (dialect) => {
  let gw: TestGateway;
  let server: FastifyInstance;
  let base: string;
  const token = new Map<string, string>();
  const s3 = new Map<string, S3Client>();
  const as = (who: string, path: string, init: RequestInit = {}): Promise<Response> =>
    fetch(`${base}${path}`, { ...init, headers: { authorization: `Bearer ${token.get(who) ?? ''}`, ...(init.body === undefined ? {} : { 'content-type': 'application/json' }) } });

  beforeAll(async () => {
    gw = await startGateway(dialect);
    server = await buildServer({ core: gw.core, logLevel: 'silent' });
    base = await server.listen({ host: '127.0.0.1', port: 0 });
    const { core } = gw;
    await core.repositories.create(ctx, { name: 'corpus', s3Layout: 'plain' });
    await core.objects.put(ctx, { repository: 'corpus', branch: 'main', path: 'pii/people.txt', body: bytesOf(PEOPLE), contentType: 'text/plain' });
    await core.objects.put(ctx, { repository: 'corpus', branch: 'main', path: 'open/notes.txt', body: bytesOf(NOTES), contentType: 'text/plain' });
    await core.commits.commit(ctx, { repository: 'corpus', branch: 'main', message: 'people and notes' });
    await core.repositories.createTag(ctx, { repository: 'corpus', name: 'v1', ref: 'main' });
    await core.datasets.create(ctx, { name: 'people', repository: 'corpus', prefix: 'pii/', description: 'interview subjects', labels: ['pii'] });
    await core.identity.putPolicy(ctx, { name: 'pii-guard', document: PII_GUARD });
    await core.identity.attach(ctx, { policy: 'pii-guard', principal: 'everyone' });
    await core.identity.createPrincipal(ctx, { id: 'privacy', kind: 'group' });
    for (const [id, role] of [['rita', 'writer'], ['priya', 'writer']] as const) {
      await core.identity.createPrincipal(ctx, { id, kind: 'user' });
      await core.identity.attach(ctx, { policy: role, principal: id });
      token.set(id, (await core.identity.createToken(ctx, { principal: id, name: 'test' })).token);
      const key = await core.accessKeys.create(ctx, { principal: id });
      s3.set(id, gw.clientWith({ accessKeyId: key.id, secretAccessKey: key.secret }));
    }
    await core.identity.addMember(ctx, { group: 'privacy', member: 'priya' });
  });
  afterAll(async () => {
    await server.close();
    await gw.close();
  });

  it('REST: the labelled object is refused at every ref to those outside the group; its neighbours are not', async () => {
    for (const ref of ['main', 'v1']) {
      const refused = await as('rita', `/api/v1/repositories/corpus/refs/${ref}/objects?path=pii/people.txt`);
      expect([refused.status, ((await refused.json()) as { code: string; message: string })]).toEqual([403, { code: 'Forbidden', message: `rita may not object:read on repository:corpus/${ref}/pii/people.txt`, details: { action: 'object:read', reason: 'denied by pii-guard#1' } }]);
    }
    const preview = await as('rita', '/api/v1/repositories/corpus/refs/main/preview?path=pii/people.txt');
    expect(preview.status).toBe(403);
    const dataset = await as('rita', '/api/v1/datasets/people');
    expect(dataset.status).toBe(403);
    const datasets = (await (await as('rita', '/api/v1/datasets')).json()) as { datasets: Array<{ name: string }> };
    expect(datasets.datasets.map((d) => d.name)).not.toContain('people');
    const open = await as('rita', '/api/v1/repositories/corpus/refs/main/objects?path=open/notes.txt');
    expect([open.status, await open.text()]).toEqual([200, NOTES]);
    const allowed = await as('priya', '/api/v1/repositories/corpus/refs/v1/objects?path=pii/people.txt');
    expect([allowed.status, await allowed.text()]).toEqual([200, PEOPLE]);
    const listed = (await (await as('rita', '/api/v1/repositories/corpus/refs/main/list')).json()) as { objects: Array<{ path: string }> };
    expect(listed.objects.map((o) => o.path)).toEqual(['open/notes.txt']);
    const history = await gw.core.commits.log(ctx, { repository: 'corpus', ref: 'main' });
    const root = history.at(-1)?.id ?? '';
    const rita = { actor: { id: 'rita' } };
    expect((await gw.core.commits.diff(rita, { repository: 'corpus', left: root, right: 'main' })).map((c) => c.path)).toEqual(['open/notes.txt']);
    expect((await gw.core.commits.diff({ actor: { id: 'priya' } }, { repository: 'corpus', left: root, right: 'main' })).map((c) => c.path)).toEqual(['open/notes.txt', 'pii/people.txt']);
  });

  it('S3: GET, HEAD and CopyObject source are AccessDenied; LIST and ListObjectVersions leave the labelled keys out', async () => {
    const rita = s3.get('rita') as S3Client;
    const priya = s3.get('priya') as S3Client;
    expect(await failure(rita.send(new GetObjectCommand({ Bucket: 'corpus', Key: 'pii/people.txt' })))).toEqual({ name: 'AccessDenied', status: 403 });
    expect((await failure(rita.send(new HeadObjectCommand({ Bucket: 'corpus', Key: 'pii/people.txt' })))).status).toBe(403);
    expect(await failure(rita.send(new CopyObjectCommand({ Bucket: 'corpus', Key: 'open/copy.jsonl', CopySource: 'corpus/pii/people.txt' })))).toEqual({ name: 'AccessDenied', status: 403 });
    const keys = (await rita.send(new ListObjectsV2Command({ Bucket: 'corpus' }))).Contents?.map((o) => o.Key);
    expect(keys).toEqual(['open/notes.txt']);
    const folders = await rita.send(new ListObjectsV2Command({ Bucket: 'corpus', Delimiter: '/' }));
    expect(folders.CommonPrefixes?.map((p) => p.Prefix)).toEqual(['open/']);
    expect((await rita.send(new ListObjectVersionsCommand({ Bucket: 'corpus' }))).Versions?.map((v) => v.Key)).toEqual(['open/notes.txt']);
    const body = await (await priya.send(new GetObjectCommand({ Bucket: 'corpus', Key: 'pii/people.txt' }))).Body?.transformToString();
    expect(body).toBe(PEOPLE);
    expect((await priya.send(new ListObjectsV2Command({ Bucket: 'corpus' }))).Contents?.map((o) => o.Key)).toEqual(['open/notes.txt', 'pii/people.txt']);
    expect(await gw.metadata.getStaged('corpus', 'main', 'open/copy.jsonl')).toBeUndefined();
  });

  it('search shows nothing of the labelled dataset to those outside the group', async () => {
    const search = async (who: string, q: string) => ((await (await as(who, `/api/v1/search?q=${q}`)).json()) as { hits: Array<{ path: string }>; total: number });
    expect(await search('rita', 'people')).toEqual({ hits: [], total: 0 });
    expect((await search('rita', 'interview')).total).toBe(0);
    expect((await search('priya', 'people')).hits.map((h) => h.path).sort()).toEqual(['pii/', 'pii/people.txt']);
    expect((await search('rita', 'notes')).hits.map((h) => h.path)).toEqual(['open/notes.txt']);
  });

  it('a recipe over it is refused to an outsider; the redacted output of an allowed run is readable, and its lineage hides the source', async () => {
    const recipe = parseRecipe('name: scrub\nsteps:\n  - pii\n');
    expect(await errorCode(gw.core.prep.run({ actor: { id: 'rita' } }, { recipe, input: 'corpus@main:pii/', output: 'corpus@main:mine/' }))).toBe('Forbidden');
    expect(await gw.metadata.getStaged('corpus', 'main', 'mine/')).toBeUndefined();
    const summary = await gw.core.prep.run({ actor: { id: 'priya' } }, { recipe, input: 'corpus@main:pii/', output: 'corpus@main:scrubbed/' });
    expect([summary.skipped, summary.unreadable, summary.written, summary.dataset.labels]).toEqual([{}, [], 1, []]);
    const shard = summary.shards[0]?.path ?? '';
    const output = await as('rita', `/api/v1/repositories/corpus/refs/main/objects?path=${shard}`);
    const text = await output.text();
    expect([output.status, text.includes('rita.levi@example.com'), text.includes('<EMAIL>')]).toEqual([200, false, true]);
    const node = encodeURIComponent(`corpus@${summary.outputCommit}:${shard}`);
    const seenByRita = await (await as('rita', `/api/v1/lineage/provenance?node=${node}`)).text();
    const seenByPriya = await (await as('priya', `/api/v1/lineage/provenance?node=${node}`)).text();
    expect(seenByPriya).toContain('pii/people.txt');
    expect(seenByRita).not.toContain('pii/');
    expect((JSON.parse(seenByRita) as { nodes: Array<{ key: string; label: string }> }).nodes).toEqual([expect.objectContaining({ key: expect.stringMatching(/^hidden:\d+$/) as string, label: '(hidden by an access rule)', data: {} })]);
  });

  it('a path rule refuses a batch that reaches under it, naming the path, and stages none of it', async () => {
    await gw.core.identity.putPolicy(ctx, { name: 'no-pii-writes', document: { statements: [{ effect: 'deny', actions: ['object:write'], resources: ['repository:corpus/*/pii/'] }] } });
    await gw.core.identity.attach(ctx, { policy: 'no-pii-writes', principal: 'rita' });
    const rita = { actor: { id: 'rita' } };
    const contents = await Promise.all(['fine', 'not fine'].map((text) => gw.core.objects.writeContent(rita, { repository: 'corpus', branch: 'main', body: bytesOf(text) })));
    const objects = [{ path: 'open/fine.txt', content: contents[0] as never }, { path: 'pii/added.txt', content: contents[1] as never }];
    await expect(gw.core.objects.stage(rita, { repository: 'corpus', branch: 'main', objects })).rejects.toMatchObject({ code: 'Forbidden', message: 'rita may not object:write on repository:corpus/main/pii/added.txt' });
    expect(await gw.metadata.getStaged('corpus', 'main', 'open/fine.txt')).toBeUndefined();
    await gw.core.identity.detach(ctx, { policy: 'no-pii-writes', principal: 'rita' });
  });

  it('every refusal is an audit entry under the authenticated principal; access check explains the label rule', async () => {
    const denied = (await gw.core.audit.entries(ctx, { limit: 10_000 })).filter((e) => e.actor === 'rita' && e.outcome === 'denied');
    expect(new Set(denied.map((e) => e.action))).toEqual(new Set(['object:read', 'object:list', 'object:write', 'dataset:read']));
    expect(await gw.core.identity.check(ctx, { principal: 'rita', action: 'object:read', resource: 'repository:corpus/main/pii/people.txt' })).toEqual({ allowed: false, reason: 'denied by pii-guard#1' });
    expect(await gw.core.identity.check(ctx, { principal: 'priya', action: 'object:read', resource: 'repository:corpus/main/pii/people.txt' })).toEqual({ allowed: true, reason: 'allowed by writer#1' });
  });
});
