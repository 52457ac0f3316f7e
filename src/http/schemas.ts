import { ProtectionRuleSchema } from '../core/protection/protection-rules.ts';
import { RetentionRulesSchema } from '../core/gc/retention.ts';
import { z } from 'zod';
import { ERROR_CODES } from '../core/errors.ts';
import { MERGE_STRATEGIES } from '../core/versioning/types.ts';

/** REST shapes. One schema gives request validation, response typing and the OpenAPI document. */
export const ErrorSchema = z.object({
  code: z.enum(ERROR_CODES),
  message: z.string(),
  details: z.record(z.string(), z.unknown()).optional(),
}).meta({ id: 'Error' });

export const RepositorySchema = z.object({
  name: z.string(),
  defaultBranch: z.string(),
  createdAt: z.string(),
  createdBy: z.string(),
  s3Layout: z.enum(['ref', 'plain']).describe("S3 gateway keys: 'ref' = <ref>/<path>, 'plain' = paths on the default branch"),
  publicRead: z.boolean().describe('anonymous S3 reads allowed'),
  authenticatedRead: z.boolean().optional().describe('every authenticated principal may read it'),
  auditReads: z.boolean().describe('every data read (API and S3) is appended to the audit log'),
  protection: z.array(ProtectionRuleSchema).optional().describe('branch protection rules, first matching pattern wins'),
  retention: RetentionRulesSchema.optional().describe('how long replaced versions stay; lifecycle and stale-branch rules'),
}).meta({ id: 'Repository' });

export const AccessKeySchema = z.object({
  id: z.string(),
  principal: z.string(),
  createdAt: z.string(),
  revokedAt: z.string().optional(),
}).meta({ id: 'AccessKey' });

export const BranchSchema = z.object({ name: z.string(), head: z.string(), createdAt: z.string(), createdBy: z.string() }).meta({ id: 'Branch' });
export const TagSchema = z.object({ name: z.string(), commitId: z.string(), createdAt: z.string(), createdBy: z.string() }).meta({ id: 'Tag' });

export const EntrySchema = z.object({
  sha256: z.string(),
  size: z.number().int(),
  md5: z.string(),
  contentType: z.string(),
  mtime: z.string(),
  manifest: z.string().optional(),
  metadata: z.record(z.string(), z.string()).optional(),
  headers: z.record(z.string(), z.string()).optional().describe('stored response headers (cache-control, content-disposition, x-amz-checksum-*, …)'),
  tags: z.record(z.string(), z.string()).optional(),
  etag: z.string().optional().describe('S3 ETag when it is not the MD5 (multipart uploads)'),
  partSizes: z.array(z.number().int()).optional(),
  provenance: z.object({ source: z.string(), modified: z.string().optional() }).optional().describe('where an ingested object came from'),
  extracted: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional().describe('metadata extracted at ingest'),
});

export const ObjectSchema = EntrySchema.extend({ path: z.string(), erased: z.string().optional().describe('In listings: the erasure that destroyed this content (reading it answers 451)') }).meta({ id: 'Object' });

export const CommitSchema = z.object({
  id: z.string(),
  treeId: z.string().nullable(),
  parents: z.array(z.string()),
  generation: z.number().int(),
  author: z.string(),
  message: z.string(),
  createdAt: z.string(),
  metadata: z.record(z.string(), z.string()),
}).meta({ id: 'Commit' });

export const ChangeSchema = z.object({
  path: z.string(),
  type: z.enum(['added', 'removed', 'changed']),
  left: EntrySchema.optional(),
  right: EntrySchema.optional(),
}).meta({ id: 'Change' });

export const ListSchema = z.object({
  objects: z.array(ObjectSchema),
  commonPrefixes: z.array(z.string()),
  truncated: z.boolean(),
  nextAfter: z.string().optional(),
}).meta({ id: 'ObjectList' });

export const MergeResultSchema = z.object({
  commit: CommitSchema,
  merged: z.boolean(),
  resolvedConflicts: z.array(z.string()),
  changes: z.number().int(),
  checks: z.array(z.object({ check: z.string(), passed: z.boolean(), message: z.string() })).optional().describe("the protected destination's required checks, each passed"),
}).meta({ id: 'MergeResult' });

export const MergeStrategySchema = z.enum(MERGE_STRATEGIES as [string, ...string[]]);

export const RepoParams = z.object({ repo: z.string() });
export const BranchParams = z.object({ repo: z.string(), branch: z.string() });
export const RefParams = z.object({ repo: z.string(), ref: z.string() });
export const MetadataSchema = z.record(z.string(), z.string());

/** Standard error responses, documented on every route. */
export const ERROR_RESPONSES = { 400: ErrorSchema, 401: ErrorSchema, 403: ErrorSchema, 404: ErrorSchema, 409: ErrorSchema, 410: ErrorSchema, 451: ErrorSchema, 500: ErrorSchema, 503: ErrorSchema };
