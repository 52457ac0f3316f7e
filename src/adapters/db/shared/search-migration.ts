import type { ColumnDataType, Expression, Kysely } from 'kysely';

/**
 * The search index's tables, common to both dialects: one row per document and one state row
 * per repository. The full-text part (FTS5 table, or tsvector column and GIN index) is added by
 * each dialect's migration.
 */
export async function upSearchTables(
  db: Kysely<unknown>,
  types: { id: ColumnDataType | Expression<unknown>; pathType: ColumnDataType | Expression<unknown>; size: ColumnDataType },
): Promise<void> {
  await db.schema
    .createTable('search_documents')
    .addColumn('id', types.id, (c) => c.primaryKey())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('repository', 'text', (c) => c.notNull())
    // The object's path, or the dataset's name: unique per repository and kind.
    .addColumn('key', types.pathType, (c) => c.notNull())
    .addColumn('path', types.pathType, (c) => c.notNull())
    .addColumn('dataset', 'text')
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('tags', 'text', (c) => c.notNull())
    .addColumn('body', 'text', (c) => c.notNull())
    // Exact tags between U+001F separators, for the tag filter.
    .addColumn('tag_list', 'text', (c) => c.notNull())
    .addColumn('content_type', 'text', (c) => c.notNull())
    .addColumn('size', types.size, (c) => c.notNull())
    .addColumn('summary', 'text', (c) => c.notNull())
    .addColumn('owner', 'text')
    .addColumn('license', 'text')
    .execute();
  await db.schema.createIndex('search_documents_by_key').unique().on('search_documents').columns(['repository', 'kind', 'key']).execute();
  await db.schema.createIndex('search_documents_by_type').on('search_documents').columns(['content_type']).execute();
  await db.schema
    .createTable('search_state')
    .addColumn('repository', 'text', (c) => c.primaryKey())
    .addColumn('indexed_commit', 'text')
    .addColumn('target_commit', 'text')
    .addColumn('cursor', types.pathType)
    .execute();
}
