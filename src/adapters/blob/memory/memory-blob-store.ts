import { createHash } from 'node:crypto';
import { notFound } from '../../../core/errors.ts';
import type { BlobBody, BlobInfo, BlobStore, CollectOutcome, GetBlobOptions, ListedBlob, PutBlobOptions, PutBlobResult } from '../../../core/ports/blob-store.ts';

/** Keeps blobs in memory. For unit tests and throwaway stores; passes the conformance suite. */
export class MemoryBlobStore implements BlobStore {
  private readonly blobs = new Map<string, Buffer>();
  private readonly modified = new Map<string, number>();

  async put(body: BlobBody, options: PutBlobOptions = {}): Promise<PutBlobResult> {
    const bytes = body instanceof Uint8Array ? Buffer.from(body) : await collect(body, options.signal);
    const sha256 = options.sha256 ?? createHash('sha256').update(bytes).digest('hex');
    if (!this.blobs.has(sha256)) this.blobs.set(sha256, bytes);
    this.modified.set(sha256, Date.now());
    return { sha256, size: bytes.length };
  }

  get(sha256: string, options: GetBlobOptions = {}): Promise<AsyncIterable<Uint8Array>> {
    const bytes = this.blobs.get(sha256);
    if (!bytes) return Promise.reject(notFound(`blob ${sha256} not found`));
    const slice = options.range ? bytes.subarray(options.range.start, options.range.end) : bytes;
    return Promise.resolve(
      (async function* () {
        await Promise.resolve();
        yield slice;
      })(),
    );
  }

  read(sha256: string): Promise<Uint8Array> {
    const bytes = this.blobs.get(sha256);
    return bytes ? Promise.resolve(bytes) : Promise.reject(notFound(`blob ${sha256} not found`));
  }

  has(sha256: string): Promise<boolean> {
    return Promise.resolve(this.blobs.has(sha256));
  }

  delete(sha256: string): Promise<boolean> {
    this.modified.delete(sha256);
    return Promise.resolve(this.blobs.delete(sha256));
  }

  freshen(sha256: string): Promise<boolean> {
    if (!this.blobs.has(sha256)) return Promise.resolve(false);
    this.modified.set(sha256, Date.now());
    return Promise.resolve(true);
  }

  collect(sha256: string, unlessModifiedSince: number): Promise<CollectOutcome> {
    const modifiedAt = this.modified.get(sha256);
    const size = this.blobs.get(sha256)?.length ?? 0;
    if (modifiedAt === undefined) return Promise.resolve({ outcome: 'absent', size: 0 });
    if (modifiedAt >= unlessModifiedSince) return Promise.resolve({ outcome: 'kept', size });
    this.blobs.delete(sha256);
    this.modified.delete(sha256);
    return Promise.resolve({ outcome: 'deleted', size });
  }

  stat(sha256: string): Promise<BlobInfo | undefined> {
    const bytes = this.blobs.get(sha256);
    return Promise.resolve(bytes && { size: bytes.length, modifiedAt: this.modified.get(sha256) ?? 0 });
  }

  async *list(): AsyncIterable<ListedBlob> {
    await Promise.resolve();
    for (const [sha256, bytes] of [...this.blobs]) yield { sha256, size: bytes.length, modifiedAt: this.modified.get(sha256) ?? 0 };
  }

  flush(): Promise<void> {
    return Promise.resolve();
  }

  /** Number of stored blobs (tests use it to check sharing). */
  get size(): number {
    return this.blobs.size;
  }
}

async function collect(body: AsyncIterable<Uint8Array>, signal: AbortSignal | undefined): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for await (const part of body) {
    signal?.throwIfAborted();
    parts.push(part);
  }
  return Buffer.concat(parts);
}
