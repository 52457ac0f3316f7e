import { KyselyGcStore, type GcFence } from './gc-queries.ts';
import { KyselyErasureStore } from './erasure-queries.ts';
import type { RetentionRules } from '../../core/gc/retention.ts';
import { sql, type Kysely, type RawBuilder, type Selectable, type Transaction } from 'kysely';
import { conflict, StrataError } from '../../core/errors.ts';
import { prefixEnd } from '../../core/keys.ts';
import type {
  AccessKeyRecord,
  AdvanceBranchInput,
  DatasetFilter,
  DatasetRecord,
  PartRecord,
  RepositorySettings,
  S3Layout,
  UploadRecord,
  BranchRecord,
  CommitRecord,
  MetadataStore,
  RepositoryRecord,
  StagedChange,
  StagedRow,
  StagedWrite,
  StagingListOptions,
  TagRecord,
} from '../../core/ports/metadata-store.ts';
import type { CorsRule } from '../../core/versioning/cors.ts';
import type { ProtectionRule } from '../../core/protection/protection-rules.ts';
import * as accessKeys from './access-key-queries.ts';
import * as datasets from './dataset-queries.ts';
import { KyselyLineageStore, type NodeRow } from './lineage-queries.ts';
import { KyselyPrepCacheStore } from './prep-cache-queries.ts';
import { KyselyAuditStore, type RowInserter } from './audit-queries.ts';
import { KyselyIdentityStore } from './identity-queries.ts';
import { KyselyInferenceStore } from './inference-queries.ts';
import { KyselyModelStore } from './model-queries.ts';
import { KyselyRunStore } from './run-queries.ts';
import { KyselySearchIndex, type FullTextDialect } from './search-queries.ts';
import type { CommitsTable, Database, RepositoriesTable } from './schema.ts';
import * as staging from './staging-queries.ts';
import type { StagingRowsDriver } from './staging-queries.ts';
import * as uploads from './upload-queries.ts';
import { ChangeTokenCache } from './read-cache.ts';

/** What differs between SQL engines, declared once per dialect instead of `if (dialect)` checks. */
export interface DialectCapabilities {
  name: 'sqlite' | 'postgres';
  /** True when `error` is a primary-key or unique violation. */
  isUniqueViolation(error: unknown): boolean;
  /** True when the engine rolled the transaction back for a deadlock or serialization failure. */
  isRetryable(error: unknown): boolean;
  /** The garbage-collection fence inside a transaction (see GcFence); absent: the engine orders writers already. */
  gcFence?: GcFence;
  /** A lock every process on the database shares, if the engine has one (see MetadataStore.withBranchLock). */
  withBranchLock?: <T>(key: string, task: () => Promise<T>) => Promise<T>;
  /** Rows per multi-row INSERT, within the engine's bound-parameter limit. */
  maxRowsPerInsert: number;
  /** After an erasure: leave no deleted row's bytes in the database's files (see ErasureStore.scrub). */
  scrub(db: Kysely<Database>): Promise<void>;
  /** How the engine matches and ranks words for the catalog search. */
  fullText: FullTextDialect;
  /** `column` is one of `values`, as one bound parameter whatever the count (an index lookup per value). */
  integerIn(column: string, values: number[]): RawBuilder<boolean>;
  /**
   * Lineage edges (src, dst, type index) whose `column` is one of `ids`, as bare rows: the lineage
   * walk's hot loop, read the fastest way the driver allows.
   */
  edgeRows(db: Kysely<Database>, column: 'src' | 'dst', ids: number[]): Promise<Array<[number, number, number]>> | Array<[number, number, number]>;
  /** Lineage nodes by id as bare rows (id, key, type, label, data as an object, created_at): the walk's last read. */
  nodeRows(db: Kysely<Database>, ids: number[]): Promise<NodeRow[]> | NodeRow[];
  /**
   * A multi-row INSERT of plain rows, run inside the caller's open transaction the fastest way
   * the driver allows (the audit log's append). Absent: Kysely's insert builder is used.
   */
  insertRows?: RowInserter;
  /** Staging rows through prepared statements (see StagingRowsDriver); absent: Kysely's builder. */
  stagingRows?: StagingRowsDriver;
  /**
   * A value that differs whenever the database has changed since it was last read, by this
   * connection or any other (see ChangeTokenCache); absent where the engine cannot tell cheaply.
   */
  changeToken?: () => string;
  /** Releases connections and files. */
  destroy(): Promise<void>;
}

