import { Crc32, Crc32c, Crc64Nvme } from '@aws-sdk/checksums/crc';
import { createHash, type Hash } from 'node:crypto';
import { decodeAwsChunked } from './auth/aws-chunked.ts';
import type { PayloadMode } from './auth/authenticate.ts';
import { s3Error } from './errors.ts';

export const CHECKSUM_ALGORITHMS = ['crc32', 'crc32c', 'crc64nvme', 'sha1', 'sha256'] as const;
export type ChecksumAlgorithm = (typeof CHECKSUM_ALGORITHMS)[number];

interface Digest {
  update(data: Uint8Array): void;
  /** Base64, as S3 sends checksums. */
  digest(): Promise<string>;
}

function checksumOf(algorithm: ChecksumAlgorithm): Digest {
  if (algorithm === 'sha1' || algorithm === 'sha256') return fromHash(createHash(algorithm));
  const crc = algorithm === 'crc32' ? new Crc32() : algorithm === 'crc32c' ? new Crc32c() : new Crc64Nvme();
  return {
    update: (data) => {
      crc.update(data);
    },
    digest: async () => Buffer.from(await crc.digest()).toString('base64'),
  };
}

function fromHash(hash: Hash): Digest {
  return {
    update: (data) => hash.update(data),
    digest: () => Promise.resolve(hash.digest('base64')),
  };
}

/** What the request says its body must match. */
export interface BodyExpectations {
  /** Content-MD5 (base64). */
  contentMd5?: string;
  /** The checksum algorithm named by x-amz-checksum-*, x-amz-trailer or x-amz-sdk-checksum-algorithm. */
  checksum?: { algorithm: ChecksumAlgorithm; value?: string };
}

/** Reads the expectations from the request headers; a malformed value is an S3 error. */
export function bodyExpectations(header: (name: string) => string | undefined): BodyExpectations {
  const expectations: BodyExpectations = {};
  const md5 = header('content-md5');
  if (md5 !== undefined) {
    if (!/^[A-Za-z0-9+/]{22}==$/.test(md5)) throw s3Error.invalidDigest();
    expectations.contentMd5 = md5;
  }
  for (const algorithm of CHECKSUM_ALGORITHMS) {
    const value = header(`x-amz-checksum-${algorithm}`);
    if (value !== undefined) {
      expectations.checksum = { algorithm, value };
      return expectations;
    }
  }
  const named = (header('x-amz-trailer') ?? header('x-amz-sdk-checksum-algorithm'))?.toLowerCase().replace(/^x-amz-checksum-/, '');
  if (named !== undefined) {
    const algorithm = CHECKSUM_ALGORITHMS.find((a) => a === named);
    if (!algorithm) throw s3Error.invalidRequest(`Checksum algorithm '${named}' is not supported.`);
    expectations.checksum = { algorithm };
  }
  return expectations;
}

/** The decoded body and, once it has been fully read, the checksum headers to store with the object. */
export interface VerifiedBody {
  stream: AsyncIterable<Uint8Array>;
  /** Filled at the end of the stream, e.g. `{ 'x-amz-checksum-crc32': 'AAAAAA==' }`. */
  checksums: Record<string, string>;
}

/**
 * Decodes the body per the payload mode and checks, at its end, the declared SHA-256, length,
 * Content-MD5 and checksum. A mismatch throws from the stream instead of ending it, so a consumer
 * that stages only after the stream ends (ObjectStore.write) never stages a corrupted object.
 */
export function verifiedBody(raw: AsyncIterable<Uint8Array>, payload: PayloadMode, expectations: BodyExpectations): VerifiedBody {
  const checksums: Record<string, string> = {};
  const trailers = new Map<string, string>();
  const decoded = payload.kind === 'chunked' ? decodeAwsChunked(raw, { signing: payload.signing, trailers, decodedLength: payload.decodedLength }) : raw;
  async function* stream(): AsyncGenerator<Uint8Array> {
    const sha256 = payload.kind === 'plain' && payload.sha256 !== undefined ? createHash('sha256') : undefined;
    const md5 = expectations.contentMd5 !== undefined ? createHash('md5') : undefined;
    const checksum = expectations.checksum ? checksumOf(expectations.checksum.algorithm) : undefined;
    let size = 0;
    for await (const piece of decoded) {
      sha256?.update(piece);
      md5?.update(piece);
      checksum?.update(piece);
      size += piece.length;
      yield piece;
    }
    if (payload.kind === 'plain' && sha256 && sha256.digest('hex') !== payload.sha256) throw s3Error.sha256Mismatch();
    if (payload.kind === 'chunked' && payload.decodedLength !== undefined && size !== payload.decodedLength) throw s3Error.incompleteBody();
    if (md5 && md5.digest('base64') !== expectations.contentMd5) throw s3Error.badDigest();
    if (checksum && expectations.checksum) {
      const { algorithm } = expectations.checksum;
      const computed = await checksum.digest();
      const expected = expectations.checksum.value ?? trailers.get(`x-amz-checksum-${algorithm}`);
      if (expected !== undefined && expected !== computed) {
        throw s3Error.badDigest(`The ${algorithm.toUpperCase()} you specified did not match the calculated checksum.`);
      }
      checksums[`x-amz-checksum-${algorithm}`] = computed;
    }
  }
  return { stream: stream(), checksums };
}

/** Reads a small request body (an XML document) whole, refusing more than `limit` bytes. */
export async function readSmallBody(body: AsyncIterable<Uint8Array>, limit = 1024 * 1024): Promise<string> {
  const parts: Buffer[] = [];
  let size = 0;
  for await (const piece of body) {
    size += piece.length;
    if (size > limit) throw s3Error.invalidRequest(`The request body is larger than ${limit} bytes.`);
    parts.push(Buffer.from(piece));
  }
  return Buffer.concat(parts).toString('utf8');
}
