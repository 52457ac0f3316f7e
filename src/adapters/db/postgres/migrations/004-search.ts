import { sql, type Kysely } from 'kysely';
import { upSearchTables } from '../../shared/search-migration.ts';

/**
 * A generated tsvector (the 'simple' configuration: no stemming and no stop words, so matching
 * equals SQLite's) with a GIN index. Weights: name A, title and tags B, body C.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await upSearchTables(db, { id: sql`bigint generated always as identity`, pathType: sql`text collate "C"`, size: 'bigint' });
  await sql`alter table search_documents add column document tsvector generated always as (
    setweight(to_tsvector('simple', name), 'A') || setweight(to_tsvector('simple', title), 'B') ||
    setweight(to_tsvector('simple', tags), 'B') || setweight(to_tsvector('simple', body), 'C')
  ) stored`.execute(db);
  await sql`create index search_documents_document on search_documents using gin (document)`.execute(db);
}
