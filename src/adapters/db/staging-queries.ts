import { randomUUID } from 'node:crypto';
import type { Kysely, Transaction } from 'kysely';
import { compareKeys, prefixEnd } from '../../core/keys.ts';
import type { Entry } from '../../core/objects/entry.ts';
import type { StagedChange, StagedRow, StagedWrite, StagingListOptions } from '../../core/ports/metadata-store.ts';
import type { Database } from './schema.ts';

type Db = Kysely<Database> | Transaction<Database>;

/** (path, write id) pairs per DELETE: two parameters each, well inside both engines' limits. */
const WRITES_PER_DELETE = 500;

/**
 * Upserts `changes` under one new write id, in path order: every writer locks rows in the same
 * order, so two batches touching the same paths wait for each other instead of deadlocking.
 */
export async function stage(db: Kysely<Database>, input: { repository: string; branch: string; changes: StagedChange[]; rowsPerInsert: number }): Promise<void> {
  const writeId = randomUUID();
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

export async function list(db: Db, { repository, branch }: BranchKey, options: StagingListOptions): Promise<StagedRow[]> {
  let query = db.selectFrom('staging').select(['path', 'entry', 'write_id']).where('repository', '=', repository).where('branch', '=', branch);
  if (options.from !== undefined) query = query.where('path', '>=', options.from);
  if (options.after !== undefined) query = query.where('path', '>', options.after);
  const end = prefixEnd(options.prefix ?? '');
  if (options.prefix !== undefined && end !== undefined) query = query.where('path', '>=', options.prefix).where('path', '<', end);
  const rows = await query.orderBy('path').limit(options.limit).execute();
  return rows.map((row) => ({ path: row.path, entry: parseEntry(row.entry), writeId: row.write_id ?? '' }));
}

/** Deletes the rows that still hold exactly these writes (a rewritten path keeps its row). */
export async function deleteWrites(trx: Db, { repository, branch }: BranchKey, writes: StagedWrite[]): Promise<void> {
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

function parseEntry(entry: string | null): Entry | null {
  return entry === null ? null : (JSON.parse(entry) as Entry);
}
