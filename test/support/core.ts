import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { QuickJsSandbox } from '../../src/adapters/prep/quickjs-sandbox.ts';
import { AesGcmSealer } from '../../src/adapters/secrets/aes-gcm-sealer.ts';
import { Ed25519FileSigner } from '../../src/adapters/audit/ed25519-signer.ts';
import { FsBlobStore } from '../../src/adapters/blob/fs/fs-blob-store.ts';
import { DuckDbArchiveEngine } from '../../src/adapters/inference/duckdb-archive.ts';
import { TiktokenCounter } from '../../src/adapters/inference/tiktoken-counter.ts';
import { BasicExtractor } from '../../src/adapters/extract/basic-extractor.ts';
import { EldLanguageDetector } from '../../src/adapters/extract/eld-language-detector.ts';
import { openPostgresStore } from '../../src/adapters/db/postgres/open-postgres-store.ts';
import { PgBossTaskQueue } from '../../src/adapters/queue/pg-boss-task-queue.ts';
import { openSqliteStore } from '../../src/adapters/db/sqlite/open-sqlite-store.ts';
import type { MetadataStore } from '../../src/core/ports/metadata-store.ts';
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import { createStrataCore, type StrataCore, type StrataCoreOptions } from '../../src/core/strata.ts';
import type { CallContext } from '../../src/core/versioning/types.ts';
import { createPostgresDatabase } from './databases.ts';

export type Dialect = 'sqlite' | 'postgres';
export const DIALECTS: Dialect[] = ['sqlite', 'postgres'];

export interface TestCore {
  core: StrataCore;
  dialect: Dialect;
  /** The PostgreSQL database's URL (postgres only). */
  databaseUrl?: string;
  metadata: MetadataStore;
  blobs: FsBlobStore;
  dir: string;
  /** A token of `ada`, the administrator every test core starts with (`ctx` acts as her). */
  token: string;
  dispose(): Promise<void>;
}

export const ctx: CallContext = { actor: { id: 'ada' } };

/**
 * A core on real files and a real database of the given dialect, removed by `dispose`. With
 * `tasks` (postgres only), recipe runs can hand tasks to worker processes through pg-boss.
 */
export async function createTestCore(dialect: Dialect, options: Partial<StrataCoreOptions> = {}, extras: { tasks?: { expireInSeconds: number } } = {}): Promise<TestCore> {
  const dir = await mkdtemp(join(tmpdir(), 'strata-core-'));
  const blobs = await FsBlobStore.open({ root: join(dir, 'blobs') });
  let metadata: MetadataStore;
  let dropDatabase = (): Promise<void> => Promise.resolve();
  let databaseUrl: string | undefined;
  if (dialect === 'sqlite') {
    metadata = await openSqliteStore(join(dir, 'strata.db'));
  } else {
    const database = await createPostgresDatabase();
    metadata = await openPostgresStore(database.url);
    dropDatabase = () => database.drop();
    databaseUrl = database.url;
  }
  const tasks = extras.tasks && databaseUrl ? { queue: new PgBossTaskQueue({ connectionString: databaseUrl, maintenanceIntervalSeconds: extras.tasks.expireInSeconds }), expireInSeconds: extras.tasks.expireInSeconds, retryLimit: 3 } : undefined;
  const signer = Ed25519FileSigner.open(join(dir, 'audit-signing-key.pem'), { create: true });
  const secrets = AesGcmSealer.open(join(dir, 's3-secrets.key'), { create: true });
  const core = createStrataCore({ metadata, blobs, secrets, stepSandbox: new QuickJsSandbox(), extractor: new BasicExtractor(), languageDetector: new EldLanguageDetector(), audit: { signer }, inference: { engine: new DuckDbArchiveEngine(), tokens: new TiktokenCounter(), options: { pseudonymKey: Buffer.alloc(32, 7) } }, ...(tasks ? { tasks } : {}), ...options });
  // As `strata init` does: the first principal is the administrator; tests act as her.
  const { token } = await core.identity.bootstrap('ada');
  return {
    core,
    dialect,
    ...(databaseUrl === undefined ? {} : { databaseUrl }),
    metadata,
    blobs,
    dir,
    token: token?.token ?? '',
    dispose: async () => {
      await core.close();
      await dropDatabase();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/**
 * A second core on the same database and blob folder, as a second server process would have:
 * nothing in memory is shared (caches, branch locks), only what the stores hold.
 */
export async function attachCore(test: TestCore): Promise<{ core: StrataCore; close(): Promise<void> }> {
  const metadata = test.dialect === 'sqlite' ? await openSqliteStore(join(test.dir, 'strata.db')) : await openPostgresStore(test.databaseUrl ?? '');
  const blobs = await FsBlobStore.open({ root: join(test.dir, 'blobs') });
  const signer = Ed25519FileSigner.open(join(test.dir, 'audit-signing-key.pem'), { create: false });
  const secrets = AesGcmSealer.open(join(test.dir, 's3-secrets.key'), { create: false });
  const core = createStrataCore({ metadata, blobs, secrets, audit: { signer }, inference: { engine: new DuckDbArchiveEngine(), tokens: new TiktokenCounter(), options: { pseudonymKey: Buffer.alloc(32, 7) } } });
  return { core, close: () => core.close() };
}

export async function* bytesOf(data: string | Buffer): AsyncGenerator<Uint8Array> {
  await Promise.resolve();
  yield typeof data === 'string' ? Buffer.from(data) : data;
}

export async function readAll(stream: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for await (const part of stream) parts.push(part);
  return Buffer.concat(parts);
}

/** The StrataError code a promise rejects with (or 'resolved'). */
export async function errorCode(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'resolved';
  } catch (error) {
    return (error as { code?: string }).code ?? 'no code';
  }
}

/** `fetch` with `Authorization: Bearer <token>` added (the caller's own headers win). */
export function withToken(token: string): typeof fetch {
  return (input, init = {}) => fetch(input, { ...init, headers: { authorization: `Bearer ${token}`, ...Object.fromEntries(new Headers(init.headers).entries()) } });
}

/** Fastify's `inject` with `Authorization: Bearer <token>` added (the caller's own headers win). */
export function injectAs(server: FastifyInstance, token: string): (options: InjectOptions) => Promise<LightMyRequestResponse> {
  return (options) => server.inject({ ...options, headers: { authorization: `Bearer ${token}`, ...(options.headers as Record<string, string> | undefined) } });
}
