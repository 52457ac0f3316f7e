import { randomUUID } from 'node:crypto';
import type { Kysely, Transaction } from 'kysely';
import { compareKeys, prefixEnd } from '../../core/keys.ts';
import type { Entry } from '../../core/objects/entry.ts';
import type { StagedChange, StagedRow, StagedWrite, StagingListOptions } from '../../core/ports/metadata-store.ts';
import type { Database } from './schema.ts';

type Db = Kysely<Database> | Transaction<Database>;

/** (path, write id) pairs per DELETE: two parameters each, well inside both engines' limits. */
const WRITES_PER_DELETE = 500;

/** A staging row as stored: repository, branch, path, entry (JSON, or null for a delete), write id. */
export type StagingValues = [string, string, string, string | null, string];

/**
 * Staging rows read and written the fastest way the driver allows, always inside a transaction
 * the caller has open on the connection (so nothing else runs between the statements). Staging a
 * million rows through Kysely's builder spent more time building and compiling the statements
 * than SQLite spent inserting (bench/versioning.ts). Absent: the builder queries below run.
 */
export interface StagingRowsDriver {
  /** Inserts or replaces rows, in the given order. */
  upsert(rows: StagingValues[]): void;
  list(key: BranchKey, options: StagingListOptions): StagedRow[];
  /** Deletes the rows that still hold exactly these writes. */
  deleteWrites(key: BranchKey, writes: StagedWrite[]): void;
}

/**
 * Upserts `changes` under one new write id, in path order: every writer locks rows in the same
 * order, so two batches touching the same paths wait for each other instead of deadlocking.
 */
export async function stage(db: Kysely<Database>, input: { repository: string; branch: string; changes: StagedChange[]; rowsPerInsert: number; driver?: StagingRowsDriver | undefined }): Promise<void> {
  const writeId = randomUUID();
  const { driver } = input;
  if (driver) {
    const values = [...input.changes]
      .sort((a, b) => compareKeys(a.path, b.path))
      .map((change): StagingValues => [input.repository, input.branch, change.path, change.entry === null ? null : JSON.stringify(change.entry), writeId]);
    await db.transaction().execute(() => {
      driver.upsert(values);
      return Promise.resolve();
    });
    return;
  }
  const rows = [...input.changes]
    .sort((a, b) => compareKeys(a.path, b.path))
    .map((change) => ({ repository: input.repository, branch: input.branch, path: change.path, entry: change.entry === null ? null : JSON.stringify(change.entry), write_id: writeId }));
  const write = async (target: Db): Promise<void> => {
    for (let i = 0; i < rows.length; i += input.rowsPerInsert) {
      await target
        .insertInto('staging')
        .values(rows.slice(i, i + input.rowsPerInsert))
        .onConflict((oc) => oc.columns(['repository', 'branch', 'path']).doUpdateSet({ entry: (eb) => eb.ref('excluded.entry'), write_id: (eb) => eb.ref('excluded.write_id') }))
        .execute();
    }
  };
  if (rows.length <= input.rowsPerInsert) await write(db);
  else await db.transaction().execute(write);
}

/** Where staging rows live: one branch of one repository. */
export interface BranchKey {
  repository: string;
  branch: string;
}

export async function get(db: Db, { repository, branch }: BranchKey, path: string): Promise<StagedChange | undefined> {
  const row = await db.selectFrom('staging').select(['path', 'entry']).where('repository', '=', repository).where('branch', '=', branch).where('path', '=', path).executeTakeFirst();
  return row && { path: row.path, entry: parseEntry(row.entry) };
}

/** Where staging rows live, and the driver's fast path when the engine has one. */
export type StagingScope = BranchKey & { driver?: StagingRowsDriver | undefined };

export async function list(db: Kysely<Database>, scope: StagingScope, options: StagingListOptions): Promise<StagedRow[]> {
  const { repository, branch, driver } = scope;
  if (driver) return db.transaction().execute(() => Promise.resolve(driver.list({ repository, branch }, options)));
  let query = db.selectFrom('staging').select(['path', 'entry', 'write_id']).where('repository', '=', repository).where('branch', '=', branch);
  if (options.from !== undefined) query = query.where('path', '>=', options.from);
  if (options.after !== undefined) query = query.where('path', '>', options.after);
  const end = prefixEnd(options.prefix ?? '');
  if (options.prefix !== undefined && end !== undefined) query = query.where('path', '>=', options.prefix).where('path', '<', end);
  const rows = await query.orderBy('path').limit(options.limit).execute();
  return rows.map((row) => ({ path: row.path, entry: parseEntry(row.entry), writeId: row.write_id ?? '' }));
}

/** Deletes the rows that still hold exactly these writes (a rewritten path keeps its row). */
export async function deleteWrites(trx: Transaction<Database>, scope: StagingScope, writes: StagedWrite[]): Promise<void> {
  const { repository, branch, driver } = scope;
  if (driver) {
    driver.deleteWrites({ repository, branch }, writes);
    return;
  }
  const sorted = [...writes].sort((a, b) => compareKeys(a.path, b.path));
  for (let i = 0; i < sorted.length; i += WRITES_PER_DELETE) {
    const batch = sorted.slice(i, i + WRITES_PER_DELETE);
    await trx
      .deleteFrom('staging')
      .where('repository', '=', repository)
      .where('branch', '=', branch)
      .where((eb) => eb(eb.refTuple('path', 'write_id'), 'in', batch.map((w) => eb.tuple(w.path, w.writeId))))
      .execute();
  }
}

export function parseEntry(entry: string | null): Entry | null {
  return entry === null ? null : (JSON.parse(entry) as Entry);
}
