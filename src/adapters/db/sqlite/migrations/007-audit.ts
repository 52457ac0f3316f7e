import type { Kysely } from 'kysely';
import { upAudit } from '../../shared/audit-migration.ts';

export async function up(db: Kysely<unknown>): Promise<void> {
  await upAudit(db, { bigint: 'integer', binary: 'blob' });
}
