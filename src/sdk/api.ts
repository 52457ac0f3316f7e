import type { AccessKeyInfo } from '../core/access/access-key-service.ts';
import type { AccessKeyRecord, DatasetFilter, DatasetRecord, RepositorySettings } from '../core/ports/metadata-store.ts';
import type { Preview } from '../app/preview.ts';
import type { DatasetInput, DatasetVersion } from '../core/catalog/dataset-service.ts';
import type { SearchInput, SearchResponse } from '../core/catalog/search-service.ts';
import type { IngestEvent, IngestSummary } from '../core/ingest/ingest-service.ts';
import type { ListOptions, ListResult } from '../core/versioning/list-objects.ts';
import type { BranchInfo, RepositoryInfo, TagInfo } from '../core/versioning/repository-service.ts';
import type { CommitInfo, MergeResult, MergeStrategy, ObjectChange, ObjectInfo } from '../core/versioning/types.ts';
import type { LineageApi, ModelsApi, RunsApi } from './lineage-api.ts';
import type { RecipesApi } from './recipes-api.ts';
import type { AuditApi } from './audit-api.ts';
import type { GcApi } from './gc-api.ts';
import type { ErasureApi } from './erasure-api.ts';
import type { IdentityApi } from './identity-api.ts';
import type { InferenceApi } from './inference-api.ts';

export type * from './recipes-api.ts';
export type * from './audit-api.ts';
export type * from './gc-api.ts';
export type * from './erasure-api.ts';
export type * from './identity-api.ts';
export type * from './inference-api.ts';
import type { StorageUsage } from '../core/versioning/storage-usage.ts';

export type { StorageUsage };

export type * from './lineage-api.ts';

export type { SearchInput, SearchResponse, DatasetFilter, DatasetInput, DatasetRecord, DatasetVersion, Preview, IngestEvent, IngestSummary, AccessKeyInfo, AccessKeyRecord, RepositorySettings, BranchInfo, CommitInfo, ListResult, MergeResult, MergeStrategy, ObjectChange, ObjectInfo, RepositoryInfo, TagInfo };

export interface UploadInput {
  repository: string;
  branch: string;
  path: string;
  body: AsyncIterable<Uint8Array>;
  /** Known length, sent as Content-Length by the HTTP client. */
  size?: number;
  contentType?: string;
  metadata?: Record<string, string>;
}

/** An ingest as the API takes it: the source is a path, `@list`, `s3://…` or `http(s)://…`. */
export interface IngestRequest {
  source: string;
  repository: string;
  branch: string;
  prefix?: string;
  include?: string[];
  exclude?: string[];
  followSymlinks?: boolean;
  concurrency?: number;
}

export interface ObjectRef {
  repository: string;
  ref: string;
  path: string;
}

/**
 * Everything the CLI (and users' programs) can ask of Strata. Two implementations: the HTTP
 * client (`StrataClient`, for `--endpoint`) and the in-process one over the core services.
 */
export interface StrataApi {
  /** Runs with parameters, metrics and exact inputs and outputs. */
  readonly runs: RunsApi;
  /** The model registry. */
  readonly models: ModelsApi;
  /** Upstream, downstream, provenance and impact. */
  readonly lineage: LineageApi;
  /** Data preparation recipes. */
  readonly recipes: RecipesApi;
  /** The tamper-evident audit log (read-only). */
  readonly audit: AuditApi;
  /** The inference archive: log calls, query them with SQL, cost reports. */
  readonly inference: InferenceApi;
  /** Principals, groups, tokens and policies. */
  readonly identity: IdentityApi;
  /** Garbage collection and its past runs. */
  readonly gc: GcApi;
  readonly erasure: ErasureApi;

  listRepositories(): Promise<RepositoryInfo[]>;
  createRepository(input: { name: string; defaultBranch?: string }): Promise<RepositoryInfo>;
  getRepository(name: string): Promise<RepositoryInfo>;
  deleteRepository(name: string): Promise<void>;
  /** Changes the S3 key layout or anonymous read access. */
  updateRepository(name: string, settings: RepositorySettings): Promise<RepositoryInfo>;

