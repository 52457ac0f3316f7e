/**
 * Immutable, content-addressed blob storage: file contents, chunks, chunk manifests and tree
 * nodes, each named by the lowercase hex SHA-256 of its bytes. Adapters: filesystem (default)
 * and S3. Every adapter passes `test/conformance/blob-store-suite.ts`.
 *
 * Contract: a blob is either fully present under its hash or absent; a reader never sees a
 * partial blob, whatever happens to the writing process.
 */
export interface BlobRange {
  /** First byte, inclusive. */
  start: number;
  /** Last byte, exclusive. Must be ≤ the blob's size. */
  end: number;
}

export interface PutBlobOptions {
  /**
   * The SHA-256 the caller already computed over `body`. When given, the adapter trusts it
   * (callers inside the process only) and may skip the write if the blob already exists.
   */
  sha256?: string;
  signal?: AbortSignal;
  /**
   * Return once the blob is visible, before it is durable; a later `flush()` makes it durable.
   * Batch writers use it so that many blobs cost one sync instead of one each. Default false:
   * `put` resolves only when the blob would survive a power loss.
   */
  deferSync?: boolean;
}

export interface GetBlobOptions {
  range?: BlobRange;
  signal?: AbortSignal;
}

export interface PutBlobResult {
  sha256: string;
  size: number;
}

export type BlobBody = Uint8Array | AsyncIterable<Uint8Array>;

export interface BlobStore {
  /** Stores `body` under its SHA-256. Idempotent: storing existing bytes again is a no-op. */
  put(body: BlobBody, options?: PutBlobOptions): Promise<PutBlobResult>;
  /** Streams a blob or a byte range of it. Rejects with NotFound before streaming if absent. */
  get(sha256: string, options?: GetBlobOptions): Promise<AsyncIterable<Uint8Array>>;
  /** Reads a whole small blob (tree nodes, manifests). Use `get` for contents. */
  read(sha256: string): Promise<Uint8Array>;
  has(sha256: string): Promise<boolean>;
  /** Deletes a blob; returns false if it was absent. Only garbage collection calls this. */
  delete(sha256: string): Promise<boolean>;
  /** Every stored hash, in no particular order. */
  list(): AsyncIterable<string>;
  /**
   * Makes every blob this process put with `deferSync` durable. Call it before recording a
   * reference to those blobs (a staging row, a commit). A no-op where puts are always durable.
   */
  flush(): Promise<void>;
}
