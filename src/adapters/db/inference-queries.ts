import type { Kysely, Selectable } from 'kysely';
import type { InferenceRow } from '../../core/inference/inference-record.ts';
import type { InferenceFilter, InferenceStore } from '../../core/ports/inference-store.ts';
import type { Database, InferenceRecordsTable } from './schema.ts';

/** Columns per record: the multi-row insert stays under each engine's bound-parameter limit. */
const COLUMNS = 36;

export class KyselyInferenceStore implements InferenceStore {
  private readonly rowsPerInsert: number;

  constructor(
    private readonly db: Kysely<Database>,
    maxRowsPerInsert: number,
    maxParameters: number,
  ) {
    this.rowsPerInsert = Math.max(1, Math.min(maxRowsPerInsert, Math.floor(maxParameters / COLUMNS)));
  }

  async insert(records: InferenceRow[]): Promise<void> {
    if (records.length === 0) return;
    await this.db.transaction().execute(async (trx) => {
      for (let i = 0; i < records.length; i += this.rowsPerInsert) await trx.insertInto('inference_records').values(records.slice(i, i + this.rowsPerInsert)).execute();
    });
  }

  async list(filter: InferenceFilter): Promise<InferenceRow[]> {
    let query = this.db.selectFrom('inference_records').selectAll();
    if (filter.application !== undefined) query = query.where('application', '=', filter.application);
    if (filter.model !== undefined) query = query.where('model', '=', filter.model);
    if (filter.userId !== undefined) query = query.where('user_id', '=', filter.userId);
    if (filter.sessionId !== undefined) query = query.where('session_id', '=', filter.sessionId);
    if (filter.from !== undefined) query = query.where('time', '>=', filter.from);
    if (filter.to !== undefined) query = query.where('time', '<', filter.to);
    const after = filter.after;
    if (after !== undefined) query = query.where((eb) => eb.or([eb('time', '>', after.time), eb.and([eb('time', '=', after.time), eb('id', '>', after.id)])]));
    return (await query.orderBy('time').orderBy('id').limit(filter.limit).execute()).map(fromRow);
  }

  async get(id: string): Promise<InferenceRow | undefined> {
    const row = await this.db.selectFrom('inference_records').selectAll().where('id', '=', id).executeTakeFirst();
    return row && fromRow(row);
  }

  async deleteIds(ids: string[]): Promise<number> {
    let deleted = 0;
    for (let i = 0; i < ids.length; i += 1000) {
      const result = await this.db.deleteFrom('inference_records').where('id', 'in', ids.slice(i, i + 1000)).executeTakeFirst();
      deleted += Number(result.numDeletedRows);
    }
    return deleted;
  }

  async deleteSubject(subject: { userId?: string; sessionId?: string }): Promise<number> {
    let query = this.db.deleteFrom('inference_records');
    if (subject.userId !== undefined) query = query.where('user_id', '=', subject.userId);
    if (subject.sessionId !== undefined) query = query.where('session_id', '=', subject.sessionId);
    return Number((await query.executeTakeFirst()).numDeletedRows);
  }

  async deleteOlder(application: string, before: string): Promise<number> {
    const result = await this.db.deleteFrom('inference_records').where('application', '=', application).where('time', '<', before).executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  async retention(): Promise<Map<string, number>> {
    const rows = await this.db.selectFrom('inference_retention').selectAll().execute();
    return new Map(rows.map((r) => [r.application, Number(r.days)]));
  }

  async setRetention(application: string, days: number | null): Promise<void> {
    if (days === null) {
      await this.db.deleteFrom('inference_retention').where('application', '=', application).execute();
      return;
    }
    await this.db.insertInto('inference_retention').values({ application, days }).onConflict((oc) => oc.column('application').doUpdateSet({ days })).execute();
  }
}

/** PostgreSQL returns bigint as strings; the port speaks numbers. */
function fromRow(row: Selectable<InferenceRecordsTable>): InferenceRow {
  const num = (v: number | string | null): number | null => (v === null ? null : Number(v));
  return {
    ...row,
    input_tokens: num(row.input_tokens),
    output_tokens: num(row.output_tokens),
    cached_tokens: num(row.cached_tokens),
    reasoning_tokens: num(row.reasoning_tokens),
    counted_input_tokens: num(row.counted_input_tokens),
    counted_output_tokens: num(row.counted_output_tokens),
    cost_provided: num(row.cost_provided),
    cost_computed: num(row.cost_computed),
    latency_ms: num(row.latency_ms),
    ttft_ms: num(row.ttft_ms),
  };
}
