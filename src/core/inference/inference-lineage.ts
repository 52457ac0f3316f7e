import type { LineageRecorder } from '../lineage/lineage-recorder.ts';
import { jobKey } from '../lineage/node-keys.ts';
import type { LineageEdge, LineageNodeInput } from '../ports/lineage-store.ts';
import type { InferenceRow } from './inference-record.ts';

/** An application that calls models (`application` of inference records). */
export const applicationKey = (application: string): string => `application:${application}`;
/**
 * The inference records of one application on one day with one model: the graph's unit for
 * inference (millions of records would make an unreadable graph; one record is found through
 * its id, see `inferenceKeyOf`).
 */
export const inferenceKey = (application: string, day: string, model: string): string => `inference:${application}/${day}/${model}`;
/** A prep recipe version applied to inference inputs (`recipe` of a record, `<name>@<version>`). */
export const recipeJobKey = (recipe: string): string => jobKey('strata-recipes', recipe);

/** The model a record's aggregate is named by: the registry's version when it named one, else the model as called. */
function modelOf(row: Pick<InferenceRow, 'model' | 'model_version'>): string {
  return row.model_version === null ? row.model : `model:${row.model_version}`;
}

/** The aggregate node a record belongs to. */
export function inferenceKeyOf(row: Pick<InferenceRow, 'application' | 'time' | 'model' | 'model_version'>): string {
  return inferenceKey(row.application, row.time.slice(0, 10), modelOf(row));
}

/** Aggregates remembered as recorded; past this the memory starts over (a repeat write is idempotent). */
const SEEN_LIMIT = 100_000;

/**
 * Puts inference in the lineage graph: per application, day, model and recipe, an aggregate
 * node `inference:…` with edges model version → aggregate (`read`), recipe → aggregate
 * (`read`), aggregate → application (`part-of`). So `impact` of a raw document reaches the
 * applications whose answers came from a model trained on it, and `provenance` of an
 * aggregate (or of one record, through its id) reaches the raw documents behind the model.
 * A batch writes only aggregates this process has not recorded yet: the hot path is one set
 * lookup per record.
 */
export class InferenceLineage {
  private readonly seen = new Set<string>();

  constructor(private readonly recorder: LineageRecorder) {}

  async record(rows: InferenceRow[]): Promise<void> {
    const fresh = new Map<string, InferenceRow>();
    for (const row of rows) {
      const key = `${inferenceKeyOf(row)}\n${row.recipe ?? ''}`;
      if (!this.seen.has(key) && !fresh.has(key)) fresh.set(key, row);
    }
    if (fresh.size === 0) return;
    for (const row of fresh.values()) await this.link(row);
    if (this.seen.size + fresh.size > SEEN_LIMIT) this.seen.clear();
    for (const key of fresh.keys()) this.seen.add(key);
  }

  private async link(row: InferenceRow): Promise<void> {
    const day = row.time.slice(0, 10);
    const model = modelOf(row);
    const nodes: LineageNodeInput[] = [
      { key: inferenceKeyOf(row), type: 'inference', label: `${row.application} ${day} ${model}`, data: { application: row.application, day, model: row.model, ...(row.model_version === null ? {} : { modelVersion: row.model_version }) } },
      { key: applicationKey(row.application), type: 'application', label: row.application, data: { application: row.application } },
    ];
    if (row.model_version !== null) nodes.push({ key: model, type: 'model', label: row.model_version, data: {} });
    if (row.recipe !== null) nodes.push({ key: recipeJobKey(row.recipe), type: 'job', label: row.recipe, data: { namespace: 'strata-recipes', name: row.recipe } });
    const [aggregate, application, ...upstream] = await this.recorder.nodes(nodes);
    const edges: LineageEdge[] = [{ src: aggregate as number, dst: application as number, type: 'part-of' }];
    for (const id of upstream) edges.push({ src: id, dst: aggregate as number, type: 'read' });
    await this.recorder.edges(edges);
  }
}
