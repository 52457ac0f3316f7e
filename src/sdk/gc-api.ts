import { StrataError } from '../core/errors.ts';
import type { GcPhase, GcReport } from '../core/gc/gc-service.ts';
import type { StrataCore } from '../core/strata.ts';
import type { CallContext } from '../core/versioning/types.ts';

export type { GcPhase, GcReport };

export interface GcRequest {
  dryRun?: boolean;
  /** Keep blobs and commits younger than this; default: the configured STRATA_GC_GRACE_SECONDS. */
  graceSeconds?: number;
  /** Run it on a `strata worker` through the task queue (PostgreSQL), and wait for its report. */
  onWorker?: boolean;
}

/** Garbage collection (needs storage:gc). */
export interface GcApi {
  collect(request: GcRequest, onProgress?: (phase: GcPhase, done: number) => void): Promise<GcReport>;
  runs(limit?: number): Promise<GcReport[]>;
}

export function localGcApi(core: StrataCore, ctx: CallContext, defaults: { graceSeconds: number }): GcApi {
  return {
    collect: (request, onProgress) => {
      const input = { dryRun: request.dryRun, graceMs: (request.graceSeconds ?? defaults.graceSeconds) * 1000 };
      return request.onWorker === true ? core.gc.collectOnWorker(ctx, input) : core.gc.collect(ctx, { ...input, ...(onProgress ? { progress: onProgress } : {}) });
    },
    runs: (limit) => core.gc.history(ctx, limit),
  };
}

type Json = <T>(method: string, path: string, options?: { query?: Record<string, string | number | boolean | undefined>; body?: unknown }) => Promise<T>;

export function httpGcApi(json: Json): GcApi {
  return {
    // The server reports no progress over HTTP: the call answers when the run ends.
    collect: (request) => request.onWorker === true ? Promise.reject(new StrataError('InvalidArgument', '--on-worker runs where the database is: use it without --endpoint')) : json('POST', '/gc', { body: { dryRun: request.dryRun === true, ...(request.graceSeconds === undefined ? {} : { graceSeconds: request.graceSeconds }) } }),
    runs: async (limit) => (await json<{ runs: GcReport[] }>('GET', '/gc/runs', { query: { limit } })).runs,
  };
}
