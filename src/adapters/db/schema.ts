import type { InferenceRow } from '../../core/inference/inference-record.ts';
import type { Generated } from 'kysely';

/** Table shapes as Kysely sees them. JSON columns are text in both dialects. */
export interface RepositoriesTable {
  name: string;
  default_branch: string;
  created_at: string;
  created_by: string;
  /** 'ref' (keys are `<ref>/<path>`) or 'plain' (keys are paths on the default branch). */
  s3_layout: Generated<string>;
  /** 0 or 1: anonymous S3 reads allowed. */
  public_read: Generated<number>;
  /** 0 or 1: data reads are audited. */
  audit_reads: Generated<number>;
  /** JSON array of CorsRule; null: no CORS configuration. */
  cors: Generated<string | null>;
  protection: Generated<string | null>;
  authenticated_read: Generated<number>;
  /** JSON RetentionRules; null: keep everything a ref reaches. */
  retention: Generated<string | null>;
}

export interface ExpiredCommitsTable {
  repository: string;
  commit_id: string;
  expired_at: string;
  rule: string;
}

export interface GcRunsTable {
  id: string;
  started_at: string;
  finished_at: string;
  actor: string;
  dry_run: number;
  report: string;
}

export interface ErasedContentsTable {
  sha256: string;
  erasure_id: string;
  erased_at: string;
}

export interface ErasuresTable {
  id: string;
  created_at: string;
  actor: string;
  target: string;
  certificate: string;
  signature: string;
  key_id: string;
}

export interface ErasureMarksTable {
  subject: string;
  erasure_id: string;
  mark: string;
  created_at: string;
}

export interface BranchesTable {
  repository: string;
  name: string;
  head: string;
  created_at: string;
  created_by: string;
}

export interface TagsTable {
  repository: string;
  name: string;
  commit_id: string;
  created_at: string;
  created_by: string;
}

export interface CommitsTable {
  repository: string;
  id: string;
  tree_id: string | null;
  /** JSON array of commit ids. */
  parents: string;
  generation: number;
  author: string;
  message: string;
  created_at: string;
  /** JSON object. */
  metadata: string;
}

export interface StagingTable {
  repository: string;
  branch: string;
  path: string;
  /** JSON entry, or null for a deletion. */
  entry: string | null;
  /** The write that put the row (one id per `stage` call); null only before migration 009. */
  write_id: string | null;
}

export interface AccessKeysTable {
  id: string;
  secret: string;
  principal: string;
  created_at: string;
  revoked_at: string | null;
}

export interface MultipartUploadsTable {
  id: string;
  repository: string;
  branch: string;
  path: string;
  initiated_at: string;
  initiator: string;
  /** JSON: what the completed object's entry will carry (type, metadata, headers, tags). */
  template: string;
}

/** One upload of a part number; a part number uploaded with other bytes has a row per MD5. */
export interface MultipartPartsTable {
  upload_id: string;
  part_number: number;
  md5: string;
  /** 1, 2, … in the order the uploads of this part number finished. */
  version: number;
  /** JSON StoredContent of the part. */
  content: string;
  last_modified: string;
}

export interface DatasetsTable {
  name: string;
  repository: string;
  prefix: string;
  owner: string;
  description: string;
  license: string | null;
  source: string | null;
  /** JSON arrays / object. */
  tags: string;
  labels: string;
  properties: string;
  created_at: string;
  created_by: string;
  updated_at: string;
}

export interface SearchDocumentsTable {
  id: Generated<number>;
  kind: string;
  repository: string;
  key: string;
  path: string;
  dataset: string | null;
  name: string;
  title: string;
  tags: string;
  body: string;
  tag_list: string;
  content_type: string;
  /** PostgreSQL returns bigint as a string. */
  size: number | string;
  summary: string;
  owner: string | null;
  license: string | null;
}

export interface SearchStateTable {
  repository: string;
  indexed_commit: string | null;
  target_commit: string | null;
  cursor: string | null;
}

export interface RunsTable {
  id: string;
  namespace: string;
  job: string;
  kind: string;
  status: string;
  started_at: string;
  ended_at: string | null;
  /** JSON. */
  params: string;
  code: string | null;
  env: string;
  host: string | null;
  actor: string;
  tags: string;
  exit_code: number | null;
  parent_id: string | null;
  facets: string;
  inputs: string;
  outputs: string;
}

export interface RunMetricsTable {
  run_id: string;
  key: string;
  /** PostgreSQL returns bigint as a string. */
  step: number | string;
  value: number;
  at: string;
}

export interface ModelsTable {
  name: string;
  description: string;
  tags: string;
  created_at: string;
  created_by: string;
}

export interface ModelVersionsTable {
  model: string;
  version: number;
  repository: string;
  commit_id: string;
  path: string;
  run_id: string | null;
  description: string;
  metadata: string;
  created_at: string;
  created_by: string;
}

export interface ModelAliasesTable {
  model: string;
  alias: string;
  version: number;
  updated_at: string;
  updated_by: string;
}

export interface ModelAliasEventsTable {
  id: Generated<number>;
  model: string;
  alias: string;
  from_version: number | null;
  to_version: number | null;
  at: string;
  actor: string;
}

