import { sql, type Kysely } from 'kysely';

/**
 * Staging rows carry the id of the write that put them (`write_id`, formerly `seal`): a commit
 * reads rows without marking them, and deletes only the rows whose write it read. Marking rows
 * at the start of a commit (the `seal`) let two commits take each other's rows, and its
 * branch-wide UPDATE deadlocked against concurrent writes on PostgreSQL.
 */
export async function upStagingWrites(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('staging').renameColumn('seal', 'write_id').execute();
  // Rows staged before this migration get one id; every later write brings its own.
  await sql`update staging set write_id = 'staged-before-009' where write_id is null`.execute(db);
}
