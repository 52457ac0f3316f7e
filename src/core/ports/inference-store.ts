import type { InferenceRow } from '../inference/inference-record.ts';

export interface InferenceFilter {
  application?: string;
  model?: string;
  /** Pseudonymized (as stored). */
  userId?: string;
  sessionId?: string;
  /** ISO times, inclusive / exclusive. */
  from?: string;
  to?: string;
  /** Records after this (time, id), for paging in time order. */
  after?: { time: string; id: string };
  limit: number;
}

/** Recent inference records in the metadata database; older ones are compacted into Parquet. */
export interface InferenceStore {
  /** Inserts records in one transaction. */
  insert(records: InferenceRow[]): Promise<void>;
  list(filter: InferenceFilter): Promise<InferenceRow[]>;
  get(id: string): Promise<InferenceRow | undefined>;
  /** Deletes records by id; returns how many were deleted. */
  deleteIds(ids: string[]): Promise<number>;
  /** Deletes the records of a user or session (pseudonymized ids); returns how many. */
  deleteSubject(subject: { userId?: string; sessionId?: string }): Promise<number>;
  /** Deletes an application's records older than `before`; returns how many. */
  deleteOlder(application: string, before: string): Promise<number>;
  /** Retention in days per application (absent: kept forever). */
  retention(): Promise<Map<string, number>>;
  setRetention(application: string, days: number | null): Promise<void>;
}
