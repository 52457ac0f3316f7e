import busboy from 'busboy';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { Readable } from 'node:stream';
import { etagOf } from '../../../core/objects/entry.ts';
import { locateForWrite, requireBucket } from '../addressing.ts';
import { signingKey } from '../auth/sigv4.ts';
import { S3Error, s3Error } from '../errors.ts';
import { requestBytes, sendEmpty, sendXmlStatus, type GatewayDeps, type S3Exchange } from '../exchange.ts';
import { STORED_HEADERS } from '../object-headers.ts';
import { many, parseXml } from '../xml.ts';
import { checksumHeaders } from './put-object.ts';

/**
 * Browser-based uploads (POST Object): an HTML form posts `multipart/form-data` to the bucket,
 * with a policy document the key's owner signed (SigV4 or SigV2) saying what the form may
 * contain. Fields come before the file, so everything is checked before a byte of the file is
 * stored; `content-length-range` is enforced as the file streams in.
 * https://docs.aws.amazon.com/AmazonS3/latest/API/RESTObjectPOST.html
 * https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-HTTPPOSTConstructPolicy.html
 */

/** Fields never named by the policy's conditions (AWS: the signature, the policy, the file, x-ignore-*). */
const UNCONDITIONED = new Set(['policy', 'x-amz-signature', 'signature', 'awsaccesskeyid', 'file']);
const MAX_FIELD_BYTES = 20 * 1024;
const MAX_FIELDS = 100;

type Condition = { op: 'eq' | 'starts-with'; field: string; value: string; text: string } | { op: 'content-length-range'; min: number; max: number; text: string };

interface Form {
  /** Field values by lower-case name (the first of repeated ones). */
  fields: Map<string, string>;
  file: { stream: Readable; filename: string; mimeType: string };
}

const policyFailure = (detail: string): S3Error => s3Error.accessDenied(`Invalid according to Policy: ${detail}`);
const invalidPolicy = (detail: string): S3Error => new S3Error('InvalidPolicyDocument', 400, `Invalid Policy: ${detail}`);

export function isFormUpload(exchange: S3Exchange): boolean {
  return exchange.method === 'POST' && exchange.bucket !== undefined && exchange.key === undefined && !exchange.query.has('delete') && /^multipart\/form-data\s*;/i.test(exchange.header('content-type') ?? '');
}

export async function postObject(exchange: S3Exchange, deps: GatewayDeps, now: number): Promise<void> {
  exchange.log.operation = 'PostObject';
  const form = await readForm(exchange);
  try {
    const principal = await verifySignature(form.fields, deps);
    exchange.ctx = { ...exchange.ctx, actor: { id: principal } };
    exchange.auth = { ...exchange.auth, principal };
    const key = (form.fields.get('key') ?? '').replaceAll('${filename}', form.file.filename);
    const conditions = checkPolicy(form.fields, { bucket: exchange.bucket ?? '', key, now });
    const repository = await requireBucket(exchange, deps);
    if (key === '') throw s3Error.invalidArgument("Bucket POST must contain a field named 'key'.  If it is specified, please check the order of the fields.");
    const acl = form.fields.get('acl');
    if (acl !== undefined && acl !== 'private' && acl !== 'bucket-owner-full-control') throw s3Error.notImplemented(`the canned ACL '${acl}' (access is set per repository)`);
    const at = locateForWrite(repository, key);
    exchange.log.key = key;
    const range = conditions.find((c) => c.op === 'content-length-range');
    const max = Math.min(range?.max ?? Number.POSITIVE_INFINITY, deps.maxUploadBytes);
    const template = templateFromForm(form);
    const info = await deps.core.objects.put(exchange.ctx, {
      repository: at.repository,
      branch: at.ref,
      path: at.path,
      body: sized(form.file.stream, { min: range?.min ?? 0, max }),
      contentType: template.contentType,
      metadata: template.metadata,
      headers: template.headers,
      tags: template.tags,
      maxBytes: Number.isFinite(max) ? max : undefined,
    });
    answer(exchange, form.fields, { bucket: repository.name, key, etag: etagOf(info), checksums: checksumHeaders(info.headers) });
  } finally {
    // Whatever was not read (the file after a refusal, fields after it) is dropped.
    form.file.stream.resume();
  }
}

