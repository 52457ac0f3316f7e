import { sql, type Kysely } from 'kysely';

/** Initial schema (PostgreSQL). Paths and ids use the "C" collation: byte order, as S3 lists keys. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('repositories')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('default_branch', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createTable('branches')
    .addColumn('repository', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('head', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('branches_pk', ['repository', 'name'])
    .execute();
  await db.schema
    .createTable('tags')
    .addColumn('repository', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('commit_id', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('tags_pk', ['repository', 'name'])
    .execute();
  await db.schema
    .createTable('commits')
    .addColumn('repository', 'text', (c) => c.notNull())
    .addColumn('id', sql`text collate "C"`, (c) => c.notNull())
    .addColumn('tree_id', 'text')
    .addColumn('parents', 'text', (c) => c.notNull())
    .addColumn('generation', 'integer', (c) => c.notNull())
    .addColumn('author', 'text', (c) => c.notNull())
    .addColumn('message', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('metadata', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('commits_pk', ['repository', 'id'])
    .execute();
  await db.schema
    .createTable('staging')
    .addColumn('repository', 'text', (c) => c.notNull())
    .addColumn('branch', 'text', (c) => c.notNull())
    .addColumn('path', sql`text collate "C"`, (c) => c.notNull())
    .addColumn('entry', 'text')
    .addColumn('seal', 'text')
    .addPrimaryKeyConstraint('staging_pk', ['repository', 'branch', 'path'])
    .execute();
}
