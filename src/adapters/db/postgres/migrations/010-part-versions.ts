import { sql, type Kysely } from 'kysely';
import { upPartVersions } from '../../shared/part-versions-migration.ts';

export async function up(db: Kysely<unknown>): Promise<void> {
  await upPartVersions(db, (content) => sql`(${content}::json ->> 'md5')`);
}
