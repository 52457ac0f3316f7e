import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { s3Error } from '../errors.ts';
import { awsEncode, decode, headerValue, queryPairs, type SignableRequest } from './canonical.ts';

export const EMPTY_SHA256 = createHash('sha256').digest('hex');
/** S3's limit between the signed time and the server's clock. */
export const MAX_SKEW_MS = 15 * 60 * 1000;
/** Longest presigned URL validity S3 accepts (7 days). */
export const MAX_PRESIGN_SECONDS = 604_800;

/** What a SigV4 request claims, before verification. */
export interface V4Claim {
  accessKeyId: string;
  /** `YYYYMMDD/region/service/aws4_request`. */
  scope: string;
  /** `YYYYMMDDTHHMMSSZ`. */
  amzDate: string;
  signedHeaders: string[];
  signature: string;
  /** The x-amz-content-sha256 value (or UNSIGNED-PAYLOAD for presigned URLs). */
  payloadHash: string;
  presigned?: { expiresSeconds: number };
}

const HEADER_PATTERN = /^AWS4-HMAC-SHA256\s+Credential=([^,\s]+)\s*,\s*SignedHeaders=([^,\s]+)\s*,\s*Signature=([0-9a-f]{64})\s*$/;

/** Reads the claim from an `Authorization: AWS4-HMAC-SHA256 …` header. */
export function parseV4Header(request: SignableRequest, authorization: string): V4Claim {
  const match = HEADER_PATTERN.exec(authorization);
  if (!match) throw s3Error.authorizationHeaderMalformed('The authorization header is malformed.');
  const [, credential = '', signedHeaders = '', signature = ''] = match;
  const amzDate = headerValue(request, 'x-amz-date') ?? toAmzDate(headerValue(request, 'date'));
  const payloadHash = headerValue(request, 'x-amz-content-sha256');
  if (payloadHash === undefined) throw s3Error.invalidRequest('Missing required header for this request: x-amz-content-sha256');
  return { ...splitCredential(credential), amzDate, signedHeaders: signedHeaders.split(';'), signature, payloadHash };
}

/** Reads the claim from a presigned URL's X-Amz-* query parameters. */
export function parseV4Query(request: SignableRequest): V4Claim {
  const query = new Map(queryPairs(request.rawQuery));
  const get = (name: string): string => {
    const value = query.get(name);
    if (value === undefined) throw s3Error.authorizationHeaderMalformed(`Query-string authentication requires the ${name} parameter.`);
    return value;
  };
  if (get('X-Amz-Algorithm') !== 'AWS4-HMAC-SHA256') throw s3Error.authorizationHeaderMalformed('Only AWS4-HMAC-SHA256 is supported.');
  const expiresSeconds = Number(get('X-Amz-Expires'));
  if (!Number.isInteger(expiresSeconds) || expiresSeconds < 1 || expiresSeconds > MAX_PRESIGN_SECONDS) {
    throw s3Error.authorizationHeaderMalformed('X-Amz-Expires must be between 1 and 604800 seconds.');
  }
  return {
    ...splitCredential(get('X-Amz-Credential')),
    amzDate: get('X-Amz-Date'),
    signedHeaders: get('X-Amz-SignedHeaders').split(';'),
    signature: get('X-Amz-Signature'),
    payloadHash: headerValue(request, 'x-amz-content-sha256') ?? 'UNSIGNED-PAYLOAD',
    presigned: { expiresSeconds },
  };
}

function splitCredential(credential: string): { accessKeyId: string; scope: string } {
  const at = credential.indexOf('/');
  const scope = credential.slice(at + 1);
  if (at <= 0 || !/^\d{8}\/[^/]+\/[^/]+\/aws4_request$/.test(scope)) {
    throw s3Error.authorizationHeaderMalformed(`The credential '${credential}' is malformed; expected "<key>/YYYYMMDD/<region>/<service>/aws4_request".`);
  }
  return { accessKeyId: credential.slice(0, at), scope };
}

