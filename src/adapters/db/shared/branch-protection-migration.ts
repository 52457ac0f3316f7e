import type { Kysely } from 'kysely';

/**
 * A repository's branch protection rules (JSON; null: no branch is protected), and whether every
 * authenticated principal may read it (S3's `authenticated-read`). The same on both dialects.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('repositories').addColumn('protection', 'text').execute();
  await db.schema.alterTable('repositories').addColumn('authenticated_read', 'integer', (c) => c.notNull().defaultTo(0)).execute();
}
