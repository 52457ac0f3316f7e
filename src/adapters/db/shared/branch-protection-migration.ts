import type { Kysely } from 'kysely';

/** A repository's branch protection rules (JSON; null: no branch is protected). The same on both dialects. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('repositories').addColumn('protection', 'text').execute();
}
