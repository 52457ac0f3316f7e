import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListPartsCommand,
  PutObjectCommand,
  UploadPartCommand,
  UploadPartCopyCommand,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Readable } from 'node:stream';
import { ctx, DIALECTS } from '../support/core.ts';
import { failure, startGateway, type TestGateway } from '../support/s3.ts';

let gw: TestGateway;
const MiB = 1024 * 1024;

beforeAll(async () => {
  gw = await startGateway();
  await gw.client.send(new CreateBucketCommand({ Bucket: 'mpu' }));
});
afterAll(async () => {
  await gw.close();
});

function pattern(size: number, seed: number): Buffer {
  const out = Buffer.alloc(size);
  let x = seed;
  for (let i = 0; i < size; i += 4) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    out.writeUInt32LE(x, Math.min(i, size - 4));
  }
  return out;
}
const md5 = (data: Buffer): Buffer => createHash('md5').update(data).digest();


describe('multipart uploads', () => {
  it('lib-storage Upload: exact bytes, md5-of-part-md5s-N ETag, parts addressable by partNumber, no byte copied', async () => {
    const body = pattern(12 * MiB + 12_345, 3);
    const upload = new Upload({ client: gw.client, params: { Bucket: 'mpu', Key: 'big/model.bin', Body: body, ContentType: 'application/x-model', Metadata: { run: '7' } }, partSize: 5 * MiB, queueSize: 2 });
    const done = await upload.done();
    const parts = [body.subarray(0, 5 * MiB), body.subarray(5 * MiB, 10 * MiB), body.subarray(10 * MiB)];
    const expectedEtag = `"${createHash('md5').update(Buffer.concat(parts.map(md5))).digest('hex')}-3"`;
    expect(done.ETag).toBe(expectedEtag);
    const got = await gw.client.send(new GetObjectCommand({ Bucket: 'mpu', Key: 'big/model.bin' }));
    expect(got).toMatchObject({ ETag: expectedEtag, ContentLength: body.length, ContentType: 'application/x-model', Metadata: { run: '7' } });
    expect(Buffer.from(await got.Body?.transformToByteArray() ?? []).equals(body)).toBe(true);
    const second = await gw.client.send(new GetObjectCommand({ Bucket: 'mpu', Key: 'big/model.bin', PartNumber: 2 }));
    expect(second).toMatchObject({ PartsCount: 3, ContentLength: 5 * MiB, ContentRange: `bytes ${5 * MiB}-${10 * MiB - 1}/${body.length}` });
    expect(Buffer.from(await second.Body?.transformToByteArray() ?? []).equals(parts[1] ?? Buffer.alloc(0))).toBe(true);
    expect(await failure(gw.client.send(new HeadObjectCommand({ Bucket: 'mpu', Key: 'big/model.bin', PartNumber: 4 })))).toMatchObject({ status: 416 });
    const info = await gw.core.objects.stat(ctx, { repository: 'mpu', ref: 'main', path: 'big/model.bin' });
    expect(info.sha256).toBe(createHash('sha256').update(body).digest('hex'));
    expect(info.md5).toBe(createHash('md5').update(body).digest('hex'));
    expect(info.partSizes).toEqual([5 * MiB, 5 * MiB, 12_345 + 2 * MiB]);
    expect((await gw.client.send(new ListMultipartUploadsCommand({ Bucket: 'mpu' }))).Uploads).toBeUndefined();
  });

  it('checks part order, part ETags and the minimum part size; lists parts and uploads; aborts', async () => {
    const { UploadId } = await gw.client.send(new CreateMultipartUploadCommand({ Bucket: 'mpu', Key: 'manual.bin', Tagging: 'kind=manual' }));
    const small = pattern(1000, 5);
    const big = pattern(5 * MiB, 6);
    const p1 = await gw.client.send(new UploadPartCommand({ Bucket: 'mpu', Key: 'manual.bin', UploadId, PartNumber: 1, Body: big }));
    const p2 = await gw.client.send(new UploadPartCommand({ Bucket: 'mpu', Key: 'manual.bin', UploadId, PartNumber: 2, Body: small }));
    const p3 = await gw.client.send(new UploadPartCommand({ Bucket: 'mpu', Key: 'manual.bin', UploadId, PartNumber: 3, Body: small }));
    expect(p2.ETag).toBe(`"${md5(small).toString('hex')}"`);
    const parts = await gw.client.send(new ListPartsCommand({ Bucket: 'mpu', Key: 'manual.bin', UploadId }));
    expect(parts.Parts?.map((p) => [p.PartNumber, p.Size, p.ETag])).toEqual([
      [1, 5 * MiB, p1.ETag],
      [2, 1000, p2.ETag],
      [3, 1000, p3.ETag],
    ]);
    const paged = await gw.client.send(new ListPartsCommand({ Bucket: 'mpu', Key: 'manual.bin', UploadId, MaxParts: 2 }));
    expect(paged).toMatchObject({ IsTruncated: true, NextPartNumberMarker: '2' });
    const uploads = await gw.client.send(new ListMultipartUploadsCommand({ Bucket: 'mpu' }));
    expect(uploads.Uploads?.map((u) => [u.Key, u.UploadId])).toEqual([['manual.bin', UploadId]]);
    const complete = (list: { PartNumber: number; ETag?: string }[]) =>
      gw.client.send(new CompleteMultipartUploadCommand({ Bucket: 'mpu', Key: 'manual.bin', UploadId, MultipartUpload: { Parts: list } }));
    expect(await failure(complete([{ PartNumber: 2, ETag: p2.ETag }, { PartNumber: 1, ETag: p1.ETag }]))).toEqual({ name: 'InvalidPartOrder', status: 400 });
    expect(await failure(complete([{ PartNumber: 1, ETag: '"00000000000000000000000000000000"' }]))).toEqual({ name: 'InvalidPart', status: 400 });
    expect(await failure(complete([{ PartNumber: 1, ETag: p1.ETag }, { PartNumber: 4, ETag: p2.ETag }]))).toEqual({ name: 'InvalidPart', status: 400 });
    expect(await failure(complete([{ PartNumber: 2, ETag: p2.ETag }, { PartNumber: 3, ETag: p3.ETag }]))).toEqual({ name: 'EntityTooSmall', status: 400 });
    expect(await failure(gw.client.send(new HeadObjectCommand({ Bucket: 'mpu', Key: 'manual.bin' })))).toMatchObject({ status: 404 });
    const done = await complete([{ PartNumber: 1, ETag: p1.ETag }, { PartNumber: 3, ETag: p3.ETag }]);
    expect(done.ETag).toBe(`"${createHash('md5').update(Buffer.concat([md5(big), md5(small)])).digest('hex')}-2"`);
    const got = await gw.client.send(new GetObjectCommand({ Bucket: 'mpu', Key: 'manual.bin' }));
    expect(Buffer.from(await got.Body?.transformToByteArray() ?? []).equals(Buffer.concat([big, small]))).toBe(true);
    expect(got.TagCount).toBe(1);
    expect(await failure(complete([{ PartNumber: 1, ETag: p1.ETag }]))).toEqual({ name: 'NoSuchUpload', status: 404 });

    const aborted = await gw.client.send(new CreateMultipartUploadCommand({ Bucket: 'mpu', Key: 'aborted.bin' }));
    await gw.client.send(new UploadPartCommand({ Bucket: 'mpu', Key: 'aborted.bin', UploadId: aborted.UploadId, PartNumber: 1, Body: small }));
    await gw.client.send(new AbortMultipartUploadCommand({ Bucket: 'mpu', Key: 'aborted.bin', UploadId: aborted.UploadId }));
    expect(await failure(gw.client.send(new ListPartsCommand({ Bucket: 'mpu', Key: 'aborted.bin', UploadId: aborted.UploadId })))).toEqual({ name: 'NoSuchUpload', status: 404 });
    expect(await failure(gw.client.send(new UploadPartCommand({ Bucket: 'mpu', Key: 'aborted.bin', UploadId: 'nope', PartNumber: 1, Body: small })))).toEqual({ name: 'NoSuchUpload', status: 404 });
    expect(await failure(gw.client.send(new UploadPartCommand({ Bucket: 'mpu', Key: 'manual.bin', UploadId, PartNumber: 10_001, Body: small })))).toMatchObject({ status: 400 });
  });

  it('UploadPartCopy: whole objects and byte ranges', async () => {
    const source = pattern(6 * MiB, 9);
    await gw.client.send(new PutObjectCommand({ Bucket: 'mpu', Key: 'source.bin', Body: source }));
    const { UploadId } = await gw.client.send(new CreateMultipartUploadCommand({ Bucket: 'mpu', Key: 'copied.bin' }));
    const whole = await gw.client.send(new UploadPartCopyCommand({ Bucket: 'mpu', Key: 'copied.bin', UploadId, PartNumber: 1, CopySource: 'mpu/source.bin' }));
    const ranged = await gw.client.send(new UploadPartCopyCommand({ Bucket: 'mpu', Key: 'copied.bin', UploadId, PartNumber: 2, CopySource: 'mpu/source.bin', CopySourceRange: 'bytes=100-199' }));
    expect(ranged.CopyPartResult?.ETag).toBe(`"${md5(source.subarray(100, 200)).toString('hex')}"`);
    expect(await failure(gw.client.send(new UploadPartCopyCommand({ Bucket: 'mpu', Key: 'copied.bin', UploadId, PartNumber: 3, CopySource: 'mpu/source.bin', CopySourceRange: 'bytes=0-99999999' })))).toEqual({ name: 'InvalidRange', status: 416 });
    await gw.client.send(
      new CompleteMultipartUploadCommand({
        Bucket: 'mpu',
        Key: 'copied.bin',
        UploadId,
        MultipartUpload: { Parts: [{ PartNumber: 1, ETag: whole.CopyPartResult?.ETag }, { PartNumber: 2, ETag: ranged.CopyPartResult?.ETag }] },
      }),
    );
    const got = await gw.client.send(new GetObjectCommand({ Bucket: 'mpu', Key: 'copied.bin' }));
    expect(Buffer.from(await got.Body?.transformToByteArray() ?? []).equals(Buffer.concat([source, source.subarray(100, 200)]))).toBe(true);
  });
});

