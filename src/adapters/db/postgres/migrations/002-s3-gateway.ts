import { sql, type Kysely } from 'kysely';
import { upS3Gateway } from '../../shared/s3-gateway-migration.ts';

/** Access keys, multipart uploads and repository S3 settings (PostgreSQL; paths in "C" collation). */
export async function up(db: Kysely<unknown>): Promise<void> {
  await upS3Gateway(db, { bool: 'integer', pathType: sql`text collate "C"` });
}
