import type { InferenceInput, InferenceRecord } from '../core/inference/inference-record.ts';
import type { LogResult, ReportDimension } from '../core/inference/inference-service.ts';
import type { PriceTable } from '../core/inference/prices.ts';
import type { QueryResult } from '../core/ports/archive-engine.ts';
import type { StrataCore } from '../core/strata.ts';
import type { CallContext } from '../core/versioning/types.ts';

export type { InferenceInput, InferenceRecord, LogResult, PriceTable, QueryResult, ReportDimension };

export interface InferenceListQuery {
  application?: string;
  model?: string;
  user?: string;
  session?: string;
  from?: string;
  to?: string;
  limit?: number;
}

/** The inference archive: `api.inference.log([{ application, model, input, output, usage }])`. */
export interface InferenceApi {
  /** Logs a batch; each record gets its own result (an id and cost, or an error). */
  log(records: InferenceInput[]): Promise<LogResult[]>;
  list(query?: InferenceListQuery): Promise<InferenceRecord[]>;
  get(id: string): Promise<InferenceRecord>;
  query(sql: string): Promise<QueryResult>;
  report(input: { by: ReportDimension; from?: string; to?: string }): Promise<QueryResult>;
  prices(): Promise<{ version: string; table: PriceTable }>;
  setPrices(table: unknown): Promise<{ version: string; table: PriceTable }>;
  retention(): Promise<Array<{ application: string; days: number }>>;
  setRetention(application: string, days: number | null): Promise<void>;
  prune(): Promise<{ deleted: number; commit: string | null }>;
  erase(subject: { user?: string; session?: string }): Promise<{ deleted: number; commit: string | null }>;
  compact(input?: { before?: string }): Promise<{ records: number; days: string[]; commit: string | null }>;
}

export function localInferenceApi(core: StrataCore, ctx: CallContext): InferenceApi {
  return {
    log: (records) => core.inference.log(ctx, records),
    list: (query = {}) => core.inference.list(ctx, { ...query, limit: query.limit ?? 100 }),
    get: (id) => core.inference.get(ctx, id),
    query: (sql) => core.inference.query(ctx, sql),
    report: (input) => core.inference.report(ctx, input),
    prices: () => core.inference.getPrices(ctx),
    setPrices: (table) => core.inference.setPrices(ctx, table),
    retention: () => core.inference.retention(ctx),
    setRetention: (application, days) => core.inference.setRetention(ctx, application, days),
    prune: () => core.inference.prune(ctx),
    erase: (subject) => core.inference.deleteSubject(ctx, subject),
    compact: (input = {}) => core.inference.compact(ctx, input),
  };
}

type Query = Record<string, string | number | boolean | undefined>;
type Json = <T>(method: string, path: string, options?: { query?: Query; body?: unknown }) => Promise<T>;

export function httpInferenceApi(json: Json): InferenceApi {
  return {
    log: async (records) => (await json<{ results: LogResult[] }>('POST', '/inference', { body: { records } })).results,
    list: async (query = {}) => (await json<{ records: InferenceRecord[] }>('GET', '/inference', { query: { ...query } })).records,
    get: (id) => json('GET', `/inference/records/${encodeURIComponent(id)}`),
    query: (sql) => json('POST', '/inference/query', { body: { sql } }),
    report: (input) => json('GET', '/inference/report', { query: { ...input } }),
    prices: () => json('GET', '/inference/prices'),
    setPrices: (table) => json('PUT', '/inference/prices', { body: table }),
    retention: async () => (await json<{ retention: Array<{ application: string; days: number }> }>('GET', '/inference/retention')).retention,
    setRetention: async (application, days) => {
      await json('PUT', `/inference/retention/${encodeURIComponent(application)}`, { body: { days } });
    },
    prune: () => json('POST', '/inference/prune'),
    erase: (subject) => json('POST', '/inference/erase', { body: subject }),
    compact: (input = {}) => json('POST', '/inference/compact', { body: input }),
  };
}