export interface LineageNodesTable {
  /** PostgreSQL returns bigint as a string. */
  id: Generated<number | string>;
  key: string;
  type: string;
  label: string;
  data: string;
  created_at: string;
}

export interface LineageEdgesTable {
  /** PostgreSQL returns bigint as a string. */
  src: number | string;
  dst: number | string;
  /** Index into LINEAGE_EDGE_TYPES. */
  type: number;
}

export interface PrepCacheTable {
  key: string;
  blob: string;
  /** PostgreSQL returns bigint as a string. */
  byte_offset: number | string;
  byte_length: number | string;
  /** The content the entry was computed from (null before migration 014). */
  source_sha256: Generated<string | null>;
}

export interface PrincipalsTable {
  id: string;
  kind: string;
  created_at: string;
  created_by: string;
  disabled_at: string | null;
}

export interface GroupMembersTable {
  group_id: string;
  member_id: string;
}

export interface ApiTokensTable {
  id: string;
  principal: string;
  /** SHA-256 (hex) of the token's secret part. */
  secret_hash: string;
  name: string;
  created_at: string;
  expires_at: string | null;
  revoked_at: string | null;
  /** JSON array of role names, or null (all of the principal's). */
  roles: string | null;
}

export interface PoliciesTable {
  name: string;
  /** JSON PolicyDocument. */
  document: string;
  updated_at: string;
  updated_by: string;
}

export interface PolicyAttachmentsTable {
  policy: string;
  principal: string;
}

export interface IdentitySettingsTable {
  key: string;
  value: string;
}

export interface OpenLineageWarningsTable {
  id: string;
  received_at: string;
  actor: string;
  kind: string;
  event_type: string | null;
  event_time: string;
  producer: string;
  /** The run id, job (`namespace:name`) or dataset (`namespace:name`) the event was about. */
  subject: string;
  /** JSON array of strings. */
  warnings: string;
}

export interface Database {
  principals: PrincipalsTable;
  group_members: GroupMembersTable;
  api_tokens: ApiTokensTable;
  policies: PoliciesTable;
  policy_attachments: PolicyAttachmentsTable;
  identity_settings: IdentitySettingsTable;
  repositories: RepositoriesTable;
  branches: BranchesTable;
  tags: TagsTable;
  commits: CommitsTable;
  expired_commits: ExpiredCommitsTable;
  gc_runs: GcRunsTable;
  erased_contents: ErasedContentsTable;
  erasures: ErasuresTable;
  erasure_marks: ErasureMarksTable;
  openlineage_warnings: OpenLineageWarningsTable;
  staging: StagingTable;
  access_keys: AccessKeysTable;
  multipart_uploads: MultipartUploadsTable;
  multipart_parts: MultipartPartsTable;
  datasets: DatasetsTable;
  search_documents: SearchDocumentsTable;
  search_state: SearchStateTable;
  runs: RunsTable;
  run_metrics: RunMetricsTable;
  models: ModelsTable;
  model_versions: ModelVersionsTable;
  model_aliases: ModelAliasesTable;
  model_alias_events: ModelAliasEventsTable;
  lineage_nodes: LineageNodesTable;
  lineage_edges: LineageEdgesTable;
  prep_cache: PrepCacheTable;
  audit_entries: AuditEntriesTable;
  audit_nodes: AuditNodesTable;
  audit_heads: AuditHeadsTable;
  audit_state: AuditStateTable;
  inference_records: InferenceRecordsTable;
  inference_retention: { application: string; days: number | string };
}

type Numeric = number | string | null;

/** InferenceRow with PostgreSQL's bigint-as-string and float columns. */
export type InferenceRecordsTable = Omit<InferenceRow, 'input_tokens' | 'output_tokens' | 'cached_tokens' | 'reasoning_tokens' | 'counted_input_tokens' | 'counted_output_tokens' | 'cost_provided' | 'cost_computed' | 'latency_ms' | 'ttft_ms'> & {
  input_tokens: Numeric;
  output_tokens: Numeric;
  cached_tokens: Numeric;
  reasoning_tokens: Numeric;
  counted_input_tokens: Numeric;
  counted_output_tokens: Numeric;
  cost_provided: Numeric;
  cost_computed: Numeric;
  latency_ms: Numeric;
  ttft_ms: Numeric;
};

/** Integers are bigint in PostgreSQL (returned as strings) and integer in SQLite. */
export interface AuditEntriesTable {
  seq: number | string;
  time: string;
  actor: string;
  action: string;
  resource: string;
  outcome: string;
  request_id: string | null;
  source: string | null;
  details_digest: string | null;
  details: string | null;
  leaf_hash: Buffer;
  pruned_at: string | null;
}

export interface AuditNodesTable {
  level: number;
  idx: number | string;
  hash: Buffer;
}

export interface AuditHeadsTable {
  tree_size: number | string;
  timestamp: string;
  root_hash: Buffer;
  key_id: string;
  signature: Buffer;
}

export interface AuditStateTable {
  id: number;
  size: number | string;
}
