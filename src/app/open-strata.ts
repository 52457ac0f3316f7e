import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FsBlobStore } from '../adapters/blob/fs/fs-blob-store.ts';
import { BasicExtractor } from '../adapters/extract/basic-extractor.ts';
import { HttpLineageEmitter } from '../adapters/lineage/http-lineage-emitter.ts';
import { ThreadPoolMapper } from '../adapters/prep/thread-pool-mapper.ts';
import { DuckDbShardEncoder } from '../adapters/prep/shard-encoder.ts';
import { DuckDbTableReader } from '../adapters/protection/duckdb-table-reader.ts';
import { HttpWebhookSender } from '../adapters/protection/http-webhook-sender.ts';
import { LibraryDocumentText } from '../adapters/extract/document-text.ts';
import { esbuildCompiler } from '../adapters/prep/esbuild-compiler.ts';
import { QuickJsSandbox } from '../adapters/prep/quickjs-sandbox.ts';
import { EldLanguageDetector } from '../adapters/extract/eld-language-detector.ts';
import { Ed25519FileSigner } from '../adapters/audit/ed25519-signer.ts';
import { AesGcmSealer } from '../adapters/secrets/aes-gcm-sealer.ts';
import { DuckDbArchiveEngine } from '../adapters/inference/duckdb-archive.ts';
import { TiktokenCounter } from '../adapters/inference/tiktoken-counter.ts';
import type { Config } from '../config/config.ts';
import { invalidArgument, notFound } from '../core/errors.ts';
import type { BlobStore } from '../core/ports/blob-store.ts';
import type { MetadataStore } from '../core/ports/metadata-store.ts';
import type { TaskQueue } from '../core/ports/task-queue.ts';
import { createStrataCore, type StrataCore } from '../core/strata.ts';

export interface OpenStrataOptions {
  /** Create the data folder if it is missing (serve and init do; other commands must not). */
  create: boolean;
  /** Strata's version, named in the OpenLineage events it emits. */
  version?: string;
}

/** The composition root for one process: config → adapters → core services. */
export async function openStrata(config: Config, options: OpenStrataOptions): Promise<StrataCore> {
  if (!options.create && !config.databaseUrl && !existsSync(config.dataDir)) {
    throw notFound(`no Strata data folder at ${config.dataDir} (run 'strata init' or set STRATA_DATA_DIR)`);
  }
  const blobs = await openBlobStore(config);
  const metadata = await openMetadataStore(config);
  const queue = await openTaskQueue(config);
  const core = createStrataCore({
    metadata,
    blobs,
    secrets: openSecretsKey(config),
    extractor: new BasicExtractor(),
    languageDetector: new EldLanguageDetector(),
    openLineage: {
      settings: { namespace: config.openLineageNamespace, producer: `urn:strata:${options.version ?? '0.0.0'}` },
      emitter: config.openLineageUrl === undefined ? undefined : new HttpLineageEmitter({ url: config.openLineageUrl }),
    },
    shardEncoder: new DuckDbShardEncoder(),
    tables: new DuckDbTableReader(),
    webhooks: new HttpWebhookSender({ allowPrivateNetworks: config.webhookAllowPrivateNetworks }),
    documentText: new LibraryDocumentText(),
    moduleCompiler: esbuildCompiler,
    stepSandbox: new QuickJsSandbox(),
    ...(config.prepThreads === 0 ? {} : { mapper: new ThreadPoolMapper(config.prepThreads) }),
    ...(queue ? { tasks: { queue, expireInSeconds: config.taskTimeoutSeconds, retryLimit: config.taskRetries } } : {}),
    audit: { signer: openAuditSigner(config), log: { headEvery: config.auditHeadEvery }, retention: { minimumDays: config.auditMinRetentionDays, ...(config.auditRetentionDays === undefined ? {} : { days: config.auditRetentionDays }) } },
    inference: {
      engine: new DuckDbArchiveEngine({ timeoutMs: config.queryTimeoutSeconds * 1000, memoryLimit: config.queryMemoryLimit }),
      tokens: new TiktokenCounter(),
      options: { inlineBytes: config.inferenceInlineBytes, recentDays: config.inferenceRecentDays, ...(config.inferencePseudonymize ? { pseudonymKey: pseudonymKey(join(config.dataDir, 'inference-pseudonym.key')) } : {}) },
    },
  });
  // Keys stored before secrets were sealed are sealed now, once.
  await core.accessKeys.sealStored();
  return core;
}

