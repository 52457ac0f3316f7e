import { sql, type ExpressionBuilder, type Kysely, type RawBuilder, type Transaction } from 'kysely';
import type { SearchBatch, SearchDocument, SearchHit, SearchIndex, SearchIndexState, SearchQuery, SearchResult } from '../../core/ports/search-index.ts';
import type { Database, SearchDocumentsTable } from './schema.ts';

/** How one engine matches words and scores a match; the rest of the search SQL is shared. */
export interface FullTextDialect {
  /** A FROM item joined to `s` (search_documents) for matching, if the engine needs one. */
  join(words: string[]): RawBuilder<unknown> | undefined;
  /** The condition that all words match (each also as a prefix). */
  matches(words: string[]): RawBuilder<boolean>;
  /** Higher is better. */
  score(words: string[]): RawBuilder<number>;
}

/** SQLite FTS5: `"word"*` terms (implicit AND); bm25 with column weights name 10, title 4, tags 4, body 1. */
export const sqliteFullText: FullTextDialect = {
  join: () => sql`join search_fts on search_fts.rowid = s.id`,
  matches: (words) => sql<boolean>`search_fts match ${words.map((w) => `"${w}"*`).join(' ')}`,
  score: () => sql<number>`-bm25(search_fts, 10.0, 4.0, 4.0, 1.0)`,
};

/** PostgreSQL: `word:* & …` over the weighted tsvector; ts_rank's default weights. */
export const postgresFullText: FullTextDialect = {
  join: () => undefined,
  matches: (words) => sql<boolean>`s.document @@ to_tsquery('simple', ${tsQuery(words)})`,
  score: (words) => sql<number>`ts_rank(s.document, to_tsquery('simple', ${tsQuery(words)}))`,
};

function tsQuery(words: string[]): string {
  return words.map((w) => `${w}:*`).join(' & ');
}

const TAG_SEPARATOR = '\u001f';
const NO_STATE: SearchIndexState = { commit: null, target: null, cursor: null };

/** The search index over the metadata database's tables. */
export class KyselySearchIndex implements SearchIndex {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly fullText: FullTextDialect,
    private readonly maxRowsPerInsert: number,
  ) {}

  async getState(repository: string): Promise<SearchIndexState> {
    const row = await this.db.selectFrom('search_state').selectAll().where('repository', '=', repository).executeTakeFirst();
    return row ? { commit: row.indexed_commit, target: row.target_commit, cursor: row.cursor } : NO_STATE;
  }

  applyBatch(batch: SearchBatch): Promise<boolean> {
    return this.db.transaction().execute(async (trx) => {
      if (!(await moveState(trx, batch))) return false;
      const removed = [...batch.deletes, ...batch.upserts.map((d) => d.path)];
      for (let i = 0; i < removed.length; i += this.maxRowsPerInsert) {
        const paths = removed.slice(i, i + this.maxRowsPerInsert);
        await trx.deleteFrom('search_documents').where('repository', '=', batch.repository).where('kind', '=', 'object').where('key', 'in', paths).execute();
      }
      for (let i = 0; i < batch.upserts.length; i += this.maxRowsPerInsert) {
        await trx.insertInto('search_documents').values(batch.upserts.slice(i, i + this.maxRowsPerInsert).map(toRow)).execute();
      }
      return true;
    });
  }

  async putDataset(document: SearchDocument): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      await trx.deleteFrom('search_documents').where('kind', '=', 'dataset').where('key', '=', document.dataset ?? '').execute();
      await trx.insertInto('search_documents').values(toRow(document)).execute();
    });
  }

  async deleteDataset(name: string): Promise<void> {
    await this.db.deleteFrom('search_documents').where('kind', '=', 'dataset').where('key', '=', name).execute();
  }

  async dropRepository(repository: string): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      await trx.deleteFrom('search_documents').where('repository', '=', repository).execute();
      await trx.deleteFrom('search_state').where('repository', '=', repository).execute();
    });
  }

  async search(query: SearchQuery): Promise<SearchResult> {
    const words = query.words;
    const join = words.length > 0 ? this.fullText.join(words) : undefined;
    const where = sql.join([...(words.length > 0 ? [this.fullText.matches(words)] : []), ...filters(query)], sql` and `);
    const from = sql`search_documents s ${join ?? sql``}`;
    const score = words.length > 0 ? this.fullText.score(words) : sql<number>`0`;
    const rows = await sql<HitRow>`
      select s.kind, s.repository, s.path, s.dataset, s.summary, s.content_type, s.size, ${score} as score
      from ${from} where ${where}
      order by score desc, s.kind, s.repository, s.key
      limit ${query.limit} offset ${query.offset}`.execute(this.db);
    const counted = await sql<{ total: number | string }>`select count(*) as total from ${from} where ${where}`.execute(this.db);
    return { hits: rows.rows.map(toHit), total: Number(counted.rows[0]?.total ?? 0) };
  }
}

interface HitRow {
  kind: string;
  repository: string;
  path: string;
  dataset: string | null;
  summary: string;
  content_type: string;
  size: number | string;
  score: number | string;
}

