import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { s3Error } from '../errors.ts';
import { EMPTY_SHA256, sha256Hex } from './sigv4.ts';

/** What verifies `STREAMING-AWS4-HMAC-SHA256-PAYLOAD[-TRAILER]` chunk signatures. */
export interface ChunkSigning {
  key: Buffer;
  scope: string;
  amzDate: string;
  /** The request's own signature: the first chunk signs on top of it. */
  seed: string;
}

export interface ChunkedOptions {
  /** Absent for `STREAMING-UNSIGNED-PAYLOAD-TRAILER`. */
  signing?: ChunkSigning;
  /** Filled with the trailing headers (lowercase names) once the body has been read. */
  trailers: Map<string, string>;
  /** `x-amz-decoded-content-length`: every chunk header is checked against it as it arrives. */
  decodedLength?: number;
}

const MAX_LINE = 8 * 1024;

/**
 * Decodes an `aws-chunked` body, streaming the data as it arrives and verifying each chunk's
 * signature at its end (and the trailer's). A failure throws before the last byte is yielded,
 * so a consumer that stages only after the stream ends never stages a forged upload.
 * Written by hand: no maintained library decodes this AWS framing on the server side.
 */
export async function* decodeAwsChunked(source: AsyncIterable<Uint8Array>, options: ChunkedOptions): AsyncGenerator<Uint8Array> {
  const reader = new ByteReader(source);
  let previous = options.signing?.seed ?? '';
  let decoded = 0;
  for (;;) {
    const header = await reader.line();
    if (header === undefined) throw s3Error.incompleteBody();
    const [sizeText = '', ...extensions] = header.split(';');
    if (!/^[0-9a-fA-F]{1,16}$/.test(sizeText)) throw s3Error.invalidRequest('The aws-chunked body has a malformed chunk header.');
    const size = Number.parseInt(sizeText, 16);
    decoded += size;
    if (options.decodedLength !== undefined && decoded > options.decodedLength) {
      throw s3Error.invalidRequest(`The aws-chunked body declares more data than x-amz-decoded-content-length (${options.decodedLength} bytes).`);
    }
    const signature = extensions.find((e) => e.startsWith('chunk-signature='))?.slice('chunk-signature='.length);
    const hash = options.signing ? createHash('sha256') : undefined;
    for (let left = size; left > 0; ) {
      const piece = await reader.take(left);
      if (piece === undefined) throw s3Error.incompleteBody();
      hash?.update(piece);
      left -= piece.length;
      if (options.signing && left === 0) previous = verifyChunk(options.signing, { previous, dataHash: hash?.digest('hex') ?? EMPTY_SHA256, signature });
      yield piece;
    }
    if (size === 0) {
      if (options.signing) previous = verifyChunk(options.signing, { previous, dataHash: EMPTY_SHA256, signature });
      if (options.decodedLength !== undefined && decoded !== options.decodedLength) throw s3Error.incompleteBody();
      break;
    }
    if ((await reader.line()) !== '') throw s3Error.invalidRequest('The aws-chunked body has a malformed chunk terminator.');
  }
  await readTrailers(reader, options, previous);
}

async function readTrailers(reader: ByteReader, options: ChunkedOptions, previous: string): Promise<void> {
  let canonical = '';
  let trailerSignature: string | undefined;
  for (;;) {
    const line = await reader.line();
    if (line === undefined || line === '') break;
    const at = line.indexOf(':');
    if (at <= 0) throw s3Error.invalidRequest('The aws-chunked body has a malformed trailer.');
    const name = line.slice(0, at).trim().toLowerCase();
    const value = line.slice(at + 1).trim();
    if (name === 'x-amz-trailer-signature') {
      trailerSignature = value;
      continue;
    }
    options.trailers.set(name, value);
    canonical += `${name}:${value}\n`;
  }
  if (options.signing && options.trailers.size > 0) {
    const toSign = ['AWS4-HMAC-SHA256-TRAILER', options.signing.amzDate, options.signing.scope, previous, sha256Hex(canonical)].join('\n');
    checkSignature(createHmac('sha256', options.signing.key).update(toSign).digest(), trailerSignature);
  }
}

function verifyChunk(signing: ChunkSigning, { previous, dataHash, signature }: { previous: string; dataHash: string; signature: string | undefined }): string {
  const toSign = ['AWS4-HMAC-SHA256-PAYLOAD', signing.amzDate, signing.scope, previous, EMPTY_SHA256, dataHash].join('\n');
  const expected = createHmac('sha256', signing.key).update(toSign).digest();
  checkSignature(expected, signature);
  return expected.toString('hex');
}

function checkSignature(expected: Buffer, sent: string | undefined): void {
  const given = Buffer.from(sent ?? '', 'hex');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw s3Error.signatureDoesNotMatch();
}

/** Pulls lines and byte runs out of a stream of buffers. */
class ByteReader {
  private pending: Buffer = Buffer.alloc(0);
  private readonly iterator: AsyncIterator<Uint8Array>;
  private done = false;

  constructor(source: AsyncIterable<Uint8Array>) {
    this.iterator = source[Symbol.asyncIterator]();
  }

  /** The next line without its CRLF; undefined at the end of the stream. */
  async line(): Promise<string | undefined> {
    for (;;) {
      const end = this.pending.indexOf('\r\n');
      if (end >= 0) {
        const text = this.pending.subarray(0, end).toString('latin1');
        this.pending = this.pending.subarray(end + 2);
        return text;
      }
      if (this.pending.length > MAX_LINE) throw s3Error.invalidRequest('The aws-chunked body has an overlong line.');
      if (!(await this.fill())) {
        if (this.pending.length === 0) return undefined;
        const text = this.pending.toString('latin1');
        this.pending = Buffer.alloc(0);
        return text;
      }
    }
  }

  /** Up to `max` bytes (at least one); undefined at the end of the stream. */
  async take(max: number): Promise<Buffer | undefined> {
    if (this.pending.length === 0 && !(await this.fill())) return undefined;
    const piece = this.pending.subarray(0, max);
    this.pending = this.pending.subarray(piece.length);
    return piece;
  }

  private async fill(): Promise<boolean> {
    if (this.done) return false;
    const next = await this.iterator.next();
    if (next.done === true) {
      this.done = true;
      return false;
    }
    const bytes = Buffer.from(next.value.buffer, next.value.byteOffset, next.value.byteLength);
    this.pending = this.pending.length === 0 ? bytes : Buffer.concat([this.pending, bytes]);
    return true;
  }
}
