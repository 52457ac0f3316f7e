import { CreateBucketCommand, GetObjectCommand, ListBucketsCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { SignatureV4 } from '@smithy/signature-v4';
import { createHash, createHmac } from 'node:crypto';
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ctx } from '../support/core.ts';
import { NodeSha256, failure, startGateway, type TestGateway } from '../support/s3.ts';

let gw: TestGateway;
beforeAll(async () => {
  gw = await startGateway();
  await gw.client.send(new CreateBucketCommand({ Bucket: 'secure' }));
  await gw.client.send(new PutObjectCommand({ Bucket: 'secure', Key: 'doc.txt', Body: 'secret bytes' }));
});
afterAll(async () => {
  await gw.close();
});


/** A raw HTTP exchange with the gateway (for what no SDK sends). */
function raw(input: { method: string; path: string; headers?: Record<string, string>; body?: Buffer }): Promise<{ status: number; body: string; headers: Record<string, string | string[] | undefined> }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: gw.port, method: input.method, path: input.path, headers: input.headers }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (d: Buffer) => parts.push(d));
      res.on('end', () => {
        resolve({ status: res.statusCode ?? 0, body: Buffer.concat(parts).toString('utf8'), headers: res.headers });
      });
    });
    req.on('error', reject);
    req.end(input.body);
  });
}

