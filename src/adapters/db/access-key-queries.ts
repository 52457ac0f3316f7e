import type { Kysely } from 'kysely';
import type { AccessKeyRecord } from '../../core/ports/metadata-store.ts';
import type { AccessKeysTable, Database } from './schema.ts';

export async function create(db: Kysely<Database>, key: AccessKeyRecord): Promise<void> {
  await db
    .insertInto('access_keys')
    .values({ id: key.id, secret: key.secret, principal: key.principal, created_at: key.createdAt, revoked_at: key.revokedAt ?? null })
    .execute();
}

export async function get(db: Kysely<Database>, id: string): Promise<AccessKeyRecord | undefined> {
  const row = await db.selectFrom('access_keys').selectAll().where('id', '=', id).executeTakeFirst();
  return row && toAccessKey(row);
}

export async function list(db: Kysely<Database>): Promise<AccessKeyRecord[]> {
  const rows = await db.selectFrom('access_keys').selectAll().orderBy('created_at').orderBy('id').execute();
  return rows.map(toAccessKey);
}

export async function revoke(db: Kysely<Database>, id: string, at: string): Promise<boolean> {
  const result = await db.updateTable('access_keys').set({ revoked_at: at }).where('id', '=', id).where('revoked_at', 'is', null).executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

export async function replaceSecret(db: Kysely<Database>, input: { id: string; expected: string; secret: string }): Promise<boolean> {
  const result = await db.updateTable('access_keys').set({ secret: input.secret }).where('id', '=', input.id).where('secret', '=', input.expected).executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

function toAccessKey(row: AccessKeysTable): AccessKeyRecord {
  const key: AccessKeyRecord = { id: row.id, secret: row.secret, principal: row.principal, createdAt: row.created_at };
  if (row.revoked_at !== null) key.revokedAt = row.revoked_at;
  return key;
}