/** The fields up to the file part, and the file as a stream; S3 ignores fields after the file. */
function readForm(exchange: S3Exchange): Promise<Form> {
  return new Promise((resolve, reject) => {
    let parser: busboy.Busboy;
    try {
      parser = busboy({ headers: exchange.raw.headers, limits: { fieldSize: MAX_FIELD_BYTES, fields: MAX_FIELDS, files: 1 }, defParamCharset: 'utf8' });
    } catch {
      reject(s3Error.invalidArgument('POST requires a multipart/form-data body with a boundary'));
      return;
    }
    const fields = new Map<string, string>();
    let settled = false;
    const fail = (error: S3Error): void => {
      if (settled) return;
      settled = true;
      reject(error);
    };
    parser.on('field', (name, value, info) => {
      if (info.valueTruncated) fail(s3Error.invalidArgument(`the form field '${name}' is larger than ${MAX_FIELD_BYTES} bytes`));
      const lower = name.toLowerCase();
      if (!fields.has(lower)) fields.set(lower, value);
    });
    parser.on('fieldsLimit', () => {
      fail(s3Error.invalidArgument(`a POST form holds at most ${MAX_FIELDS} fields`));
    });
    parser.on('file', (_name, stream, info) => {
      if (settled) {
        stream.resume();
        return;
      }
      settled = true;
      resolve({ fields, file: { stream, filename: info.filename ?? '', mimeType: info.mimeType } });
    });
    parser.on('error', (error: Error) => {
      fail(new S3Error('MalformedPOSTRequest', 400, `The body of your POST request is not well-formed multipart/form-data: ${error.message}`));
    });
    parser.on('close', () => {
      fail(s3Error.invalidArgument('POST requires exactly one file upload per request.'));
    });
    Readable.from(requestBytes(exchange))
      .on('error', (error: Error) => {
        parser.destroy(error);
      })
      .pipe(parser);
  });
}

/** The principal whose key signed the policy (SigV4 `x-amz-*` fields, or SigV2 `AWSAccessKeyId`/`signature`). */
async function verifySignature(fields: Map<string, string>, deps: GatewayDeps): Promise<string> {
  const policy = fields.get('policy');
  // S3 takes unsigned forms only into buckets anyone may write to; no repository is one.
  if (policy === undefined) throw s3Error.accessDenied('Anonymous POST uploads are not allowed: sign a policy document');
  const v4Signature = fields.get('x-amz-signature');
  if (v4Signature !== undefined) {
    if (fields.get('x-amz-algorithm') !== 'AWS4-HMAC-SHA256') throw s3Error.invalidArgument('x-amz-algorithm must be AWS4-HMAC-SHA256');
    const credential = fields.get('x-amz-credential') ?? '';
    const [accessKeyId = '', ...scope] = credential.split('/');
    if (scope.length !== 4 || scope[2] !== 's3' || scope[3] !== 'aws4_request' || !/^\d{8}$/.test(scope[0] ?? '')) throw s3Error.invalidArgument(`x-amz-credential is not <key>/<date>/<region>/s3/aws4_request: '${credential}'`);
    const key = await deps.core.accessKeys.resolve(accessKeyId);
    if (key === undefined) throw s3Error.invalidAccessKeyId();
    const expected = createHmac('sha256', signingKey(key.secret, scope.join('/'))).update(policy, 'utf8').digest();
    if (!sameBytes(Buffer.from(v4Signature, 'hex'), expected)) throw s3Error.signatureDoesNotMatch();
    return key.principal;
  }
  const v2Signature = fields.get('signature');
  const accessKeyId = fields.get('awsaccesskeyid');
  if (v2Signature === undefined || accessKeyId === undefined) throw s3Error.invalidArgument("Bucket POST must contain a field named 'x-amz-signature' (SigV4) or 'AWSAccessKeyId' and 'signature' (SigV2).");
  const key = await deps.core.accessKeys.resolve(accessKeyId);
  if (key === undefined) throw s3Error.invalidAccessKeyId();
  const expected = createHmac('sha1', key.secret).update(policy, 'utf8').digest();
  if (!sameBytes(Buffer.from(v2Signature, 'base64'), expected)) throw s3Error.signatureDoesNotMatch();
  return key.principal;
}