function toAmzDate(httpDate: string | undefined): string {
  const time = httpDate === undefined ? Number.NaN : Date.parse(httpDate);
  if (Number.isNaN(time)) throw s3Error.accessDenied('AWS authentication requires a valid Date or x-amz-date header');
  return new Date(time).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
}

export function parseAmzDate(amzDate: string): number {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(amzDate);
  if (!m) throw s3Error.accessDenied('X-Amz-Date must be in the ISO8601 basic format YYYYMMDDTHHMMSSZ');
  return Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]));
}

/** Checks the claim's time against the clock: S3's skew limit, and a presigned URL's expiry. */
export function checkV4Time(claim: V4Claim, now: number): void {
  const signedAt = parseAmzDate(claim.amzDate);
  if (!claim.scope.startsWith(claim.amzDate.slice(0, 8))) throw s3Error.signatureDoesNotMatch();
  if (claim.presigned) {
    if (signedAt - now > MAX_SKEW_MS) throw s3Error.accessDenied('Request is not valid yet');
    if (now > signedAt + claim.presigned.expiresSeconds * 1000) throw s3Error.accessDenied('Request has expired');
    return;
  }
  if (Math.abs(now - signedAt) > MAX_SKEW_MS) throw s3Error.requestTimeTooSkewed();
}

const signingKeys = new Map<string, Buffer>();

/** The derived key for `secret` and `scope`; cached, since it changes once a day per key. */
export function signingKey(secret: string, scope: string): Buffer {
  const cacheKey = `${secret}\n${scope}`;
  const hit = signingKeys.get(cacheKey);
  if (hit) return hit;
  const [date = '', region = '', service = ''] = scope.split('/');
  let key = hmac(`AWS4${secret}`, date);
  key = hmac(key, region);
  key = hmac(key, service);
  key = hmac(key, 'aws4_request');
  if (signingKeys.size > 10_000) signingKeys.clear();
  signingKeys.set(cacheKey, key);
  return key;
}

export function hmac(key: string | Buffer, data: string): Buffer {
  return createHmac('sha256', key).update(data, 'utf8').digest();
}

export function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/**
 * Verifies the claim's signature with `secret`. The canonical URI is tried as sent, then as AWS
 * would encode the decoded path: clients differ on which characters they escape.
 */
export function verifyV4(request: SignableRequest, claim: V4Claim, secret: string): void {
  const key = signingKey(secret, claim.scope);
  const sent = Buffer.from(claim.signature, 'hex');
  const candidates = new Set([request.rawPath, awsEncode(decode(request.rawPath.replaceAll('+', '%2B')), true)]);
  for (const uri of candidates) {
    const expected = createHmac('sha256', key).update(stringToSign(request, claim, uri)).digest();
    if (sent.length === expected.length && timingSafeEqual(sent, expected)) return;
  }
  throw s3Error.signatureDoesNotMatch();
}

function stringToSign(request: SignableRequest, claim: V4Claim, uri: string): string {
  return ['AWS4-HMAC-SHA256', claim.amzDate, claim.scope, sha256Hex(canonicalRequest(request, claim, uri))].join('\n');
}

function canonicalRequest(request: SignableRequest, claim: V4Claim, uri: string): string {
  const pairs = queryPairs(request.rawQuery)
    .filter(([name]) => !(claim.presigned && name === 'X-Amz-Signature'))
    .map(([name, value]) => [awsEncode(name), awsEncode(value)] as const)
    .sort(([a, x], [b, y]) => (a < b ? -1 : a > b ? 1 : x < y ? -1 : x > y ? 1 : 0));
  const headers = claim.signedHeaders.map((name) => `${name}:${(headerValue(request, name) ?? '').replace(/\s+/g, ' ')}\n`).join('');
  return [request.method, uri, pairs.map(([n, v]) => `${n}=${v}`).join('&'), headers, claim.signedHeaders.join(';'), claim.payloadHash].join('\n');
}
