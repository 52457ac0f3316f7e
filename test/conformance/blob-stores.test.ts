import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { FsBlobStore } from '../../src/adapters/blob/fs/fs-blob-store.ts';
import { MemoryBlobStore } from '../../src/adapters/blob/memory/memory-blob-store.ts';
import { S3BlobStore } from '../../src/adapters/blob/s3/s3-blob-store.ts';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { startGateway, type TestGateway } from '../support/s3.ts';
import { blobStoreConformance } from './blob-store-suite.ts';

const roots: string[] = [];
afterAll(async () => {
  await Promise.all(roots.map((root) => rm(root, { recursive: true, force: true })));
});

blobStoreConformance('fs', async () => {
  const root = await mkdtemp(join(tmpdir(), 'strata-blobs-'));
  roots.push(root);
  return FsBlobStore.open({ root });
});

blobStoreConformance('memory', () => Promise.resolve(new MemoryBlobStore()));

// The S3 adapter, against a Strata S3 gateway started here (plain-layout bucket, real SigV4).
let gateway: TestGateway | undefined;
afterAll(async () => {
  await gateway?.close();
});
let bucketCount = 0;
blobStoreConformance('s3 (against the Strata gateway)', async () => {
  gateway ??= await startGateway();
  const bucket = `blobs-${++bucketCount}`;
  await gateway.client.send(new CreateBucketCommand({ Bucket: bucket }));
  return new S3BlobStore({
    bucket,
    prefix: 'strata/objects',
    endpoint: gateway.endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: gateway.key.id, secretAccessKey: gateway.key.secret },
  });
});