function sameBytes(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * The policy's expiration and conditions against the form: every condition holds, and every
 * field the form has (but the unconditioned ones and `x-ignore-*`) is named by a condition.
 */
function checkPolicy(fields: Map<string, string>, request: { bucket: string; key: string; now: number }): Condition[] {
  const document = parsePolicy(fields.get('policy') ?? '');
  if (document.expiration <= request.now) throw policyFailure('Policy expired.');
  const value = (field: string): string => (field === 'bucket' ? request.bucket : field === 'key' ? request.key : (fields.get(field) ?? ''));
  const named = new Set<string>(['bucket']);
  for (const condition of document.conditions) {
    if (condition.op === 'content-length-range') continue;
    named.add(condition.field);
    const actual = value(condition.field);
    const holds = condition.op === 'eq' ? actual === condition.value : actual.startsWith(condition.value);
    if (!holds) throw policyFailure(`Policy Condition failed: ${condition.text}`);
  }
  const extra = [...fields.keys()].filter((name) => !UNCONDITIONED.has(name) && !name.startsWith('x-ignore-') && !named.has(name));
  if (extra.length > 0) throw policyFailure(`Extra input fields: ${extra.join(', ')}`);
  return document.conditions;
}

function parsePolicy(base64: string): { expiration: number; conditions: Condition[] } {
  let document: unknown;
  try {
    document = JSON.parse(Buffer.from(base64, 'base64').toString('utf8'));
  } catch {
    throw invalidPolicy('Invalid JSON.');
  }
  if (typeof document !== 'object' || document === null) throw invalidPolicy('Invalid JSON.');
  const { expiration, conditions } = document as { expiration?: unknown; conditions?: unknown };
  const expires = typeof expiration === 'string' && /^\d{4}-\d{2}-\d{2}T/.test(expiration) ? Date.parse(expiration) : Number.NaN;
  if (Number.isNaN(expires)) throw invalidPolicy('Policy is missing a valid expiration (an ISO 8601 time).');
  if (!Array.isArray(conditions)) throw invalidPolicy('Policy is missing its conditions.');
  return { expiration: expires, conditions: conditions.map(parseCondition) };
}

/** A condition as S3 names it in errors: `["eq", "$Content-Type", "image/png"]`. */
const conditionText = (items: unknown[]): string => `[${items.map((item) => JSON.stringify(item)).join(', ')}]`;

/** `{"field": "value"}`, `["eq"|"starts-with", "$field", "value"]` or `["content-length-range", min, max]`. */
function parseCondition(raw: unknown): Condition {
  const text = Array.isArray(raw) ? conditionText(raw) : JSON.stringify(raw);
  if (Array.isArray(raw)) {
    const [op, a, b] = raw as unknown[];
    const name = typeof op === 'string' ? op.toLowerCase() : '';
    if (name === 'content-length-range') {
      if (!Number.isInteger(a) || !Number.isInteger(b) || (a as number) < 0 || (b as number) < (a as number)) throw invalidPolicy(`Invalid content-length-range: ${text}`);
      return { op: name, min: a as number, max: b as number, text };
    }
    if ((name === 'eq' || name === 'starts-with') && raw.length === 3 && typeof a === 'string' && a.startsWith('$') && typeof b === 'string') {
      return { op: name, field: a.slice(1).toLowerCase(), value: b, text };
    }
    throw invalidPolicy(`Invalid Policy Condition: ${text}`);
  }
  if (typeof raw === 'object' && raw !== null) {
    const entries = Object.entries(raw);
    const [entry] = entries;
    if (entries.length === 1 && entry !== undefined && typeof entry[1] === 'string') return { op: 'eq', field: entry[0].toLowerCase(), value: entry[1], text: conditionText(['eq', `$${entry[0]}`, entry[1]]) };
  }
  throw invalidPolicy(`Invalid Policy Condition: ${text}`);
}

/** The file's bytes, failing once they pass `max` or end below `min` (nothing is staged then). */
async function* sized(stream: Readable, range: { min: number; max: number }): AsyncGenerator<Uint8Array> {
  let total = 0;
  for await (const piece of stream as AsyncIterable<Uint8Array>) {
    total += piece.length;
    if (total > range.max) throw s3Error.entityTooLarge('Your proposed upload exceeds the maximum allowed size');
    yield piece;
  }
  if (total < range.min) throw new S3Error('EntityTooSmall', 400, 'Your proposed upload is smaller than the minimum allowed size');
}

function templateFromForm(form: Form): { contentType?: string; metadata: Record<string, string>; headers: Record<string, string>; tags?: Record<string, string> } {
  const { fields } = form;
  const metadata: Record<string, string> = {};
  for (const [name, value] of fields) if (name.startsWith('x-amz-meta-')) metadata[name.slice('x-amz-meta-'.length)] = value;
  const headers: Record<string, string> = {};
  for (const name of STORED_HEADERS) {
    const value = fields.get(name);
    if (value !== undefined && value !== '') headers[name] = value;
  }
  const tagging = fields.get('tagging');
  return { contentType: fields.get('content-type'), metadata, headers, tags: tagging === undefined ? undefined : parseTags(tagging) };
}

/** The `tagging` field: a `<Tagging>` document, as PutObjectTagging takes. */
function parseTags(xml: string): Record<string, string> {
  const tagging = parseXml(xml)?.Tagging as { TagSet?: { Tag?: unknown } } | undefined;
  if (tagging === undefined) throw s3Error.malformedXml();
  const tags: Record<string, string> = {};
  for (const tag of many(tagging.TagSet?.Tag) as Array<{ Key?: unknown; Value?: unknown }>) {
    if (typeof tag.Key !== 'string') throw s3Error.malformedXml();
    tags[tag.Key] = typeof tag.Value === 'string' ? tag.Value : '';
  }
  return tags;
}

/** `success_action_redirect` (303 to it), else `success_action_status` 200, 201 (with XML) or 204 (the default). */
function answer(exchange: S3Exchange, fields: Map<string, string>, stored: { bucket: string; key: string; etag: string; checksums: Record<string, string> }): void {
  const location = `/${encodeURIComponent(stored.bucket)}/${stored.key.split('/').map(encodeURIComponent).join('/')}`;
  const headers = { etag: stored.etag, location, ...stored.checksums };
  const redirect = fields.get('success_action_redirect') ?? fields.get('redirect');
  if (redirect !== undefined && /^https?:\/\//i.test(redirect)) {
    const target = new URL(redirect);
    target.searchParams.set('bucket', stored.bucket);
    target.searchParams.set('key', stored.key);
    target.searchParams.set('etag', stored.etag);
    sendEmpty(exchange, 303, { ...headers, location: target.toString() });
    return;
  }
  const status = fields.get('success_action_status');
  if (status === '201') {
    const host = exchange.header('host');
    sendXmlStatus(exchange, { status: 201, headers }, { root: 'PostResponse', body: { Location: host === undefined ? location : `http://${host}${location}`, Bucket: stored.bucket, Key: stored.key, ETag: stored.etag } });
    return;
  }
  sendEmpty(exchange, status === '200' ? 200 : 204, headers);
}
