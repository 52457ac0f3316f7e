import { GetObjectCommand, CreateBucketCommand, HeadObjectCommand } from '@aws-sdk/client-s3';
import { execFile } from 'node:child_process';
import { createHash, createHmac } from 'node:crypto';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../support/core.ts';
import { failure, startGateway, type TestGateway } from '../support/s3.ts';

const run = promisify(execFile);
const PYTHON_POST = join(import.meta.dirname, 'clients', 'presigned-post.py');

/** Posts the fields, then the file last (as browsers send a form whose file input comes last). */
async function postForm(url: string, fields: Record<string, string>, file: { bytes: Buffer; name?: string; type?: string }): Promise<Response> {
  const form = new FormData();
  for (const [name, value] of Object.entries(fields)) form.append(name, value);
  form.append('file', new Blob([file.bytes], { type: file.type ?? 'application/octet-stream' }), file.name ?? 'upload.bin');
  return fetch(url, { method: 'POST', body: form, redirect: 'manual' });
}

const XML_ENTITIES: Record<string, string> = { quot: '"', amp: '&', lt: '<', gt: '>', apos: "'" };
/** An element's text with XML's five entities decoded. */
const element = (xml: string, name: string): string => (new RegExp(`<${name}>([^<]*)</${name}>`).exec(xml)?.[1] ?? '').replace(/&(quot|amp|lt|gt|apos);/g, (_, entity: string) => XML_ENTITIES[entity] ?? '');

async function errorOf(response: Response): Promise<[number, string, string]> {
  const body = await response.text();
  return [response.status, element(body, 'Code'), element(body, 'Message')];
}

