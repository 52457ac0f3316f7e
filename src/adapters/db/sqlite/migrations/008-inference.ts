import type { Kysely } from 'kysely';
import { upInference } from '../../shared/inference-migration.ts';

export async function up(db: Kysely<unknown>): Promise<void> {
  await upInference(db, { bigint: 'integer', double: 'real' });
}
