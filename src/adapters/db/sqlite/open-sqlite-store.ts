import Database from 'better-sqlite3';
import { Kysely, sql, SqliteDialect } from 'kysely';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import { StrataError } from '../../../core/errors.ts';
import { KyselyMetadataStore } from '../kysely-metadata-store.ts';
import type { NodeRow } from '../lineage-queries.ts';
import { parseEntry, type StagingRowsDriver } from '../staging-queries.ts';
import { prefixEnd } from '../../../core/keys.ts';
import { migrateToLatest } from '../migrate.ts';
import type { Database as Schema } from '../schema.ts';
import * as initial from './migrations/001-initial.ts';
import * as s3Gateway from './migrations/002-s3-gateway.ts';
import * as datasets from './migrations/003-datasets.ts';
import * as search from './migrations/004-search.ts';
import * as lineage from './migrations/005-lineage.ts';
import * as prepCache from './migrations/006-prep-cache.ts';
import * as audit from './migrations/007-audit.ts';
import * as inference from './migrations/008-inference.ts';
import * as stagingWrites from './migrations/009-staging-writes.ts';
import * as partVersions from './migrations/010-part-versions.ts';
import * as bucketCors from './migrations/011-bucket-cors.ts';
import * as branchProtection from './migrations/013-branch-protection.ts';
import * as identity from './migrations/012-identity.ts';
import * as gc from './migrations/014-gc.ts';
import * as erasure from './migrations/015-erasure.ts';
import * as openLineageWarnings from './migrations/016-openlineage-warnings.ts';
import { sqliteFullText } from '../search-queries.ts';

const BUSY_TIMEOUT_MS = 30_000;

/**
 * SQLite, the embedded default. WAL lets readers run beside the single writer; other processes
 * wait up to `busy_timeout` for the write lock; `synchronous = FULL` makes every acknowledged
 * transaction survive power loss, not only a crash of the process.
 */
export async function openSqliteStore(file: string): Promise<KyselyMetadataStore> {
  let database: Database.Database;
  try {
    if (file !== ':memory:') {
      mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
      // Made private before SQLite opens it: SQLite gives its -wal and -shm files the database
      // file's permissions.
      closeSync(openSync(file, 'a', 0o600));
    }
    // The timeout before the first statement: switching a database to WAL waits for a lock that
    // another process opening or migrating it may hold, and better-sqlite3's default (5 s) ran
    // out under load (SQLITE_BUSY from `journal_mode`).
    database = new Database(file, { timeout: BUSY_TIMEOUT_MS });
    database.pragma('journal_mode = WAL');
    database.pragma('synchronous = FULL');
    database.pragma('foreign_keys = ON');
    // Deleted rows are overwritten with zeros, not left in free pages: erasure deletes rows
    // holding personal data, and their bytes must not linger in the file.
    database.pragma('secure_delete = ON');
    // 128 MiB of page cache (the default is 2 MiB): a large branch's staging and tree writes
    // touch index pages all over the file, and re-reading them dominated a million-row stage.
    database.pragma('cache_size = -131072');
  } catch (error) {
    throw new StrataError('Unavailable', `cannot open SQLite database ${file}: ${(error as Error).message}`, { cause: error });
  }
  const db = new Kysely<Schema>({ dialect: new SqliteDialect({ database: withStatementCache(database) }) });
  // Kysely's migration lock is a no-op on SQLite (it assumes one process), so two processes
  // opening a new database at once both ran the migrations and one failed ("table already
  // exists"). All of them run in one IMMEDIATE transaction instead: the second process waits for
  // the write lock (busy_timeout), then finds them applied; a failing migration leaves nothing.
  database.exec('BEGIN IMMEDIATE');
  try {
    await migrateToLatest(db as Kysely<unknown>, { '001-initial': initial, '002-s3-gateway': s3Gateway, '003-datasets': datasets, '004-search': search, '005-lineage': lineage, '006-prep-cache': prepCache, '007-audit': audit, '008-inference': inference, '009-staging-writes': stagingWrites, '010-part-versions': partVersions, '011-bucket-cors': bucketCors, '012-identity': identity, '013-branch-protection': branchProtection, '014-gc': gc, '015-erasure': erasure, '016-openlineage-warnings': openLineageWarnings });
    database.exec('COMMIT');
  } catch (error) {
    database.exec('ROLLBACK');
    throw error;
  }
  const changes = changeToken(database);
  return new KyselyMetadataStore(db, {
    name: 'sqlite',
    isUniqueViolation: (error) => {
      const code = (error as { code?: unknown } | undefined)?.code;
      return typeof code === 'string' && code.startsWith('SQLITE_CONSTRAINT');
    },
    // One connection per process, and busy_timeout waits out other processes' write locks.
    isRetryable: () => false,
    maxRowsPerInsert: 500,
    // The full-text index keeps deleted words in its segments until they are merged; the WAL
    // keeps old page images until it is checkpointed and truncated.
    scrub: async (db) => {
      await sql`insert into search_fts(search_fts) values ('optimize')`.execute(db);
      database.pragma('wal_checkpoint(TRUNCATE)');
    },
    fullText: sqliteFullText,
    // json_each turns one JSON array parameter into rows; SQLite has no array parameters.
    integerIn: (column, values) => sql<boolean>`${sql.ref(column)} in (select value from json_each(${JSON.stringify(values)}))`,
    changeToken: changes.token,
    insertRows: rowInserter(database),
    stagingRows: stagingDriver(database),
    edgeRows: edgeReader(database),
    nodeRows: nodeReader(database),
    destroy: () => {
      changes.release();
      return Promise.resolve();
    },
  });
}

