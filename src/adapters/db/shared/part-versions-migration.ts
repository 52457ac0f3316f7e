import { sql, type Kysely, type RawBuilder } from 'kysely';

/**
 * Multipart parts are kept per (upload, part number, MD5): a part uploaded twice, the first
 * upload finishing last, still completes with the one the client lists (its ETag). `version`
 * orders the uploads of a part number (ListParts shows the latest). Rows move to the new table;
 * `md5Of` reads the MD5 from the JSON content in the dialect's own way.
 */
export async function upPartVersions(db: Kysely<unknown>, md5Of: (column: RawBuilder<unknown>) => RawBuilder<unknown>): Promise<void> {
  await db.schema.alterTable('multipart_parts').renameTo('multipart_parts_009').execute();
  await db.schema
    .createTable('multipart_parts')
    .addColumn('upload_id', 'text', (c) => c.notNull())
    .addColumn('part_number', 'integer', (c) => c.notNull())
    .addColumn('md5', 'text', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('content', 'text', (c) => c.notNull())
    .addColumn('last_modified', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('multipart_parts_versions_pk', ['upload_id', 'part_number', 'md5'])
    .execute();
  await sql`insert into multipart_parts (upload_id, part_number, md5, version, content, last_modified)
    select upload_id, part_number, ${md5Of(sql.ref('content'))}, 1, content, last_modified from multipart_parts_009`.execute(db);
  await db.schema.dropTable('multipart_parts_009').execute();
}
