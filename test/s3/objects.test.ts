import {
  CopyObjectCommand,
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetBucketLocationCommand,
  GetBucketVersioningCommand,
  GetObjectCommand,
  GetObjectTaggingCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListBucketsCommand,
  PutObjectCommand,
  PutObjectTaggingCommand,
  DeleteObjectTaggingCommand,
} from '@aws-sdk/client-s3';
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ctx } from '../support/core.ts';
import { failure, startGateway, type TestGateway } from '../support/s3.ts';

let gw: TestGateway;
beforeAll(async () => {
  gw = await startGateway();
  await gw.client.send(new CreateBucketCommand({ Bucket: 'data' }));
});
afterAll(async () => {
  await gw.close();
});


const bytes = (n: number, seed = 1): Buffer => {
  const out = Buffer.alloc(n);
  let x = seed;
  for (let i = 0; i < n; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
};
const md5 = (data: Buffer): string => createHash('md5').update(data).digest('hex');

describe('buckets', () => {
  it('creates, lists, heads, locates and reports versioning', async () => {
    await gw.client.send(new CreateBucketCommand({ Bucket: 'scratch' }));
    const list = await gw.client.send(new ListBucketsCommand({}));
    expect(list.Buckets?.map((b) => b.Name)).toEqual(['data', 'scratch']);
    expect((await gw.client.send(new HeadBucketCommand({ Bucket: 'scratch' }))).$metadata.httpStatusCode).toBe(200);
    expect((await gw.client.send(new GetBucketLocationCommand({ Bucket: 'scratch' }))).LocationConstraint).toBeUndefined();
    expect((await gw.client.send(new GetBucketVersioningCommand({ Bucket: 'scratch' }))).Status).toBe('Enabled');
    expect((await gw.core.repositories.get(ctx, 'scratch')).s3Layout).toBe('plain');
  });

  it('answers S3 errors for duplicates, bad names, missing and non-empty buckets', async () => {
    // us-east-1 answers 200 to a repeated CreateBucket of your own; other regions 409.
    expect((await gw.client.send(new CreateBucketCommand({ Bucket: 'data' }))).$metadata.httpStatusCode).toBe(200);
    const { buildS3Server } = await import('../../src/http/s3/server.ts');
    const eu = buildS3Server({ core: gw.core, region: 'eu-west-1', logger: { info: () => undefined, error: () => undefined } });
    await new Promise<void>((resolve) => eu.listen(0, '127.0.0.1', resolve));
    try {
      const euClient = gw.clientWith({});
      const port = (eu.address() as { port: number }).port;
      const { S3Client } = await import('@aws-sdk/client-s3');
      const client = new S3Client({ endpoint: `http://127.0.0.1:${port}`, region: 'eu-west-1', forcePathStyle: true, credentials: { accessKeyId: gw.key.id, secretAccessKey: gw.key.secret }, maxAttempts: 1 });
      expect(await failure(client.send(new CreateBucketCommand({ Bucket: 'data', CreateBucketConfiguration: { LocationConstraint: 'eu-west-1' } })))).toMatchObject({ name: 'BucketAlreadyOwnedByYou', status: 409 });
      client.destroy();
      euClient.destroy();
    } finally {
      eu.closeAllConnections();
      eu.close();
    }
    expect(await failure(gw.client.send(new CreateBucketCommand({ Bucket: 'Bad_Name' })))).toMatchObject({ name: 'InvalidBucketName', status: 400 });
    expect(await failure(gw.client.send(new HeadBucketCommand({ Bucket: 'missing' })))).toMatchObject({ status: 404 });
    expect(await failure(gw.client.send(new GetObjectCommand({ Bucket: 'missing', Key: 'k' })))).toMatchObject({ name: 'NoSuchBucket', status: 404 });
    await gw.client.send(new CreateBucketCommand({ Bucket: 'doomed' }));
    await gw.client.send(new PutObjectCommand({ Bucket: 'doomed', Key: 'x', Body: 'x' }));
    expect(await failure(gw.client.send(new DeleteBucketCommand({ Bucket: 'doomed' })))).toMatchObject({ name: 'BucketNotEmpty', status: 409 });
    await gw.client.send(new DeleteObjectCommand({ Bucket: 'doomed', Key: 'x' }));
    expect((await gw.client.send(new DeleteBucketCommand({ Bucket: 'doomed' }))).$metadata.httpStatusCode).toBe(204);
    expect(await failure(gw.client.send(new HeadBucketCommand({ Bucket: 'doomed' })))).toMatchObject({ status: 404 });
  });
});

describe('put and get', () => {
  const body = bytes(300_000, 7);

  it('round-trips exact bytes with the MD5 ETag, type, user metadata and stored headers', async () => {
    const put = await gw.client.send(
      new PutObjectCommand({
        Bucket: 'data',
        Key: 'dir/file name+ü.bin',
        Body: body,
        ContentType: 'application/x-test',
        Metadata: { origin: 'unit', 'two-words': 'a b' },
        CacheControl: 'max-age=60',
        ContentDisposition: 'attachment; filename="f.bin"',
        ContentEncoding: 'identity',
        ContentLanguage: 'en',
        Expires: new Date('2030-01-01T00:00:00Z'),
      }),
    );
    expect(put.ETag).toBe(`"${md5(body)}"`);
    const got = await gw.client.send(new GetObjectCommand({ Bucket: 'data', Key: 'dir/file name+ü.bin' }));
    expect(Buffer.from(await got.Body?.transformToByteArray() ?? []).equals(body)).toBe(true);
    expect(got).toMatchObject({
      ETag: `"${md5(body)}"`,
      ContentLength: 300_000,
      ContentType: 'application/x-test',
      Metadata: { origin: 'unit', 'two-words': 'a b' },
      CacheControl: 'max-age=60',
      ContentDisposition: 'attachment; filename="f.bin"',
      ContentEncoding: 'identity',
      ContentLanguage: 'en',
      AcceptRanges: 'bytes',
    });
    expect(got.ExpiresString).toBe('Tue, 01 Jan 2030 00:00:00 GMT');
    const head = await gw.client.send(new HeadObjectCommand({ Bucket: 'data', Key: 'dir/file name+ü.bin' }));
    expect(head).toMatchObject({ ContentLength: 300_000, ETag: `"${md5(body)}"`, Metadata: { origin: 'unit', 'two-words': 'a b' } });
  });

  it('verifies Content-MD5 and checksums, and a bad one stores nothing', async () => {
    const good = createHash('md5').update(body).digest('base64');
    await gw.client.send(new PutObjectCommand({ Bucket: 'data', Key: 'md5.bin', Body: body, ContentMD5: good }));
    const wrong = createHash('md5').update('other').digest('base64');
    expect(await failure(gw.client.send(new PutObjectCommand({ Bucket: 'data', Key: 'bad-md5.bin', Body: body, ContentMD5: wrong })))).toMatchObject({ name: 'BadDigest', status: 400 });
    const sha = createHash('sha256').update('other').digest('base64');
    expect(await failure(gw.client.send(new PutObjectCommand({ Bucket: 'data', Key: 'bad-sha.bin', Body: body, ChecksumSHA256: sha })))).toMatchObject({ name: 'BadDigest', status: 400 });
    for (const key of ['bad-md5.bin', 'bad-sha.bin']) {
      expect(await failure(gw.client.send(new HeadObjectCommand({ Bucket: 'data', Key: key })))).toMatchObject({ status: 404 });
    }
    for (const algorithm of ['CRC32', 'CRC32C', 'SHA1', 'SHA256', 'CRC64NVME'] as const) {
      const put = await gw.client.send(new PutObjectCommand({ Bucket: 'data', Key: `sum-${algorithm}.bin`, Body: body, ChecksumAlgorithm: algorithm }));
      const got = await gw.client.send(new GetObjectCommand({ Bucket: 'data', Key: `sum-${algorithm}.bin`, ChecksumMode: 'ENABLED' }));
      expect(Buffer.from(await got.Body?.transformToByteArray() ?? []).equals(body)).toBe(true);
      expect(got[`Checksum${algorithm}`]).toBe(put[`Checksum${algorithm}`]);
      expect(got[`Checksum${algorithm}`]).toMatch(/^[A-Za-z0-9+/]+=*$/);
    }
    const sha256 = createHash('sha256').update(body).digest('base64');
    expect((await gw.client.send(new PutObjectCommand({ Bucket: 'data', Key: 'sha.bin', Body: body, ChecksumSHA256: sha256 }))).ChecksumSHA256).toBe(sha256);
  });

  it('streams a body of unknown length (aws-chunked with a trailing checksum)', async () => {
    async function* stream(): AsyncGenerator<Buffer> {
      await Promise.resolve();
      for (let i = 0; i < 5; i++) yield body.subarray(i * 60_000, (i + 1) * 60_000);
    }
    const { Readable } = await import('node:stream');
    await gw.client.send(new PutObjectCommand({ Bucket: 'data', Key: 'streamed.bin', Body: Readable.from(stream()), ContentLength: body.length }));
    const got = await gw.client.send(new GetObjectCommand({ Bucket: 'data', Key: 'streamed.bin' }));
    expect(Buffer.from(await got.Body?.transformToByteArray() ?? []).equals(body)).toBe(true);
  });

  it('serves single, open-ended and suffix ranges and refuses unsatisfiable ones with 416', async () => {
    const range = async (value: string) => {
      const got = await gw.client.send(new GetObjectCommand({ Bucket: 'data', Key: 'md5.bin', Range: value }));
      return { bytes: Buffer.from(await got.Body?.transformToByteArray() ?? []), contentRange: got.ContentRange, status: got.$metadata.httpStatusCode };
    };
    expect(await range('bytes=10-19')).toEqual({ bytes: body.subarray(10, 20), contentRange: 'bytes 10-19/300000', status: 206 });
    expect(await range('bytes=299990-')).toEqual({ bytes: body.subarray(299_990), contentRange: 'bytes 299990-299999/300000', status: 206 });
    expect(await range('bytes=-5')).toEqual({ bytes: body.subarray(299_995), contentRange: 'bytes 299995-299999/300000', status: 206 });
    expect(await failure(gw.client.send(new GetObjectCommand({ Bucket: 'data', Key: 'md5.bin', Range: 'bytes=300000-' })))).toMatchObject({ name: 'InvalidRange', status: 416 });
  });

  it('applies conditional reads with S3 precedence', async () => {
    const head = await gw.client.send(new HeadObjectCommand({ Bucket: 'data', Key: 'md5.bin' }));
    const etag = head.ETag ?? '';
    const past = new Date(Date.now() - 3_600_000);
    const future = new Date(Date.now() + 3_600_000);
    // Reads the body, so that no response is left streaming when the test ends.
    const get = async (input: Partial<ConstructorParameters<typeof GetObjectCommand>[0]>) => {
      const got = await gw.client.send(new GetObjectCommand({ Bucket: 'data', Key: 'md5.bin', ...input }));
      await got.Body?.transformToByteArray();
      return got;
    };
    expect((await get({ IfMatch: etag })).$metadata.httpStatusCode).toBe(200);
    expect(await failure(get({ IfMatch: '"0000"' }))).toMatchObject({ name: 'PreconditionFailed', status: 412 });
    expect(await failure(get({ IfNoneMatch: etag }))).toMatchObject({ status: 304 });
    expect((await get({ IfNoneMatch: '"0000"' })).$metadata.httpStatusCode).toBe(200);
    expect(await failure(get({ IfModifiedSince: future }))).toMatchObject({ status: 304 });
    expect((await get({ IfModifiedSince: past })).$metadata.httpStatusCode).toBe(200);
    expect(await failure(get({ IfUnmodifiedSince: past }))).toMatchObject({ name: 'PreconditionFailed', status: 412 });
    // If-Match that holds wins over a failing If-Unmodified-Since; If-None-Match over If-Modified-Since.
    expect((await get({ IfMatch: etag, IfUnmodifiedSince: past })).$metadata.httpStatusCode).toBe(200);
    expect((await get({ IfNoneMatch: '"0000"', IfModifiedSince: future })).$metadata.httpStatusCode).toBe(200);
  });

  it('overrides response headers with response-* parameters', async () => {
    const got = await gw.client.send(
      new GetObjectCommand({ Bucket: 'data', Key: 'md5.bin', ResponseContentType: 'text/csv', ResponseContentDisposition: 'inline', ResponseCacheControl: 'no-store' }),
    );
    expect(got).toMatchObject({ ContentType: 'text/csv', ContentDisposition: 'inline', CacheControl: 'no-store' });
    expect((await got.Body?.transformToByteArray())?.length).toBe(300_000);
  });

  it('writes conditionally with If-None-Match: * and If-Match', async () => {
    await gw.client.send(new PutObjectCommand({ Bucket: 'data', Key: 'once.txt', Body: 'first', IfNoneMatch: '*' }));
    expect(await failure(gw.client.send(new PutObjectCommand({ Bucket: 'data', Key: 'once.txt', Body: 'second', IfNoneMatch: '*' })))).toMatchObject({ name: 'PreconditionFailed', status: 412 });
    expect(await failure(gw.client.send(new PutObjectCommand({ Bucket: 'data', Key: 'once.txt', Body: 'second', IfMatch: '"0000"' })))).toMatchObject({ name: 'PreconditionFailed', status: 412 });
    await gw.client.send(new PutObjectCommand({ Bucket: 'data', Key: 'once.txt', Body: 'second', IfMatch: `"${md5(Buffer.from('first'))}"` }));
    const got = await gw.client.send(new GetObjectCommand({ Bucket: 'data', Key: 'once.txt' }));
    expect(await got.Body?.transformToString()).toBe('second');
  });

  it('answers NoSuchKey for a missing key, with the XML error fields', async () => {
    const response = await fetch(`${gw.endpoint}/data/missing.txt`);
    expect(response.status).toBe(403);
    expect(await failure(gw.client.send(new GetObjectCommand({ Bucket: 'data', Key: 'missing.txt' })))).toMatchObject({ name: 'NoSuchKey', status: 404 });
  });
});

describe('copy, delete and tagging', () => {
  it('copies zero-copy within and across buckets, with COPY and REPLACE metadata', async () => {
    await gw.client.send(new CreateBucketCommand({ Bucket: 'other' }));
    await gw.client.send(new PutObjectCommand({ Bucket: 'data', Key: 'src.txt', Body: 'source bytes', ContentType: 'text/plain', Metadata: { a: '1' } }));
    const copied = await gw.client.send(new CopyObjectCommand({ Bucket: 'other', Key: 'dst.txt', CopySource: 'data/src.txt' }));
    expect(copied.CopyObjectResult?.ETag).toBe(`"${md5(Buffer.from('source bytes'))}"`);
    const same = await gw.client.send(new HeadObjectCommand({ Bucket: 'other', Key: 'dst.txt' }));
    expect(same).toMatchObject({ ContentType: 'text/plain', Metadata: { a: '1' } });
    await gw.client.send(new CopyObjectCommand({ Bucket: 'data', Key: 'src.txt', CopySource: 'data/src.txt', MetadataDirective: 'REPLACE', ContentType: 'text/csv', Metadata: { b: '2' } }));
    const replaced = await gw.client.send(new HeadObjectCommand({ Bucket: 'data', Key: 'src.txt' }));
    expect(replaced).toMatchObject({ ContentType: 'text/csv', Metadata: { b: '2' } });
    expect(await failure(gw.client.send(new CopyObjectCommand({ Bucket: 'data', Key: 'src.txt', CopySource: 'data/src.txt' })))).toMatchObject({ name: 'InvalidRequest', status: 400 });
    expect(await failure(gw.client.send(new CopyObjectCommand({ Bucket: 'data', Key: 'c2.txt', CopySource: 'data/src.txt', CopySourceIfMatch: '"0000"' })))).toMatchObject({
      name: 'PreconditionFailed',
      status: 412,
    });
    expect(await failure(gw.client.send(new CopyObjectCommand({ Bucket: 'data', Key: 'c3.txt', CopySource: 'data/none.txt' })))).toMatchObject({ name: 'NoSuchKey', status: 404 });
    const staged = await gw.core.objects.stat(ctx, { repository: 'other', ref: 'main', path: 'dst.txt' });
    const source = await gw.core.objects.stat(ctx, { repository: 'data', ref: 'main', path: 'src.txt' });
    expect(staged.sha256).toBe(source.sha256);
  });

  it('deletes one key (absent keys too) and many keys, verbose and quiet', async () => {
    for (const key of ['d/1', 'd/2', 'd/3']) await gw.client.send(new PutObjectCommand({ Bucket: 'data', Key: key, Body: key }));
    expect((await gw.client.send(new DeleteObjectCommand({ Bucket: 'data', Key: 'd/1' }))).$metadata.httpStatusCode).toBe(204);
    expect((await gw.client.send(new DeleteObjectCommand({ Bucket: 'data', Key: 'd/never' }))).$metadata.httpStatusCode).toBe(204);
    const verbose = await gw.client.send(new DeleteObjectsCommand({ Bucket: 'data', Delete: { Objects: [{ Key: 'd/2' }, { Key: 'd/none' }] } }));
    expect(verbose.Deleted?.map((d) => d.Key)).toEqual(['d/2', 'd/none']);
    expect(verbose.Errors).toBeUndefined();
    const quiet = await gw.client.send(new DeleteObjectsCommand({ Bucket: 'data', Delete: { Objects: [{ Key: 'd/3' }], Quiet: true } }));
    expect(quiet.Deleted).toBeUndefined();
    expect(await failure(gw.client.send(new HeadObjectCommand({ Bucket: 'data', Key: 'd/3' })))).toMatchObject({ status: 404 });
  });

  it('puts, gets and deletes object tags, and takes tags on upload', async () => {
    await gw.client.send(new PutObjectCommand({ Bucket: 'data', Key: 'tagged.txt', Body: 't', Tagging: 'team=ml&stage=raw%20data' }));
    expect((await gw.client.send(new GetObjectTaggingCommand({ Bucket: 'data', Key: 'tagged.txt' }))).TagSet).toEqual([
      { Key: 'stage', Value: 'raw data' },
      { Key: 'team', Value: 'ml' },
    ]);
    expect((await gw.client.send(new HeadObjectCommand({ Bucket: 'data', Key: 'tagged.txt' }))).$metadata.httpStatusCode).toBe(200);
    await gw.client.send(new PutObjectTaggingCommand({ Bucket: 'data', Key: 'tagged.txt', Tagging: { TagSet: [{ Key: 'pii', Value: 'no' }] } }));
    expect((await gw.client.send(new GetObjectTaggingCommand({ Bucket: 'data', Key: 'tagged.txt' }))).TagSet).toEqual([{ Key: 'pii', Value: 'no' }]);
    await gw.client.send(new DeleteObjectTaggingCommand({ Bucket: 'data', Key: 'tagged.txt' }));
    expect((await gw.client.send(new GetObjectTaggingCommand({ Bucket: 'data', Key: 'tagged.txt' }))).TagSet).toEqual([]);
    const tooMany = Array.from({ length: 11 }, (_, i) => ({ Key: `k${i}`, Value: 'v' }));
    expect(await failure(gw.client.send(new PutObjectTaggingCommand({ Bucket: 'data', Key: 'tagged.txt', Tagging: { TagSet: tooMany } })))).toMatchObject({ status: 400 });
    expect(await failure(gw.client.send(new GetObjectTaggingCommand({ Bucket: 'data', Key: 'none.txt' })))).toMatchObject({ name: 'NoSuchKey', status: 404 });
  });
});