class HeadMoved extends Error {}

/** Attempts of one transaction the database rolled back for a deadlock or serialization failure. */
const MAX_TRANSACTION_ATTEMPTS = 8;

const COMMIT_CACHE_SIZE = 10_000;

/** The metadata store over Kysely; the same queries run on SQLite and PostgreSQL. */
export class KyselyMetadataStore implements MetadataStore {
  readonly dialect: 'sqlite' | 'postgres';
  readonly search: KyselySearchIndex;
  readonly lineage: KyselyLineageStore;
  readonly runs: KyselyRunStore;
  readonly models: KyselyModelStore;
  readonly prepCache: KyselyPrepCacheStore;
  readonly audit: KyselyAuditStore;
  readonly inference: KyselyInferenceStore;
  readonly identity: KyselyIdentityStore;
  readonly gc: KyselyGcStore;
  readonly erasure: KyselyErasureStore;
  private readonly commits = new Map<string, CommitRecord>();
  private readonly reads: ChangeTokenCache;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly capabilities: DialectCapabilities,
  ) {
    this.dialect = capabilities.name;
    this.reads = new ChangeTokenCache(() => capabilities.changeToken?.());
    this.search = new KyselySearchIndex(db, capabilities.fullText, capabilities.maxRowsPerInsert);
    this.lineage = new KyselyLineageStore(db, { maxRowsPerInsert: capabilities.maxRowsPerInsert, integerIn: (column, values) => capabilities.integerIn(column, values), edgeRows: (column, ids) => capabilities.edgeRows(db, column, ids), nodeRows: (ids) => capabilities.nodeRows(db, ids) });
    const uniquely = <T>(message: string, operation: () => Promise<T>): Promise<T> => this.uniquely(message, operation);
    this.runs = new KyselyRunStore(db, capabilities.maxRowsPerInsert, uniquely);
    this.models = new KyselyModelStore(db, uniquely, (error) => capabilities.isUniqueViolation(error));
    this.prepCache = new KyselyPrepCacheStore(db, capabilities.maxRowsPerInsert);
    this.audit = new KyselyAuditStore(db, capabilities.maxRowsPerInsert, capabilities.insertRows);
    this.inference = new KyselyInferenceStore(db, capabilities.maxRowsPerInsert, capabilities.name === 'sqlite' ? 32_000 : 65_000);
    this.identity = new KyselyIdentityStore(db, (error) => capabilities.isUniqueViolation(error));
    this.gc = new KyselyGcStore(db, this.fence, capabilities.maxRowsPerInsert);
    this.erasure = new KyselyErasureStore(db, { rowsPerQuery: capabilities.maxRowsPerInsert, scrub: () => capabilities.scrub(db) });
  }

  /** Writers that name a commit take the fence shared; the collector's `expire` takes it exclusive. */
  private readonly fence: GcFence = (trx, mode) => this.capabilities.gcFence?.(trx, mode) ?? Promise.resolve();

  /** Inside a writer's transaction: Gone if any of `commits` expired (the fence held shared). */
  private async requireUnexpired(trx: Transaction<Database>, repository: string, commits: string[]): Promise<void> {
    await this.fence(trx, 'shared');
    const expired = await trx.selectFrom('expired_commits').select(['commit_id', 'rule']).where('repository', '=', repository).where('commit_id', 'in', commits).executeTakeFirst();
    if (expired) throw new StrataError('Gone', `commit ${expired.commit_id} has expired (rule: ${expired.rule}); its objects were garbage-collected`, { details: { reason: 'expired-commit', commit: expired.commit_id, rule: expired.rule } });
  }

  async createRepository(repository: RepositoryRecord, root: CommitRecord): Promise<void> {
    await this.uniquely(`repository '${repository.name}' already exists`, () =>
      this.db.transaction().execute(async (trx) => {
        await trx
          .insertInto('repositories')
          .values({
            name: repository.name,
            default_branch: repository.defaultBranch,
            created_at: repository.createdAt,
            created_by: repository.createdBy,
            s3_layout: repository.s3Layout,
            public_read: repository.publicRead ? 1 : 0,
            audit_reads: repository.auditReads ? 1 : 0,
          })
          .execute();
        await insertCommit(trx, root);
        await trx
          .insertInto('branches')
          .values({
            repository: repository.name,
            name: repository.defaultBranch,
            head: root.id,
            created_at: repository.createdAt,
            created_by: repository.createdBy,
          })
          .execute();
      }),
    );
  }

  getRepository(name: string): Promise<RepositoryRecord | undefined> {
    return this.reads.get(`repository\n${name}`, async () => {
      const row = await this.db.selectFrom('repositories').selectAll().where('name', '=', name).executeTakeFirst();
      return row && toRepository(row);
    });
  }

  async listRepositories(): Promise<RepositoryRecord[]> {
    const rows = await this.db.selectFrom('repositories').selectAll().orderBy('name').execute();
    return rows.map(toRepository);
  }

  async updateRepository(name: string, settings: RepositorySettings): Promise<boolean> {
    const values: { s3_layout?: string; public_read?: number; authenticated_read?: number; audit_reads?: number; cors?: string | null; protection?: string | null; retention?: string | null } = {};
    if (settings.s3Layout !== undefined) values.s3_layout = settings.s3Layout;
    if (settings.publicRead !== undefined) values.public_read = settings.publicRead ? 1 : 0;
    if (settings.authenticatedRead !== undefined) values.authenticated_read = settings.authenticatedRead ? 1 : 0;
    if (settings.auditReads !== undefined) values.audit_reads = settings.auditReads ? 1 : 0;
    if (settings.cors !== undefined) values.cors = settings.cors === null ? null : JSON.stringify(settings.cors);
    if (settings.protection !== undefined) values.protection = settings.protection === null || settings.protection.length === 0 ? null : JSON.stringify(settings.protection);
    if (settings.retention !== undefined) values.retention = settings.retention === null ? null : JSON.stringify(settings.retention);
    if (Object.keys(values).length === 0) return (await this.getRepository(name)) !== undefined;
    const result = await this.db.updateTable('repositories').set(values).where('name', '=', name).executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  async deleteRepository(name: string): Promise<boolean> {
    this.commits.clear();
    return this.db.transaction().execute(async (trx) => {
      const deleted = await trx.deleteFrom('repositories').where('name', '=', name).executeTakeFirst();
      for (const table of ['branches', 'tags', 'commits', 'staging', 'expired_commits'] as const) {
        await trx.deleteFrom(table).where('repository', '=', name).execute();
      }
      await trx
        .deleteFrom('multipart_parts')
        .where('upload_id', 'in', trx.selectFrom('multipart_uploads').select('id').where('repository', '=', name))
        .execute();
      await trx.deleteFrom('multipart_uploads').where('repository', '=', name).execute();
      await trx.deleteFrom('datasets').where('repository', '=', name).execute();
      await trx.deleteFrom('search_documents').where('repository', '=', name).execute();
      await trx.deleteFrom('search_state').where('repository', '=', name).execute();
      return deleted.numDeletedRows > 0n;
    });
  }

  async createBranch(branch: BranchRecord): Promise<void> {
    await this.uniquely(`branch '${branch.name}' already exists`, () =>
      this.db.transaction().execute(async (trx) => {
        await trx
          .insertInto('branches')
          .values({ repository: branch.repository, name: branch.name, head: branch.head, created_at: branch.createdAt, created_by: branch.createdBy })
          .execute();
        await this.requireUnexpired(trx, branch.repository, [branch.head]);
      }),
    );
  }

  getBranch(repository: string, name: string): Promise<BranchRecord | undefined> {
    return this.reads.get(`branch\n${repository}\n${name}`, async () => {
      const row = await this.db.selectFrom('branches').selectAll().where('repository', '=', repository).where('name', '=', name).executeTakeFirst();
      return row && toBranch(row);
    });
  }

  async listBranches(repository: string): Promise<BranchRecord[]> {
    const rows = await this.db.selectFrom('branches').selectAll().where('repository', '=', repository).orderBy('name').execute();
    return rows.map(toBranch);
  }

  async deleteBranch(repository: string, name: string): Promise<boolean> {
    return this.db.transaction().execute(async (trx) => {
      const deleted = await trx.deleteFrom('branches').where('repository', '=', repository).where('name', '=', name).executeTakeFirst();
      await trx.deleteFrom('staging').where('repository', '=', repository).where('branch', '=', name).execute();
      return deleted.numDeletedRows > 0n;
    });
  }

  async createTag(tag: TagRecord): Promise<void> {
    await this.uniquely(`tag '${tag.name}' already exists`, () =>
      this.db.transaction().execute(async (trx) => {
        await trx
          .insertInto('tags')
          .values({ repository: tag.repository, name: tag.name, commit_id: tag.commitId, created_at: tag.createdAt, created_by: tag.createdBy })
          .execute();
        await this.requireUnexpired(trx, tag.repository, [tag.commitId]);
      }),
    );
  }

  getTag(repository: string, name: string): Promise<TagRecord | undefined> {
    return this.reads.get(`tag\n${repository}\n${name}`, async () => {
      const row = await this.db.selectFrom('tags').selectAll().where('repository', '=', repository).where('name', '=', name).executeTakeFirst();
      return row && { repository: row.repository, name: row.name, commitId: row.commit_id, createdAt: row.created_at, createdBy: row.created_by };
    });
  }

  async listTags(repository: string): Promise<TagRecord[]> {
    const rows = await this.db.selectFrom('tags').selectAll().where('repository', '=', repository).orderBy('name').execute();
    return rows.map((row) => ({ repository: row.repository, name: row.name, commitId: row.commit_id, createdAt: row.created_at, createdBy: row.created_by }));
  }

  async deleteTag(repository: string, name: string): Promise<boolean> {
    const deleted = await this.db.deleteFrom('tags').where('repository', '=', repository).where('name', '=', name).executeTakeFirst();
    return deleted.numDeletedRows > 0n;
  }

  /** Commits are immutable (the id hashes the content), so found ones are cached. */
  async getCommit(repository: string, id: string): Promise<CommitRecord | undefined> {
    const key = `${repository}\n${id}`;
    const cached = this.commits.get(key);
    if (cached) return cached;
    const row = await this.db.selectFrom('commits').selectAll().where('repository', '=', repository).where('id', '=', id).executeTakeFirst();
    if (!row) return undefined;
    const commit = toCommit(row);
    if (this.commits.size >= COMMIT_CACHE_SIZE) this.commits.clear();
    this.commits.set(key, commit);
    return commit;
  }

  async findCommitIds(repository: string, prefix: string, limit: number): Promise<string[]> {
    // Commit ids are lowercase hex, so every id with the prefix sorts below prefix + 'g'.
    const rows = await this.db
      .selectFrom('commits')
      .select('id')
      .where('repository', '=', repository)
      .where('id', '>=', prefix)
      .where('id', '<', `${prefix}g`)
      .orderBy('id')
      .limit(limit)
      .execute();
    return rows.map((row) => row.id);
  }

  advanceBranch(input: AdvanceBranchInput): Promise<boolean> {
    return this.onHead(input, input.commit.id, async (trx) => {
      await this.requireUnexpired(trx, input.repository, [input.commit.id, ...(input.builtFrom ?? [])]);
      await insertCommit(trx, input.commit);
      if (input.consumed !== undefined) await staging.deleteWrites(trx, { ...input, driver: this.capabilities.stagingRows }, input.consumed);
    });
  }

  withBranchLock<T>(repository: string, branch: string, task: () => Promise<T>): Promise<T> {
    const lock = this.capabilities.withBranchLock;
    return lock === undefined ? task() : lock(`${repository}\n${branch}`, task);
  }

  dropStaged(input: { repository: string; branch: string; expectedHead: string; rows: StagedWrite[] }): Promise<boolean> {
    return this.onHead(input, input.expectedHead, (trx) => staging.deleteWrites(trx, { ...input, driver: this.capabilities.stagingRows }, input.rows));
  }

  /**
   * One transaction that first moves the head from `expectedHead` to `to` (compare-and-swap),
   * then runs `body`; false, with nothing changed, when the head had moved. Retried whole on a
   * deadlock or serialization failure.
   */
  private onHead(at: { repository: string; branch: string; expectedHead: string }, to: string, body: (trx: Transaction<Database>) => Promise<void>): Promise<boolean> {
    return this.retrying(async () => {
      try {
        await this.db.transaction().execute(async (trx) => {
          if (!(await moveHead(trx, at, to))) throw new HeadMoved();
          await body(trx);
        });
        return true;
      } catch (error) {
        if (error instanceof HeadMoved) return false;
        throw error;
      }
    });
  }

  stage(repository: string, branch: string, changes: StagedChange[]): Promise<void> {
    if (changes.length === 0) return Promise.resolve();
    return this.retrying(() => staging.stage(this.db, { repository, branch, changes, rowsPerInsert: this.capabilities.maxRowsPerInsert, driver: this.capabilities.stagingRows }));
  }

  getStaged(repository: string, branch: string, path: string): Promise<StagedChange | undefined> {
    return this.reads.get(`staged\n${repository}\n${branch}\n${path}`, () => staging.get(this.db, { repository, branch }, path));
  }

  listStaged(repository: string, branch: string, options: StagingListOptions): Promise<StagedRow[]> {
    return staging.list(this.db, { repository, branch, driver: this.capabilities.stagingRows }, options);
  }

  async countStaged(repository: string, branch: string): Promise<number> {
    const row = await this.db
      .selectFrom('staging')
      .select((eb) => eb.fn.countAll<string | number>().as('n'))
      .where('repository', '=', repository)
      .where('branch', '=', branch)
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  async resetStaged(repository: string, branch: string, prefix?: string): Promise<number> {
    let query = this.db.deleteFrom('staging').where('repository', '=', repository).where('branch', '=', branch);
    const end = prefixEnd(prefix ?? '');
    if (prefix !== undefined && end !== undefined) query = query.where('path', '>=', prefix).where('path', '<', end);
    const result = await query.executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  async createAccessKey(key: AccessKeyRecord): Promise<void> {
    await this.uniquely(`access key '${key.id}' already exists`, () => accessKeys.create(this.db, key));
  }

  getAccessKey(id: string): Promise<AccessKeyRecord | undefined> {
    return this.reads.get(`access-key\n${id}`, () => accessKeys.get(this.db, id));
  }

  listAccessKeys(): Promise<AccessKeyRecord[]> {
    return accessKeys.list(this.db);
  }

  revokeAccessKey(id: string, at: string): Promise<boolean> {
    return accessKeys.revoke(this.db, id, at);
  }

  replaceAccessKeySecret(id: string, expected: string, secret: string): Promise<boolean> {
    return accessKeys.replaceSecret(this.db, { id, expected, secret });
  }

  async createUpload(upload: UploadRecord): Promise<void> {
    await this.uniquely(`upload '${upload.id}' already exists`, () => uploads.create(this.db, upload));
  }

  getUpload(id: string): Promise<UploadRecord | undefined> {
    return uploads.get(this.db, id);
  }

  listUploads(repository: string, options: { prefix?: string; after?: { path: string; id?: string }; limit: number }): Promise<UploadRecord[]> {
    return uploads.list(this.db, repository, options);
  }

  putPart(part: PartRecord): Promise<void> {
    return uploads.putPart(this.db, part);
  }

  listParts(uploadId: string, options: { after?: number; limit: number }): Promise<PartRecord[]> {
    return uploads.listParts(this.db, uploadId, options);
  }

  findParts(uploadId: string, wanted: Array<{ partNumber: number; md5: string }>): Promise<PartRecord[]> {
    return uploads.findParts(this.db, uploadId, wanted);
  }

  deleteUpload(id: string): Promise<boolean> {
    return uploads.remove(this.db, id);
  }

  async createDataset(dataset: DatasetRecord): Promise<void> {
    await this.uniquely(`dataset '${dataset.name}' already exists`, () => datasets.create(this.db, dataset));
  }

  getDataset(name: string): Promise<DatasetRecord | undefined> {
    return datasets.get(this.db, name);
  }

  listDatasets(filter: DatasetFilter): Promise<DatasetRecord[]> {
    return datasets.list(this.db, filter);
  }

  updateDataset(dataset: DatasetRecord): Promise<boolean> {
    return datasets.update(this.db, dataset);
  }

  async close(): Promise<void> {
    await this.db.destroy();
    await this.capabilities.destroy();
  }

  /**
   * Runs `operation` again when the database rolled it back for a deadlock or a serialization
   * failure (the whole transaction is gone, so repeating it is safe), a bounded number of times.
   */
  private async retrying<T>(operation: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await operation();
      } catch (error) {
        if (!this.capabilities.isRetryable(error) || attempt >= MAX_TRANSACTION_ATTEMPTS) throw error;
        await new Promise((resolve) => setTimeout(resolve, Math.random() * 10 * attempt));
      }
    }
  }

  private async uniquely<T>(message: string, operation: () => Promise<T>): Promise<T> {
    try {
      return await operation();
    } catch (error) {
      if (this.capabilities.isUniqueViolation(error)) throw conflict(message);
      throw error;
    }
  }
}

