import type { ColumnDataType, Kysely } from 'kysely';

/** The recipe cache index: key → byte range of a segment blob. Keys are hex SHA-256, so no collation matters. */
export async function upPrepCache(db: Kysely<unknown>, types: { bigint: ColumnDataType }): Promise<void> {
  await db.schema
    .createTable('prep_cache')
    .addColumn('key', 'text', (c) => c.primaryKey())
    .addColumn('blob', 'text', (c) => c.notNull())
    .addColumn('byte_offset', types.bigint, (c) => c.notNull())
    .addColumn('byte_length', types.bigint, (c) => c.notNull())
    .execute();
}
