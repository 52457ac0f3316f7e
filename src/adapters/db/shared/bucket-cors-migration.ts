import type { Kysely } from 'kysely';

/** A repository's CORS rules for the S3 gateway (JSON; null: none, preflights are refused). The same on both dialects. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('repositories').addColumn('cors', 'text').execute();
}