describe.each(DIALECTS)('a part uploaded twice on %s', (dialect) => {
  let twice: TestGateway;
  beforeAll(async () => {
    twice = await startGateway(dialect);
    await twice.client.send(new CreateBucketCommand({ Bucket: 'race' }));
  });
  afterAll(async () => {
    await twice.close();
  });

  it('completes with the part the client listed when the first upload of it finishes last', async () => {
    const { UploadId } = await twice.client.send(new CreateMultipartUploadCommand({ Bucket: 'race', Key: 'retried.bin' }));
    const slowBytes = pattern(200_000, 1);
    const fastBytes = pattern(200_000, 2);
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    async function* stalled(): AsyncGenerator<Buffer> {
      yield slowBytes.subarray(0, 100_000);
      await gate;
      yield slowBytes.subarray(100_000);
    }
    const part = { Bucket: 'race', Key: 'retried.bin', UploadId, PartNumber: 1 };
    // The client's first attempt stalls (it will time out on its side); its retry succeeds at once.
    const slow = twice.client.send(new UploadPartCommand({ ...part, Body: Readable.from(stalled()), ContentLength: slowBytes.length }));
    const fast = await twice.client.send(new UploadPartCommand({ ...part, Body: fastBytes }));
    release();
    const late = await slow;
    expect([fast.ETag, late.ETag]).toEqual([`"${md5(fastBytes).toString('hex')}"`, `"${md5(slowBytes).toString('hex')}"`]);
    // ListParts shows the upload that finished last, as S3 does.
    expect((await twice.client.send(new ListPartsCommand({ Bucket: 'race', Key: 'retried.bin', UploadId }))).Parts?.map((p) => [p.PartNumber, p.ETag])).toEqual([[1, late.ETag]]);
    const done = await twice.client.send(new CompleteMultipartUploadCommand({ Bucket: 'race', Key: 'retried.bin', UploadId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: fast.ETag }] } }));
    expect(done.ETag).toBe(`"${createHash('md5').update(md5(fastBytes)).digest('hex')}-1"`);
    const got = await twice.client.send(new GetObjectCommand({ Bucket: 'race', Key: 'retried.bin' }));
    expect(Buffer.from((await got.Body?.transformToByteArray()) ?? []).equals(fastBytes)).toBe(true);
  });
});
