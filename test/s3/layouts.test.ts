import {
  CreateBucketCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  ListObjectVersionsCommand,
  PutObjectCommand,
  HeadObjectCommand,
  DeleteObjectCommand,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ctx } from '../support/core.ts';
import { failure, startGateway, type TestGateway } from '../support/s3.ts';

let gw: TestGateway;
beforeAll(async () => {
  gw = await startGateway();
});
afterAll(async () => {
  await gw.close();
});


const text = async (bucket: string, key: string, versionId?: string): Promise<string> =>
  (await (await gw.client.send(new GetObjectCommand({ Bucket: bucket, Key: key, VersionId: versionId }))).Body?.transformToString()) ?? '';

describe('the <ref>/<path> layout', () => {
  it('reads any ref, writes only branches, lists refs as prefixes', async () => {
    await gw.core.repositories.create(ctx, { name: 'corpus' });
    await gw.client.send(new PutObjectCommand({ Bucket: 'corpus', Key: 'main/docs/a.txt', Body: 'v1' }));
    const first = await gw.core.commits.commit(ctx, { repository: 'corpus', branch: 'main', message: 'v1' });
    await gw.core.repositories.createTag(ctx, { repository: 'corpus', name: 'v1', ref: 'main' });
    await gw.core.repositories.createBranch(ctx, { repository: 'corpus', name: 'dev', from: 'main' });
    await gw.client.send(new PutObjectCommand({ Bucket: 'corpus', Key: 'dev/docs/a.txt', Body: 'v2 on dev' }));
    expect(await text('corpus', 'main/docs/a.txt')).toBe('v1');
    expect(await text('corpus', 'dev/docs/a.txt')).toBe('v2 on dev');
    expect(await text('corpus', 'v1/docs/a.txt')).toBe('v1');
    expect(await text('corpus', `${first.id}/docs/a.txt`)).toBe('v1');
    expect(await text('corpus', `${first.id.slice(0, 10)}/docs/a.txt`)).toBe('v1');
    expect(await failure(gw.client.send(new PutObjectCommand({ Bucket: 'corpus', Key: 'v1/docs/a.txt', Body: 'x' })))).toMatchObject({ status: 404 });
    expect(await failure(gw.client.send(new PutObjectCommand({ Bucket: 'corpus', Key: 'nobranch', Body: 'x' })))).toEqual({ name: 'InvalidArgument', status: 400 });
    expect(await failure(gw.client.send(new GetObjectCommand({ Bucket: 'corpus', Key: 'nosuchref/docs/a.txt' })))).toEqual({ name: 'NoSuchKey', status: 404 });
    const root = await gw.client.send(new ListObjectsV2Command({ Bucket: 'corpus', Delimiter: '/' }));
    expect(root.CommonPrefixes?.map((p) => p.Prefix)).toEqual(['dev/', 'main/', 'v1/']);
    const all = await gw.client.send(new ListObjectsV2Command({ Bucket: 'corpus' }));
    expect(all.Contents?.map((o) => o.Key)).toEqual(['dev/docs/a.txt', 'main/docs/a.txt', 'v1/docs/a.txt']);
    const paged = await gw.client.send(new ListObjectsV2Command({ Bucket: 'corpus', MaxKeys: 2 }));
    const rest = await gw.client.send(new ListObjectsV2Command({ Bucket: 'corpus', ContinuationToken: paged.NextContinuationToken }));
    expect([...(paged.Contents ?? []), ...(rest.Contents ?? [])].map((o) => o.Key)).toEqual(['dev/docs/a.txt', 'main/docs/a.txt', 'v1/docs/a.txt']);
    const inRef = await gw.client.send(new ListObjectsV2Command({ Bucket: 'corpus', Prefix: 'dev/docs/' }));
    expect(inRef.Contents?.map((o) => o.Key)).toEqual(['dev/docs/a.txt']);
  });

  it('switches a repository between layouts', async () => {
    await gw.core.repositories.update(ctx, 'corpus', { s3Layout: 'plain' });
    expect(await text('corpus', 'docs/a.txt')).toBe('v1');
    await gw.core.repositories.update(ctx, 'corpus', { s3Layout: 'ref' });
    expect(await text('corpus', 'main/docs/a.txt')).toBe('v1');
  });
});

