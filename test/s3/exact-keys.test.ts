import {
  CompleteMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  GetObjectTaggingCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  PutObjectTaggingCommand,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawRequest, startGateway, type TestGateway } from '../support/s3.ts';

// Keys are byte-exact in S3: an XML body that names them must not be trimmed or re-encoded.
const KEYS = ['important', 'important ', ' lead', 'trail ', '  ', 'tab\tkey', 'new\nline', 'amp&<lt>"q\'uote', 'naïve/日本語 ✓'];

let gw: TestGateway;
beforeAll(async () => {
  gw = await startGateway();
  await gw.client.send(new CreateBucketCommand({ Bucket: 'exact' }));
});
afterAll(async () => {
  await gw.close();
});

async function keys(bucket = 'exact'): Promise<string[]> {
  const listed = await gw.client.send(new ListObjectsV2Command({ Bucket: bucket }));
  return (listed.Contents ?? []).map((o) => o.Key ?? '').sort();
}

describe('keys that carry white space and XML characters', () => {
  it('round-trip through PutObject, listing and GetObject', async () => {
    for (const Key of KEYS) await gw.client.send(new PutObjectCommand({ Bucket: 'exact', Key, Body: `body of [${Key}]` }));
    expect(await keys()).toEqual([...KEYS].sort());
    for (const Key of KEYS) {
      const got = await gw.client.send(new GetObjectCommand({ Bucket: 'exact', Key }));
      expect(await got.Body?.transformToString()).toBe(`body of [${Key}]`);
    }
  });

  it('DeleteObjects deletes exactly the keys named, and reports them exactly', async () => {
    const doomed = KEYS.filter((k) => k !== 'important');
    const result = await gw.client.send(new DeleteObjectsCommand({ Bucket: 'exact', Delete: { Objects: doomed.map((Key) => ({ Key })) } }));
    expect(result.Errors ?? []).toEqual([]);
    expect((result.Deleted ?? []).map((d) => d.Key)).toEqual(doomed);
    expect(await keys()).toEqual(['important']);
  });

  it('DeleteObjects with Quiet padded by white space is still quiet', async () => {
    await gw.client.send(new PutObjectCommand({ Bucket: 'exact', Key: 'q ', Body: 'x' }));
    const body = '<Delete><Quiet> true </Quiet><Object><Key>q </Key></Object></Delete>';
    const md5 = createHash('md5').update(body).digest('base64');
    const response = await rawRequest(gw, { method: 'POST', path: '/exact?delete', headers: { 'content-md5': md5 }, body });
    expect(response.status).toBe(200);
    expect(response.text).not.toContain('<Deleted>');
    expect(await keys()).toEqual(['important']);
  });

  it('object tags keep white space in keys and values', async () => {
    const TagSet = [
      { Key: ' k ', Value: ' v ' },
      { Key: 'k', Value: 'a&b<c>"d"\te' },
    ];
    await gw.client.send(new PutObjectTaggingCommand({ Bucket: 'exact', Key: 'important', Tagging: { TagSet } }));
    const got = await gw.client.send(new GetObjectTaggingCommand({ Bucket: 'exact', Key: 'important' }));
    expect(got.TagSet?.map((t) => [t.Key, t.Value]).sort()).toEqual(TagSet.map((t) => [t.Key, t.Value]).sort());
  });

  it('CompleteMultipartUpload finishes the upload of a key with white space', async () => {
    const Key = ' multi part ';
    const created = await gw.client.send(new CreateMultipartUploadCommand({ Bucket: 'exact', Key }));
    const part = await gw.client.send(new UploadPartCommand({ Bucket: 'exact', Key, UploadId: created.UploadId, PartNumber: 1, Body: 'only part' }));
    await gw.client.send(
      new CompleteMultipartUploadCommand({ Bucket: 'exact', Key, UploadId: created.UploadId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: part.ETag }] } }),
    );
    const got = await gw.client.send(new GetObjectCommand({ Bucket: 'exact', Key }));
    expect(await got.Body?.transformToString()).toBe('only part');
    expect(await keys()).toEqual([' multi part ', 'important']);
  });
});
