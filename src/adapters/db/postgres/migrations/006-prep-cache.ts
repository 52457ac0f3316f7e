import type { Kysely } from 'kysely';
import { upPrepCache } from '../../shared/prep-cache-migration.ts';

export async function up(db: Kysely<unknown>): Promise<void> {
  await upPrepCache(db, { bigint: 'bigint' });
}
