import { etagOf } from '../../../core/objects/entry.ts';
import { compareKeys } from '../../../core/keys.ts';
import { listKeys, requireBucket } from '../addressing.ts';
import { awsEncode } from '../auth/canonical.ts';
import { s3Error } from '../errors.ts';
import { isoDate, sendXml, type GatewayDeps, type S3Exchange } from '../exchange.ts';
import type { XmlElement } from '../xml.ts';

const MAX_KEYS = 1000;

function maxKeys(exchange: S3Exchange): number {
  const text = exchange.query.get('max-keys');
  if (text === undefined) return MAX_KEYS;
  const value = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(value)) throw s3Error.invalidArgument('Provided max-keys not an integer or within integer range');
  return Math.min(value, MAX_KEYS);
}

function encoder(exchange: S3Exchange): (text: string) => string {
  const type = exchange.query.get('encoding-type');
  if (type === undefined) return (text) => text;
  if (type !== 'url') throw s3Error.invalidArgument('Invalid Encoding Method specified in Request');
  return (text) => awsEncode(text, true);
}

function owner(principal: string): XmlElement {
  return { ID: principal, DisplayName: principal };
}

/** ListObjects (v1) and ListObjectsV2. */
export async function listObjects(exchange: S3Exchange, deps: GatewayDeps): Promise<void> {
  const v2 = exchange.query.get('list-type') === '2';
  exchange.log.operation = v2 ? 'ListObjectsV2' : 'ListObjects';
  const repository = await requireBucket(exchange, deps);
  const prefix = exchange.query.get('prefix') ?? '';
  const delimiter = exchange.query.get('delimiter') || undefined;
  const limit = maxKeys(exchange);
  const encode = encoder(exchange);
  const token = exchange.query.get('continuation-token');
  const startAfter = exchange.query.get('start-after');
  const marker = exchange.query.get('marker');
  let after = v2 ? (token !== undefined ? decodeToken(token) : startAfter) : marker;
  if (after === '') after = undefined;
  const page = limit === 0 ? { objects: [], commonPrefixes: [], truncated: false, last: undefined } : await listKeys(exchange, deps, { repository, prefix, delimiter, after, limit });
  const withOwner = !v2 || exchange.query.get('fetch-owner') === 'true';
  const contents = page.objects.map((o) => ({
    Key: encode(o.key),
    LastModified: isoDate(o.mtime),
    ETag: etagOf(o),
    Size: o.size,
    Owner: withOwner ? owner(repository.createdBy) : undefined,
    StorageClass: 'STANDARD',
  }));
  const common = page.commonPrefixes.sort(compareKeys).map((p) => ({ Prefix: encode(p) }));
  // ListObjects v1 leaves its top-level Prefix as sent even with encoding-type=url, as AWS does
  // (botocore decodes only Delimiter, Marker, NextMarker, keys and common prefixes for v1).
  const body: XmlElement = { Name: repository.name, Prefix: v2 ? encode(prefix) : prefix };
  if (v2) {
    body.StartAfter = startAfter === undefined ? undefined : encode(startAfter);
    body.ContinuationToken = token;
    body.KeyCount = contents.length + common.length;
    if (page.truncated && page.last !== undefined) body.NextContinuationToken = encodeToken(page.last);
  } else {
    body.Marker = encode(marker ?? '');
    // S3 returns NextMarker only with a delimiter; clients fall back to the last key otherwise.
    if (page.truncated && delimiter !== undefined && page.last !== undefined) body.NextMarker = encode(page.last);
  }
  body.MaxKeys = limit;
  body.Delimiter = delimiter === undefined ? undefined : encode(delimiter);
  body.EncodingType = exchange.query.get('encoding-type');
  body.IsTruncated = page.truncated;
  body.Contents = contents;
  body.CommonPrefixes = common;
  sendXml(exchange, 'ListBucketResult', body);
}

function encodeToken(key: string): string {
  return Buffer.from(key, 'utf8').toString('base64url');
}

function decodeToken(token: string): string {
  const key = Buffer.from(token, 'base64url').toString('utf8');
  if (encodeToken(key) !== token) throw s3Error.invalidArgument('The continuation token provided is incorrect');
  return key;
}
