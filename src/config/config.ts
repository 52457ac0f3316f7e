import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { z } from 'zod';
import { StrataError } from '../core/errors.ts';

/** Name of the folder `strata init` creates, found upward from the working directory like `.git`. */
export const DATA_DIR_NAME = '.strata';
export const CONFIG_FILE_NAME = 'config.json';
export const DEFAULT_PORT = 8420;
export const DEFAULT_S3_PORT = 8421;

/** A comma-separated list in the environment, an array in config.json. */
function commaList() {
  return z.preprocess((v) => (typeof v === 'string' ? v.split(',').map((h) => h.trim()).filter((h) => h !== '') : v), z.array(z.string().min(1))).default([]);
}

const ConfigSchema = z.strictObject({
  /** Where the embedded database, blobs and config.json live. */
  dataDir: z.string().min(1),
  /** `postgres://…` for PostgreSQL; default: SQLite at `<dataDir>/strata.db`. */
  databaseUrl: z.string().min(1).optional(),
  /**
   * `file:///path` (default `<dataDir>/blobs`) or `s3://bucket/prefix?endpoint=…&region=…&path_style=true`
   * (credentials from the AWS chain: AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, profiles, roles).
   */
  blobUrl: z.string().min(1).optional(),
  host: z.string().min(1).default('127.0.0.1'),
  port: z.coerce.number().int().min(0).max(65535).default(DEFAULT_PORT),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** fsync every blob before it becomes visible. */
  fsync: z.stringbool().or(z.boolean()).default(true),
  /** The S3 gateway's port (same host); 0 picks a free one. */
  s3Port: z.coerce.number().int().min(0).max(65535).default(DEFAULT_S3_PORT),
  /**
   * Processes that serve the S3 gateway (node:cluster, one shared port); 0 serves it from the
   * server's own process. Each opens the same database and blob store, which are multi-process safe.
   */
  s3Workers: z.coerce.number().int().min(0).max(64).default(0),
  /** Region reported to S3 clients. */
  s3Region: z.string().min(1).default('us-east-1'),
  /**
   * Host names the REST API and the S3 gateway answer to, besides IP addresses, localhost and the
   * S3 domain (comma-separated; `.example.com` takes its subdomains too; `*` any).
   */
  allowedHosts: commaList(),
  /** Folders REST ingest may read server paths from (comma-separated); none by default. */
  ingestRoots: commaList(),
  /** Let REST ingest of URLs reach loopback, private and link-local addresses. */
  ingestAllowPrivateNetworks: z.stringbool().or(z.boolean()).default(false),
  /** Merge-check webhooks may reach loopback and private addresses. */
  webhookAllowPrivateNetworks: z.stringbool().or(z.boolean()).default(false),
  /** Let REST ingest read s3:// sources with the server's own AWS credentials. */
  ingestS3: z.stringbool().or(z.boolean()).default(false),
  /** Virtual-host addressing: requests to `<bucket>.<s3Domain>` address that bucket. */
  s3Domain: z.string().min(1).default('localhost'),
  /** Largest single object upload through the REST API, in bytes (S3's single-PUT limit: 5 GiB). */
  maxUploadBytes: z.coerce.number().int().positive().default(5 * 1024 ** 3),
  /** Where to send every run as OpenLineage events (e.g. Marquez's /api/v1/lineage); none by default. */
  openLineageUrl: z.url({ protocol: /^https?$/ }).optional(),
  /** The namespace Strata's datasets and jobs carry in OpenLineage events. */
  openLineageNamespace: z.string().regex(/^strata:\/\/[^\s:]+$/, 'must look like strata://<instance>').default('strata://local'),
  /** A worker task running longer than this counts as lost (its worker died) and runs again. */
  taskTimeoutSeconds: z.coerce.number().int().min(1).default(600),
  /** Threads recipe runs map sources on; 0 maps on the main thread. Default: one per core. */
  prepThreads: z.coerce.number().int().min(0).max(256).optional(),
  /** Attempts of a worker task after the first. */
  taskRetries: z.coerce.number().int().min(0).max(100).default(3),
  /**
   * The Ed25519 key (PKCS#8 PEM) that signs audit tree heads; default `<dataDir>/audit-signing-key.pem`,
   * made on first start. Every process of one Strata must use the same key.
   */
  auditKeyFile: z.string().min(1).optional(),
  /** The AES-256 key that seals S3 secret keys in the database (default: <data dir>/s3-secrets.key, made on first use). */
  secretsKeyFile: z.string().min(1).optional(),
  /** Sign a tree head once this many audit entries were appended since the last one. */
  auditHeadEvery: z.coerce.number().int().min(1).default(1000),
  /** …and at least this often, even when nothing happened (`strata serve`). */
  auditHeadSeconds: z.coerce.number().int().min(1).default(60),
  /** `strata audit prune` empties entries older than this many days; absent: kept forever. */
  auditRetentionDays: z.coerce.number().int().min(1).optional(),
  /** The shortest audit retention that may be configured (default 190 days: six months and a week). */
  auditMinRetentionDays: z.coerce.number().int().min(1).default(190),
  /** Store inference user and session ids as keyed hashes (key: `<dataDir>/inference-pseudonym.key`). */
  inferencePseudonymize: z.stringbool().or(z.boolean()).default(true),
  /** Inference input or output text longer than this (bytes) is kept as an object in the archive repository. */
  inferenceInlineBytes: z.coerce.number().int().min(0).default(64 * 1024),
  /** `strata inference compact` moves records older than this many days into Parquet. */
  inferenceRecentDays: z.coerce.number().int().min(0).default(7),
  /** An archive SQL query running longer is cancelled. */
  queryTimeoutSeconds: z.coerce.number().positive().max(3600).default(30),
  /** Memory one archive SQL query may use (DuckDB's syntax: 512MB, 2GB). */
  queryMemoryLimit: z.string().regex(/^\d+(\.\d+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)$/i, 'use a size such as 512MB or 2GB').default('1GB'),
  /**
   * Garbage collection keeps blobs and commits younger than this, so writers in flight are never
   * collected under (docs/architecture.md). Must exceed the longest a write takes to stage.
   */
  gcGraceSeconds: z.coerce.number().int().min(0).default(3600),
  /** `strata serve` collects garbage this often (0: never; run `strata gc`). */
  gcIntervalSeconds: z.coerce.number().int().min(0).default(24 * 3600),
  /** Largest inference batch or OTLP request body, in bytes (larger: 413). */
  inferenceMaxBodyBytes: z.coerce.number().int().min(1024).default(32 * 1024 * 1024),
});

