import type { Kysely } from 'kysely';

/**
 * Erasure: the contents destroyed (read on every read path through a cache), the signed
 * certificates, and the marks left on what could not be undone. The same on both dialects.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('erased_contents')
    .addColumn('sha256', 'text', (c) => c.primaryKey())
    .addColumn('erasure_id', 'text', (c) => c.notNull())
    .addColumn('erased_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createTable('erasures')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('actor', 'text', (c) => c.notNull())
    .addColumn('target', 'text', (c) => c.notNull())
    .addColumn('certificate', 'text', (c) => c.notNull())
    .addColumn('signature', 'text', (c) => c.notNull())
    .addColumn('key_id', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createTable('erasure_marks')
    .addColumn('subject', 'text', (c) => c.notNull())
    .addColumn('erasure_id', 'text', (c) => c.notNull())
    .addColumn('mark', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('erasure_marks_pk', ['subject', 'erasure_id', 'mark'])
    .execute();
}
