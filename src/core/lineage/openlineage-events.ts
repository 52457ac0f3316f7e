import type { RunRecord, RunStatus } from '../ports/run-store.ts';

/**
 * OpenLineage 2-0-2 event shapes (https://openlineage.io/spec/2-0-2/OpenLineage.json), and
 * Strata runs written as such events. Validation of incoming events against the spec's schema
 * happens at the HTTP edge; here the shapes are trusted.
 */
export const OPENLINEAGE_SPEC = 'https://openlineage.io/spec/2-0-2/OpenLineage.json';
/**
 * Strata's own facets are named by URN: they have no published schema document to point at (yet).
 */
export const STRATA_FACET_SCHEMA = 'urn:strata:facets:1-0-0';

export type Facets = Record<string, unknown>;

export interface OpenLineageDataset {
  namespace: string;
  name: string;
  facets?: Facets;
  inputFacets?: Facets;
  outputFacets?: Facets;
}

export interface OpenLineageJob {
  namespace: string;
  name: string;
  facets?: Facets;
}

export type OpenLineageEventType = 'START' | 'RUNNING' | 'COMPLETE' | 'ABORT' | 'FAIL' | 'OTHER';

interface BaseEvent {
  eventTime: string;
  producer: string;
  schemaURL: string;
}

export interface OpenLineageRunEvent extends BaseEvent {
  eventType?: OpenLineageEventType;
  run: { runId: string; facets?: Facets };
  job: OpenLineageJob;
  inputs?: OpenLineageDataset[];
  outputs?: OpenLineageDataset[];
}

export interface OpenLineageDatasetEvent extends BaseEvent {
  dataset: OpenLineageDataset;
}

export interface OpenLineageJobEvent extends BaseEvent {
  job: OpenLineageJob;
  inputs?: OpenLineageDataset[];
  outputs?: OpenLineageDataset[];
}

export type OpenLineageEvent = OpenLineageRunEvent | OpenLineageDatasetEvent | OpenLineageJobEvent;

export function isRunEvent(event: OpenLineageEvent): event is OpenLineageRunEvent {
  return 'run' in event;
}

export function isDatasetEvent(event: OpenLineageEvent): event is OpenLineageDatasetEvent {
  return 'dataset' in event;
}

/** How Strata names itself in the events it emits. */
export interface OpenLineageSettings {
  /** Namespace of Strata's datasets and jobs: `strata://<instance>`. */
  namespace: string;
  /** URI of the producing software (`_producer` of every facet), e.g. `urn:strata:0.4.0`. */
  producer: string;
}

/** What of a run the events carry (a RunView: the record with its declared nodes and latest metrics). */
export interface RunForEvents extends Omit<RunRecord, 'inputs' | 'outputs'> {
  metrics: Record<string, { value: number; step: number; points: number }>;
  inputs: Array<{ key: string; type: string; data: Record<string, unknown> }>;
  outputs: Array<{ key: string; type: string; data: Record<string, unknown> }>;
}

const TERMINAL_EVENT: Record<Exclude<RunStatus, 'running'>, OpenLineageEventType> = { completed: 'COMPLETE', failed: 'FAIL', aborted: 'ABORT' };

/** START, then COMPLETE / FAIL / ABORT once the run has ended. */
export function runToOpenLineage(run: RunForEvents, settings: OpenLineageSettings): OpenLineageRunEvent[] {
  const base = (eventType: OpenLineageEventType, eventTime: string): OpenLineageRunEvent => ({
    eventType,
    eventTime,
    producer: settings.producer,
    schemaURL: `${OPENLINEAGE_SPEC}#/$defs/RunEvent`,
    run: { runId: run.id, facets: runFacets(run, settings) },
    job: { namespace: run.namespace, name: run.job, facets: jobFacets(run, settings) },
    inputs: run.inputs.map((i) => datasetOf(i, settings)),
    outputs: eventType === 'START' ? [] : run.outputs.map((o) => datasetOf(o, settings)),
  });
  const events = [base('START', run.startedAt)];
  if (run.status !== 'running') events.push(base(TERMINAL_EVENT[run.status], run.endedAt ?? run.startedAt));
  return events;
}

