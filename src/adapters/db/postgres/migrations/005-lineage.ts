import { sql, type Kysely } from 'kysely';
import { upLineage } from '../../shared/lineage-migration.ts';

export async function up(db: Kysely<unknown>): Promise<void> {
  await upLineage(db, { id: sql`bigint generated always as identity`, keyType: sql`text collate "C"`, bigint: 'bigint', withoutRowid: false });
}
