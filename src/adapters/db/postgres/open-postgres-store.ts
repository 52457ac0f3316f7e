import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { StrataError } from '../../../core/errors.ts';
import { KyselyMetadataStore } from '../kysely-metadata-store.ts';
import type { NodeRow } from '../lineage-queries.ts';
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
import { postgresFullText } from '../search-queries.ts';
import { createBranchLocks } from './branch-lock.ts';

/** The advisory lock key of the garbage-collection fence ('strata-gc' as an int8). */
const GC_FENCE_KEY = 0x7374726174612d67n.toString();

/** PostgreSQL, for many processes and machines. `url` is a postgres:// connection string. */
export async function openPostgresStore(url: string, options: { poolSize?: number } = {}): Promise<KyselyMetadataStore> {
  const pool = new pg.Pool({ connectionString: url, max: options.poolSize ?? 10 });
  try {
    const client = await pool.connect();
    client.release();
  } catch (error) {
    await pool.end();
    throw new StrataError('Unavailable', `cannot connect to PostgreSQL at ${redact(url)}: ${(error as Error).message}`, { cause: error });
  }
  const db = new Kysely<Schema>({ dialect: new PostgresDialect({ pool }) });
  await migrateToLatest(db as Kysely<unknown>, { '001-initial': initial, '002-s3-gateway': s3Gateway, '003-datasets': datasets, '004-search': search, '005-lineage': lineage, '006-prep-cache': prepCache, '007-audit': audit, '008-inference': inference, '009-staging-writes': stagingWrites, '010-part-versions': partVersions, '011-bucket-cors': bucketCors, '012-identity': identity, '013-branch-protection': branchProtection, '014-gc': gc, '015-erasure': erasure, '016-openlineage-warnings': openLineageWarnings });
  const branchLocks = createBranchLocks(url);
  return new KyselyMetadataStore(db, {
    name: 'postgres',
    withBranchLock: (key, task) => branchLocks.run(key, task),
    // A transaction-scoped advisory lock: held in memory by the server, released at commit, and
    // no row is written for it (FOR SHARE on a row would churn multixacts on every commit).
    gcFence: async (trx, mode) => {
      if (mode === 'shared') await sql`select pg_advisory_xact_lock_shared(${GC_FENCE_KEY})`.execute(trx);
      else await sql`select pg_advisory_xact_lock(${GC_FENCE_KEY})`.execute(trx);
    },
    isUniqueViolation: (error) => (error as { code?: unknown } | undefined)?.code === '23505',
    // deadlock_detected and serialization_failure: the transaction was rolled back whole.
    isRetryable: (error) => ['40P01', '40001'].includes(String((error as { code?: unknown } | undefined)?.code)),
    maxRowsPerInsert: 1000,
    // VACUUM marks the deleted tuples' space free for reuse; it does not zero it (VACUUM FULL
    // would rewrite the tables under an exclusive lock). Documented as PostgreSQL's limit.
    scrub: async (db) => {
      for (const table of ['inference_records', 'prep_cache', 'staging', 'search_documents', 'multipart_parts']) await sql`vacuum ${sql.table(table)}`.execute(db);
    },
    fullText: postgresFullText,
    // `= any(array)` plans as index lookups; `in (select unnest(…))` may hash-join a whole table.
    integerIn: (column, values) => sql<boolean>`${sql.ref(column)} = any(${values}::bigint[])`,
    // One row holding a JSON array: node-postgres parses text rows field by field, and 30,000
    // edge rows cost more to parse than to find; one JSON.parse of the same data costs little.
    edgeRows: async (db, column, ids) => {
      const { rows } = await sql<{ edges: Array<[number, number, number]> }>`select coalesce(json_agg(json_build_array(src, dst, type)), '[]'::json) as edges from lineage_edges where ${sql.ref(column)} = any(${ids}::bigint[])`.execute(db);
      return rows[0]?.edges ?? [];
    },
    nodeRows: async (db, ids) => {
      const { rows } = await sql<{ nodes: NodeRow[] }>`select coalesce(json_agg(json_build_array(id, key, type, label, data::json, created_at)), '[]'::json) as nodes from lineage_nodes where id = any(${ids}::bigint[])`.execute(db);
      return rows[0]?.nodes ?? [];
    },
    // Kysely's destroy() ends the store's pool; the lock pool is the dialect's own.
    destroy: () => branchLocks.close(),
  });
}

function redact(url: string): string {
  return url.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@');
}