async function insertCommit(trx: Transaction<Database>, commit: CommitRecord): Promise<void> {
  await trx
    .insertInto('commits')
    .values({
      repository: commit.repository,
      id: commit.id,
      tree_id: commit.treeId,
      parents: JSON.stringify(commit.parents),
      generation: commit.generation,
      author: commit.author,
      message: commit.message,
      created_at: commit.createdAt,
      metadata: JSON.stringify(commit.metadata),
    })
    .onConflict((oc) => oc.columns(['repository', 'id']).doNothing())
    .execute();
}

function toRepository(row: Selectable<RepositoriesTable>): RepositoryRecord {
  return {
    name: row.name,
    defaultBranch: row.default_branch,
    createdAt: row.created_at,
    createdBy: row.created_by,
    s3Layout: row.s3_layout as S3Layout,
    publicRead: row.public_read === 1,
    ...(row.authenticated_read === 1 ? { authenticatedRead: true } : {}),
    auditReads: row.audit_reads === 1,
    ...(row.cors === null ? {} : { cors: JSON.parse(row.cors) as CorsRule[] }),
    ...(row.protection === null ? {} : { protection: JSON.parse(row.protection) as ProtectionRule[] }),
    ...(row.retention === null ? {} : { retention: JSON.parse(row.retention) as RetentionRules }),
  };
}

