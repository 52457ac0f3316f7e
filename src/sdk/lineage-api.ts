import type { LineageGraph, LineageNodeView } from '../core/lineage/lineage-service.ts';
import type { OpenLineageRunEvent } from '../core/lineage/openlineage-events.ts';
import type { ExcludedSource, ProvenanceGraph } from '../core/lineage/exact-provenance.ts';
import type { NodeLabels } from '../core/lineage/label-propagation.ts';
import type { ModelReport } from '../core/models/model-report.ts';
import type { ModelView, RegisterInput, ResolvedModel } from '../core/models/model-registry-service.ts';
import type { AliasEvent, ModelVersionRecord, RegisteredModelRecord } from '../core/ports/model-store.ts';
import type { IntakeWarning, LineageDirection, LineageNodeType } from '../core/ports/lineage-store.ts';
import type { MetricPoint, RunRecord, RunStatus } from '../core/ports/run-store.ts';
import type { MetricInput, RunView, StartRunInput } from '../core/runs/run-service.ts';
import type { StrataCore } from '../core/strata.ts';
import type { CallContext } from '../core/versioning/types.ts';

export type { ExcludedSource, ModelReport, NodeLabels, ProvenanceGraph };
export type { LineageGraph, LineageNodeView, ModelView, RegisterInput, ResolvedModel, AliasEvent, ModelVersionRecord, RegisteredModelRecord, MetricPoint, RunRecord, RunStatus, MetricInput, RunView, StartRunInput, OpenLineageRunEvent };

export interface RunFilter {
  job?: string;
  namespace?: string;
  status?: RunStatus;
  before?: string;
  limit?: number;
}

/** Runs: `api.runs.start(…)`, then parameters, metrics, inputs, outputs, `finish`. */
export interface RunsApi {
  start(input: StartRunInput): Promise<RunView>;
  get(id: string): Promise<RunView>;
  list(filter?: RunFilter): Promise<RunRecord[]>;
  logParams(id: string, params: Record<string, string>): Promise<RunView>;
  logMetrics(id: string, metrics: MetricInput[]): Promise<void>;
  metrics(id: string): Promise<MetricPoint[]>;
  addInputs(id: string, addresses: string[]): Promise<RunView>;
  addOutputs(id: string, addresses: string[]): Promise<RunView>;
  finish(id: string, input?: { status?: 'completed' | 'failed' | 'aborted'; exitCode?: number; outputs?: string[] }): Promise<RunView>;
  openLineage(id: string): Promise<OpenLineageRunEvent[]>;
}

export interface ModelsApi {
  create(input: { name: string; description?: string; tags?: string[] }): Promise<RegisteredModelRecord>;
  list(): Promise<RegisteredModelRecord[]>;
  get(name: string): Promise<ModelView>;
  register(input: RegisterInput): Promise<ModelVersionRecord>;
  /** Moves an alias to `version`, or removes it when `version` is absent. */
  setAlias(input: { model: string; alias: string; version?: number }): Promise<AliasEvent>;
  aliasHistory(model: string): Promise<AliasEvent[]>;
  /** `model:name@alias[/path]`, `model:name/3[/path]` → the exact object address. */
  resolve(address: string): Promise<ResolvedModel>;
  /** The model report of the version an address names. */
  report(address: string): Promise<ModelReport>;
}

export interface WalkRequest {
  node: string;
  direction?: LineageDirection | 'both';
  depth?: number;
  types?: LineageNodeType[];
  limit?: number;
}

export interface LineageApi {
  walk(input: WalkRequest): Promise<LineageGraph>;
  /** What made this: the raw sources behind a node (e.g. `model:bert@production`). */
  provenance(input: { node: string; limit?: number }): Promise<ProvenanceGraph>;
  /** What this affects: everything downstream of a node (e.g. `raw@main:docs/a.txt`). */
  impact(input: { node: string; types?: LineageNodeType[]; limit?: number }): Promise<LineageGraph>;
  /** The labels and licences that reach a node, each explained. */
  labels(input: { node: string }): Promise<NodeLabels>;
  /** Accepted OpenLineage events whose facets deviated from their schema, newest first. */
  warnings(input: { limit?: number; subject?: string }): Promise<IntakeWarning[]>;
}

export function localRunsApi(core: StrataCore, ctx: CallContext): RunsApi {
  return {
    start: (input) => core.runs.start(ctx, input),
    get: (id) => core.runs.get(ctx, id),
    list: (filter) => core.runs.list(ctx, filter),
    logParams: (id, params) => core.runs.logParams(ctx, id, params),
    logMetrics: (id, metrics) => core.runs.logMetrics(ctx, id, metrics),
    metrics: (id) => core.runs.metrics(ctx, id),
    addInputs: (id, addresses) => core.runs.addInputs(ctx, id, addresses),
    addOutputs: (id, addresses) => core.runs.addOutputs(ctx, id, addresses),
    finish: (id, input) => core.runs.finish(ctx, id, input),
    openLineage: (id) => core.runs.openLineage(ctx, id),
  };
}

