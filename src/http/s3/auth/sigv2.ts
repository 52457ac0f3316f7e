import { createHmac, timingSafeEqual } from 'node:crypto';
import { s3Error } from '../errors.ts';
import { headerValue, queryPairs, type SignableRequest } from './canonical.ts';
import { MAX_SKEW_MS } from './sigv4.ts';

/** The longest a presigned URL may be valid: 7 days, as for SigV4. */
const MAX_PRESIGNED_MS = 7 * 24 * 60 * 60 * 1000;

/** Sub-resources that S3 includes in a V2 signature's canonical resource. */
const SUB_RESOURCES = new Set([
  'acl', 'delete', 'lifecycle', 'location', 'logging', 'notification', 'partNumber', 'policy', 'requestPayment',
  'response-cache-control', 'response-content-disposition', 'response-content-encoding', 'response-content-language',
  'response-content-type', 'response-expires', 'tagging', 'torrent', 'uploadId', 'uploads', 'versionId', 'versioning',
  'versions', 'website', 'cors', 'restore', 'replication', 'encryption', 'object-lock', 'retention', 'legal-hold',
]);

export interface V2Claim {
  accessKeyId: string;
  signature: string;
  /** Unix seconds, for query (presigned) authentication. */
  expires?: number;
}

export function parseV2Header(authorization: string): V2Claim {
  const match = /^AWS ([^:\s]+):(\S+)$/.exec(authorization);
  if (!match) throw s3Error.authorizationHeaderMalformed('The authorization header is malformed.');
  return { accessKeyId: match[1] ?? '', signature: match[2] ?? '' };
}

export function parseV2Query(request: SignableRequest): V2Claim {
  const query = new Map(queryPairs(request.rawQuery));
  const expires = Number(query.get('Expires'));
  if (!Number.isInteger(expires)) throw s3Error.accessDenied('Query-string authentication requires the Signature, Expires and AWSAccessKeyId parameters');
  return { accessKeyId: query.get('AWSAccessKeyId') ?? '', signature: query.get('Signature') ?? '', expires };
}

export function checkV2Time(request: SignableRequest, claim: V2Claim, now: number): void {
  if (claim.expires !== undefined) {
    if (now > claim.expires * 1000) throw s3Error.accessDenied('Request has expired');
    // AWS bounds SigV4 presigned URLs to a week; a V2 URL gets the same bound rather than
    // living forever (AWS itself sets none for V2).
    if (claim.expires * 1000 - now > MAX_PRESIGNED_MS) throw s3Error.accessDenied('Query-string authentication requires an Expires no more than 7 days (604800 seconds) away');
    return;
  }
  const date = Date.parse(headerValue(request, 'x-amz-date') ?? headerValue(request, 'date') ?? '');
  if (Number.isNaN(date)) throw s3Error.accessDenied('AWS authentication requires a valid Date or x-amz-date header');
  if (Math.abs(now - date) > MAX_SKEW_MS) throw s3Error.requestTimeTooSkewed();
}

/**
 * Verifies an HMAC-SHA1 V2 signature. `resourcePath` is `/bucket/key` as sent (for virtual-host
 * requests the bucket is prepended by the caller).
 */
export function verifyV2(request: SignableRequest, claim: V2Claim, { secret, resourcePath }: { secret: string; resourcePath: string }): void {
  const sent = Buffer.from(claim.signature, 'base64');
  for (const resource of resourceForms(resourcePath)) {
    const expected = createHmac('sha1', secret).update(stringToSign(request, claim, resource), 'utf8').digest();
    if (sent.length === expected.length && timingSafeEqual(sent, expected)) return;
  }
  throw s3Error.signatureDoesNotMatch();
}

/**
 * A bucket-level resource is `/bucket/` in the V2 canonical form whichever of `/bucket` or
 * `/bucket/` was sent, and clients differ on which they sign; both name the same bucket.
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/RESTAuthentication.html#ConstructingTheCanonicalizedResourceElement
 */
function resourceForms(resourcePath: string): string[] {
  const bucketOnly = /^\/[^/]+\/?$/.test(resourcePath);
  if (!bucketOnly) return [resourcePath];
  const bare = resourcePath.endsWith('/') ? resourcePath.slice(0, -1) : resourcePath;
  return [`${bare}/`, bare];
}

function stringToSign(request: SignableRequest, claim: V2Claim, resourcePath: string): string {
  const amzHeaders = [...request.headers.keys()]
    .filter((name) => name.startsWith('x-amz-'))
    .sort()
    .map((name) => `${name}:${(headerValue(request, name) ?? '').replace(/\s+/g, ' ')}\n`)
    .join('');
  const date = claim.expires !== undefined ? String(claim.expires) : request.headers.has('x-amz-date') ? '' : (headerValue(request, 'date') ?? '');
  const sub = queryPairs(request.rawQuery)
    .filter(([name]) => SUB_RESOURCES.has(name))
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, value]) => (value === '' ? name : `${name}=${value}`));
  const resource = resourcePath + (sub.length > 0 ? `?${sub.join('&')}` : '');
  return [request.method, headerValue(request, 'content-md5') ?? '', headerValue(request, 'content-type') ?? '', date, amzHeaders + resource].join('\n');
}
