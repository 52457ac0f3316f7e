/**
 * The audit log's rows. The store keeps entries, the hashes of the Merkle tree's perfect
 * subtrees (level ≥ 1; a leaf's hash lives on its entry) and the signed tree heads. It has no
 * method that changes or removes a row once written: the log is append-only by construction of
 * this port, and `strata audit verify` checks that nobody went around it.
 */
export interface AuditEntryRow {
  /** Position in the log, from 0, without gaps. */
  seq: number;
  /** ISO 8601, UTC, milliseconds. */
  time: string;
  actor: string;
  action: string;
  resource: string;
  /** `ok`, `denied`, or the error code the action failed with. */
  outcome: string;
  requestId: string | null;
  source: string | null;
  /** Lowercase hex SHA-256 of `details` (or of the blob holding them); null when there are none. */
  detailsDigest: string | null;
  /** The details as JSON when kept inline; null when absent or kept as a blob named by the digest. */
  details: string | null;
  /** SHA-256(0x00 ‖ encoded entry), as written at append time. */
  leafHash: Buffer;
  /**
   * When retention emptied the entry (fields blanked, details dropped, seq, time and hashes
   * kept); null while it is whole. A pruned entry still counts in the tree through its hash.
   */
  prunedAt: string | null;
}

/** A perfect subtree's hash: `2^level` leaves starting at leaf `index · 2^level`. */
export interface AuditNodeRow {
  level: number;
  index: number;
  hash: Buffer;
}

/** A signed tree head: the root of the first `treeSize` entries, signed with the log's Ed25519 key. */
export interface AuditHeadRow {
  treeSize: number;
  rootHash: Buffer;
  /** When it was signed, ISO 8601 UTC. */
  timestamp: string;
  /** Hex SHA-256 of the signing public key (DER, SubjectPublicKeyInfo). */
  keyId: string;
  signature: Buffer;
}

/** What one append writes, computed by the log from the size it found under the lock. */
export interface AuditAppend {
  entries: AuditEntryRow[];
  nodes: AuditNodeRow[];
}

/** Reads inside the append's transaction: the size under the lock, and perfect subtree hashes. */
export interface AuditAppendView {
  size: number;
  subtree(level: number, index: number): Promise<Buffer>;
}

export interface AuditEntryFilter {
  /** First seq, inclusive. */
  from?: number;
  /** Last seq, exclusive. */
  to?: number;
  actor?: string;
  action?: string;
  /** Entries whose resource starts with this. */
  resource?: string;
  limit: number;
}

export interface AuditStore {
  /**
   * Runs `build` under the log's write lock (one appender at a time, across processes) and writes
   * what it returns in the same transaction. Resolves once the rows are durable.
   */
  append(build: (view: AuditAppendView) => Promise<AuditAppend>): Promise<void>;
  /** The number of entries. */
  size(): Promise<number>;
  /** Entries in seq order, filtered. */
  entries(filter: AuditEntryFilter): Promise<AuditEntryRow[]>;
  /** Hash of the perfect subtree (level 0: a leaf's stored hash). NotFound when absent. */
  subtree(level: number, index: number): Promise<Buffer>;
  addHead(head: AuditHeadRow): Promise<void>;
  /** Heads in (treeSize, timestamp) order. */
  heads(options?: { fromSize?: number; limit?: number }): Promise<AuditHeadRow[]>;
  latestHead(): Promise<AuditHeadRow | undefined>;
  /** Empties the whole entries older than `before` (keeping seq, time and hashes); returns how many. */
  prune(before: string, prunedAt: string): Promise<number>;
}
