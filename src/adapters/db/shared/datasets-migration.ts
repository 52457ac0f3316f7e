import type { ColumnDataType, Expression, Kysely } from 'kysely';

/** The dataset catalog's table (both dialects; the prefix in byte order, like object paths). */
export async function upDatasets(db: Kysely<unknown>, types: { pathType: ColumnDataType | Expression<unknown> }): Promise<void> {
  await db.schema
    .createTable('datasets')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('repository', 'text', (c) => c.notNull())
    .addColumn('prefix', types.pathType, (c) => c.notNull())
    .addColumn('owner', 'text', (c) => c.notNull())
    .addColumn('description', 'text', (c) => c.notNull())
    .addColumn('license', 'text')
    .addColumn('source', 'text')
    .addColumn('tags', 'text', (c) => c.notNull())
    .addColumn('labels', 'text', (c) => c.notNull())
    .addColumn('properties', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('datasets_by_repository').on('datasets').columns(['repository', 'prefix']).execute();
}