  /** Issues an S3 access key; the secret is shown only here. */
  createAccessKey(input: { principal?: string; id?: string; secret?: string }): Promise<AccessKeyRecord>;
  listAccessKeys(input?: { principal?: string }): Promise<AccessKeyInfo[]>;
  revokeAccessKey(id: string): Promise<void>;

  listBranches(repository: string): Promise<BranchInfo[]>;
  createBranch(input: { repository: string; name: string; from?: string }): Promise<BranchInfo>;
  deleteBranch(input: { repository: string; name: string }): Promise<void>;
  listTags(repository: string): Promise<TagInfo[]>;
  createTag(input: { repository: string; name: string; ref: string }): Promise<TagInfo>;
  deleteTag(input: { repository: string; name: string }): Promise<void>;

  putObject(input: UploadInput): Promise<ObjectInfo>;
  /** Uploads many objects; an implementation may batch the staging. Returns in input order. */
  putObjects(inputs: UploadInput[], options?: { concurrency?: number; onDone?: (info: ObjectInfo) => void }): Promise<ObjectInfo[]>;
  getObject(input: ObjectRef & { range?: { start: number; end: number } }): Promise<{ info: ObjectInfo; body: AsyncIterable<Uint8Array> }>;
  statObject(input: ObjectRef): Promise<ObjectInfo>;
  /** Objects under a prefix: count, logical bytes, and bytes stored after deduplication. */
  usage(input: { repository: string; ref: string; prefix?: string }): Promise<StorageUsage>;
  listObjects(input: { repository: string; ref: string } & ListOptions): Promise<ListResult>;
  deleteObject(input: { repository: string; branch: string; path: string }): Promise<void>;
  deletePrefix(input: { repository: string; branch: string; prefix: string }): Promise<number>;

  /** Commits everything staged on the branch, or only the paths and prefixes in `only`. */
  commit(input: { repository: string; branch: string; message: string; metadata?: Record<string, string>; only?: string[] }): Promise<CommitInfo>;
  status(input: { repository: string; branch: string; prefix?: string }): Promise<ObjectChange[]>;
  reset(input: { repository: string; branch: string; prefix?: string }): Promise<number>;
  log(input: { repository: string; ref: string; limit?: number }): Promise<CommitInfo[]>;
  show(input: { repository: string; ref: string }): Promise<CommitInfo>;
  diff(input: { repository: string; left: string; right: string; prefix?: string; limit?: number }): Promise<ObjectChange[]>;
  merge(input: { repository: string; source: string; destination: string; strategy?: MergeStrategy; message?: string; metadata?: Record<string, string> }): Promise<MergeResult>;
  revert(input: { repository: string; branch: string; ref: string; parent?: number }): Promise<{ commit: CommitInfo }>;

  createDataset(input: DatasetInput): Promise<DatasetRecord>;
  listDatasets(filter?: DatasetFilter): Promise<DatasetRecord[]>;
  /** A dataset and what it holds at `ref` (default: the repository's default branch). */
  showDataset(input: { name: string; ref?: string }): Promise<{ dataset: DatasetRecord; version: DatasetVersion }>;
  tagDataset(input: { name: string; add?: string[]; remove?: string[]; field?: 'tags' | 'labels' }): Promise<DatasetRecord>;
  /** Full-text search over datasets and the objects of default branches, best first. */
  search(input: SearchInput): Promise<SearchResponse>;

  /** The first rows of a table, the first bytes of a text, or the extracted metadata. */
  preview(input: ObjectRef & { rows?: number; bytes?: number }): Promise<Preview>;

  /** Reads a source into a branch and commits it with provenance (see IngestService). */
  ingest(input: IngestRequest, progress?: { onListed?: (s: { items: number; bytes: number }) => void; onItem?: (e: IngestEvent) => void }): Promise<IngestSummary>;

  close(): Promise<void>;
}
