import type { Kysely } from 'kysely';

/** Principals, groups, API tokens (hashed), policies and their attachments; the same on both dialects. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('principals')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('disabled_at', 'text')
    .execute();
  await db.schema
    .createTable('group_members')
    .addColumn('group_id', 'text', (c) => c.notNull())
    .addColumn('member_id', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('group_members_pk', ['group_id', 'member_id'])
    .execute();
  await db.schema.createIndex('group_members_by_member').on('group_members').columns(['member_id']).execute();
  await db.schema
    .createTable('api_tokens')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('principal', 'text', (c) => c.notNull())
    .addColumn('secret_hash', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text')
    .addColumn('revoked_at', 'text')
    .addColumn('roles', 'text')
    .execute();
  await db.schema.createIndex('api_tokens_by_principal').on('api_tokens').columns(['principal']).execute();
  await db.schema
    .createTable('policies')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('document', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addColumn('updated_by', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createTable('policy_attachments')
    .addColumn('policy', 'text', (c) => c.notNull())
    .addColumn('principal', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('policy_attachments_pk', ['principal', 'policy'])
    .execute();
  await db.schema
    .createTable('identity_settings')
    .addColumn('key', 'text', (c) => c.primaryKey())
    .addColumn('value', 'text', (c) => c.notNull())
    .execute();
}
