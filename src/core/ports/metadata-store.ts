import type { Entry, ObjectTemplate } from '../objects/entry.ts';
import type { StoredContent } from '../objects/object-store.ts';
import type { LineageStore } from './lineage-store.ts';
import type { ModelStore } from './model-store.ts';
import type { AuditStore } from './audit-store.ts';
import type { IdentityStore } from './identity-store.ts';
import type { InferenceStore } from './inference-store.ts';
import type { PrepCacheStore } from './prep-cache-store.ts';
import type { RunStore } from './run-store.ts';
import type { SearchIndex } from './search-index.ts';
import type { ErasureStore } from './erasure-store.ts';
import type { GcStore } from './gc-store.ts';
import type { RetentionRules } from '../gc/retention.ts';

/**
 * The metadata database: the small, mutable state (repositories, refs, staging) plus commit
 * records. Adapters: SQLite (default) and PostgreSQL, both through Kysely; both pass
 * `test/conformance/metadata-store-suite.ts`.
 *
 * All times are ISO 8601 strings. Paths sort by code point (SQLite BINARY, PostgreSQL "C").
 */
import type { CorsRule } from '../versioning/cors.ts';
import type { ProtectionRule } from '../protection/protection-rules.ts';

/** How the S3 gateway maps keys: `<ref>/<path>` or, for generic S3 tools, plain paths on the default branch. */
export type S3Layout = 'ref' | 'plain';
export const S3_LAYOUTS: readonly S3Layout[] = ['ref', 'plain'];

export interface RepositoryRecord {
  name: string;
  defaultBranch: string;
  createdAt: string;
  createdBy: string;
  s3Layout: S3Layout;
  /** Anonymous S3 reads are allowed. */
  publicRead: boolean;
  /** Every authenticated principal may read it (S3 `authenticated-read`); absent: only by policy or ownership. */
  authenticatedRead?: boolean;
  /** Every data read (API and S3) is appended to the audit log, not only changes. */
  auditReads: boolean;
  /** CORS rules the S3 gateway answers browsers with; absent: none (preflights are refused). */
  cors?: CorsRule[];
  /** Branch protection rules, first match wins; absent: no branch is protected. */
  protection?: ProtectionRule[];
  /** How long replaced versions stay, and lifecycle and stale-branch rules; absent: forever. */
  retention?: RetentionRules;
}

export interface RepositorySettings {
  s3Layout?: S3Layout;
  publicRead?: boolean;
  authenticatedRead?: boolean;
  auditReads?: boolean;
  /** New CORS rules; null removes them. */
  cors?: CorsRule[] | null;
  /** New branch protection rules; null or [] removes them. */
  protection?: ProtectionRule[] | null;
  /** New retention rules; null removes them (keep everything). */
  retention?: RetentionRules | null;
}

/**
 * An S3 access key. The secret is kept because SigV4 verification needs it (as S3 does); the
 * store holds it sealed (`SecretSealer`), the services hand it out opened.
 */
export interface AccessKeyRecord {
  id: string;
  secret: string;
  /** The principal requests signed with this key act as. */
  principal: string;
  createdAt: string;
  revokedAt?: string;
}

/** An S3 multipart upload in progress. */
export interface UploadRecord {
  id: string;
  repository: string;
  branch: string;
  path: string;
  initiatedAt: string;
  initiator: string;
  template: ObjectTemplate;
}

/** A dataset: a named path prefix of a repository, with what people need to find and trust it. */
export interface DatasetRecord {
  name: string;
  repository: string;
  /** Path prefix ('' for the whole repository, else ending in '/'). */
  prefix: string;
  owner: string;
  description: string;
  license?: string;
  source?: string;
  tags: string[];
  /** Classification labels (e.g. `pii`, `internal`). */
  labels: string[];
  properties: Record<string, string>;
  createdAt: string;
  createdBy: string;
  updatedAt: string;
}

export interface DatasetFilter {
  repository?: string;
  tag?: string;
  owner?: string;
  license?: string;
}

export interface PartRecord {
  uploadId: string;
  partNumber: number;
  content: StoredContent;
  lastModified: string;
}

