import type { Kysely } from 'kysely';

/**
 * Garbage collection: a repository's retention rules (JSON; null: keep everything a ref
 * reaches), the source of each recipe cache entry, the commits whose trees were given up (the
 * log still shows them), and a record of each collection. The same on both dialects.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('repositories').addColumn('retention', 'text').execute();
  // The content a recipe cache entry was computed from: an entry whose source no kept version
  // holds any more is pruned. Null for entries recorded before: kept.
  await db.schema.alterTable('prep_cache').addColumn('source_sha256', 'text').execute();
  await db.schema
    .createTable('expired_commits')
    .addColumn('repository', 'text', (c) => c.notNull())
    .addColumn('commit_id', 'text', (c) => c.notNull())
    .addColumn('expired_at', 'text', (c) => c.notNull())
    .addColumn('rule', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('expired_commits_pk', ['repository', 'commit_id'])
    .execute();
  await db.schema
    .createTable('gc_runs')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('started_at', 'text', (c) => c.notNull())
    .addColumn('finished_at', 'text', (c) => c.notNull())
    .addColumn('actor', 'text', (c) => c.notNull())
    .addColumn('dry_run', 'integer', (c) => c.notNull())
    .addColumn('report', 'text', (c) => c.notNull())
    .execute();
}