describe('versions along a branch', () => {
  it('lists the distinct contents of each key with the commits that wrote them, and reads old versions', async () => {
    await gw.client.send(new CreateBucketCommand({ Bucket: 'ckpt' }));
    await gw.client.send(new PutObjectCommand({ Bucket: 'ckpt', Key: 'model.bin', Body: 'epoch-1' }));
    await gw.client.send(new PutObjectCommand({ Bucket: 'ckpt', Key: 'gone.txt', Body: 'short-lived' }));
    const c1 = await gw.core.commits.commit(ctx, { repository: 'ckpt', branch: 'main', message: 'epoch 1' });
    await gw.client.send(new PutObjectCommand({ Bucket: 'ckpt', Key: 'model.bin', Body: 'epoch-2' }));
    await gw.core.objects.delete(ctx, { repository: 'ckpt', branch: 'main', path: 'gone.txt' });
    const c2 = await gw.core.commits.commit(ctx, { repository: 'ckpt', branch: 'main', message: 'epoch 2' });
    await gw.client.send(new PutObjectCommand({ Bucket: 'ckpt', Key: 'model.bin', Body: 'epoch-3 (staged)' }));
    const listing = await gw.client.send(new ListObjectVersionsCommand({ Bucket: 'ckpt' }));
    expect(listing.Versions?.map((v) => [v.Key, v.VersionId, v.IsLatest, v.Size])).toEqual([
      ['gone.txt', c1.id, false, 11],
      ['model.bin', 'null', true, 16],
      ['model.bin', c2.id, false, 7],
      ['model.bin', c1.id, false, 7],
    ]);
    expect(listing.DeleteMarkers?.map((m) => [m.Key, m.VersionId, m.IsLatest])).toEqual([['gone.txt', c2.id, true]]);
    expect(await text('ckpt', 'model.bin', c1.id)).toBe('epoch-1');
    expect(await text('ckpt', 'model.bin', c2.id)).toBe('epoch-2');
    expect(await text('ckpt', 'model.bin', 'null')).toBe('epoch-3 (staged)');
    const head = await gw.client.send(new HeadObjectCommand({ Bucket: 'ckpt', Key: 'model.bin', VersionId: c1.id }));
    expect(head).toMatchObject({ VersionId: c1.id, ContentLength: 7 });
    expect(await failure(gw.client.send(new GetObjectCommand({ Bucket: 'ckpt', Key: 'gone.txt', VersionId: c2.id })))).toEqual({ name: 'NoSuchVersion', status: 404 });
    expect(await failure(gw.client.send(new GetObjectCommand({ Bucket: 'ckpt', Key: 'model.bin', VersionId: 'nonsense' })))).toMatchObject({ status: 400 });
    const paged = await gw.client.send(new ListObjectVersionsCommand({ Bucket: 'ckpt', MaxKeys: 2 }));
    // The delete marker and the first version of gone.txt fill the first page.
    expect(paged).toMatchObject({ IsTruncated: true, NextKeyMarker: 'gone.txt', NextVersionIdMarker: c1.id });
    const rest = await gw.client.send(new ListObjectVersionsCommand({ Bucket: 'ckpt', KeyMarker: paged.NextKeyMarker, VersionIdMarker: paged.NextVersionIdMarker }));
    expect(rest.Versions?.map((v) => v.VersionId)).toEqual(['null', c2.id, c1.id]);
    expect(rest.IsTruncated).toBe(false);
  });

  it('deletes the current version (the one before becomes current) and refuses to rewrite history', async () => {
    const versions = await gw.client.send(new ListObjectVersionsCommand({ Bucket: 'ckpt', Prefix: 'model.bin' }));
    const [staged, second, first] = versions.Versions ?? [];
    await gw.client.send(new DeleteObjectCommand({ Bucket: 'ckpt', Key: 'model.bin', VersionId: staged?.VersionId }));
    expect(await text('ckpt', 'model.bin')).toBe('epoch-2');
    expect(await failure(gw.client.send(new DeleteObjectCommand({ Bucket: 'ckpt', Key: 'model.bin', VersionId: first?.VersionId })))).toEqual({ name: 'AccessDenied', status: 403 });
    await gw.client.send(new DeleteObjectCommand({ Bucket: 'ckpt', Key: 'model.bin', VersionId: second?.VersionId }));
    expect(await text('ckpt', 'model.bin')).toBe('epoch-1');
    expect(await failure(gw.client.send(new DeleteObjectCommand({ Bucket: 'ckpt', Key: 'model.bin', VersionId: 'f'.repeat(64) })))).toEqual({ name: 'NoSuchVersion', status: 404 });
  });
});