export interface BranchRecord {
  repository: string;
  name: string;
  /** Head commit id; every branch has one (a repository starts with an empty root commit). */
  head: string;
  createdAt: string;
  createdBy: string;
}

export interface TagRecord {
  repository: string;
  name: string;
  commitId: string;
  createdAt: string;
  createdBy: string;
}

export interface CommitRecord {
  /** SHA-256 of the commit's canonical encoding (see core/versioning/commit-id.ts). */
  id: string;
  repository: string;
  /** Root node of the commit's tree, or null for the empty tree. */
  treeId: string | null;
  parents: string[];
  /** 1 + the largest parent generation; 0 for a root commit. Speeds up merge-base search. */
  generation: number;
  author: string;
  message: string;
  createdAt: string;
  metadata: Record<string, string>;
}

/** An uncommitted change on a branch: a new entry, or `null` for a deletion. */
export interface StagedChange {
  path: string;
  entry: Entry | null;
}

/** A staged change as stored, with the write that put it there. */
export interface StagedRow extends StagedChange {
  /** Unique per `stage` call: a later write to the same path replaces the row and its id. */
  writeId: string;
}

/** One staged row as a commit read it: removed only if no write has replaced it since. */
export interface StagedWrite {
  path: string;
  writeId: string;
}

export interface StagingListOptions {
  /** Only paths ≥ this key (inclusive). */
  from?: string;
  /** Only paths > this key (exclusive): continues a listing after its last row. */
  after?: string;
  /** Only paths starting with this prefix. */
  prefix?: string;
  limit: number;
}

export interface AdvanceBranchInput {
  repository: string;
  branch: string;
  /** The head the caller built on; the move fails if the branch has moved since. */
  expectedHead: string;
  commit: CommitRecord;
  /** Staging rows the commit took: deleted in the same transaction, unless rewritten since. */
  consumed?: StagedWrite[];
  /**
   * Other commits whose trees or entries the new one was built from (a merge's source, a
   * revert's target). The move fails with Gone if any of them, or the commit itself, has
   * expired: garbage collection may be deleting what they hold.
   */
  builtFrom?: string[];
}

export interface MetadataStore {
  readonly dialect: 'sqlite' | 'postgres';
  /** The catalog's full-text index, in the same database. */
  readonly search: SearchIndex;
  /** The lineage graph, runs and the model registry, in the same database. */
  readonly lineage: LineageStore;
  readonly runs: RunStore;
  readonly models: ModelStore;
  /** Recipe runs' per-source results, for incremental reruns. */
  readonly prepCache: PrepCacheStore;
  readonly audit: AuditStore;
  readonly inference: InferenceStore;
  readonly identity: IdentityStore;
  /** What garbage collection reads and the fence it expires commits under. */
  readonly gc: GcStore;
  /** Erased contents, certificates and marks (see ports/erasure-store.ts). */
  readonly erasure: ErasureStore;

  createRepository(repository: RepositoryRecord, root: CommitRecord): Promise<void>;
  getRepository(name: string): Promise<RepositoryRecord | undefined>;
  listRepositories(): Promise<RepositoryRecord[]>;
  /** Changes the given settings; false if the repository does not exist. */
  updateRepository(name: string, settings: RepositorySettings): Promise<boolean>;
  /** Deletes the repository and all its refs, commits, staging rows and uploads. */
  deleteRepository(name: string): Promise<boolean>;

  /** Inserts a branch; Conflict if it exists, Gone if its head commit has expired. */
  createBranch(branch: BranchRecord): Promise<void>;
  getBranch(repository: string, name: string): Promise<BranchRecord | undefined>;
  listBranches(repository: string): Promise<BranchRecord[]>;
  deleteBranch(repository: string, name: string): Promise<boolean>;

  /** Inserts a tag; Conflict if it exists, Gone if its commit has expired. */
  createTag(tag: TagRecord): Promise<void>;
  getTag(repository: string, name: string): Promise<TagRecord | undefined>;
  listTags(repository: string): Promise<TagRecord[]>;
  deleteTag(repository: string, name: string): Promise<boolean>;

