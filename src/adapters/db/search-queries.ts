import { sql, type ExpressionBuilder, type Kysely, type RawBuilder, type Transaction } from 'kysely';
import { prefixEnd } from '../../core/keys.ts';
import type { PropertyFilter, SearchBatch, SearchDocument, SearchHit, SearchIndex, SearchIndexState, SearchQuery, SearchResult, SearchScope } from '../../core/ports/search-index.ts';
import type { Database, SearchDocumentsTable } from './schema.ts';

/** How one engine matches words and scores a match; the rest of the search SQL is shared. */
export interface FullTextDialect {
  /** A FROM item joined to `s` (search_documents) for matching, if the engine needs one. */
  join(words: string[]): RawBuilder<unknown> | undefined;
  /** The condition that all words match (each also as a prefix). */
  matches(words: string[]): RawBuilder<boolean>;
  /** Higher is better. */
  score(words: string[]): RawBuilder<number>;
  /** What updates the planner's statistics of search_documents, if the engine needs it. */
  analyze: RawBuilder<unknown> | undefined;
}

/** SQLite FTS5: `"word"*` terms (implicit AND); bm25 with column weights name 10, title 4, tags 4, body 1. */
export const sqliteFullText: FullTextDialect = {
  join: () => sql`join search_fts on search_fts.rowid = s.id`,
  matches: (words) => sql<boolean>`search_fts match ${words.map((w) => `"${w}"*`).join(' ')}`,
  score: () => sql<number>`-bm25(search_fts, 10.0, 4.0, 4.0, 1.0)`,
  // FTS5 merges its segments by itself (automerge); the planner needs nothing.
  analyze: undefined,
};

/** PostgreSQL: `word:* & …` over the weighted tsvector; ts_rank's default weights. */
export const postgresFullText: FullTextDialect = {
  join: () => undefined,
  matches: (words) => sql<boolean>`s.document @@ to_tsquery('simple', ${tsQuery(words)})`,
  score: (words) => sql<number>`ts_rank(s.document, to_tsquery('simple', ${tsQuery(words)}))`,
  analyze: sql`analyze search_documents`,
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

  async staleRepositories(): Promise<string[]> {
    const rows = await this.db
      .selectFrom('repositories as r')
      .innerJoin('branches as b', (join) => join.onRef('b.repository', '=', 'r.name').onRef('b.name', '=', 'r.default_branch'))
      .leftJoin('search_state as st', 'st.repository', 'r.name')
      .select('r.name')
      .where((eb) => eb.or([eb('st.indexed_commit', 'is', null), eb('st.indexed_commit', '!=', eb.ref('b.head')), eb('st.target_commit', 'is not', null)]))
      .orderBy('r.name')
      .execute();
    return rows.map((row) => row.name);
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

  async updateStatistics(): Promise<void> {
    if (this.fullText.analyze) await this.fullText.analyze.execute(this.db);
  }

  async search(query: SearchQuery): Promise<SearchResult> {
    const words = query.words;
    const join = words.length > 0 ? this.fullText.join(words) : undefined;
    const conditions = [...(words.length > 0 ? [this.fullText.matches(words)] : []), ...filters(query)];
    const where = conditions.length > 0 ? sql.join(conditions, sql` and `) : sql`1 = 1`;
    const from = sql`search_documents s ${join ?? sql``}`;
    const score = words.length > 0 ? this.fullText.score(words) : sql<number>`0`;
    const rows = await sql<HitRow>`
      select s.kind, s.repository, s.path, s.dataset, s.summary, s.content_type, s.size, ${score} as score
      from ${from} where ${where}
      order by score desc, s.kind, s.repository, s.key
      limit ${query.limit} offset ${query.offset}`.execute(this.db);
    // A short first page is the whole result: no second pass to count. (A window count in the
    // page query is refused next to FTS5's bm25() and was slower on PostgreSQL.)
    if (query.offset === 0 && rows.rows.length < query.limit) return { hits: rows.rows.map(toHit), total: rows.rows.length };
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

/** The conditions besides the words. */
function filters(query: SearchQuery): RawBuilder<boolean>[] {
  const out: RawBuilder<boolean>[] = query.kinds.length === 1 ? [sql<boolean>`s.kind = ${query.kinds[0]}`] : [];
  if (query.repositories !== undefined) {
    out.push(query.repositories.length === 0 ? sql<boolean>`1 = 0` : sql<boolean>`s.repository in (${sql.join(query.repositories)})`);
  }
  if (query.hidden !== undefined && query.hidden.length > 0) out.push(sql<boolean>`not ${inScopes(query.hidden)}`);
  if (query.type !== undefined) out.push(typeFilter(query.type));
  if (query.tag !== undefined) {
    const own = sql<boolean>`s.tag_list like ${`%${TAG_SEPARATOR}${escapeLike(query.tag.value)}${TAG_SEPARATOR}%`} escape '\\'`;
    out.push(sql<boolean>`(${own} or (s.kind = 'object' and ${inScopes(query.tag.scopes)}))`);
  }
  if (query.owner !== undefined) out.push(propertyFilter(sql`s.owner`, query.owner));
  if (query.license !== undefined) out.push(propertyFilter(sql`s.license`, query.license));
  return out;
}

function propertyFilter(column: RawBuilder<unknown>, filter: PropertyFilter): RawBuilder<boolean> {
  return sql<boolean>`((s.kind = 'dataset' and ${column} = ${filter.value}) or (s.kind = 'object' and ${inScopes(filter.scopes)}))`;
}

/** The document lies under one of the prefixes: path ranges, which an index on (repository, kind, key) can serve. */
function inScopes(scopes: SearchScope[]): RawBuilder<boolean> {
  if (scopes.length === 0) return sql<boolean>`1 = 0`;
  return sql<boolean>`(${sql.join(
    scopes.map((scope) => {
      const end = prefixEnd(scope.prefix);
      return end === undefined
        ? sql`s.repository = ${scope.repository}`
        : sql`(s.repository = ${scope.repository} and s.path >= ${scope.prefix} and s.path < ${end})`;
    }),
    sql` or `,
  )})`;
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
