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
  tokens?: number[];
}

/** What a step does with one record: keep it (possibly changed), or drop it with a reason (into quarantine, for records that fail validation). */
export type StepResult = { keep: PrepRecord } | { drop: string; quarantine?: PrepRecord };

/** One configured step, ready to process records in order. */
export interface StepInstance {
  process(record: PrepRecord): StepResult;
  /** Counters the step keeps besides keep/drop (e.g. redactions by type). */
  counters?(): Record<string, number>;
}