export type Config = Readonly<z.infer<typeof ConfigSchema>>;

const ENV_KEYS: Record<string, keyof z.input<typeof ConfigSchema>> = {
  STRATA_DATA_DIR: 'dataDir',
  STRATA_DATABASE_URL: 'databaseUrl',
  STRATA_BLOB_URL: 'blobUrl',
  STRATA_HOST: 'host',
  STRATA_PORT: 'port',
  STRATA_LOG_LEVEL: 'logLevel',
  STRATA_FSYNC: 'fsync',
  STRATA_MAX_UPLOAD_BYTES: 'maxUploadBytes',
  STRATA_S3_PORT: 's3Port',
  STRATA_S3_REGION: 's3Region',
  STRATA_S3_WORKERS: 's3Workers',
  STRATA_S3_DOMAIN: 's3Domain',
  STRATA_ALLOWED_HOSTS: 'allowedHosts',
  STRATA_INGEST_ROOTS: 'ingestRoots',
  STRATA_INGEST_ALLOW_PRIVATE_NETWORKS: 'ingestAllowPrivateNetworks',
  STRATA_WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'webhookAllowPrivateNetworks',
  STRATA_INGEST_S3: 'ingestS3',
  STRATA_OPENLINEAGE_URL: 'openLineageUrl',
  STRATA_OPENLINEAGE_NAMESPACE: 'openLineageNamespace',
  STRATA_TASK_TIMEOUT_SECONDS: 'taskTimeoutSeconds',
  STRATA_TASK_RETRIES: 'taskRetries',
  STRATA_PREP_THREADS: 'prepThreads',
  STRATA_AUDIT_KEY_FILE: 'auditKeyFile',
  STRATA_SECRETS_KEY_FILE: 'secretsKeyFile',
  STRATA_AUDIT_HEAD_EVERY: 'auditHeadEvery',
  STRATA_AUDIT_HEAD_SECONDS: 'auditHeadSeconds',
  STRATA_AUDIT_RETENTION_DAYS: 'auditRetentionDays',
  STRATA_AUDIT_MIN_RETENTION_DAYS: 'auditMinRetentionDays',
  STRATA_INFERENCE_PSEUDONYMIZE: 'inferencePseudonymize',
  STRATA_INFERENCE_INLINE_BYTES: 'inferenceInlineBytes',
  STRATA_INFERENCE_RECENT_DAYS: 'inferenceRecentDays',
  STRATA_INFERENCE_MAX_BODY_BYTES: 'inferenceMaxBodyBytes',
  STRATA_QUERY_TIMEOUT_SECONDS: 'queryTimeoutSeconds',
  STRATA_QUERY_MEMORY_LIMIT: 'queryMemoryLimit',
  STRATA_GC_GRACE_SECONDS: 'gcGraceSeconds',
  STRATA_GC_INTERVAL_SECONDS: 'gcIntervalSeconds',
};

