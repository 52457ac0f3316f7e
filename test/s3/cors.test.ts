import { CreateBucketCommand, DeleteBucketCorsCommand, GetBucketCorsCommand, PutBucketCorsCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../support/core.ts';
import { failure, startGateway, type TestGateway } from '../support/s3.ts';

const RULES = [
  { ID: 'uploads', AllowedOrigins: ['https://*.example.com'], AllowedMethods: ['PUT', 'POST'], AllowedHeaders: ['content-type', 'x-amz-*'], ExposeHeaders: ['ETag'], MaxAgeSeconds: 600 },
  { AllowedOrigins: ['*'], AllowedMethods: ['GET', 'HEAD'] },
];

describe.each(DIALECTS)('bucket CORS on %s', (dialect) => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startGateway(dialect);
    await gw.client.send(new CreateBucketCommand({ Bucket: 'web' }));
    await gw.client.send(new PutObjectCommand({ Bucket: 'web', Key: 'page.txt', Body: 'hello' }));
  });
  afterAll(async () => {
    await gw.close();
  });

  const preflight = (headers: Record<string, string>, path = '/web/page.txt') => fetch(`${gw.endpoint}${path}`, { method: 'OPTIONS', headers });
  const errorOf = async (response: Response): Promise<[number, string, string]> => {
    const body = await response.text();
    return [response.status, /<Code>([^<]*)<\/Code>/.exec(body)?.[1] ?? '', /<Message>([^<]*)<\/Message>/.exec(body)?.[1] ?? ''];
  };

  it('stores, returns and deletes the rules (Get/Put/DeleteBucketCors through the AWS SDK)', async () => {
    expect(await failure(gw.client.send(new GetBucketCorsCommand({ Bucket: 'web' })))).toEqual({ name: 'NoSuchCORSConfiguration', status: 404 });
    await gw.client.send(new PutBucketCorsCommand({ Bucket: 'web', CORSConfiguration: { CORSRules: RULES } }));
    const got = await gw.client.send(new GetBucketCorsCommand({ Bucket: 'web' }));
    expect(got.CORSRules).toEqual([RULES[0], { AllowedOrigins: ['*'], AllowedMethods: ['GET', 'HEAD'] }]);
    await gw.client.send(new DeleteBucketCorsCommand({ Bucket: 'web' }));
    expect(await failure(gw.client.send(new GetBucketCorsCommand({ Bucket: 'web' })))).toEqual({ name: 'NoSuchCORSConfiguration', status: 404 });
  });

  it('refuses invalid rules and keeps the ones in place', async () => {
    await gw.client.send(new PutBucketCorsCommand({ Bucket: 'web', CORSConfiguration: { CORSRules: RULES } }));
    expect(await failure(gw.client.send(new PutBucketCorsCommand({ Bucket: 'web', CORSConfiguration: { CORSRules: [{ AllowedOrigins: ['*'], AllowedMethods: ['PATCH'] }] } })))).toEqual({ name: 'InvalidRequest', status: 400 });
    expect(await failure(gw.client.send(new PutBucketCorsCommand({ Bucket: 'web', CORSConfiguration: { CORSRules: [{ AllowedOrigins: ['https://*.*.example.com'], AllowedMethods: ['GET'] }] } })))).toEqual({ name: 'InvalidRequest', status: 400 });
    expect(await failure(gw.client.send(new PutBucketCorsCommand({ Bucket: 'web', CORSConfiguration: { CORSRules: Array.from({ length: 101 }, () => ({ AllowedOrigins: ['*'], AllowedMethods: ['GET'] })) } })))).toEqual({ name: 'InvalidRequest', status: 400 });
    expect((await gw.client.send(new GetBucketCorsCommand({ Bucket: 'web' }))).CORSRules).toHaveLength(2);
  });

  it('answers preflights from the rules without credentials: 400 without Origin or method, 403 when no rule allows, 200 with the first match', async () => {
    await gw.client.send(new PutBucketCorsCommand({ Bucket: 'web', CORSConfiguration: { CORSRules: RULES } }));
    expect(await errorOf(await preflight({ 'access-control-request-method': 'PUT' }))).toEqual([400, 'BadRequest', 'Insufficient information. Origin request header needed.']);
    expect(await errorOf(await preflight({ origin: 'https://app.example.com' }))).toEqual([400, 'BadRequest', 'Invalid Access-Control-Request-Method: null']);
    const denied = await preflight({ origin: 'https://evil.test', 'access-control-request-method': 'PUT' });
    expect((await errorOf(denied)).slice(0, 2)).toEqual([403, 'AccessForbidden']);
    expect(denied.headers.get('access-control-allow-origin')).toBeNull();
    // A requested header no rule allows fails the preflight.
    expect((await errorOf(await preflight({ origin: 'https://app.example.com', 'access-control-request-method': 'PUT', 'access-control-request-headers': 'authorization' })))[0]).toBe(403);

    const allowed = await preflight({ origin: 'https://app.example.com', 'access-control-request-method': 'PUT', 'access-control-request-headers': 'Content-Type, X-Amz-Meta-Run' });
    expect(allowed.status).toBe(200);
    expect(Object.fromEntries([...allowed.headers].filter(([name]) => name.startsWith('access-control-')))).toEqual({
      'access-control-allow-origin': 'https://app.example.com',
      'access-control-allow-methods': 'PUT, POST',
      'access-control-allow-headers': 'content-type, x-amz-meta-run',
      'access-control-allow-credentials': 'true',
      'access-control-expose-headers': 'ETag',
      'access-control-max-age': '600',
    });
    const anyOrigin = await preflight({ origin: 'https://elsewhere.test', 'access-control-request-method': 'GET' });
    expect([anyOrigin.status, anyOrigin.headers.get('access-control-allow-origin'), anyOrigin.headers.get('access-control-allow-methods')]).toEqual([200, '*', 'GET, HEAD']);
    expect((await errorOf(await preflight({ origin: 'https://a.test', 'access-control-request-method': 'GET' }, '/nowhere/x')))[0]).toBe(404);
  });

  it('adds the matching rule\'s headers to a request with an Origin, errors included, and none without a match', async () => {
    await gw.client.send(new PutBucketCorsCommand({ Bucket: 'web', CORSConfiguration: { CORSRules: RULES } }));
    // Unsigned: an AccessDenied answer, but with the CORS headers a browser needs to read it.
    const get = await fetch(`${gw.endpoint}/web/page.txt`, { headers: { origin: 'https://site.test' } });
    expect([get.status, get.headers.get('access-control-allow-origin')]).toEqual([403, '*']);
    const put = await fetch(`${gw.endpoint}/web/page.txt`, { method: 'DELETE', headers: { origin: 'https://site.test' } });
    expect([put.status, put.headers.get('access-control-allow-origin')]).toEqual([403, null]);
  });

  it('refuses a preflight on a bucket without rules', async () => {
    await gw.client.send(new CreateBucketCommand({ Bucket: 'closed' }));
    expect(await errorOf(await preflight({ origin: 'https://a.test', 'access-control-request-method': 'GET' }, '/closed/x'))).toEqual([403, 'AccessForbidden', 'CORSResponse: CORS is not enabled for this bucket.']);
  });
});
