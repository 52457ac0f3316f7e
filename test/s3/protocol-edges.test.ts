import { CreateBucketCommand, GetObjectCommand, HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { createHash, createHmac } from 'node:crypto';
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ctx } from '../support/core.ts';
import { failure, rawRequest, startGateway, type TestGateway } from '../support/s3.ts';

let gw: TestGateway;
beforeAll(async () => {
  gw = await startGateway();
  await gw.client.send(new CreateBucketCommand({ Bucket: 'edges' }));
  await gw.client.send(new PutObjectCommand({ Bucket: 'edges', Key: 'doc.txt', Body: 'document' }));
});
afterAll(async () => {
  await gw.close();
});

const keys = async (): Promise<string[]> => (await gw.core.objects.list(ctx, { repository: 'edges', ref: 'main', limit: 1000 })).objects.map((o) => o.path);

describe('keys that are not valid UTF-8 after percent-decoding', () => {
  it.each([
    ['invalid bytes', 'bad%FF%FE'],
    ['an overlong encoding of /', 'over%C0%AFlong'],
    ['an encoded surrogate', 'sur%ED%A0%80rogate'],
    ['a truncated sequence', 'cut%E2%82'],
  ])('refuses %s with 400 InvalidURI and stores nothing', async (_what, key) => {
    const before = await keys();
    const response = await rawRequest(gw, { method: 'PUT', path: `/edges/${key}`, body: 'x' });
    expect(response.status).toBe(400);
    expect(response.text).toContain('<Code>InvalidURI</Code>');
    expect(await keys()).toEqual(before);
  });

  it('keeps a key whose percent signs are themselves encoded', async () => {
    const put = await rawRequest(gw, { method: 'PUT', path: '/edges/bad%25FF%25FE', body: 'literal' });
    expect(put.status).toBe(200);
    expect(await rawRequest(gw, { method: 'PUT', path: '/edges/bad%FF%FE', body: 'x' })).toMatchObject({ status: 400 });
    const got = await gw.client.send(new GetObjectCommand({ Bucket: 'edges', Key: 'bad%FF%FE' }));
    expect(await got.Body?.transformToString()).toBe('literal');
  });
});

describe('Expect', () => {
  /** A PUT that sends its body only after a 100 Continue; reports whether one came. */
  function putExpecting(headers: Record<string, string>, body: string): Promise<{ status: number; continued: boolean; text: string }> {
    return new Promise((resolve, reject) => {
      let continued = false;
      const req = request({ host: '127.0.0.1', port: gw.port, method: 'PUT', path: '/edges/expect.txt', headers: { ...headers, 'content-length': String(body.length) } }, (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.on('end', () => {
          resolve({ status: res.statusCode ?? 0, continued, text });
        });
      });
      req.on('continue', () => {
        continued = true;
        req.end(body);
      });
      req.on('error', reject);
      req.flushHeaders();
    });
  }

  async function signedHeaders(body: string, secret = gw.key.secret): Promise<Record<string, string>> {
    const { SignatureV4 } = await import('@smithy/signature-v4');
    const { NodeSha256 } = await import('../support/s3.ts');
    const signer = new SignatureV4({ credentials: { accessKeyId: gw.key.id, secretAccessKey: secret }, region: 'us-east-1', service: 's3', sha256: NodeSha256, uriEscapePath: false });
    const sha = createHash('sha256').update(body).digest('hex');
    const signed = await signer.sign({ method: 'PUT', protocol: 'http:', hostname: '127.0.0.1', port: gw.port, path: '/edges/expect.txt', query: {}, headers: { host: `127.0.0.1:${gw.port}`, 'x-amz-content-sha256': sha, 'content-length': String(body.length) } });
    return { ...signed.headers, expect: '100-continue' };
  }

  it('sends 100 Continue only once the request is authenticated, and 403 without reading the body otherwise', async () => {
    const refused = await putExpecting(await signedHeaders('payload', 'wrong secret'), 'payload');
    expect(refused).toMatchObject({ status: 403, continued: false });
    expect(refused.text).toContain('<Code>SignatureDoesNotMatch</Code>');
    const anonymous = await putExpecting({ expect: '100-continue' }, 'payload');
    expect(anonymous).toMatchObject({ status: 403, continued: false });
    const accepted = await putExpecting(await signedHeaders('payload'), 'payload');
    expect(accepted).toMatchObject({ status: 200, continued: true });
    const got = await gw.client.send(new GetObjectCommand({ Bucket: 'edges', Key: 'expect.txt' }));
    expect(await got.Body?.transformToString()).toBe('payload');
  });

  it('treats an empty Expect header as none, and refuses an unknown expectation with 417', async () => {
    const empty = await rawRequest(gw, { method: 'PUT', path: '/edges/empty-expect.txt', headers: { expect: '' }, body: 'fine' });
    expect(empty.status).toBe(200);
    const unknown = await rawRequest(gw, { method: 'PUT', path: '/edges/odd-expect.txt', headers: { expect: 'something-else' }, body: 'no' });
    expect(unknown.status).toBe(417);
    expect(unknown.text).toContain('<Code>ExpectationFailed</Code>');
    expect(await keys()).toContain('empty-expect.txt');
    expect(await keys()).not.toContain('odd-expect.txt');
  });
});

