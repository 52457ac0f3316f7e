/**
 * What garbage collection needs from the metadata database: the commit graph, the roots that
 * hold blobs outside trees, and the one transaction that expires commits (see
 * docs/architecture.md, "Garbage collection"). Part of `MetadataStore` (`metadata.gc`).
 */

/** A commit as the retention walk needs it. */
export interface CommitNode {
  id: string;
  parents: string[];
  createdAt: string;
  treeId: string | null;
}

/** Why and when a commit's tree was given up. */
export interface CommitExpiry {
  expiredAt: string;
  /** The rule that let it go, e.g. `retention main 30d` or `unreachable`. */
  rule: string;
}

export interface ExpiryCandidate {
  repository: string;
  commitId: string;
  rule: string;
}

/** A blob a root outside the version trees holds (a staged entry, a part, a cache segment…). */
export interface HeldBlob {
  sha256: string;
  /** Set when the blob is a chunk manifest: its chunks are held too. */
  manifest?: string;
}

export interface GcRunRecord {
  id: string;
  startedAt: string;
  finishedAt: string;
  actor: string;
  dryRun: boolean;
  /** The run's report, as JSON. */
  report: string;
}

export interface GcStore {
  /** Every commit of a repository (any order). */
  listCommits(repository: string): Promise<CommitNode[]>;
  /** The commits of a repository already expired, by id. */
  expiredCommits(repository: string): Promise<Map<string, CommitExpiry>>;
  commitExpiry(repository: string, commitId: string): Promise<CommitExpiry | undefined>;
  /**
   * In one transaction that excludes every ref creation and head move (the collection fence):
   * reads every branch head and tag, expires the candidates none of them names, and returns the
   * ones it spared because a ref now names them.
   */
  expire(candidates: ExpiryCandidate[], at: string): Promise<{ spared: ExpiryCandidate[] }>;
  /**
   * Blobs held outside version trees, read in this order so a row moving from one to the next
   * (a part into a staged entry, a staged entry into a commit) is seen at least once: multipart
   * parts, staged entries, audit details kept as blobs.
   */
  heldBlobs(): AsyncIterable<HeldBlob>;
  /** Every recipe cache entry: its segment blob and the content it was computed from (null: unknown). */
  prepCacheEntries(): AsyncIterable<{ key: string; blob: string; source: string | null }>;
  /** Deletes recipe cache entries; returns how many. */
  dropPrepCache(keys: string[]): Promise<number>;
  recordRun(run: GcRunRecord): Promise<void>;
  listRuns(limit: number): Promise<GcRunRecord[]>;
  getRun(id: string): Promise<GcRunRecord | undefined>;
}
