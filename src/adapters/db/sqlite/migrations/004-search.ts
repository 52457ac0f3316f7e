import { sql, type Kysely } from 'kysely';
import { upSearchTables } from '../../shared/search-migration.ts';

/**
 * An FTS5 table over search_documents (external content: the text is stored once) kept in step
 * by triggers, as https://sqlite.org/fts5.html#external_content_tables describes. Words arrive
 * normalised (core/catalog/search-text.ts), so the unicode61 tokenizer only splits on spaces.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await upSearchTables(db, { id: sql`integer`, pathType: 'text', size: 'integer' });
  await sql`create virtual table search_fts using fts5(name, title, tags, body, content='search_documents', content_rowid='id', tokenize='unicode61 remove_diacritics 0')`.execute(db);
  await sql`create trigger search_documents_ai after insert on search_documents begin
    insert into search_fts(rowid, name, title, tags, body) values (new.id, new.name, new.title, new.tags, new.body);
  end`.execute(db);
  await sql`create trigger search_documents_ad after delete on search_documents begin
    insert into search_fts(search_fts, rowid, name, title, tags, body) values ('delete', old.id, old.name, old.title, old.tags, old.body);
  end`.execute(db);
  await sql`create trigger search_documents_au after update on search_documents begin
    insert into search_fts(search_fts, rowid, name, title, tags, body) values ('delete', old.id, old.name, old.title, old.tags, old.body);
    insert into search_fts(rowid, name, title, tags, body) values (new.id, new.name, new.title, new.tags, new.body);
  end`.execute(db);
}
