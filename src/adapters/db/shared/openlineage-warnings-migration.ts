import type { Kysely } from 'kysely';

/**
 * OpenLineage intake warnings: one row per accepted event whose facets deviate from their
 * schema (kept verbatim, the deviation named). The same on both dialects.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('openlineage_warnings')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('received_at', 'text', (c) => c.notNull())
    .addColumn('actor', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('event_type', 'text')
    .addColumn('event_time', 'text', (c) => c.notNull())
    .addColumn('producer', 'text', (c) => c.notNull())
    .addColumn('subject', 'text', (c) => c.notNull())
    .addColumn('warnings', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('openlineage_warnings_received').on('openlineage_warnings').columns(['received_at', 'id']).execute();
}
