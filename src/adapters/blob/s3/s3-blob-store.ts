import {
  CopyObjectCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  NoSuchKey,
  NotFound,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { invalidArgument, notFound, StrataError } from '../../../core/errors.ts';
import type { BlobBody, BlobInfo, BlobStore, CollectOutcome, GetBlobOptions, ListedBlob, PutBlobOptions, PutBlobResult } from '../../../core/ports/blob-store.ts';

export interface S3BlobStoreOptions {
  bucket: string;
  /** Key prefix, without leading or trailing `/`; '' for the bucket root. */
  prefix: string;
  /** S3-compatible endpoint (MinIO, Ceph RGW, R2, a Strata gateway); default AWS. */
  endpoint?: string;
  region?: string;
  /** Path-style addressing (`endpoint/bucket/key`), which most non-AWS services need. */
  forcePathStyle?: boolean;
  /** Default: the AWS SDK's credential chain (AWS_ACCESS_KEY_ID, profiles, instance roles). */
  credentials?: { accessKeyId: string; secretAccessKey: string };
}

/**
 * Streamed bodies are hashed before they can be named, so they are held in memory up to this
 * size. The object store never streams more: it splits large contents into chunks first.
 */
export const MAX_STREAMED_BLOB = 64 * 1024 * 1024;

/** Below this size, PUT again beats HEAD + server-side copy to freshen an existing blob. */
const REPUT_BELOW = 256 * 1024;

/** S3's LastModified has whole seconds: a blob may be up to this much newer than it says. */
const CLOCK_GRAIN_MS = 1000;

/**
 * Blobs on any S3-compatible service, at `<prefix>/<sha[0..2]>/<sha>`. A PUT is atomic and
 * durable when acknowledged, so a blob is either whole or absent and `flush` has nothing to do.
 */
export class S3BlobStore implements BlobStore {
  private readonly client: S3Client;

  constructor(private readonly options: S3BlobStoreOptions) {
    this.client = new S3Client({
      endpoint: options.endpoint,
      region: options.region ?? 'us-east-1',
      forcePathStyle: options.forcePathStyle,
      credentials: options.credentials,
    });
  }

  /** `s3://bucket/prefix?endpoint=…&region=…&path_style=true`. */
  static fromUrl(url: string): S3BlobStore {
    const parsed = new URL(url);
    if (parsed.protocol !== 's3:' || parsed.hostname === '') throw invalidArgument(`invalid S3 blob URL '${url}': use s3://bucket/prefix`);
    const pathStyle = parsed.searchParams.get('path_style');
    return new S3BlobStore({
      bucket: parsed.hostname,
      prefix: decodeURIComponent(parsed.pathname).replace(/^\/+|\/+$/g, ''),
      endpoint: parsed.searchParams.get('endpoint') ?? undefined,
      region: parsed.searchParams.get('region') ?? undefined,
      forcePathStyle: pathStyle === null ? undefined : pathStyle === 'true',
    });
  }

  async put(body: BlobBody, options: PutBlobOptions = {}): Promise<PutBlobResult> {
    const bytes = body instanceof Uint8Array ? body : await collect(body, options.signal);
    const sha256 = options.sha256 ?? createHash('sha256').update(bytes).digest('hex');
    // An existing blob must still be freshened (the port's contract): a small one is simply
    // written again, a large one copied onto itself, which costs no upload.
    if (options.sha256 !== undefined && bytes.length >= REPUT_BELOW && (await this.freshen(sha256))) return { sha256, size: bytes.length };
    await this.call(() => this.client.send(new PutObjectCommand({ Bucket: this.options.bucket, Key: this.key(sha256), Body: bytes, ContentLength: bytes.length }), { abortSignal: options.signal }));
    return { sha256, size: bytes.length };
  }

  async get(sha256: string, options: GetBlobOptions = {}): Promise<AsyncIterable<Uint8Array>> {
    const range = options.range;
    if (range && range.end === range.start) {
      await this.requireExists(sha256);
      return emptyStream();
    }
    const output = await this.call(
      () => this.client.send(new GetObjectCommand({ Bucket: this.options.bucket, Key: this.key(sha256), Range: range ? `bytes=${range.start}-${range.end - 1}` : undefined }), { abortSignal: options.signal }),
      sha256,
    );
    return output.Body as Readable;
  }

  async read(sha256: string): Promise<Uint8Array> {
    const output = await this.call(() => this.client.send(new GetObjectCommand({ Bucket: this.options.bucket, Key: this.key(sha256) })), sha256);
    return output.Body?.transformToByteArray() ?? new Uint8Array();
  }

  async has(sha256: string): Promise<boolean> {
    try {
      await this.call(() => this.client.send(new HeadObjectCommand({ Bucket: this.options.bucket, Key: this.key(sha256) })), sha256);
      return true;
    } catch (error) {
      if (error instanceof StrataError && error.code === 'NotFound') return false;
      throw error;
    }
  }

  async delete(sha256: string): Promise<boolean> {
    if (!(await this.has(sha256))) return false;
    await this.call(() => this.client.send(new DeleteObjectCommand({ Bucket: this.options.bucket, Key: this.key(sha256) })));
    return true;
  }

  /** A copy onto itself with replaced metadata: S3's way to give an object a new LastModified. */
  async freshen(sha256: string): Promise<boolean> {
    const key = this.key(sha256);
    try {
      await this.call(() => this.client.send(new CopyObjectCommand({ Bucket: this.options.bucket, Key: key, CopySource: `${this.options.bucket}/${key}`, MetadataDirective: 'REPLACE', Metadata: { freshened: new Date().toISOString() } })), sha256);
      return true;
    } catch (error) {
      if (error instanceof StrataError && error.code === 'NotFound') return false;
      throw error;
    }
  }

  /** HEAD then DELETE: not atomic (S3 has no conditional delete everywhere); see the port. */
  async collect(sha256: string, unlessModifiedSince: number): Promise<CollectOutcome> {
    const info = await this.stat(sha256);
    if (!info) return { outcome: 'absent', size: 0 };
    if (info.modifiedAt >= unlessModifiedSince) return { outcome: 'kept', size: info.size };
    await this.call(() => this.client.send(new DeleteObjectCommand({ Bucket: this.options.bucket, Key: this.key(sha256) })));
    return { outcome: 'deleted', size: info.size };
  }

  async stat(sha256: string): Promise<BlobInfo | undefined> {
    try {
      const head = await this.call(() => this.client.send(new HeadObjectCommand({ Bucket: this.options.bucket, Key: this.key(sha256) })), sha256);
      return { size: head.ContentLength ?? 0, modifiedAt: (head.LastModified?.getTime() ?? Date.now()) + CLOCK_GRAIN_MS };
    } catch (error) {
      if (error instanceof StrataError && error.code === 'NotFound') return undefined;
      throw error;
    }
  }

  async *list(): AsyncIterable<ListedBlob> {
    let token: string | undefined;
    const prefix = this.options.prefix === '' ? '' : `${this.options.prefix}/`;
    do {
      const page = await this.call(() => this.client.send(new ListObjectsV2Command({ Bucket: this.options.bucket, Prefix: prefix, ContinuationToken: token })));
      for (const object of page.Contents ?? []) {
        const name = object.Key?.split('/').pop() ?? '';
        if (/^[0-9a-f]{64}$/.test(name)) yield { sha256: name, size: object.Size ?? 0, modifiedAt: (object.LastModified?.getTime() ?? Date.now()) + CLOCK_GRAIN_MS };
      }
      token = page.IsTruncated === true ? page.NextContinuationToken : undefined;
    } while (token !== undefined);
  }

  /** Acknowledged S3 PUTs are durable; nothing is deferred. */
  flush(): Promise<void> {
    return Promise.resolve();
  }

  close(): void {
    this.client.destroy();
  }

  private key(sha256: string): string {
    const name = `${sha256.slice(0, 2)}/${sha256}`;
    return this.options.prefix === '' ? name : `${this.options.prefix}/${name}`;
  }

  private async requireExists(sha256: string): Promise<void> {
    if (!(await this.has(sha256))) throw notFound(`blob ${sha256} not found`);
  }

  /** Runs an S3 call; a missing key becomes NotFound, any other failure Unavailable. */
  private async call<T>(operation: () => Promise<T>, sha256?: string): Promise<T> {
    try {
      return await operation();
    } catch (error) {
      if (error instanceof NoSuchKey || error instanceof NotFound || (error instanceof S3ServiceException && error.$metadata.httpStatusCode === 404)) {
        throw notFound(`blob ${sha256 ?? ''} not found`);
      }
      if ((error as Error).name === 'AbortError') throw error;
      throw new StrataError('Unavailable', `S3 blob storage failed: ${(error as Error).message}`, { cause: error });
    }
  }
}

async function collect(body: AsyncIterable<Uint8Array>, signal: AbortSignal | undefined): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  let size = 0;
  for await (const part of body) {
    signal?.throwIfAborted();
    size += part.length;
    if (size > MAX_STREAMED_BLOB) throw invalidArgument(`a streamed blob is larger than ${MAX_STREAMED_BLOB} bytes; store large contents through the object store, which chunks them`);
    parts.push(part);
  }
  return Buffer.concat(parts);
}

async function* emptyStream(): AsyncGenerator<Uint8Array> {
  // An empty range of an existing blob: nothing to send.
}