/**
 * The HMAC key for inference user and session ids, made on first use (32 random bytes, hex, mode
 * 0600; created exclusively, so two processes starting at once agree on one key).
 */
function pseudonymKey(file: string): Buffer {
  if (!existsSync(file)) {
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    try {
      writeFileSync(file, randomBytes(32).toString('hex'), { mode: 0o600, flag: 'wx' });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
  return Buffer.from(readFileSync(file, 'utf8').trim(), 'hex');
}

/** The key that seals S3 secrets: made on first use in the data folder; a configured file must exist. */
function openSecretsKey(config: Config): AesGcmSealer {
  const file = config.secretsKeyFile ?? join(config.dataDir, 's3-secrets.key');
  return AesGcmSealer.open(file, { create: config.secretsKeyFile === undefined });
}

/** The key is made on first use where the data folder is Strata's own; a configured key file must exist. */
function openAuditSigner(config: Config): Ed25519FileSigner | undefined {
  const file = config.auditKeyFile ?? join(config.dataDir, 'audit-signing-key.pem');
  const signer = Ed25519FileSigner.open(file, { create: config.auditKeyFile === undefined });
  if (signer === undefined) throw notFound(`no audit signing key at ${file} (STRATA_AUDIT_KEY_FILE)`);
  return signer;
}

async function openBlobStore(config: Config): Promise<BlobStore> {
  const url = config.blobUrl ?? `file://${join(config.dataDir, 'blobs')}`;
  if (url.startsWith('file://')) return FsBlobStore.open({ root: fileURLToPath(url), fsync: config.fsync });
  if (url.startsWith('s3://')) {
    // Loaded only when configured: the AWS SDK is large.
    const { S3BlobStore } = await import('../adapters/blob/s3/s3-blob-store.ts');
    return S3BlobStore.fromUrl(url);
  }
  throw invalidArgument(`unsupported STRATA_BLOB_URL '${url}': use file:///path or s3://bucket/prefix?endpoint=…&region=…&path_style=true`);
}

/** Each dialect's driver is loaded only when configured, which keeps CLI start-up short. */
async function openMetadataStore(config: Config): Promise<MetadataStore> {
  const url = config.databaseUrl;
  if (url === undefined || url.startsWith('sqlite:')) {
    const file = url === undefined ? join(config.dataDir, 'strata.db') : url.slice('sqlite:'.length);
    const { openSqliteStore } = await import('../adapters/db/sqlite/open-sqlite-store.ts');
    return openSqliteStore(file);
  }
  if (url.startsWith('postgres://') || url.startsWith('postgresql://')) {
    const { openPostgresStore } = await import('../adapters/db/postgres/open-postgres-store.ts');
    return openPostgresStore(url);
  }
  throw invalidArgument(`unsupported STRATA_DATABASE_URL '${url}': use postgres://… or sqlite:<file>`);
}

/** The task queue lives in PostgreSQL (pg-boss); embedded Strata runs everything in process. */
async function openTaskQueue(config: Config): Promise<TaskQueue | undefined> {
  const url = config.databaseUrl;
  if (url === undefined || !(url.startsWith('postgres://') || url.startsWith('postgresql://'))) return undefined;
  const { PgBossTaskQueue } = await import('../adapters/queue/pg-boss-task-queue.ts');
  // Expired tasks are looked for at least as often as one may expire.
  return new PgBossTaskQueue({ connectionString: url, maintenanceIntervalSeconds: Math.min(60, config.taskTimeoutSeconds) });
}
