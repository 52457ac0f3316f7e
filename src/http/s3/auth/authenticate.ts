import type { AccessKeyRecord } from '../../../core/ports/metadata-store.ts';
import { s3Error } from '../errors.ts';
import type { ChunkSigning } from './aws-chunked.ts';
import { headerValue, queryPairs, type SignableRequest } from './canonical.ts';
import { checkV2Time, parseV2Header, parseV2Query, verifyV2 } from './sigv2.ts';
import { checkV4Time, parseV4Header, parseV4Query, signingKey, verifyV4, type V4Claim } from './sigv4.ts';

/** How the request body is framed and what proves its integrity. */
export type PayloadMode =
  /** Plain bytes; `sha256` (hex) is checked when the signer declared it. */
  | { kind: 'plain'; sha256?: string }
  /** `aws-chunked` framing, with chunk signatures when `signing` is set. */
  | { kind: 'chunked'; signing?: ChunkSigning; decodedLength?: number };

export interface Authentication {
  /** The principal, or undefined for an anonymous request. */
  principal: string | undefined;
  accessKeyId?: string;
  payload: PayloadMode;
}

export interface KeyResolver {
  resolve(accessKeyId: string): Promise<AccessKeyRecord | undefined>;
}

/**
 * Identifies the caller by SigV4 (header or presigned query) or SigV2 (header or query), or as
 * anonymous when the request carries no signature at all. Every failure is an S3Error.
 */
export async function authenticate(request: SignableRequest, input: { resourcePath: string; keys: KeyResolver; now: number }): Promise<Authentication> {
  const authorization = headerValue(request, 'authorization');
  const query = new Set(queryPairs(request.rawQuery).map(([name]) => name));
  if (authorization?.startsWith('AWS4-HMAC-SHA256') === true || query.has('X-Amz-Signature')) {
    const claim = authorization === undefined ? parseV4Query(request) : parseV4Header(request, authorization);
    checkV4Time(claim, input.now);
    const key = await requireKey(input.keys, claim.accessKeyId);
    verifyV4(request, claim, key.secret);
    return { principal: key.principal, accessKeyId: key.id, payload: v4Payload(request, claim, key.secret) };
  }
  if (authorization?.startsWith('AWS ') === true || query.has('Signature')) {
    const claim = authorization === undefined ? parseV2Query(request) : parseV2Header(authorization);
    checkV2Time(request, claim, input.now);
    const key = await requireKey(input.keys, claim.accessKeyId);
    verifyV2(request, claim, { secret: key.secret, resourcePath: input.resourcePath });
    return { principal: key.principal, accessKeyId: key.id, payload: plainPayload(request) };
  }
  if (authorization !== undefined) throw s3Error.authorizationHeaderMalformed('Unsupported authorization type.');
  return { principal: undefined, payload: plainPayload(request) };
}

async function requireKey(keys: KeyResolver, id: string): Promise<AccessKeyRecord> {
  const key = await keys.resolve(id);
  if (!key) throw s3Error.invalidAccessKeyId();
  return key;
}

function v4Payload(request: SignableRequest, claim: V4Claim, secret: string): PayloadMode {
  const decodedLength = decodedLengthOf(request);
  switch (claim.payloadHash) {
    case 'UNSIGNED-PAYLOAD':
      return { kind: 'plain' };
    case 'STREAMING-UNSIGNED-PAYLOAD-TRAILER':
      return { kind: 'chunked', decodedLength };
    case 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD':
    case 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER':
      return { kind: 'chunked', decodedLength, signing: { key: signingKey(secret, claim.scope), scope: claim.scope, amzDate: claim.amzDate, seed: claim.signature } };
    default:
      if (!/^[0-9a-f]{64}$/.test(claim.payloadHash)) throw s3Error.invalidArgument(`x-amz-content-sha256 must be a SHA-256 or a known streaming mode, not '${claim.payloadHash}'`);
      return { kind: 'plain', sha256: claim.payloadHash };
  }
}

/** Unsigned requests may still frame their body as aws-chunked (a checksum trailer). */
function plainPayload(request: SignableRequest): PayloadMode {
  const declared = headerValue(request, 'x-amz-content-sha256');
  if (declared === 'STREAMING-UNSIGNED-PAYLOAD-TRAILER') return { kind: 'chunked', decodedLength: decodedLengthOf(request) };
  return { kind: 'plain' };
}

function decodedLengthOf(request: SignableRequest): number | undefined {
  const value = headerValue(request, 'x-amz-decoded-content-length');
  if (value === undefined) return undefined;
  const length = Number(value);
  if (!Number.isSafeInteger(length) || length < 0) throw s3Error.invalidArgument('x-amz-decoded-content-length must be a non-negative integer');
  return length;
}