describe.each(DIALECTS)('browser-based POST uploads on %s', (dialect) => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startGateway(dialect);
    await gw.client.send(new CreateBucketCommand({ Bucket: 'forms' }));
  });
  afterAll(async () => {
    await gw.close();
  });

  const read = async (key: string): Promise<Buffer> => Buffer.from((await (await gw.client.send(new GetObjectCommand({ Bucket: 'forms', Key: key }))).Body?.transformToByteArray()) ?? []);
  /**
   * A SigV4 POST policy and its fields, built as the AWS documentation and the SDKs' presigned
   * POST do it (the fields named, each also a condition; the policy signed with the day's key).
   */
  const presign = (options: { key: string; conditions?: unknown[]; fields?: Record<string, string>; expires?: number }): Promise<{ url: string; fields: Record<string, string> }> => {
    const now = new Date();
    const amzDate = now.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
    const credential = `${gw.key.id}/${amzDate.slice(0, 8)}/us-east-1/s3/aws4_request`;
    const fields: Record<string, string> = { ...options.fields, bucket: 'forms', 'X-Amz-Algorithm': 'AWS4-HMAC-SHA256', 'X-Amz-Credential': credential, 'X-Amz-Date': amzDate, key: options.key };
    const conditions = [...Object.entries(fields).map(([name, value]) => (name === 'key' && value.includes('${filename}') ? ['starts-with', '$key', value.split('${filename}')[0]] : { [name]: value })), ...(options.conditions ?? [])];
    const policy = Buffer.from(JSON.stringify({ expiration: new Date(now.getTime() + (options.expires ?? 600) * 1000).toISOString(), conditions })).toString('base64');
    let signing = createHmac('sha256', `AWS4${gw.key.secret}`).update(amzDate.slice(0, 8)).digest();
    for (const part of ['us-east-1', 's3', 'aws4_request']) signing = createHmac('sha256', signing).update(part).digest();
    return Promise.resolve({ url: `${gw.endpoint}/forms`, fields: { ...fields, Policy: policy, 'X-Amz-Signature': createHmac('sha256', signing).update(policy).digest('hex') } });
  };

  it('stores a form upload signed with SigV4: exact bytes, ${filename}, metadata, type, 204 by default', async () => {
    const bytes = Buffer.from('name,score\nada,1\n');
    const { url, fields } = await presign({
      key: 'uploads/${filename}',
      conditions: [['starts-with', '$key', 'uploads/'], ['content-length-range', 1, 1024], ['starts-with', '$Content-Type', 'text/'], { 'x-amz-meta-team': 'ml' }],
      fields: { 'Content-Type': 'text/csv', 'x-amz-meta-team': 'ml' },
    });
    const response = await postForm(url, fields, { bytes, name: 'scores.csv', type: 'text/csv' });
    expect(response.status).toBe(204);
    expect(response.headers.get('etag')).toBe(`"${createHash('md5').update(bytes).digest('hex')}"`);
    expect((await read('uploads/scores.csv')).equals(bytes)).toBe(true);
    expect(await gw.client.send(new HeadObjectCommand({ Bucket: 'forms', Key: 'uploads/scores.csv' }))).toMatchObject({ ContentType: 'text/csv', Metadata: { team: 'ml' } });
  });

  it('answers success_action_status 201 with a PostResponse, and success_action_redirect with a 303', async () => {
    const created = await presign({ key: 'a.txt', fields: { success_action_status: '201' } });
    const response = await postForm(created.url, created.fields, { bytes: Buffer.from('A') });
    expect(response.status).toBe(201);
    const xml = await response.text();
    expect([element(xml, 'Bucket'), element(xml, 'Key'), element(xml, 'ETag')]).toEqual(['forms', 'a.txt', `"${createHash('md5').update('A').digest('hex')}"`]);
    expect(element(xml, 'Location')).toBe(`${gw.endpoint}/forms/a.txt`);

    const redirected = await presign({ key: 'b.txt', fields: { success_action_redirect: 'https://app.example.com/done?x=1' } });
    const answer = await postForm(redirected.url, redirected.fields, { bytes: Buffer.from('B') });
    expect(answer.status).toBe(303);
    const location = new URL(answer.headers.get('location') ?? '');
    expect([location.origin + location.pathname, location.searchParams.get('x'), location.searchParams.get('bucket'), location.searchParams.get('key'), location.searchParams.get('etag')]).toEqual([
      'https://app.example.com/done', '1', 'forms', 'b.txt', `"${createHash('md5').update('B').digest('hex')}"`,
    ]);
    expect((await read('b.txt')).toString()).toBe('B');
  });

  it('refuses what the policy does not allow, storing nothing: size range, conditions, extra fields, expiry, bad signatures, no policy', async () => {
    const ranged = await presign({ key: 'ranged.bin', conditions: [['content-length-range', 10, 20]] });
    expect(await errorOf(await postForm(ranged.url, ranged.fields, { bytes: Buffer.alloc(21, 1) }))).toEqual([400, 'EntityTooLarge', 'Your proposed upload exceeds the maximum allowed size']);
    expect(await errorOf(await postForm(ranged.url, ranged.fields, { bytes: Buffer.alloc(9, 1) }))).toEqual([400, 'EntityTooSmall', 'Your proposed upload is smaller than the minimum allowed size']);
    const typed = await presign({ key: 'typed.txt', conditions: [['eq', '$Content-Type', 'image/png']], fields: { 'Content-Type': 'image/png' } });
    expect(await errorOf(await postForm(typed.url, { ...typed.fields, 'Content-Type': 'text/html' }, { bytes: Buffer.from('<script>') }))).toEqual([403, 'AccessDenied', 'Invalid according to Policy: Policy Condition failed: ["eq", "$Content-Type", "image/png"]']);
    expect(await errorOf(await postForm(typed.url, { ...typed.fields, 'x-amz-meta-sneaky': '1' }, { bytes: Buffer.from('x') }))).toEqual([403, 'AccessDenied', 'Invalid according to Policy: Extra input fields: x-amz-meta-sneaky']);
    // The key is a condition of the policy: another key is refused.
    expect((await errorOf(await postForm(typed.url, { ...typed.fields, key: 'elsewhere.txt' }, { bytes: Buffer.from('x') }))).slice(0, 2)).toEqual([403, 'AccessDenied']);
    const expired = await presign({ key: 'late.txt', expires: -60 });
    expect(await errorOf(await postForm(expired.url, expired.fields, { bytes: Buffer.from('x') }))).toEqual([403, 'AccessDenied', 'Invalid according to Policy: Policy expired.']);
    const forged = await presign({ key: 'forged.txt' });
    const wider = Buffer.from(JSON.stringify({ expiration: new Date(Date.now() + 60_000).toISOString(), conditions: [{ bucket: 'forms' }, ['starts-with', '$key', ''], { 'x-amz-algorithm': forged.fields['X-Amz-Algorithm'] }, { 'x-amz-credential': forged.fields['X-Amz-Credential'] }, { 'x-amz-date': forged.fields['X-Amz-Date'] }] })).toString('base64');
    expect((await errorOf(await postForm(forged.url, { ...forged.fields, Policy: wider }, { bytes: Buffer.from('x') }))).slice(0, 2)).toEqual([403, 'SignatureDoesNotMatch']);
    expect((await errorOf(await postForm(forged.url, { key: 'anon.txt' }, { bytes: Buffer.from('x') }))).slice(0, 2)).toEqual([403, 'AccessDenied']);
    expect((await errorOf(await postForm(forged.url, { ...forged.fields, 'X-Amz-Credential': 'AKNOBODY/20260101/us-east-1/s3/aws4_request' }, { bytes: Buffer.from('x') }))).slice(0, 2)).toEqual([403, 'InvalidAccessKeyId']);
    const noFile = new FormData();
    for (const [name, value] of Object.entries(forged.fields)) noFile.append(name, value);
    expect(await errorOf(await fetch(forged.url, { method: 'POST', body: noFile }))).toEqual([400, 'InvalidArgument', 'POST requires exactly one file upload per request.']);
    const broken = await fetch(forged.url, { method: 'POST', headers: { 'content-type': 'multipart/form-data; boundary=xyz' }, body: '--xyz\r\nContent-Disposition: form-data; name="key"\r\n\r\nk' });
    expect((await errorOf(broken))[0]).toBe(400);
    for (const key of ['ranged.bin', 'typed.txt', 'elsewhere.txt', 'late.txt', 'forged.txt', 'anon.txt']) {
      expect(await failure(gw.client.send(new HeadObjectCommand({ Bucket: 'forms', Key: key })))).toMatchObject({ status: 404 });
    }
  });

  it.each([
    ['SigV4', 's3v4'],
    ['SigV2', 's3'],
  ])('stores a form signed with %s by boto3 (generate_presigned_post), with tagging', async (_name, version) => {
    const tagging = '<Tagging><TagSet><Tag><Key>source</Key><Value>browser</Value></Tag></TagSet></Tagging>';
    const { stdout } = await run('/usr/bin/python3', [PYTHON_POST, gw.endpoint, gw.key.id, gw.key.secret, 'forms', `boto/${version}.bin`, version, JSON.stringify([{ tagging }, ['content-length-range', 0, 100]]), JSON.stringify({ tagging })]);
    const { url, fields } = JSON.parse(stdout) as { url: string; fields: Record<string, string> };
    expect(Object.keys(fields).some((name) => name === (version === 's3' ? 'AWSAccessKeyId' : 'x-amz-signature'))).toBe(true);
    const bytes = Buffer.from([0, 1, 2, 254, 255]);
    expect((await postForm(url, fields, { bytes })).status).toBe(204);
    expect((await read(`boto/${version}.bin`)).equals(bytes)).toBe(true);
    const tags = await gw.core.objects.stat({ actor: { id: 'ada' }, requestId: 't' }, { repository: 'forms', ref: 'main', path: `boto/${version}.bin` });
    expect(tags.tags).toEqual({ source: 'browser' });
  });

  it('checks a SigV2 form signature made by hand the way S3 documents it', async () => {
    const policy = Buffer.from(JSON.stringify({ expiration: new Date(Date.now() + 60_000).toISOString(), conditions: [{ bucket: 'forms' }, { key: 'v2.txt' }] })).toString('base64');
    const signature = createHmac('sha1', gw.key.secret).update(policy).digest('base64');
    const url = `${gw.endpoint}/forms`;
    expect((await postForm(url, { key: 'v2.txt', AWSAccessKeyId: gw.key.id, policy, signature }, { bytes: Buffer.from('two') })).status).toBe(204);
    expect((await read('v2.txt')).toString()).toBe('two');
    expect((await errorOf(await postForm(url, { key: 'v2.txt', AWSAccessKeyId: gw.key.id, policy, signature: createHmac('sha1', 'wrong').update(policy).digest('base64') }, { bytes: Buffer.from('no') }))).slice(0, 2)).toEqual([403, 'SignatureDoesNotMatch']);
    expect((await read('v2.txt')).toString()).toBe('two');
  });
});
