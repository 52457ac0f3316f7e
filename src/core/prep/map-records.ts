import { extractRecords, type SourceText } from './extract-text.ts';
import { encodeEntry } from './prep-cache.ts';
import type { DocumentTextExtractor } from '../ports/document-text.ts';
import type { AnyStepInstance, PrepRecord, StepCounts } from './record.ts';

/**
 * What the per-record half of a run made of one extracted record: the record after every record
 * step, the features dataset steps decide on, and the counters, each by the index of the step
 * that produced it. It depends on the record and the recipe alone, so it can be computed on any
 * thread or worker and cached by source content.
 */
export interface MappedRecord {
  /** The record after every step (absent when a record step dropped it). */
  record?: PrepRecord;
  /** The record step that dropped it, why, and the record for quarantine when the step keeps one. */
  drop?: { step: number; reason: string; quarantine?: PrepRecord };
  /** Dataset steps' features, by step index, for the steps the record reached. */
  features: Record<number, string>;
  /** Record steps' counters, by step index. */
  counts: Record<number, StepCounts>;
}

/**
 * Runs records through the steps in order. A dataset step contributes its feature and passes the
 * record on as if kept: whether it is kept is decided later, in input order, and a record it
 * drops then never reaches the later steps' counts. Doing the later steps' work anyway costs a
 * little for duplicates and buys the parallelism and the cache.
 */
export function mapRecords(records: PrepRecord[], steps: AnyStepInstance[]): MappedRecord[] {
  return records.map((record) => mapRecord(record, steps));
}

function mapRecord(record: PrepRecord, steps: AnyStepInstance[]): MappedRecord {
  const mapped: MappedRecord = { features: {}, counts: {} };
  let current = record;
  for (const [i, step] of steps.entries()) {
    if (step.kind === 'dataset') {
      const { keep, feature } = step.feature(current);
      mapped.features[i] = feature;
      current = keep;
      continue;
    }
    const result = step.process(current);
    if (result.count !== undefined) mapped.counts[i] = result.count;
    if ('drop' in result) {
      mapped.drop = { step: i, reason: result.drop, ...(result.quarantine === undefined ? {} : { quarantine: result.quarantine }) };
      return mapped;
    }
    current = result.keep;
  }
  mapped.record = current;
  return mapped;
}

/** Extraction and the per-record half for whole sources, encoded as cache entries: what a mapping thread does. */
export async function mapSources(sources: SourceText[], steps: AnyStepInstance[], documents?: DocumentTextExtractor): Promise<Buffer[]> {
  const entries: Buffer[] = [];
  for (const source of sources) entries.push(encodeEntry(await mapSource(source, steps, documents)));
  return entries;
}

/**
 * One source: its records mapped, or — when it cannot be read — one entry saying why, kept
 * like any result so a rerun does not try the same bytes again.
 */
export async function mapSource(source: SourceText, steps: AnyStepInstance[], documents?: DocumentTextExtractor): Promise<MappedRecord[]> {
  let records: PrepRecord[];
  try {
    records = await extractRecords(source, documents);
  } catch (error) {
    return [{ drop: { step: UNREADABLE, reason: (error as Error).message.split('\n')[0] ?? 'unreadable' }, features: {}, counts: {} }];
  }
  return mapRecords(records, steps);
}

/** The step index of a source that could not be read (before every step). */
export const UNREADABLE = -1;
