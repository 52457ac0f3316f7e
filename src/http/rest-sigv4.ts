import { createHash } from 'node:crypto';
import { Transform } from 'node:stream';
import type { FastifyRequest } from 'fastify';
import { StrataError } from '../core/errors.ts';
import type { Actor } from '../core/ports/authorizer.ts';
import type { StrataCore } from '../core/strata.ts';
import { authenticate as authenticateS3 } from './s3/auth/authenticate.ts';
import type { SignableRequest } from './s3/auth/canonical.ts';
import { EMPTY_SHA256 } from './s3/auth/sigv4.ts';
import { S3Error } from './s3/errors.ts';

/** Whether the request claims AWS Signature Version 4 (header or presigned query). */
export function claimsSigV4(request: FastifyRequest): boolean {
  const header = request.headers.authorization;
  return header?.startsWith('AWS4-HMAC-SHA256') === true || /[?&]X-Amz-Signature=/.test(request.url);
}

/**
 * Authenticates a REST request signed with AWS SigV4 by one of the principal's S3 access keys, so
 * one credential serves both protocols (the credential scope's service may be anything: `s3`
 * is what most signers default to). The signature covers the method, path, query and signed
 * headers; the body is covered by `x-amz-content-sha256`, checked as it streams (`payloadCheck`)
 * or `UNSIGNED-PAYLOAD`. Streaming (aws-chunked) bodies are S3's and are refused here. Returns
 * undefined with the reason when the signature does not hold.
 */
export async function authenticateSigV4(core: StrataCore, request: FastifyRequest): Promise<{ actor: Actor; sha256?: string } | { refused: string }> {
  const signable = signableOf(request);
  if (!signable.headers.has('x-amz-content-sha256')) {
    // Signers other than S3's leave the header out; the payload line is then the body's hash,
    // which a request without a body makes the empty one's. A body needs the header up front.
    if (hasBody(request)) return { refused: 'SigV4: a request with a body needs x-amz-content-sha256 (the SHA-256 of the body, or UNSIGNED-PAYLOAD)' };
    signable.headers.set('x-amz-content-sha256', [EMPTY_SHA256]);
  }
  try {
    const auth = await authenticateS3(signable, { resourcePath: signable.rawPath, keys: core.accessKeys, now: Date.now() });
    if (auth.principal === undefined) return { refused: 'SigV4: no signature' };
    if (auth.payload.kind === 'chunked') return { refused: 'SigV4: aws-chunked bodies are for the S3 gateway; sign the REST body whole or as UNSIGNED-PAYLOAD' };
    // A disabled principal's key still verifies; the authorizer then refuses it everything, as on S3.
    return { actor: { id: auth.principal }, ...(auth.payload.sha256 === undefined ? {} : { sha256: auth.payload.sha256 }) };
  } catch (error) {
    if (error instanceof S3Error) return { refused: `SigV4: ${error.code}: ${error.message}` };
    throw error;
  }
}

/**
 * The request body, checked against the SHA-256 the signature covers: the stream fails at its
 * end when the bytes differ, so a handler reading it (an object upload) stores nothing.
 */
export function payloadCheck(sha256: string): Transform {
  const hash = createHash('sha256');
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      hash.update(chunk);
      callback(null, chunk);
    },
    flush(callback) {
      const actual = hash.digest('hex');
      callback(actual === sha256 ? null : new StrataError('InvalidArgument', `the body's SHA-256 ${actual} is not the signed x-amz-content-sha256 ${sha256}`));
    },
  });
}

/** A request with no body was signed as having none. */
export function checkEmptyPayload(sha256: string): void {
  if (sha256 !== EMPTY_SHA256) throw new StrataError('InvalidArgument', `the request has no body, but the signed x-amz-content-sha256 is ${sha256}`);
}

function hasBody(request: FastifyRequest): boolean {
  const length = request.headers['content-length'];
  return request.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

function signableOf(request: FastifyRequest): SignableRequest {
  const url = request.raw.url ?? '/';
  const at = url.indexOf('?');
  const headers = new Map<string, string[]>();
  const raw = request.raw.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = (raw[i] ?? '').toLowerCase();
    const values = headers.get(name) ?? [];
    values.push(raw[i + 1] ?? '');
    headers.set(name, values);
  }
  return { method: request.method, rawPath: at < 0 ? url : url.slice(0, at), rawQuery: at < 0 ? '' : url.slice(at + 1), headers };
}