describe('SigV4 with real clients', () => {
  it('refuses a wrong secret, an unknown key, a revoked key and a skewed clock', async () => {
    expect(await failure(gw.clientWith({ secretAccessKey: 'wrong' }).send(new ListBucketsCommand({})))).toEqual({ name: 'SignatureDoesNotMatch', status: 403 });
    expect(await failure(gw.clientWith({ accessKeyId: 'SKUNKNOWN' }).send(new ListBucketsCommand({})))).toEqual({ name: 'InvalidAccessKeyId', status: 403 });
    expect(await failure(gw.clientWith({ systemClockOffset: 20 * 60_000 }).send(new ListBucketsCommand({})))).toEqual({ name: 'RequestTimeTooSkewed', status: 403 });
    expect(await failure(gw.clientWith({ systemClockOffset: -20 * 60_000 }).send(new ListBucketsCommand({})))).toEqual({ name: 'RequestTimeTooSkewed', status: 403 });
    await gw.core.identity.createPrincipal(ctx, { id: 'bob', kind: 'user' });
    await gw.core.identity.attach(ctx, { policy: 'reader', principal: 'bob' });
    const other = await gw.core.accessKeys.create(ctx, { principal: 'bob' });
    const bob = gw.clientWith({ accessKeyId: other.id, secretAccessKey: other.secret });
    expect((await bob.send(new ListBucketsCommand({}))).Owner?.ID).toBe('bob');
    await gw.core.accessKeys.revoke(ctx, other.id);
    expect(await failure(bob.send(new ListBucketsCommand({})))).toEqual({ name: 'InvalidAccessKeyId', status: 403 });
  });

  it('presigned GET and PUT work until they expire', async () => {
    const url = await getSignedUrl(gw.client, new GetObjectCommand({ Bucket: 'secure', Key: 'doc.txt' }), { expiresIn: 60 });
    const got = await fetch(url);
    expect(got.status).toBe(200);
    expect(await got.text()).toBe('secret bytes');
    const put = await getSignedUrl(gw.client, new PutObjectCommand({ Bucket: 'secure', Key: 'upload.txt' }), { expiresIn: 60 });
    expect((await fetch(put, { method: 'PUT', body: 'via presigned url' })).status).toBe(200);
    const back = await gw.client.send(new GetObjectCommand({ Bucket: 'secure', Key: 'upload.txt' }));
    expect(await back.Body?.transformToString()).toBe('via presigned url');
    const stale = await getSignedUrl(gw.client, new GetObjectCommand({ Bucket: 'secure', Key: 'doc.txt' }), { expiresIn: 60, signingDate: new Date(Date.now() - 3_600_000) });
    const expired = await fetch(stale);
    expect(expired.status).toBe(403);
    const text = await expired.text();
    expect(text).toContain('<Code>AccessDenied</Code>');
    expect(text).toContain('<Message>Request has expired</Message>');
    const tampered = url.replace('doc.txt', 'upload.txt');
    const forged = await fetch(tampered);
    expect(forged.status).toBe(403);
    expect(await forged.text()).toContain('<Code>SignatureDoesNotMatch</Code>');
  });

  it('verifies a signed aws-chunked upload chunk by chunk, and a tampered chunk stores nothing', async () => {
    const data = Buffer.alloc(200_000, 'z');
    const send = async (corrupt: boolean, key: string) => {
      const signer = new SignatureV4({ credentials: { accessKeyId: gw.key.id, secretAccessKey: gw.key.secret }, region: 'us-east-1', service: 's3', sha256: NodeSha256, uriEscapePath: false });
      const chunkSizes = [65_536, 65_536, 65_536, 3_392];
      const encodedLength = chunkSizes.reduce((n, size) => n + size.toString(16).length + 17 + 64 + 4 + size, 0) + 1 + 17 + 64 + 4;
      const headers = {
        host: `127.0.0.1:${gw.port}`,
        'content-encoding': 'aws-chunked',
        'x-amz-content-sha256': 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD',
        'x-amz-decoded-content-length': String(data.length),
        'content-length': String(encodedLength),
      };
      const signed = await signer.sign({ method: 'PUT', protocol: 'http:', hostname: '127.0.0.1', port: gw.port, path: `/secure/${key}`, query: {}, headers });
      const auth = signed.headers.authorization ?? '';
      const amzDate = signed.headers['x-amz-date'] ?? '';
      const scope = /Credential=[^/]+\/([^,]+)/.exec(auth)?.[1] ?? '';
      let previous = /Signature=([0-9a-f]+)/.exec(auth)?.[1] ?? '';
      // The chunk signing key, derived as the SigV4 specification gives it.
      const [date = '', region = '', service = ''] = scope.split('/');
      let key2 = createHmac('sha256', `AWS4${gw.key.secret}`).update(date).digest();
      for (const part of [region, service, 'aws4_request']) key2 = createHmac('sha256', key2).update(part).digest();
      const empty = createHash('sha256').digest('hex');
      const frames: Buffer[] = [];
      let offset = 0;
      for (const size of [...chunkSizes, 0]) {
        const chunk = Buffer.from(data.subarray(offset, offset + size));
        offset += size;
        const toSign = ['AWS4-HMAC-SHA256-PAYLOAD', amzDate, scope, previous, empty, createHash('sha256').update(chunk).digest('hex')].join('\n');
        previous = createHmac('sha256', key2).update(toSign).digest('hex');
        if (corrupt && size === 3_392) chunk[0] = 0x41;
        frames.push(Buffer.from(`${size.toString(16)};chunk-signature=${previous}\r\n`), chunk, Buffer.from('\r\n'));
      }
      const body = Buffer.concat(frames);
      expect(body.length).toBe(encodedLength);
      return raw({ method: 'PUT', path: `/secure/${key}`, headers: signed.headers, body });
    };
    expect((await send(false, 'chunked.bin')).status).toBe(200);
    const back = await gw.client.send(new GetObjectCommand({ Bucket: 'secure', Key: 'chunked.bin' }));
    expect(Buffer.from(await back.Body?.transformToByteArray() ?? []).equals(data)).toBe(true);
    const forged = await send(true, 'forged.bin');
    expect(forged.status).toBe(403);
    expect(forged.body).toContain('<Code>SignatureDoesNotMatch</Code>');
    expect(await failure(gw.client.send(new GetObjectCommand({ Bucket: 'secure', Key: 'forged.bin' })))).toEqual({ name: 'NoSuchKey', status: 404 });
  });

  it('addresses buckets by virtual host', async () => {
    const signer = new SignatureV4({ credentials: { accessKeyId: gw.key.id, secretAccessKey: gw.key.secret }, region: 'us-east-1', service: 's3', sha256: NodeSha256, uriEscapePath: false });
    const host = `secure.localhost:${gw.port}`;
    const signed = await signer.sign({ method: 'GET', protocol: 'http:', hostname: 'secure.localhost', port: gw.port, path: '/doc.txt', query: {}, headers: { host, 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' } });
    // The test gateway runs without a domain; a gateway with one maps <bucket>.<domain> to the bucket.
    const { buildS3Server } = await import('../../src/http/s3/server.ts');
    const virtual = buildS3Server({ core: gw.core, domain: 'localhost', logger: { info: () => undefined, error: () => undefined } });
    await new Promise<void>((resolve) => virtual.listen(0, '127.0.0.1', resolve));
    try {
      const port = (virtual.address() as { port: number }).port;
      const response = await new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = request({ host: '127.0.0.1', port, method: 'GET', path: '/doc.txt', headers: signed.headers }, (res) => {
          const parts: Buffer[] = [];
          res.on('data', (d: Buffer) => parts.push(d));
          res.on('end', () => {
            resolve({ status: res.statusCode ?? 0, body: Buffer.concat(parts).toString('utf8') });
          });
        });
        req.on('error', reject);
        req.end();
      });
      expect(response).toEqual({ status: 200, body: 'secret bytes' });
    } finally {
      virtual.closeAllConnections();
      virtual.close();
    }
  });
});

describe('SigV2 (older tools)', () => {
  const v2 = (stringToSign: string): string => createHmac('sha1', gw.key.secret).update(stringToSign).digest('base64');

  it('accepts header and query signatures and refuses wrong ones', async () => {
    const date = new Date().toUTCString();
    const header = await raw({ method: 'GET', path: '/secure/doc.txt', headers: { date, authorization: `AWS ${gw.key.id}:${v2(`GET\n\n\n${date}\n/secure/doc.txt`)}` } });
    expect(header).toMatchObject({ status: 200, body: 'secret bytes' });
    const wrong = await raw({ method: 'GET', path: '/secure/doc.txt', headers: { date, authorization: `AWS ${gw.key.id}:${v2(`GET\n\n\n${date}\n/secure/other.txt`)}` } });
    expect(wrong.status).toBe(403);
    expect(wrong.body).toContain('<Code>SignatureDoesNotMatch</Code>');
    const expires = Math.floor(Date.now() / 1000) + 60;
    const signature = encodeURIComponent(v2(`GET\n\n\n${expires}\n/secure/doc.txt`));
    const query = await raw({ method: 'GET', path: `/secure/doc.txt?AWSAccessKeyId=${gw.key.id}&Expires=${expires}&Signature=${signature}` });
    expect(query).toMatchObject({ status: 200, body: 'secret bytes' });
    const past = Math.floor(Date.now() / 1000) - 60;
    const expired = await raw({ method: 'GET', path: `/secure/doc.txt?AWSAccessKeyId=${gw.key.id}&Expires=${past}&Signature=${encodeURIComponent(v2(`GET\n\n\n${past}\n/secure/doc.txt`))}` });
    expect(expired.status).toBe(403);
    expect(expired.body).toContain('<Message>Request has expired</Message>');
    const skewed = new Date(Date.now() - 30 * 60_000).toUTCString();
    const old = await raw({ method: 'GET', path: '/secure/doc.txt', headers: { date: skewed, authorization: `AWS ${gw.key.id}:${v2(`GET\n\n\n${skewed}\n/secure/doc.txt`)}` } });
    expect(old.body).toContain('<Code>RequestTimeTooSkewed</Code>');
  });
});

describe('anonymous access', () => {
  it('is refused unless the repository is public-read, and then only for reads', async () => {
    const anonymous = await raw({ method: 'GET', path: '/secure/doc.txt' });
    expect(anonymous.status).toBe(403);
    expect(anonymous.body).toMatch(/<Error><Code>AccessDenied<\/Code><Message>Access Denied<\/Message><Resource>\/secure\/doc.txt<\/Resource><RequestId>[0-9A-F]{16}<\/RequestId><\/Error>/);
    expect(anonymous.headers['x-amz-request-id']).toMatch(/^[0-9A-F]{16}$/);
    await gw.core.repositories.update(ctx, 'secure', { publicRead: true });
    expect(await raw({ method: 'GET', path: '/secure/doc.txt' })).toMatchObject({ status: 200, body: 'secret bytes' });
    expect((await raw({ method: 'GET', path: '/secure?list-type=2' })).status).toBe(200);
    const write = await raw({ method: 'PUT', path: '/secure/new.txt', headers: { 'content-length': '1' }, body: Buffer.from('x') });
    expect(write.status).toBe(403);
    expect((await raw({ method: 'GET', path: '/' })).status).toBe(403);
    await gw.core.repositories.update(ctx, 'secure', { publicRead: false, auditReads: false });
    expect((await raw({ method: 'GET', path: '/secure/doc.txt' })).status).toBe(403);
  });

  it('answers NotImplemented for operations Strata does not offer', async () => {
    const acl = await gw.client.send(new GetObjectCommand({ Bucket: 'secure', Key: 'doc.txt' })).then(() => raw({ method: 'GET', path: '/secure/doc.txt?acl' }));
    expect(acl.status).toBe(403);
    const { GetBucketAclCommand, PutBucketAclCommand, GetBucketPolicyCommand, GetBucketLifecycleConfigurationCommand, SelectObjectContentCommand } = await import('@aws-sdk/client-s3');
    // ACLs beyond what a repository can grant (read for all or for the signed-in) are refused, not ignored.
    expect(await failure(gw.client.send(new PutBucketAclCommand({ Bucket: 'secure', ACL: 'public-read-write' })))).toEqual({ name: 'NotImplemented', status: 501 });
    expect(await failure(gw.client.send(new SelectObjectContentCommand({ Bucket: 'secure', Key: 'doc.txt', Expression: 'select * from s3object', ExpressionType: 'SQL', InputSerialization: {}, OutputSerialization: {} })))).toMatchObject({ name: 'NotImplemented', status: 501 });
    // What Strata has no notion of is answered truthfully: no policy, no lifecycle, owner-only ACL.
    expect(await failure(gw.client.send(new GetBucketPolicyCommand({ Bucket: 'secure' })))).toEqual({ name: 'NoSuchBucketPolicy', status: 404 });
    expect(await failure(gw.client.send(new GetBucketLifecycleConfigurationCommand({ Bucket: 'secure' })))).toEqual({ name: 'NoSuchLifecycleConfiguration', status: 404 });
    const bucketAcl = await gw.client.send(new GetBucketAclCommand({ Bucket: 'secure' }));
    expect(bucketAcl.Owner?.ID).toBe('ada');
    expect(bucketAcl.Grants?.map((g) => [g.Grantee?.ID, g.Permission])).toEqual([['ada', 'FULL_CONTROL']]);
  });
});
