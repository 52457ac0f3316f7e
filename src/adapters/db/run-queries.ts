import type { Kysely, Selectable } from 'kysely';
import type { CodeVersion, MetricPoint, RunFilter, RunRecord, RunStatus, RunStore } from '../../core/ports/run-store.ts';
import type { Database, RunsTable } from './schema.ts';

function toRow(run: RunRecord): RunsTable {
  return {
    id: run.id,
    namespace: run.namespace,
    job: run.job,
    kind: run.kind,
    status: run.status,
    started_at: run.startedAt,
    ended_at: run.endedAt ?? null,
    params: JSON.stringify(run.params),
    code: run.code === undefined ? null : JSON.stringify(run.code),
    env: JSON.stringify(run.env),
    host: run.host ?? null,
    actor: run.user,
    tags: JSON.stringify(run.tags),
    exit_code: run.exitCode ?? null,
    parent_id: run.parentId ?? null,
    facets: JSON.stringify(run.facets),
    inputs: JSON.stringify(run.inputs),
    outputs: JSON.stringify(run.outputs),
  };
}

function toRun(row: Selectable<RunsTable>): RunRecord {
  const run: RunRecord = {
    id: row.id,
    namespace: row.namespace,
    job: row.job,
    kind: row.kind,
    status: row.status as RunStatus,
    startedAt: row.started_at,
    params: JSON.parse(row.params) as Record<string, string>,
    env: JSON.parse(row.env) as Record<string, string>,
    user: row.actor,
    tags: JSON.parse(row.tags) as string[],
    facets: JSON.parse(row.facets) as Record<string, unknown>,
    inputs: JSON.parse(row.inputs) as string[],
    outputs: JSON.parse(row.outputs) as string[],
  };
  if (row.ended_at !== null) run.endedAt = row.ended_at;
  if (row.code !== null) run.code = JSON.parse(row.code) as CodeVersion;
  if (row.host !== null) run.host = row.host;
  if (row.exit_code !== null) run.exitCode = row.exit_code;
  if (row.parent_id !== null) run.parentId = row.parent_id;
  return run;
}

/** Runs and metric points. Unique violations surface to the caller, which maps them to Conflict. */
export class KyselyRunStore implements RunStore {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly maxRowsPerInsert: number,
    private readonly uniquely: <T>(message: string, operation: () => Promise<T>) => Promise<T>,
  ) {}

  async create(run: RunRecord): Promise<void> {
    await this.uniquely(`run '${run.id}' already exists`, () => this.db.insertInto('runs').values(toRow(run)).execute());
  }

  async get(id: string): Promise<RunRecord | undefined> {
    const row = await this.db.selectFrom('runs').selectAll().where('id', '=', id).executeTakeFirst();
    return row && toRun(row);
  }

  async update(run: RunRecord): Promise<boolean> {
    const { id: _id, ...values } = toRow(run);
    const result = await this.db.updateTable('runs').set(values).where('id', '=', run.id).executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  async list(filter: RunFilter): Promise<RunRecord[]> {
    let query = this.db.selectFrom('runs').selectAll();
    if (filter.job !== undefined) query = query.where('job', '=', filter.job);
    if (filter.namespace !== undefined) query = query.where('namespace', '=', filter.namespace);
    if (filter.status !== undefined) query = query.where('status', '=', filter.status);
    if (filter.before !== undefined) query = query.where('started_at', '<', filter.before);
    const rows = await query.orderBy('started_at', 'desc').orderBy('id', 'desc').limit(filter.limit).execute();
    return rows.map(toRun);
  }

  async logMetrics(runId: string, points: MetricPoint[]): Promise<void> {
    for (let i = 0; i < points.length; i += Math.floor(this.maxRowsPerInsert / 5)) {
      const batch = points.slice(i, i + Math.floor(this.maxRowsPerInsert / 5));
      await this.db
        .insertInto('run_metrics')
        .values(batch.map((p) => ({ run_id: runId, key: p.key, step: p.step, value: p.value, at: p.at })))
        .onConflict((oc) => oc.columns(['run_id', 'key', 'step']).doUpdateSet((eb) => ({ value: eb.ref('excluded.value'), at: eb.ref('excluded.at') })))
        .execute();
    }
  }

  async metrics(runId: string): Promise<MetricPoint[]> {
    const rows = await this.db.selectFrom('run_metrics').select(['key', 'step', 'value', 'at']).where('run_id', '=', runId).orderBy('key').orderBy('step').execute();
    return rows.map((r) => ({ key: r.key, step: Number(r.step), value: r.value, at: r.at }));
  }
}
