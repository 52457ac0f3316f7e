import type { MappedRecord } from './map-records.ts';
import type { DatasetStepInstance, PrepRecord } from './record.ts';

/** One step's part in a run: records in and out, drops by reason, and its counters. */
export interface StepCount {
  name: string;
  in: number;
  out: number;
  dropped: Record<string, number>;
  counters: Record<string, number>;
}

/** What became of one record: kept (written), quarantined, and when not kept the step and reason. */
export interface ReducedRecord {
  kept?: PrepRecord;
  quarantined?: PrepRecord;
  dropped?: { step: string; reason: string };
}

/**
 * The in-order half of a run: walks each mapped record through the steps again, asking dataset
 * steps to decide and replaying record steps' outcomes, and counts exactly what a sequential run
 * would have counted: a record dropped at step i is counted in steps 0…i only.
 */
export class RecordReducer {
  readonly counts: StepCount[];

  /** `steps`: the dataset steps by index; undefined for record steps, whose outcomes come mapped. */
  constructor(
    names: string[],
    private readonly steps: Array<DatasetStepInstance | undefined>,
  ) {
    this.counts = names.map((name) => ({ name, in: 0, out: 0, dropped: {}, counters: {} }));
  }

  /** Records must come in input order (path order, then record order within a source). */
  reduce(mapped: MappedRecord): ReducedRecord {
    for (const [i, step] of this.steps.entries()) {
      const count = this.counts[i] as StepCount;
      count.in++;
      if (step) {
        const feature = mapped.features[i];
        const reason = feature === undefined ? 'missing-feature' : step.decide(feature);
        if (reason !== undefined) return this.dropped(count, reason);
      } else {
        for (const [name, n] of Object.entries(mapped.counts[i] ?? {})) count.counters[name] = (count.counters[name] ?? 0) + n;
        if (mapped.drop?.step === i) {
          const dropped = this.dropped(count, mapped.drop.reason);
          return mapped.drop.quarantine === undefined ? dropped : { ...dropped, quarantined: mapped.drop.quarantine };
        }
      }
      count.out++;
    }
    return mapped.record === undefined ? {} : { kept: mapped.record };
  }

  /** The counts, with the dataset steps' run-level counters. */
  finish(): StepCount[] {
    this.steps.forEach((step, i) => {
      if (step) Object.assign((this.counts[i] as StepCount).counters, step.counters());
    });
    return this.counts;
  }

  private dropped(count: StepCount, reason: string): ReducedRecord {
    count.dropped[reason] = (count.dropped[reason] ?? 0) + 1;
    return { dropped: { step: count.name, reason } };
  }
}
