import { CreateBucketCommand, GetBucketAclCommand, GetObjectCommand, ListBucketsCommand, PutBucketAclCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ctx, DIALECTS } from '../support/core.ts';
import { failure, startGateway, type TestGateway } from '../support/s3.ts';

const AUTHENTICATED_USERS = 'http://acs.amazonaws.com/groups/global/AuthenticatedUsers';

describe.each(DIALECTS)('bucket ownership and canned ACLs on %s', (dialect) => {
  let gw: TestGateway;
  const clients = new Map<string, S3Client>();
  const as = (who: string): S3Client => clients.get(who) as S3Client;

  beforeAll(async () => {
    gw = await startGateway(dialect);
    // Principals who may create buckets and list them, and nothing else: what they may do in a
    // bucket comes from owning it.
    await gw.core.identity.putPolicy(ctx, { name: 'creators', document: { statements: [{ effect: 'allow', actions: ['repository:create', 'repository:list'], resources: ['*'] }] } });
    for (const id of ['olga', 'pete']) {
      await gw.core.identity.createPrincipal(ctx, { id, kind: 'user' });
      await gw.core.identity.attach(ctx, { policy: 'creators', principal: id });
      const key = await gw.core.accessKeys.create(ctx, { principal: id });
      clients.set(id, gw.clientWith({ accessKeyId: key.id, secretAccessKey: key.secret }));
    }
  });
  afterAll(async () => {
    await gw.close();
  });

  it("owns what it creates; another's bucket is BucketAlreadyExists to create and AccessDenied to use", async () => {
    await as('olga').send(new CreateBucketCommand({ Bucket: 'olga-data' }));
    await as('olga').send(new PutObjectCommand({ Bucket: 'olga-data', Key: 'a.txt', Body: 'olga wrote this' }));
    expect(await (await as('olga').send(new GetObjectCommand({ Bucket: 'olga-data', Key: 'a.txt' }))).Body?.transformToString()).toBe('olga wrote this');
    // us-east-1, as AWS there: creating one's own bucket again answers 200.
    await as('olga').send(new CreateBucketCommand({ Bucket: 'olga-data' }));
    expect(await failure(as('pete').send(new CreateBucketCommand({ Bucket: 'olga-data' })))).toEqual({ name: 'BucketAlreadyExists', status: 409 });
    expect(await failure(as('pete').send(new GetObjectCommand({ Bucket: 'olga-data', Key: 'a.txt' })))).toEqual({ name: 'AccessDenied', status: 403 });
    expect(await failure(as('pete').send(new PutObjectCommand({ Bucket: 'olga-data', Key: 'b.txt', Body: 'x' })))).toEqual({ name: 'AccessDenied', status: 403 });
    expect((await as('pete').send(new ListBucketsCommand({}))).Buckets?.map((b) => b.Name)).toEqual([]);
    expect((await as('olga').send(new ListBucketsCommand({}))).Buckets?.map((b) => b.Name)).toEqual(['olga-data']);
    await expect(gw.core.repositories.update({ actor: { id: 'olga' } }, 'olga-data', { protection: [] })).rejects.toMatchObject({ code: 'Forbidden', message: 'olga may not repository:protect on repository:olga-data' });
  });

  it('maps canned ACLs: authenticated-read lets every signed-in principal read, not write; public-read lets anyone read', async () => {
    await as('olga').send(new PutBucketAclCommand({ Bucket: 'olga-data', ACL: 'authenticated-read' }));
    const acl = await as('olga').send(new GetBucketAclCommand({ Bucket: 'olga-data' }));
    expect(acl.Grants?.map((g) => [g.Grantee?.ID ?? g.Grantee?.URI, g.Permission])).toEqual([['olga', 'FULL_CONTROL'], [AUTHENTICATED_USERS, 'READ']]);
    expect(await (await as('pete').send(new GetObjectCommand({ Bucket: 'olga-data', Key: 'a.txt' }))).Body?.transformToString()).toBe('olga wrote this');
    expect(await failure(as('pete').send(new PutObjectCommand({ Bucket: 'olga-data', Key: 'b.txt', Body: 'x' })))).toEqual({ name: 'AccessDenied', status: 403 });
    expect((await fetch(`${gw.endpoint}/olga-data/a.txt`)).status).toBe(403);

    await as('pete').send(new CreateBucketCommand({ Bucket: 'pete-public', ACL: 'public-read' }));
    await as('pete').send(new PutObjectCommand({ Bucket: 'pete-public', Key: 'open.txt', Body: 'for everyone', ACL: 'public-read' }));
    const anonymous = await fetch(`${gw.endpoint}/pete-public/open.txt`);
    expect([anonymous.status, await anonymous.text()]).toEqual([200, 'for everyone']);

    await as('olga').send(new PutBucketAclCommand({ Bucket: 'olga-data', ACL: 'private' }));
    expect(await failure(as('pete').send(new GetObjectCommand({ Bucket: 'olga-data', Key: 'a.txt' })))).toEqual({ name: 'AccessDenied', status: 403 });
  });

  it('refuses ACLs its model cannot hold instead of ignoring them', async () => {
    expect(await failure(as('olga').send(new PutObjectCommand({ Bucket: 'olga-data', Key: 'c.txt', Body: 'x', ACL: 'public-read' })))).toEqual({ name: 'NotImplemented', status: 501 });
    expect(await failure(as('olga').send(new PutObjectCommand({ Bucket: 'olga-data', Key: 'c.txt', Body: 'x', GrantRead: 'id=pete' })))).toEqual({ name: 'NotImplemented', status: 501 });
    expect(await gw.metadata.getStaged('olga-data', 'main', 'c.txt')).toBeUndefined();
    await as('olga').send(new PutObjectCommand({ Bucket: 'olga-data', Key: 'c.txt', Body: 'x', ACL: 'private' }));
    expect(await failure(as('olga').send(new CreateBucketCommand({ Bucket: 'olga-shared', ACL: 'public-read-write' })))).toEqual({ name: 'NotImplemented', status: 501 });
    expect(await gw.metadata.getRepository('olga-shared')).toBeUndefined();
    const grantToPete = { Owner: { ID: 'olga' }, Grants: [{ Grantee: { Type: 'CanonicalUser' as const, ID: 'olga' }, Permission: 'FULL_CONTROL' as const }, { Grantee: { Type: 'CanonicalUser' as const, ID: 'pete' }, Permission: 'WRITE' as const }] };
    expect(await failure(as('olga').send(new PutBucketAclCommand({ Bucket: 'olga-data', AccessControlPolicy: grantToPete })))).toEqual({ name: 'NotImplemented', status: 501 });
    const readForAll = { Owner: { ID: 'olga' }, Grants: [{ Grantee: { Type: 'CanonicalUser' as const, ID: 'olga' }, Permission: 'FULL_CONTROL' as const }, { Grantee: { Type: 'Group' as const, URI: AUTHENTICATED_USERS }, Permission: 'READ' as const }] };
    await as('olga').send(new PutBucketAclCommand({ Bucket: 'olga-data', AccessControlPolicy: readForAll }));
    expect((await gw.metadata.getRepository('olga-data'))?.authenticatedRead).toBe(true);
  });
});
