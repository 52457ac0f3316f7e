/**
 * Where a recipe run's per-source result is kept: a byte range of a segment blob (one blob holds
 * the results of many sources, written together). Rows are immutable: a key names a source's
 * content under one preparation, so the same key always means the same bytes.
 */
export interface PrepCacheLocation {
  blob: string;
  offset: number;
  length: number;
}

/** The index of recipe results by key, in the metadata database. `source` is the SHA-256 of the content the entry was computed from. */
export interface PrepCacheStore {
  /** The locations of the keys that have one; absent keys are not in the map. */
  lookup(keys: string[]): Promise<Map<string, PrepCacheLocation>>;
  /** Records locations; a key already recorded keeps its first location (a retried task writes the same bytes). */
  record(entries: Array<PrepCacheLocation & { key: string; source: string }>): Promise<void>;
}
