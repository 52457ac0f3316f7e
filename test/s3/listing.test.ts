import { CreateBucketCommand, ListObjectsCommand, ListObjectsV2Command, PutObjectCommand, S3ServiceException } from '@aws-sdk/client-s3';
import { SignatureV4 } from '@smithy/signature-v4';
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NodeSha256 } from '../support/s3.ts';
import { startGateway, type TestGateway } from '../support/s3.ts';

let gw: TestGateway;
const KEYS = ['a/1.txt', 'a/2.txt', 'a/b/3.txt', 'a-x/4.txt', 'b/5.txt', 'c.txt', 'dir/', 'sp ace/ü+?.txt'];

beforeAll(async () => {
  gw = await startGateway();
  await gw.client.send(new CreateBucketCommand({ Bucket: 'list' }));
  for (const key of KEYS) await gw.client.send(new PutObjectCommand({ Bucket: 'list', Key: key, Body: key }));
});
afterAll(async () => {
  await gw.close();
});

describe('ListObjectsV2', () => {
  it('lists every key in byte order, with sizes and ETags', async () => {
    const page = await gw.client.send(new ListObjectsV2Command({ Bucket: 'list' }));
    expect(page.Contents?.map((o) => o.Key)).toEqual([...KEYS].sort());
    expect(page.Contents?.find((o) => o.Key === 'c.txt')).toMatchObject({ Size: 5, ETag: `"${createHash('md5').update('c.txt').digest('hex')}"` });
    expect(page).toMatchObject({ KeyCount: 8, IsTruncated: false, MaxKeys: 1000 });
    expect(page.Contents?.[0]?.Owner).toBeUndefined();
  });

  it('rolls up common prefixes for "/" and for any other delimiter', async () => {
    const slash = await gw.client.send(new ListObjectsV2Command({ Bucket: 'list', Delimiter: '/' }));
    expect(slash.Contents?.map((o) => o.Key)).toEqual(['c.txt']);
    expect(slash.CommonPrefixes?.map((p) => p.Prefix)).toEqual(['a-x/', 'a/', 'b/', 'dir/', 'sp ace/']);
    const nested = await gw.client.send(new ListObjectsV2Command({ Bucket: 'list', Prefix: 'a/', Delimiter: '/' }));
    expect(nested.Contents?.map((o) => o.Key)).toEqual(['a/1.txt', 'a/2.txt']);
    expect(nested.CommonPrefixes?.map((p) => p.Prefix)).toEqual(['a/b/']);
    const dash = await gw.client.send(new ListObjectsV2Command({ Bucket: 'list', Delimiter: '-' }));
    expect(dash.CommonPrefixes?.map((p) => p.Prefix)).toEqual(['a-']);
    expect(dash.KeyCount).toBe(8);
    const txt = await gw.client.send(new ListObjectsV2Command({ Bucket: 'list', Prefix: 'a/', Delimiter: '.txt' }));
    expect(txt.CommonPrefixes?.map((p) => p.Prefix)).toEqual(['a/1.txt', 'a/2.txt', 'a/b/3.txt']);
  });

  it('pages with max-keys and continuation tokens, and starts after a key', async () => {
    const seen: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const page = await gw.client.send(new ListObjectsV2Command({ Bucket: 'list', MaxKeys: 3, ContinuationToken: token }));
      pages++;
      seen.push(...(page.Contents ?? []).map((o) => o.Key ?? ''));
      expect(page.IsTruncated).toBe(page.NextContinuationToken !== undefined);
      token = page.NextContinuationToken;
    } while (token !== undefined);
    expect(pages).toBe(3);
    expect(seen).toEqual([...KEYS].sort());
    const after = await gw.client.send(new ListObjectsV2Command({ Bucket: 'list', StartAfter: 'b/5.txt' }));
    expect(after.Contents?.map((o) => o.Key)).toEqual(['c.txt', 'dir/', 'sp ace/ü+?.txt']);
    const prefixes = await gw.client.send(new ListObjectsV2Command({ Bucket: 'list', Delimiter: '/', MaxKeys: 2 }));
    expect(prefixes.CommonPrefixes?.map((p) => p.Prefix)).toEqual(['a-x/', 'a/']);
    const rest = await gw.client.send(new ListObjectsV2Command({ Bucket: 'list', Delimiter: '/', ContinuationToken: prefixes.NextContinuationToken }));
    expect([...(rest.CommonPrefixes ?? []).map((p) => p.Prefix), ...(rest.Contents ?? []).map((o) => o.Key)].sort()).toEqual(['b/', 'c.txt', 'dir/', 'sp ace/']);
    const empty = await gw.client.send(new ListObjectsV2Command({ Bucket: 'list', MaxKeys: 0 }));
    expect(empty).toMatchObject({ KeyCount: 0, IsTruncated: false });
  });

  it('url-encodes keys with encoding-type=url, and returns owners with fetch-owner', async () => {
    const page = await gw.client.send(new ListObjectsV2Command({ Bucket: 'list', Prefix: 'sp ace/', EncodingType: 'url', FetchOwner: true }));
    expect(page.Contents?.map((o) => o.Key)).toEqual(['sp%20ace/%C3%BC%2B%3F.txt']);
    expect(page.Prefix).toBe('sp%20ace/');
    expect(page.Contents?.[0]?.Owner?.ID).toBe('ada');
    const raw = await (await fetch(`${gw.endpoint}/list?list-type=2&prefix=sp%20ace%2F`, { headers: await signedHeaders(gw, '/list?list-type=2&prefix=sp%20ace%2F') })).text();
    expect(raw).toContain('<Key>sp ace/ü+?.txt</Key>');
  });

  it('rejects a malformed continuation token and max-keys', async () => {
    for (const input of [{ ContinuationToken: 'not*a*token' }, { MaxKeys: -1 }]) {
      const error = await gw.client.send(new ListObjectsV2Command({ Bucket: 'list', ...input })).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(S3ServiceException);
      expect((error as S3ServiceException).name).toBe('InvalidArgument');
    }
  });
});

