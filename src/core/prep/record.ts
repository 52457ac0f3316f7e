/**
 * A record flowing through a recipe: text with metadata and the exact source it came from, so
 * every output record can be traced back to an object version (record-level lineage).
 */
export interface PrepRecord {
  /** Stable: `<source object key>#<index within the source>`. */
  id: string;
  text: string;
  meta: Record<string, string | number | boolean>;
  source: {
    /** Lineage key of the source object version. */
    key: string;
    repository: string;
    path: string;
    sha256: string;
    /** Character range of the source text this record holds, when a step split it. */
    span?: [number, number];
  };
  /** BPE token ids, when a tokenize step ran with `write_ids`. */
  tokens?: ArrayLike<number>;
}

/** Counters a step adds for one record besides keep/drop (e.g. redactions by type: `pii.email`). */
export type StepCounts = Record<string, number>;

/**
 * What a record step does with one record: keep it (possibly changed), or drop it with a reason
 * (into quarantine, for records that fail validation).
 */
export type StepResult = { keep: PrepRecord; count?: StepCounts } | { drop: string; quarantine?: PrepRecord; count?: StepCounts };

/**
 * A record step: a pure function of one record, holding no state across records. That is what
 * lets a run map sources on any thread or worker, cache the result per source, and apply the
 * same step to a live inference input.
 */
export interface StepInstance {
  kind: 'record';
  process(record: PrepRecord): StepResult;
}

/**
 * A dataset step (deduplication): decides on each record against the records kept before it.
 * Split in two so the expensive half parallelises and caches: `feature` is per record
 * (a content hash, a MinHash signature), `decide` runs in input order in one place.
 */
export interface DatasetStepInstance {
  kind: 'dataset';
  /** The record as the step passes it on, and what `decide` needs of it (a string, so it caches). */
  feature(record: PrepRecord): { keep: PrepRecord; feature: string };
  /** Keep (undefined) or the drop reason, given everything kept before. */
  decide(feature: string): string | undefined;
  /** Run-level counters (clusters found, records removed). */
  counters(): StepCounts;
}

export type AnyStepInstance = StepInstance | DatasetStepInstance;
