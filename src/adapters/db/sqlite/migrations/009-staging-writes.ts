import type { Kysely } from 'kysely';
import { upStagingWrites } from '../../shared/staging-writes-migration.ts';

export async function up(db: Kysely<unknown>): Promise<void> {
  await upStagingWrites(db);
}