describe('ListObjects (v1)', () => {
  it('pages with marker and NextMarker (given with a delimiter)', async () => {
    const first = await gw.client.send(new ListObjectsCommand({ Bucket: 'list', MaxKeys: 2, Delimiter: '/' }));
    expect(first.CommonPrefixes?.map((p) => p.Prefix)).toEqual(['a-x/', 'a/']);
    expect(first).toMatchObject({ IsTruncated: true, NextMarker: 'a/' });
    const second = await gw.client.send(new ListObjectsCommand({ Bucket: 'list', Marker: first.NextMarker, Delimiter: '/' }));
    expect(second.CommonPrefixes?.map((p) => p.Prefix)).toEqual(['b/', 'dir/', 'sp ace/']);
    expect(second.Contents?.map((o) => o.Key)).toEqual(['c.txt']);
    const plain = await gw.client.send(new ListObjectsCommand({ Bucket: 'list', MaxKeys: 3, Marker: 'a/2.txt' }));
    expect(plain.Contents?.map((o) => o.Key)).toEqual(['a/b/3.txt', 'b/5.txt', 'c.txt']);
    expect(plain.Contents?.[0]?.Owner?.ID).toBe('ada');
    expect(plain.IsTruncated).toBe(true);
  });
});

/** Headers of a SigV4-signed GET, made by the SDK's own signer. */
async function signedHeaders(gateway: TestGateway, pathAndQuery: string): Promise<Record<string, string>> {
  const signer = new SignatureV4({ credentials: { accessKeyId: gateway.key.id, secretAccessKey: gateway.key.secret }, region: 'us-east-1', service: 's3', sha256: NodeSha256, uriEscapePath: false });
  const url = new URL(pathAndQuery, gateway.endpoint);
  const query = Object.fromEntries(url.searchParams.entries());
  const signed = await signer.sign({ method: 'GET', protocol: 'http:', hostname: url.hostname, port: Number(url.port), path: url.pathname, query, headers: { host: url.host, 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' } });
  return signed.headers;
}