/**
 * Lineage edges as bare arrays straight from better-sqlite3: a depth-10 walk reads ~30,000 edge
 * rows, and skipping Kysely's row objects took the reads from 24.6 to 17.8 ms a walk (bench/lineage.ts
 * graph at scale 1). Prepared once; the statements run on the store's one connection.
 */
function edgeReader(database: Database.Database): (db: unknown, column: 'src' | 'dst', ids: number[]) => Array<[number, number, number]> {
  const statements = {
    src: database.prepare('select src, dst, type from lineage_edges where src in (select value from json_each(?))').raw(true),
    dst: database.prepare('select src, dst, type from lineage_edges where dst in (select value from json_each(?))').raw(true),
  };
  return (_db, column, ids) => statements[column].all(JSON.stringify(ids)) as Array<[number, number, number]>;
}

/** Lineage nodes by id as bare rows, for the same reason as `edgeReader`. */
function nodeReader(database: Database.Database): (db: unknown, ids: number[]) => NodeRow[] {
  const statement = database.prepare('select id, key, type, label, data, created_at from lineage_nodes where id in (select value from json_each(?))').raw(true);
  return (_db, ids) =>
    (statement.all(JSON.stringify(ids)) as Array<[number, string, string, string, string, string]>).map(([id, key, type, label, data, createdAt]) => [id, key, type, label, JSON.parse(data) as Record<string, unknown>, createdAt]);
}

/**
 * `data_version` changes when another connection (another process, or another store in this
 * one) committed since this one last asked; `total_changes()` counts this connection's own
 * inserted, updated and deleted rows. Together they change with every write to the database
 * (ChangeTokenCache).
 *
 * `data_version` reads the WAL index under a lock (about 12 µs under load, the largest cost of a
 * small GET when asked per lookup), so it is read once per turn of the event loop and reused
 * until the loop's check phase. That keeps read-after-write across processes: a request handled
 * in this turn arrived before the turn's poll returned, so a write another process acknowledged
 * before the request was sent had committed before the version was read. This connection's own
 * writes are never missed: `total_changes()` (0.1 µs, no lock) is read on every call. Another
 * store in this process could write and be read back within one turn, so while more than one
 * is open (tests, tools), the version is read on every call.
 */
let openConnections = 0;

function changeToken(database: Database.Database): { token: () => string; release: () => void } {
  const version = database.prepare('pragma data_version').pluck();
  const total = database.prepare('select total_changes()').pluck();
  openConnections += 1;
  let seen: number | undefined;
  const forget = (): void => {
    seen = undefined;
  };
  return {
    token: () => {
      if (seen === undefined || openConnections > 1) {
        seen = version.get() as number;
        setImmediate(forget);
      }
      return `${seen}:${String(total.get())}`;
    },
    release: () => {
      openConnections -= 1;
    },
  };
}

/**
 * Multi-row INSERTs as prepared statements, one per (table, columns, row count), within SQLite's
 * 32,766 bound parameters. Run on the store's one connection, inside the transaction the caller
 * opened through Kysely (better-sqlite3 is synchronous: nothing else runs in between).
 */