function facet(settings: OpenLineageSettings, schemaURL: string, fields: Record<string, unknown>): Facets {
  return { _producer: settings.producer, _schemaURL: schemaURL, ...fields };
}

function runFacets(run: RunForEvents, settings: OpenLineageSettings): Facets {
  const strata: Record<string, unknown> = { kind: run.kind, params: run.params, metrics: run.metrics, env: run.env, user: run.user, tags: run.tags };
  for (const key of ['code', 'host', 'exitCode', 'parentId'] as const) if (run[key] !== undefined) strata[key] = run[key];
  const received = (run.facets.run ?? {}) as Facets;
  return {
    ...received,
    processing_engine: facet(settings, `${OPENLINEAGE_SPEC.replace('OpenLineage.json', '')}facets/1-1-1/ProcessingEngineRunFacet.json#/$defs/ProcessingEngineRunFacet`, { version: versionOf(settings.producer), name: 'strata' }),
    strata_run: facet(settings, `${STRATA_FACET_SCHEMA}:StrataRunFacet`, strata),
  };
}

function jobFacets(run: RunForEvents, settings: OpenLineageSettings): Facets {
  const received = (run.facets.job ?? {}) as Facets;
  const facets: Facets = {
    ...received,
    jobType: facet(settings, 'https://openlineage.io/spec/facets/2-0-3/JobTypeJobFacet.json#/$defs/JobTypeJobFacet', { processingType: 'BATCH', integration: 'STRATA', jobType: run.kind.toUpperCase() }),
  };
  if (run.code?.remote !== undefined && URL.canParse(run.code.remote)) {
    facets.sourceCodeLocation = facet(settings, 'https://openlineage.io/spec/facets/1-0-1/SourceCodeLocationJobFacet.json#/$defs/SourceCodeLocationJobFacet', { type: 'git', url: run.code.remote, version: run.code.commit });
  }
  return facets;
}

/**
 * A Strata node as an OpenLineage dataset: namespace `strata://<instance>`, name
 * `<repository>/<path>` (stable across versions, as OpenLineage names datasets); the exact
 * version in the standard `version` facet and in the `strata` facet (commit, sha256).
 */
export function datasetOf(node: { key: string; type: string; data: Record<string, unknown> }, settings: OpenLineageSettings): OpenLineageDataset {
  const d = node.data;
  if (node.type === 'external') return { namespace: String(d.namespace), name: String(d.name), facets: (d.facets ?? {}) as Facets };
  if (node.type === 'model') {
    return { namespace: settings.namespace, name: `models/${String(d.model)}`, facets: { version: versionFacet(settings, String(d.version)), strata: strataFacet(settings, { kind: 'model', model: d.model, version: d.version }) } };
  }
  const path = String(node.type === 'object' ? d.path : d.prefix);
  const version = String(node.type === 'object' ? d.sha256 : d.commit);
  const fields: Record<string, unknown> = { kind: node.type, repository: d.repository, path };
  if (d.commit !== undefined) fields.commit = d.commit;
  if (d.sha256 !== undefined) fields.sha256 = d.sha256;
  return { namespace: settings.namespace, name: `${String(d.repository)}/${path}`, facets: { version: versionFacet(settings, version), strata: strataFacet(settings, fields) } };
}

function versionFacet(settings: OpenLineageSettings, version: string): Facets {
  return facet(settings, 'https://openlineage.io/spec/facets/1-0-1/DatasetVersionDatasetFacet.json#/$defs/DatasetVersionDatasetFacet', { datasetVersion: version });
}

function strataFacet(settings: OpenLineageSettings, fields: Record<string, unknown>): Facets {
  return facet(settings, `${STRATA_FACET_SCHEMA}:StrataDatasetFacet`, fields);
}

function versionOf(producer: string): string {
  return /[:/]v?(\d+\.\d+\.\d+[^/:]*)$/.exec(producer)?.[1] ?? '0.0.0';
}
