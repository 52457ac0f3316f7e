/**
 * Runs and their metrics. Adapters: `adapters/db/run-queries.ts`. A run keeps the lineage node
 * keys of the inputs and outputs it declared; the graph holds those edges and the implied ones
 * (each object of a declared output that the run wrote).
 */
export type RunStatus = 'running' | 'completed' | 'failed' | 'aborted';
export const RUN_STATUSES: readonly RunStatus[] = ['running', 'completed', 'failed', 'aborted'];

/** The user's code at the time of the run, as git saw it. */
export interface CodeVersion {
  commit: string;
  /** Uncommitted changes in the working tree. */
  dirty: boolean;
  branch?: string;
  remote?: string;
}

export interface RunRecord {
  /** A UUID (OpenLineage's runId). */
  id: string;
  /** The job's namespace: `strata` for Strata's own runs, the producer's for OpenLineage ones. */
  namespace: string;
  job: string;
  /** prep, training, fine-tuning, evaluation, external, or another word. */
  kind: string;
  status: RunStatus;
  startedAt: string;
  endedAt?: string;
  params: Record<string, string>;
  code?: CodeVersion;
  /** The allow-listed environment variables at start. */
  env: Record<string, string>;
  host?: string;
  user: string;
  tags: string[];
  exitCode?: number;
  parentId?: string;
  /** OpenLineage run and job facets as received, unknown ones included. */
  facets: Record<string, unknown>;
  /** Lineage node keys of the declared inputs and outputs, in declaration order. */
  inputs: string[];
  outputs: string[];
}

export interface MetricPoint {
  key: string;
  value: number;
  /** 0 for a scalar; the training step for a series. */
  step: number;
  at: string;
}

export interface RunFilter {
  job?: string;
  namespace?: string;
  status?: RunStatus;
  /** Only runs started before this time (paging backwards). */
  before?: string;
  limit: number;
}

export interface RunStore {
  /** Inserts a run; Conflict if the id exists. */
  create(run: RunRecord): Promise<void>;
  get(id: string): Promise<RunRecord | undefined>;
  /** Replaces a run's record; false if it does not exist. */
  update(run: RunRecord): Promise<boolean>;
  /** Newest first. */
  list(filter: RunFilter): Promise<RunRecord[]>;
  /** Inserts or replaces points (one value per run, key and step). */
  logMetrics(runId: string, points: MetricPoint[]): Promise<void>;
  /** By key, then step. */
  metrics(runId: string): Promise<MetricPoint[]>;
}
