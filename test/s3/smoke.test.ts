import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { expect, it } from 'vitest';
import { startGateway } from '../support/s3.ts';

it('smoke', async () => {
  const gw = await startGateway();
  try {
    await gw.client.send(new CreateBucketCommand({ Bucket: 'data' }));
    const put = await gw.client.send(new PutObjectCommand({ Bucket: 'data', Key: 'a/b.txt', Body: 'hello' }));
    console.log(put.ETag, put.ChecksumCRC32);
    const got = await gw.client.send(new GetObjectCommand({ Bucket: 'data', Key: 'a/b.txt' }));
    expect(await got.Body?.transformToString()).toBe('hello');
    const list = await gw.client.send(new ListObjectsV2Command({ Bucket: 'data' }));
    console.log(JSON.stringify(list.Contents));
  } finally {
    await gw.close();
  }
});