  getCommit(repository: string, id: string): Promise<CommitRecord | undefined>;
  /** Up to `limit` commit ids starting with `prefix`. */
  findCommitIds(repository: string, prefix: string, limit: number): Promise<string[]>;
  /**
   * Atomically: insert the commit (if new), move the branch head from `expectedHead` to the
   * commit (compare-and-swap), and delete the `consumed` staging rows still holding the write the
   * commit read (a path written again meanwhile keeps its newer row for the next commit).
   * Returns false, changing nothing, when the head is no longer `expectedHead`. A deadlock or
   * serialization failure inside the database is retried here, never surfaced.
   */
  advanceBranch(input: AdvanceBranchInput): Promise<boolean>;
  /**
   * Runs `task` holding a lock on the branch that every process sharing this database respects
   * (PostgreSQL: an advisory lock), so commits from several servers take turns. Where the engine
   * offers none (SQLite: one writer at a time already), runs `task` directly. Correctness never
   * rests on it: the head's compare-and-swap decides; the lock only spares lost races.
   */
  withBranchLock<T>(repository: string, branch: string, task: () => Promise<T>): Promise<T>;
  /**
   * Deletes staged rows that change nothing (a commit found them equal to the head), in one
   * transaction that first checks the head is still `expectedHead`: had it moved, the rows may
   * be changes against the new head. Rows rewritten since are kept. False when the head moved.
   */
  dropStaged(input: { repository: string; branch: string; expectedHead: string; rows: StagedWrite[] }): Promise<boolean>;

  /** Upserts changes on a branch, all under one new write id (a re-staged path gets the new id). */
  stage(repository: string, branch: string, changes: StagedChange[]): Promise<void>;
  getStaged(repository: string, branch: string, path: string): Promise<StagedChange | undefined>;
  /** Staged changes in path order. */
  listStaged(repository: string, branch: string, options: StagingListOptions): Promise<StagedRow[]>;
  countStaged(repository: string, branch: string): Promise<number>;
  /** Drops staged rows (all, or those under `prefix`); returns the count. */
  resetStaged(repository: string, branch: string, prefix?: string): Promise<number>;

  /** Inserts a key; Conflict if the id exists. */
  createAccessKey(key: AccessKeyRecord): Promise<void>;
  getAccessKey(id: string): Promise<AccessKeyRecord | undefined>;
  listAccessKeys(): Promise<AccessKeyRecord[]>;
  /** Marks a key revoked at `at`; false if it does not exist or is already revoked. */
  revokeAccessKey(id: string, at: string): Promise<boolean>;
  /** Replaces the stored secret while it is still `expected` (sealing a legacy plain one); false if it changed. */
  replaceAccessKeySecret(id: string, expected: string, secret: string): Promise<boolean>;

  createUpload(upload: UploadRecord): Promise<void>;
  getUpload(id: string): Promise<UploadRecord | undefined>;
  /** Uploads of a repository ordered by (path, initiatedAt, id), after the given position. */
  listUploads(repository: string, options: { prefix?: string; after?: { path: string; id?: string }; limit: number }): Promise<UploadRecord[]>;
  /**
   * Records an upload of a part. Uploads of one part number with other bytes are all kept, the
   * last to finish being the part number's latest; the same bytes again make that one latest.
   */
  putPart(part: PartRecord): Promise<void>;
  /** The latest upload of each part number, in part-number order, after `after`. */
  listParts(uploadId: string, options: { after?: number; limit: number }): Promise<PartRecord[]>;
  /** The uploads with these part numbers and MD5s, those that exist, in any order. */
  findParts(uploadId: string, wanted: Array<{ partNumber: number; md5: string }>): Promise<PartRecord[]>;
  /** Deletes an upload and its parts; false if it did not exist. */
  deleteUpload(id: string): Promise<boolean>;

  /** Inserts a dataset; Conflict if the name exists. */
  createDataset(dataset: DatasetRecord): Promise<void>;
  getDataset(name: string): Promise<DatasetRecord | undefined>;
  /** Datasets matching every given filter, by name. */
  listDatasets(filter: DatasetFilter): Promise<DatasetRecord[]>;
  /** Replaces a dataset's record (same name); false if it does not exist. */
  updateDataset(dataset: DatasetRecord): Promise<boolean>;

  close(): Promise<void>;
}
