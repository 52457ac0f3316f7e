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

/** A stored blob's size and age. */
export interface BlobInfo {
  size: number;
  /**
   * When the blob was last written or freshened (ms since the epoch), or a later time where the
   * backend's clock is coarser (S3: whole seconds). Garbage collection keeps anything this new.
   */
  modifiedAt: number;
}

/** A blob as a listing sees it: its hash, and its size and age where the listing carries them for free (S3). */
export type ListedBlob = { sha256: string } & Partial<BlobInfo>;

/** What `collect` did: deleted it, kept it (written or freshened since the cutoff), or found nothing; and the blob's size. */
export interface CollectOutcome {
  outcome: 'deleted' | 'kept' | 'absent';
  size: number;
}

export interface BlobStore {
  /**
   * Stores `body` under its SHA-256. Idempotent: storing existing bytes again keeps one copy,
   * but always freshens it (its `modifiedAt` becomes now), so a collection that started before
   * this put cannot delete a blob the caller is about to reference (see `collect`).
   */
  put(body: BlobBody, options?: PutBlobOptions): Promise<PutBlobResult>;
  /** Streams a blob or a byte range of it. Rejects with NotFound before streaming if absent. */
  get(sha256: string, options?: GetBlobOptions): Promise<AsyncIterable<Uint8Array>>;
  /** Reads a whole small blob (tree nodes, manifests). Use `get` for contents. */
  read(sha256: string): Promise<Uint8Array>;
  has(sha256: string): Promise<boolean>;
  /**
   * Deletes a blob unconditionally; returns false if it was absent. Never for garbage, which
   * goes through `collect` (a writer may be reusing it); for bytes that must go whatever refers to them.
   */
  delete(sha256: string): Promise<boolean>;
  /**
   * Makes the blob's `modifiedAt` now, without its bytes: a caller about to record a new
   * reference to a blob it did not just put (a copy of an old version) freshens it first.
   * False when the blob is absent (already collected).
   */
  freshen(sha256: string): Promise<boolean>;
  /**
   * Garbage collection's delete: removes the blob unless it was written or freshened at or after
   * `unlessModifiedSince` (ms). On the file system the check and the delete are one atomic
   * step (the blob is renamed away, checked, and put back if fresh); on S3 they are a HEAD and a
   * DELETE, so a freshen landing between the two is lost (docs/architecture.md, "Garbage
   * collection").
   */
  collect(sha256: string, unlessModifiedSince: number): Promise<CollectOutcome>;
  /** Every stored blob, in no particular order. */
  list(): AsyncIterable<ListedBlob>;
  /** A blob's size and age; undefined when absent. */
  stat(sha256: string): Promise<BlobInfo | undefined>;
  /**
   * Makes every blob this process put with `deferSync` durable. Call it before recording a
   * reference to those blobs (a staging row, a commit). A no-op where puts are always durable.
   */
  flush(): Promise<void>;
}