export function localModelsApi(core: StrataCore, ctx: CallContext): ModelsApi {
  return {
    create: (input) => core.models.create(ctx, input),
    list: () => core.models.list(ctx),
    get: (name) => core.models.get(ctx, name),
    register: (input) => core.models.register(ctx, input),
    setAlias: (input) => core.models.setAlias(ctx, input),
    aliasHistory: (model) => core.models.aliasHistory(ctx, model),
    resolve: (address) => core.models.resolve(ctx, address),
    report: (address) => core.reports.report(ctx, address),
  };
}

export function localLineageApi(core: StrataCore, ctx: CallContext): LineageApi {
  return {
    walk: (input) => core.lineage.walk(ctx, { address: input.node, direction: input.direction ?? 'both', depth: input.depth, types: input.types, limit: input.limit }),
    provenance: (input) => core.lineage.provenance(ctx, { address: input.node, limit: input.limit }),
    impact: (input) => core.lineage.impact(ctx, { address: input.node, types: input.types, limit: input.limit }),
    labels: (input) => core.lineage.labels(ctx, { address: input.node }),
    warnings: (input) => core.openLineage.intakeWarnings(ctx, { limit: input.limit ?? 100, ...(input.subject === undefined ? {} : { subject: input.subject }) }),
  };
}

type Json = <T>(method: string, path: string, options?: { query?: Record<string, string | number | boolean | undefined>; body?: unknown }) => Promise<T>;
const enc = encodeURIComponent;

export function httpRunsApi(json: Json): RunsApi {
  const run = (id: string): string => `/runs/${enc(id)}`;
  return {
    start: (input) => json('POST', '/runs', { body: input }),
    get: (id) => json('GET', run(id)),
    list: async (filter = {}) => (await json<{ runs: RunRecord[] }>('GET', '/runs', { query: { ...filter } })).runs,
    logParams: (id, params) => json('POST', `${run(id)}/params`, { body: { params } }),
    logMetrics: async (id, metrics) => {
      await json('POST', `${run(id)}/metrics`, { body: { metrics } });
    },
    metrics: async (id) => (await json<{ metrics: MetricPoint[] }>('GET', `${run(id)}/metrics`)).metrics,
    addInputs: (id, addresses) => json('POST', `${run(id)}/inputs`, { body: { addresses } }),
    addOutputs: (id, addresses) => json('POST', `${run(id)}/outputs`, { body: { addresses } }),
    finish: (id, input = {}) => json('POST', `${run(id)}/finish`, { body: input }),
    openLineage: async (id) => (await json<{ events: OpenLineageRunEvent[] }>('GET', `${run(id)}/openlineage`)).events,
  };
}

export function httpModelsApi(json: Json): ModelsApi {
  return {
    create: (input) => json('POST', '/models', { body: input }),
    list: async () => (await json<{ models: RegisteredModelRecord[] }>('GET', '/models')).models,
    get: (name) => json('GET', `/models/${enc(name)}`),
    register: ({ model, ...body }) => json('POST', `/models/${enc(model)}/versions`, { body }),
    setAlias: (input) =>
      input.version === undefined
        ? json('DELETE', `/models/${enc(input.model)}/aliases/${enc(input.alias)}`)
        : json('PUT', `/models/${enc(input.model)}/aliases/${enc(input.alias)}`, { body: { version: input.version } }),
    aliasHistory: async (model) => (await json<{ events: AliasEvent[] }>('GET', `/models/${enc(model)}/alias-history`)).events,
    resolve: (address) => json('GET', '/models/resolve', { query: { address } }),
    report: async (address) => {
      const { version } = await json<ResolvedModel>('GET', '/models/resolve', { query: { address } });
      return json('GET', `/models/${enc(version.model)}/versions/${version.version}/report`);
    },
  };
}

export function httpLineageApi(json: Json): LineageApi {
  const types = (list: LineageNodeType[] | undefined): string | undefined => list?.join(',');
  return {
    walk: (input) => json('GET', '/lineage/graph', { query: { node: input.node, direction: input.direction, depth: input.depth, types: types(input.types), limit: input.limit } }),
    provenance: (input) => json('GET', '/lineage/provenance', { query: { node: input.node, limit: input.limit } }),
    impact: (input) => json('GET', '/lineage/impact', { query: { node: input.node, types: types(input.types), limit: input.limit } }),
    labels: (input) => json('GET', '/lineage/labels', { query: { node: input.node } }),
    warnings: async (input) => (await json<{ warnings: IntakeWarning[] }>('GET', '/lineage/warnings', { query: { limit: input.limit, subject: input.subject } })).warnings,
  };
}
