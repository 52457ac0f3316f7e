import { CreateBucketCommand, GetObjectCommand, HeadObjectCommand, ListObjectVersionsCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ctx } from '../support/core.ts';
import { failure, startGateway, type TestGateway } from '../support/s3.ts';

/** What an S3 client sees of versions garbage collection took: NoSuchVersion / NoSuchKey, never bytes. */
let gw: TestGateway;
beforeAll(async () => {
  gw = await startGateway();
});
afterAll(async () => {
  await gw.close();
});

it('answers NoSuchVersion and NoSuchKey for a collected version, and lists only kept versions', async () => {
  await gw.client.send(new CreateBucketCommand({ Bucket: 'ckpt' }));
  await gw.client.send(new PutObjectCommand({ Bucket: 'ckpt', Key: 'model.bin', Body: 'epoch-1' }));
  const c1 = await gw.core.commits.commit(ctx, { repository: 'ckpt', branch: 'main', message: 'epoch 1' });
  await gw.client.send(new PutObjectCommand({ Bucket: 'ckpt', Key: 'model.bin', Body: 'epoch-2' }));
  const c2 = await gw.core.commits.commit(ctx, { repository: 'ckpt', branch: 'main', message: 'epoch 2' });
  // Before the collection the old version reads back.
  expect(await (await gw.client.send(new GetObjectCommand({ Bucket: 'ckpt', Key: 'model.bin', VersionId: c1.id }))).Body?.transformToString()).toBe('epoch-1');
  await gw.core.repositories.update(ctx, 'ckpt', { retention: { days: 0, branches: [], lifecycle: [], staleBranches: [] } });
  await new Promise((resolve) => setTimeout(resolve, 60));
  const report = await gw.core.gc.collect(ctx, { graceMs: 0 });
  expect(report.commits.expired).toBe(2);
  expect(await failure(gw.client.send(new GetObjectCommand({ Bucket: 'ckpt', Key: 'model.bin', VersionId: c1.id })))).toEqual({ name: 'NoSuchVersion', status: 404 });
  expect(await failure(gw.client.send(new HeadObjectCommand({ Bucket: 'ckpt', Key: 'model.bin', VersionId: c1.id })))).toEqual({ name: 'NotFound', status: 404 });
  // In the ref layout a commit id is a key prefix: the collected version is no key at all.
  await gw.core.repositories.update(ctx, 'ckpt', { s3Layout: 'ref' });
  expect(await failure(gw.client.send(new GetObjectCommand({ Bucket: 'ckpt', Key: `${c1.id}/model.bin` })))).toEqual({ name: 'NoSuchKey', status: 404 });
  expect(await (await gw.client.send(new GetObjectCommand({ Bucket: 'ckpt', Key: `${c2.id}/model.bin` }))).Body?.transformToString()).toBe('epoch-2');
  await gw.core.repositories.update(ctx, 'ckpt', { s3Layout: 'plain' });
  const listing = await gw.client.send(new ListObjectVersionsCommand({ Bucket: 'ckpt' }));
  expect(listing.Versions?.map((v) => [v.Key, v.VersionId, v.IsLatest])).toEqual([['model.bin', c2.id, true]]);
  expect(await (await gw.client.send(new GetObjectCommand({ Bucket: 'ckpt', Key: 'model.bin', VersionId: c2.id }))).Body?.transformToString()).toBe('epoch-2');
});