describe('header bytes', () => {
  it('verifies signatures over UTF-8 header values and returns user metadata byte for byte', async () => {
    const title = 'café ☕ — 日本';
    // The JS SDK cannot send such a header (node refuses characters past latin1); the bytes go raw.
    expect((await rawRequest(gw, { method: 'PUT', path: '/edges/meta.txt', headers: { 'x-amz-meta-title': title }, body: 'm' })).status).toBe(200);
    expect((await gw.core.objects.stat(ctx, { repository: 'edges', ref: 'main', path: 'meta.txt' })).metadata).toEqual({ title });
    const head = await rawRequest(gw, { method: 'HEAD', path: '/edges/meta.txt' });
    expect(head.status).toBe(200);
    expect(Buffer.from(String(head.headers['x-amz-meta-title']), 'latin1').toString('utf8')).toBe(title);
  });

  it('stores Content-Encoding and the other stored headers exactly as sent, less aws-chunked framing', async () => {
    // (node's HTTP client rewrites a non-ASCII Content-Disposition itself, so this one is ASCII.)
    const headers = { 'content-encoding': 'gzip, br', 'content-disposition': 'attachment;  filename="rapport.pdf"', 'cache-control': 'max-age=60,  public' };
    const putEncoded = await rawRequest(gw, { method: 'PUT', path: '/edges/encoded.bin', headers, body: 'z' });
    expect([putEncoded.status, putEncoded.text]).toEqual([200, '']);
    const head = await gw.client.send(new HeadObjectCommand({ Bucket: 'edges', Key: 'encoded.bin' }));
    expect(head.ContentEncoding).toBe('gzip, br');
    expect(head.CacheControl).toBe('max-age=60,  public');
    expect(head.ContentDisposition).toBe('attachment;  filename="rapport.pdf"');
    const chunked = await rawRequest(gw, { method: 'PUT', path: '/edges/chunked.bin', headers: { 'content-encoding': 'aws-chunked, gzip', 'x-amz-content-sha256': 'STREAMING-UNSIGNED-PAYLOAD-TRAILER', 'x-amz-decoded-content-length': '1' }, body: '1\r\nz\r\n0\r\n\r\n' });
    expect(chunked.status).toBe(200);
    expect((await gw.client.send(new HeadObjectCommand({ Bucket: 'edges', Key: 'chunked.bin' }))).ContentEncoding).toBe('gzip');
  });
});

describe('aws-chunked framing', () => {
  const frame = (chunks: string[]): Buffer => Buffer.from(chunks.map((c) => `${c.length.toString(16)}\r\n${c}\r\n`).join('') + '0\r\n\r\n');
  const put = (path: string, body: Buffer, decoded: number) =>
    rawRequest(gw, {
      method: 'PUT',
      path,
      headers: { 'content-encoding': 'aws-chunked', 'x-amz-content-sha256': 'STREAMING-UNSIGNED-PAYLOAD-TRAILER', 'x-amz-decoded-content-length': String(decoded) },
      body,
    });

  it('refuses a chunk that goes past the declared decoded length as soon as it is announced', async () => {
    const response = await put('/edges/long.bin', frame(['abcd', 'efghijkl']), 6);
    expect(response.status).toBe(400);
    expect(response.text).toContain('more data than x-amz-decoded-content-length (6 bytes)');
    expect(response.headers.connection).toBe('close');
    expect(await keys()).not.toContain('long.bin');
  });

  it('refuses a body that ends short of the declared length, and a malformed chunk header', async () => {
    expect((await put('/edges/short.bin', frame(['abc']), 6)).text).toContain('<Code>IncompleteBody</Code>');
    expect((await put('/edges/bad.bin', Buffer.from('zz\r\nab\r\n0\r\n\r\n'), 2)).text).toContain('malformed chunk header');
    expect((await put('/edges/good.bin', frame(['abc', 'def']), 6)).status).toBe(200);
    expect(await keys()).toEqual(expect.arrayContaining(['good.bin']));
    expect(await keys()).not.toEqual(expect.arrayContaining(['short.bin']));
  });
});

describe('SigV2', () => {
  const v2 = (stringToSign: string): string => createHmac('sha1', gw.key.secret).update(stringToSign).digest('base64');

  it('accepts bucket-level requests signed as /bucket/ or /bucket, sent with or without the slash', async () => {
    for (const sent of ['/edges/', '/edges']) {
      for (const signed of ['/edges/', '/edges']) {
        const date = new Date().toUTCString();
        const response = await rawRequest(gw, { method: 'GET', path: sent, sign: false, headers: { date, authorization: `AWS ${gw.key.id}:${v2(`GET\n\n\n${date}\n${signed}`)}` } });
        expect([sent, signed, response.status]).toEqual([sent, signed, 200]);
        expect(response.text).toContain('<Key>doc.txt</Key>');
      }
    }
  });

  it('refuses a presigned URL valid for more than 7 days', async () => {
    const inDays = (days: number): number => Math.floor(Date.now() / 1000) + days * 86_400;
    const url = (expires: number): string => `/edges/doc.txt?AWSAccessKeyId=${gw.key.id}&Expires=${expires}&Signature=${encodeURIComponent(v2(`GET\n\n\n${expires}\n/edges/doc.txt`))}`;
    expect((await rawRequest(gw, { method: 'GET', path: url(inDays(6)), sign: false })).text).toBe('document');
    const tooLong = await rawRequest(gw, { method: 'GET', path: url(inDays(8)), sign: false });
    expect(tooLong.status).toBe(403);
    expect(tooLong.text).toContain('no more than 7 days');
  });
});

it('answers a wrong request with S3 XML, not a crash (sanity)', async () => {
  expect(await failure(gw.client.send(new GetObjectCommand({ Bucket: 'edges', Key: 'absent' })))).toEqual({ name: 'NoSuchKey', status: 404 });
});