export interface LoadConfigOptions {
  env: Record<string, string | undefined>;
  /** Where to start looking for `.strata` when no data folder is given. */
  cwd: string;
  /** Look for `.strata` in `cwd`'s parents too (default); false takes `<cwd>/.strata` (for init). */
  searchParents?: boolean;
  /** Values from command-line flags; they win over the environment and the config file. */
  overrides?: Partial<Record<keyof z.input<typeof ConfigSchema>, string | number | boolean | undefined>>;
}

/**
 * Builds the one Config of a process: defaults < `<dataDir>/config.json` < STRATA_* environment
 * < flags. Parsed and frozen here; nothing else reads `process.env`.
 */
export function loadConfig(options: LoadConfigOptions): Config {
  const fromEnv: Record<string, string> = {};
  for (const [variable, key] of Object.entries(ENV_KEYS)) {
    const value = options.env[variable];
    if (value !== undefined && value !== '') fromEnv[key] = value;
  }
  // Flags the user did not give arrive as undefined values; they must not mask lower layers.
  const given = Object.entries(options.overrides ?? {}) as [string, unknown][];
  const overrides = Object.fromEntries(given.filter(([, v]) => v !== undefined));
  const givenDir = options.overrides?.dataDir ?? fromEnv.dataDir;
  const found = options.searchParents === false ? join(resolve(options.cwd), DATA_DIR_NAME) : findDataDir(options.cwd);
  const dataDir = resolve(options.cwd, givenDir === undefined ? found : String(givenDir));
  const merged = { ...readConfigFile(dataDir), ...fromEnv, ...overrides, dataDir };
  const parsed = ConfigSchema.safeParse(merged);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue ? issue.path.join('.') : '';
    throw new StrataError('InvalidArgument', `invalid configuration: ${where}: ${issue ? issue.message : 'invalid'}`);
  }
  const { auditRetentionDays, auditMinRetentionDays } = parsed.data;
  if (auditRetentionDays !== undefined && auditRetentionDays < auditMinRetentionDays) {
    throw new StrataError('InvalidArgument', `invalid configuration: auditRetentionDays: ${auditRetentionDays} days is shorter than the minimum of ${auditMinRetentionDays} (STRATA_AUDIT_MIN_RETENTION_DAYS)`);
  }
  return Object.freeze(parsed.data);
}

/** The nearest `.strata` folder at or above `cwd`, else `<cwd>/.strata`. */
export function findDataDir(cwd: string): string {
  for (let dir = resolve(cwd); ; dir = dirname(dir)) {
    if (existsSync(join(dir, DATA_DIR_NAME))) return join(dir, DATA_DIR_NAME);
    if (dirname(dir) === dir) return join(resolve(cwd), DATA_DIR_NAME);
  }
}

function readConfigFile(dataDir: string): Record<string, unknown> {
  const file = join(dataDir, CONFIG_FILE_NAME);
  if (!existsSync(file)) return {};
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch (error) {
    throw new StrataError('InvalidArgument', `cannot read ${file}: ${(error as Error).message}`);
  }
}

export function describeDatabase(config: Config): string {
  return config.databaseUrl?.startsWith('postgres') === true ? 'postgresql' : `sqlite:${join(config.dataDir, 'strata.db')}`;
}
