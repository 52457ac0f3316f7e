import {
  CompleteMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  ListBucketsCommand,
  ListObjectsCommand,
  PutBucketVersioningCommand,
  PutObjectCommand,
  UploadPartCommand,
  UploadPartCopyCommand,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { failure, rawRequest, startGateway, type TestGateway } from '../support/s3.ts';

let gw: TestGateway;
beforeAll(async () => {
  gw = await startGateway();
  for (const Bucket of ['aws-a1', 'aws-a2', 'aws-b1', 'aws-b2', 'aws-b3']) await gw.client.send(new CreateBucketCommand({ Bucket }));
});
afterAll(async () => {
  await gw.close();
});

const text = async (Bucket: string, Key: string): Promise<string> => (await (await gw.client.send(new GetObjectCommand({ Bucket, Key }))).Body?.transformToString()) ?? '';

describe('buckets', () => {
  it('pages ListBuckets by max-buckets and continuation-token, filtered by prefix', async () => {
    const first = await gw.client.send(new ListBucketsCommand({ MaxBuckets: 2, Prefix: 'aws-b' }));
    expect(first.Buckets?.map((b) => b.Name)).toEqual(['aws-b1', 'aws-b2']);
    expect(first.Prefix).toBe('aws-b');
    expect(first.ContinuationToken).toBeDefined();
    const second = await gw.client.send(new ListBucketsCommand({ MaxBuckets: 2, Prefix: 'aws-b', ContinuationToken: first.ContinuationToken }));
    expect(second.Buckets?.map((b) => b.Name)).toEqual(['aws-b3']);
    expect(second.ContinuationToken).toBeUndefined();
    expect((await gw.client.send(new ListBucketsCommand({}))).Buckets?.map((b) => b.Name)).toEqual(['aws-a1', 'aws-a2', 'aws-b1', 'aws-b2', 'aws-b3']);
    expect((await rawRequest(gw, { method: 'GET', path: '/?max-buckets=0' })).text).toContain('<Code>InvalidArgument</Code>');
  });

  it('answers 200 to a CreateBucket repeated by its owner in us-east-1', async () => {
    const again = await gw.client.send(new CreateBucketCommand({ Bucket: 'aws-a1' }));
    expect(again.$metadata.httpStatusCode).toBe(200);
  });

  it('accepts versioning Enabled and refuses Suspended with the reason', async () => {
    const enabled = await gw.client.send(new PutBucketVersioningCommand({ Bucket: 'aws-a1', VersioningConfiguration: { Status: 'Enabled' } }));
    expect(enabled.$metadata.httpStatusCode).toBe(200);
    expect(await failure(gw.client.send(new PutBucketVersioningCommand({ Bucket: 'aws-a1', VersioningConfiguration: { Status: 'Suspended' } })))).toEqual({ name: 'InvalidRequest', status: 400 });
    const refused = await rawRequest(gw, { method: 'PUT', path: '/aws-a1?versioning', body: '<VersioningConfiguration><Status>Suspended</Status></VersioningConfiguration>' });
    expect(refused.text).toContain('every commit is a version');
  });

  it('leaves the top-level Prefix of ListObjects v1 as sent with encoding-type=url', async () => {
    await gw.client.send(new PutObjectCommand({ Bucket: 'aws-a2', Key: 'dir with space/a b.txt', Body: 'x' }));
    const v1 = await rawRequest(gw, { method: 'GET', path: '/aws-a2?prefix=dir%20with&encoding-type=url' });
    expect(v1.text).toContain('<Prefix>dir with</Prefix>');
    expect(v1.text).toContain('<Key>dir%20with%20space/a%20b.txt</Key>');
    const v2 = await rawRequest(gw, { method: 'GET', path: '/aws-a2?list-type=2&prefix=dir%20with&encoding-type=url' });
    expect(v2.text).toContain('<Prefix>dir%20with</Prefix>');
    const sdk = await gw.client.send(new ListObjectsCommand({ Bucket: 'aws-a2', Prefix: 'dir with', EncodingType: 'url' }));
    expect(sdk.Prefix).toBe('dir with');
    // (the JS SDK, unlike botocore, leaves keys encoded for the caller to decode)
    expect(sdk.Contents?.map((c) => decodeURIComponent(c.Key ?? ''))).toEqual(['dir with space/a b.txt']);
  });
});

describe('conditional writes', () => {
  it('If-Match: * overwrites an existing object and fails on a missing one', async () => {
    await gw.client.send(new PutObjectCommand({ Bucket: 'aws-a2', Key: 'cond.txt', Body: 'one' }));
    await gw.client.send(new PutObjectCommand({ Bucket: 'aws-a2', Key: 'cond.txt', Body: 'two', IfMatch: '*' }));
    expect(await text('aws-a2', 'cond.txt')).toBe('two');
    expect(await failure(gw.client.send(new PutObjectCommand({ Bucket: 'aws-a2', Key: 'missing.txt', Body: 'x', IfMatch: '*' })))).toEqual({ name: 'NoSuchKey', status: 404 });
  });

  it('If-Match with a list of ETags writes when one matches; If-None-Match with an ETag is NotImplemented, as in AWS', async () => {
    const put = await gw.client.send(new PutObjectCommand({ Bucket: 'aws-a2', Key: 'list.txt', Body: 'one' }));
    await gw.client.send(new PutObjectCommand({ Bucket: 'aws-a2', Key: 'list.txt', Body: 'two', IfMatch: `"00000000000000000000000000000000", ${put.ETag ?? ''}` }));
    expect(await text('aws-a2', 'list.txt')).toBe('two');
    expect(await failure(gw.client.send(new PutObjectCommand({ Bucket: 'aws-a2', Key: 'list.txt', Body: 'three', IfMatch: put.ETag })))).toEqual({ name: 'PreconditionFailed', status: 412 });
    expect(await failure(gw.client.send(new PutObjectCommand({ Bucket: 'aws-a2', Key: 'list.txt', Body: 'three', IfNoneMatch: put.ETag })))).toEqual({ name: 'NotImplemented', status: 501 });
    expect(await text('aws-a2', 'list.txt')).toBe('two');
  });

  it('CompleteMultipartUpload honours If-None-Match: * and If-Match', async () => {
    const upload = async (Key: string, body: string) => {
      const created = await gw.client.send(new CreateMultipartUploadCommand({ Bucket: 'aws-a2', Key }));
      const part = await gw.client.send(new UploadPartCommand({ Bucket: 'aws-a2', Key, UploadId: created.UploadId, PartNumber: 1, Body: body }));
      return { UploadId: created.UploadId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: part.ETag }] } };
    };
    await gw.client.send(new PutObjectCommand({ Bucket: 'aws-a2', Key: 'mp.txt', Body: 'existing' }));
    const blocked = await upload('mp.txt', 'multipart');
    expect(await failure(gw.client.send(new CompleteMultipartUploadCommand({ Bucket: 'aws-a2', Key: 'mp.txt', ...blocked, IfNoneMatch: '*' })))).toEqual({ name: 'PreconditionFailed', status: 412 });
    expect(await text('aws-a2', 'mp.txt')).toBe('existing');
    const done = await gw.client.send(new CompleteMultipartUploadCommand({ Bucket: 'aws-a2', Key: 'mp.txt', ...blocked, IfMatch: '*' }));
    expect(await text('aws-a2', 'mp.txt')).toBe('multipart');
    // Completing the same upload again with the same parts answers 200 and the same ETag.
    const again = await gw.client.send(new CompleteMultipartUploadCommand({ Bucket: 'aws-a2', Key: 'mp.txt', ...blocked }));
    expect(again.ETag).toBe(done.ETag);
    const other = await upload('mp2.txt', 'other');
    expect(await failure(gw.client.send(new CompleteMultipartUploadCommand({ Bucket: 'aws-a2', Key: 'mp.txt', UploadId: other.UploadId, MultipartUpload: other.MultipartUpload })))).toEqual({ name: 'NoSuchUpload', status: 404 });
  });
});

describe('UploadPartCopy', () => {
  it('answers InvalidRange for a range beyond the source, InvalidArgument for a malformed one', async () => {
    await gw.client.send(new PutObjectCommand({ Bucket: 'aws-b1', Key: 'src.bin', Body: '0123456789' }));
    const created = await gw.client.send(new CreateMultipartUploadCommand({ Bucket: 'aws-b1', Key: 'dst.bin' }));
    const copy = (CopySourceRange: string) => gw.client.send(new UploadPartCopyCommand({ Bucket: 'aws-b1', Key: 'dst.bin', UploadId: created.UploadId, PartNumber: 1, CopySource: 'aws-b1/src.bin', CopySourceRange }));
    expect(await failure(copy('bytes=5-10'))).toEqual({ name: 'InvalidRange', status: 416 });
    expect(await failure(copy('bytes=7-3'))).toEqual({ name: 'InvalidArgument', status: 400 });
    const ok = await copy('bytes=2-5');
    await gw.client.send(new CompleteMultipartUploadCommand({ Bucket: 'aws-b1', Key: 'dst.bin', UploadId: created.UploadId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: ok.CopyPartResult?.ETag }] } }));
    expect(await text('aws-b1', 'dst.bin')).toBe('2345');
  });
});
