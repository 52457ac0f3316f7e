import { sql, type Kysely } from 'kysely';
import { upDatasets } from '../../shared/datasets-migration.ts';

export async function up(db: Kysely<unknown>): Promise<void> {
  await upDatasets(db, { pathType: sql`text collate "C"` });
}
