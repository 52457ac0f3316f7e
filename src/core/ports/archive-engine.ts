import type { InferenceRow } from '../inference/inference-record.ts';

export interface QueryResult {
  columns: string[];
  /** Rows of JSON values (big integers as numbers when exact, else strings). */
  rows: unknown[][];
}

/** Columnar files and SQL for the inference archive (DuckDB). */
export interface ArchiveEngine {
  /** The records as one Parquet file (zstd), columns as `RECORD_COLUMNS`. */
  toParquet(records: InferenceRow[]): Promise<Buffer>;
  fromParquet(bytes: Uint8Array): Promise<InferenceRow[]>;
  /**
   * Runs one read-only SQL statement over the view `inference`: the compacted partitions and the
   * recent records (a record in both counts once, as its recent row). The engine reaches no file
   * or network beyond the data given. A query is cancelled when `signal` aborts (the client left)
   * and when it runs past the engine's time limit; it runs within the engine's memory limit.
   */
  query(sql: string, data: { recent: InferenceRow[]; partitions: Uint8Array[] }, options?: { signal?: AbortSignal }): Promise<QueryResult>;
}

/** Counts tokens of text the client sent without usage figures. */
export interface TokenCounter {
  readonly encoding: string;
  count(text: string): Promise<number>;
}