function toBranch(row: { repository: string; name: string; head: string; created_at: string; created_by: string }): BranchRecord {
  return { repository: row.repository, name: row.name, head: row.head, createdAt: row.created_at, createdBy: row.created_by };
}

function toCommit(row: CommitsTable): CommitRecord {
  return {
    id: row.id,
    repository: row.repository,
    treeId: row.tree_id,
    parents: JSON.parse(row.parents) as string[],
    // pg returns integers as numbers, SQLite as numbers too; keep the column's declared type.
    generation: row.generation,
    author: row.author,
    message: row.message,
    createdAt: row.created_at,
    metadata: JSON.parse(row.metadata) as Record<string, string>,
  };
}

/**
 * The compare-and-swap on a branch head, first in its transaction so SQLite takes its write lock
 * before reading anything and PostgreSQL locks the branch row before any staging row.
 */
async function moveHead(trx: Transaction<Database>, at: { repository: string; branch: string; expectedHead: string }, to: string): Promise<boolean> {
  const moved = await trx.updateTable('branches').set({ head: to }).where('repository', '=', at.repository).where('name', '=', at.branch).where('head', '=', at.expectedHead).executeTakeFirst();
  return moved.numUpdatedRows === 1n;
}

/** Exposed for adapters that need raw SQL with the same connection. */
export { sql };
