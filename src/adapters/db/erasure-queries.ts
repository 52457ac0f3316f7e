import type { Kysely } from 'kysely';
import type { ErasedContent, ErasureMark, ErasureRecord, ErasureStore, StagedHit } from '../../core/ports/erasure-store.ts';
import type { Database } from './schema.ts';

/** Rows per page when scanning staging and parts: bounded memory whatever the table size. */
const PAGE = 5000;

export class KyselyErasureStore implements ErasureStore {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly options: { rowsPerQuery: number; scrub: () => Promise<void> },
  ) {}

  async recordErased(contents: ErasedContent[], at: string): Promise<void> {
    const rows = contents.map((c) => ({ sha256: c.sha256, erasure_id: c.erasureId, erased_at: at }));
    for (let i = 0; i < rows.length; i += this.options.rowsPerQuery) {
      await this.db
        .insertInto('erased_contents')
        .values(rows.slice(i, i + this.options.rowsPerQuery))
        .onConflict((oc) => oc.column('sha256').doNothing())
        .execute();
    }
  }

  async countErased(): Promise<number> {
    const row = await this.db.selectFrom('erased_contents').select((eb) => eb.fn.countAll<number | string>().as('n')).executeTakeFirstOrThrow();
    return Number(row.n);
  }

  async listErased(): Promise<ErasedContent[]> {
    const rows = await this.db.selectFrom('erased_contents').select(['sha256', 'erasure_id']).execute();
    return rows.map((r) => ({ sha256: r.sha256, erasureId: r.erasure_id }));
  }

  async saveErasure(record: ErasureRecord): Promise<void> {
    await this.db
      .insertInto('erasures')
      .values({ id: record.id, created_at: record.createdAt, actor: record.actor, target: record.target, certificate: record.certificate, signature: record.signature, key_id: record.keyId })
      .execute();
  }

  async getErasure(id: string): Promise<ErasureRecord | undefined> {
    const row = await this.db.selectFrom('erasures').selectAll().where('id', '=', id).executeTakeFirst();
    return row && toRecord(row);
  }

  async listErasures(limit: number): Promise<ErasureRecord[]> {
    const rows = await this.db.selectFrom('erasures').selectAll().orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit).execute();
    return rows.map(toRecord);
  }

  async addMarks(marks: ErasureMark[], at: string): Promise<void> {
    if (marks.length === 0) return;
    await this.db
      .insertInto('erasure_marks')
      .values(marks.map((m) => ({ subject: m.subject, erasure_id: m.erasureId, mark: m.mark, created_at: at })))
      .onConflict((oc) => oc.columns(['subject', 'erasure_id', 'mark']).doNothing())
      .execute();
  }

  async marksOf(subjects: string[]): Promise<ErasureMark[]> {
    if (subjects.length === 0) return [];
    const rows = await this.db.selectFrom('erasure_marks').select(['subject', 'erasure_id', 'mark']).where('subject', 'in', subjects).orderBy('created_at').execute();
    return rows.map((r) => ({ subject: r.subject, erasureId: r.erasure_id, mark: r.mark }));
  }

  async stagedWith(sha256s: string[]): Promise<StagedHit[]> {
    const wanted = new Set(sha256s);
    const hits: StagedHit[] = [];
    let after: { repository: string; branch: string; path: string } | undefined;
    for (;;) {
      let query = this.db.selectFrom('staging').select(['repository', 'branch', 'path', 'entry']);
      if (after) {
        const a = after;
        query = query.where((eb) => eb(eb.refTuple('repository', 'branch', 'path'), '>', eb.tuple(a.repository, a.branch, a.path)));
      }
      const rows = await query.orderBy('repository').orderBy('branch').orderBy('path').limit(PAGE).execute();
      for (const row of rows) {
        if (row.entry === null) continue;
        const sha256 = (JSON.parse(row.entry) as { sha256: string }).sha256;
        if (wanted.has(sha256)) hits.push({ repository: row.repository, branch: row.branch, path: row.path, sha256 });
      }
      const last = rows.at(-1);
      if (!last || rows.length < PAGE) return hits;
      after = last;
    }
  }

  async partsWith(sha256s: string[]): Promise<Array<{ uploadId: string; repository: string }>> {
    const wanted = new Set(sha256s);
    const found = new Map<string, string>();
    const rows = await this.db.selectFrom('multipart_parts').innerJoin('multipart_uploads', 'multipart_uploads.id', 'multipart_parts.upload_id').select(['multipart_parts.upload_id', 'multipart_uploads.repository', 'multipart_parts.content']).execute();
    for (const row of rows) if (wanted.has((JSON.parse(row.content) as { sha256: string }).sha256)) found.set(row.upload_id, row.repository);
    return [...found].map(([uploadId, repository]) => ({ uploadId, repository }));
  }

  scrub(): Promise<void> {
    return this.options.scrub();
  }
}

function toRecord(row: Database['erasures']): ErasureRecord {
  return { id: row.id, createdAt: row.created_at, actor: row.actor, target: row.target, certificate: row.certificate, signature: row.signature, keyId: row.key_id };
}