function toHit(row: HitRow): SearchHit {
  const hit: SearchHit = {
    kind: row.kind === 'dataset' ? 'dataset' : 'object',
    repository: row.repository,
    path: row.path,
    summary: row.summary,
    contentType: row.content_type,
    size: Number(row.size),
    score: Number(row.score),
  };
  if (row.dataset !== null) hit.dataset = row.dataset;
  return hit;
}

/** The conditions besides the words; dataset properties reach objects through the datasets holding them. */
function filters(query: SearchQuery): RawBuilder<boolean>[] {
  const out: RawBuilder<boolean>[] = [sql<boolean>`s.kind in (${sql.join(query.kinds)})`];
  if (query.repositories !== undefined) {
    out.push(query.repositories.length === 0 ? sql<boolean>`1 = 0` : sql<boolean>`s.repository in (${sql.join(query.repositories)})`);
  }
  if (query.type !== undefined) out.push(typeFilter(query.type));
  if (query.tag !== undefined) {
    const tag = query.tag;
    out.push(sql<boolean>`(s.tag_list like ${`%${TAG_SEPARATOR}${escapeLike(tag)}${TAG_SEPARATOR}%`} escape '\\'
      or (s.kind = 'object' and ${holdingDataset(sql`(d.tags like ${`%"${escapeLike(tag)}"%`} escape '\\' or d.labels like ${`%"${escapeLike(tag)}"%`} escape '\\')`)}))`);
  }
  if (query.owner !== undefined) out.push(datasetField(sql`owner`, query.owner));
  if (query.license !== undefined) out.push(datasetField(sql`license`, query.license));
  return out;
}

function datasetField(column: RawBuilder<unknown>, value: string): RawBuilder<boolean> {
  return sql<boolean>`((s.kind = 'dataset' and s.${column} = ${value}) or (s.kind = 'object' and ${holdingDataset(sql`d.${column} = ${value}`)}))`;
}

/** A dataset of the object's repository whose prefix the object's path starts with satisfies `condition`. */
function holdingDataset(condition: RawBuilder<unknown>): RawBuilder<boolean> {
  return sql<boolean>`exists (select 1 from datasets d where d.repository = s.repository
    and substr(s.path, 1, length(d.prefix)) = d.prefix and ${condition})`;
}

/** Objects of the type; datasets holding at least one. */
function typeFilter(type: string): RawBuilder<boolean> {
  const top = type.endsWith('/*') ? type.slice(0, -2) : type.includes('/') ? undefined : type;
  const matchType = (alias: string): RawBuilder<boolean> =>
    top === undefined ? sql<boolean>`${sql.ref(`${alias}.content_type`)} = ${type}` : sql<boolean>`${sql.ref(`${alias}.content_type`)} like ${`${escapeLike(top)}/%`} escape '\\'`;
  return sql<boolean>`((s.kind = 'object' and ${matchType('s')}) or (s.kind = 'dataset' and exists (
    select 1 from search_documents o where o.repository = s.repository and o.kind = 'object'
    and substr(o.path, 1, length(s.path)) = s.path and ${matchType('o')})))`;
}

function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

async function moveState(trx: Transaction<Database>, batch: SearchBatch): Promise<boolean> {
  const { from, to } = batch;
  const values = { indexed_commit: to.commit, target_commit: to.target, cursor: to.cursor };
  const current = await trx.selectFrom('search_state').selectAll().where('repository', '=', batch.repository).executeTakeFirst();
  if (!current) {
    if (from.commit !== null || from.target !== null || from.cursor !== null) return false;
    await trx.insertInto('search_state').values({ repository: batch.repository, ...values }).execute();
    return true;
  }
  // Compare-and-swap: the row must still hold the state the batch was computed from.
  const result = await trx
    .updateTable('search_state')
    .set(values)
    .where('repository', '=', batch.repository)
    .where((eb) => eb.and([same(eb, 'indexed_commit', from.commit), same(eb, 'target_commit', from.target), same(eb, 'cursor', from.cursor)]))
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

type StateColumn = 'indexed_commit' | 'target_commit' | 'cursor';

function same(eb: ExpressionBuilder<Database, 'search_state'>, column: StateColumn, value: string | null) {
  return value === null ? eb(column, 'is', null) : eb(column, '=', value);
}

function toRow(document: SearchDocument): Omit<SearchDocumentsTable, 'id'> {
  return {
    kind: document.kind,
    repository: document.repository,
    key: document.kind === 'dataset' ? (document.dataset ?? '') : document.path,
    path: document.path,
    dataset: document.dataset ?? null,
    name: document.name,
    title: document.title,
    tags: document.tags,
    body: document.body,
    tag_list: document.tagList.length > 0 ? `${TAG_SEPARATOR}${document.tagList.join(TAG_SEPARATOR)}${TAG_SEPARATOR}` : '',
    content_type: document.contentType,
    size: document.size,
    summary: document.summary,
    owner: document.owner ?? null,
    license: document.license ?? null,
  };
}
