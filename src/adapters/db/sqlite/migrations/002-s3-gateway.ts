import type { Kysely } from 'kysely';
import { upS3Gateway } from '../../shared/s3-gateway-migration.ts';

/** Access keys, multipart uploads and repository S3 settings (SQLite). */
export async function up(db: Kysely<unknown>): Promise<void> {
  await upS3Gateway(db, { bool: 'integer', pathType: 'text' });
}