function rowInserter(database: Database.Database): (table: string, columns: readonly string[], rows: unknown[][]) => void {
  const statements = new Map<string, Database.Statement>();
  const statement = (table: string, columns: readonly string[], count: number): Database.Statement => {
    const key = `${table}\n${columns.join(',')}\n${String(count)}`;
    let prepared = statements.get(key);
    if (!prepared) {
      const row = `(${columns.map(() => '?').join(', ')})`;
      prepared = database.prepare(`insert into "${table}" (${columns.map((c) => `"${c}"`).join(', ')}) values ${Array.from({ length: count }, () => row).join(', ')}`);
      statements.set(key, prepared);
    }
    return prepared;
  };
  return (table, columns, rows) => {
    const perStatement = Math.min(500, Math.floor(32_766 / columns.length));
    for (let i = 0; i < rows.length; i += perStatement) {
      const slice = rows.slice(i, i + perStatement);
      statement(table, columns, slice.length).run(slice.flat());
    }
  };
}

/** Upserted rows per statement: five parameters each, under SQLite's 32,766. */
const STAGING_ROWS_PER_UPSERT = 500;

/** Staging rows through prepared statements on the store's one connection (StagingRowsDriver). */
function stagingDriver(database: Database.Database): StagingRowsDriver {
  const upserts = new Map<number, Database.Statement>();
  const upsert = (count: number): Database.Statement => {
    let statement = upserts.get(count);
    if (!statement) {
      const values = Array.from({ length: count }, () => '(?, ?, ?, ?, ?)').join(', ');
      statement = database.prepare(
        `insert into staging (repository, branch, path, entry, write_id) values ${values} on conflict (repository, branch, path) do update set entry = excluded.entry, write_id = excluded.write_id`,
      );
      upserts.set(count, statement);
    }
    return statement;
  };
  // One statement per combination of bounds, so that each bound is an index range.
  const listings = new Map<string, Database.Statement>();
  const listing = (bounds: Array<[string, string]>): Database.Statement => {
    const key = bounds.map(([condition]) => condition).join(' and ');
    let statement = listings.get(key);
    if (!statement) {
      statement = database.prepare(`select path, entry, write_id from staging where repository = ? and branch = ?${bounds.map(([condition]) => ` and ${condition}`).join('')} order by path limit ?`).raw(true);
      listings.set(key, statement);
    }
    return statement;
  };
  // One row per run: a primary-key lookup each. A json_each join here let the planner scan the
  // branch's rows once per pair.
  const deletion = database.prepare('delete from staging where repository = ? and branch = ? and path = ? and write_id = ?');
  return {
    upsert: (rows) => {
      for (let i = 0; i < rows.length; i += STAGING_ROWS_PER_UPSERT) {
        const slice = rows.slice(i, i + STAGING_ROWS_PER_UPSERT);
        upsert(slice.length).run(slice.flat());
      }
    },
    list: ({ repository, branch }, options) => {
      const bounds: Array<[string, string]> = [];
      if (options.from !== undefined) bounds.push(['path >= ?', options.from]);
      if (options.after !== undefined) bounds.push(['path > ?', options.after]);
      if (options.prefix !== undefined) {
        bounds.push(['path >= ?', options.prefix]);
        const end = prefixEnd(options.prefix);
        if (end !== undefined) bounds.push(['path < ?', end]);
      }
      const rows = listing(bounds).all(repository, branch, ...bounds.map(([, value]) => value), options.limit) as Array<[string, string | null, string | null]>;
      return rows.map(([path, entry, writeId]) => ({ path, entry: parseEntry(entry), writeId: writeId ?? '' }));
    },
    deleteWrites: ({ repository, branch }, writes) => {
      for (const write of writes) deletion.run(repository, branch, write.path, write.writeId);
    },
  };
}

/**
 * Kysely prepares every query afresh; preparing costs more than running a point lookup, so
 * statements are cached by SQL text (better-sqlite3 statements are reusable). Kysely builds
 * SQL with placeholders, so the set of distinct texts is small; the bound keeps it so.
 */
function withStatementCache(database: Database.Database, limit = 500): Database.Database {
  const cache = new Map<string, Database.Statement>();
  const prepare = (sql: string): Database.Statement => {
    let statement = cache.get(sql);
    if (!statement) {
      statement = database.prepare(sql);
      if (cache.size >= limit) cache.clear();
      cache.set(sql, statement);
    }
    return statement;
  };
  return new Proxy(database, {
    get(target, property, receiver) {
      if (property === 'prepare') return prepare;
      const value: unknown = Reflect.get(target, property, receiver);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}
