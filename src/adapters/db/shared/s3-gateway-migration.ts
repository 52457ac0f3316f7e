import type { ColumnDataType, Expression, Kysely } from 'kysely';

/**
 * The S3 gateway's tables, the same on both dialects but for the path column's collation
 * (byte order, as S3 lists keys). Booleans are 0/1 integers so rows read the same everywhere.
 */
export async function upS3Gateway(db: Kysely<unknown>, types: { bool: 'integer'; pathType: ColumnDataType | Expression<unknown> }): Promise<void> {
  await db.schema.alterTable('repositories').addColumn('s3_layout', 'text', (c) => c.notNull().defaultTo('ref')).execute();
  await db.schema.alterTable('repositories').addColumn('public_read', types.bool, (c) => c.notNull().defaultTo(0)).execute();
  await db.schema
    .createTable('access_keys')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('secret', 'text', (c) => c.notNull())
    .addColumn('principal', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('revoked_at', 'text')
    .execute();
  await db.schema
    .createTable('multipart_uploads')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('repository', 'text', (c) => c.notNull())
    .addColumn('branch', 'text', (c) => c.notNull())
    .addColumn('path', types.pathType, (c) => c.notNull())
    .addColumn('initiated_at', 'text', (c) => c.notNull())
    .addColumn('initiator', 'text', (c) => c.notNull())
    .addColumn('template', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('multipart_uploads_by_path').on('multipart_uploads').columns(['repository', 'path', 'initiated_at']).execute();
  await db.schema
    .createTable('multipart_parts')
    .addColumn('upload_id', 'text', (c) => c.notNull())
    .addColumn('part_number', 'integer', (c) => c.notNull())
    .addColumn('content', 'text', (c) => c.notNull())
    .addColumn('last_modified', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('multipart_parts_pk', ['upload_id', 'part_number'])
    .execute();
}
