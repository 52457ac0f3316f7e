import { randomUUID } from 'node:crypto';
import type { IntakeWarning, LineageEdge } from '../ports/lineage-store.ts';
import type { RunRecord, RunStatus } from '../ports/run-store.ts';
import { authorize, type VersioningDeps } from '../versioning/deps.ts';
import type { ObjectService } from '../versioning/object-service.ts';
import type { CallContext } from '../versioning/types.ts';
import { runNode } from '../runs/run-service.ts';
import { datasetVersion, externalVersion, objectVersion, resolveDataAddress, resolveStrata, type DataVersion } from './data-address.ts';
import type { LineageRecorder } from './lineage-recorder.ts';
import { jobKey } from './node-keys.ts';
import { isDatasetEvent, isRunEvent, type Facets, type OpenLineageDataset, type OpenLineageEvent, type OpenLineageJobEvent, type OpenLineageRunEvent } from './openlineage-events.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const STATUS_OF: Record<string, RunStatus | undefined> = { START: 'running', RUNNING: 'running', COMPLETE: 'completed', FAIL: 'failed', ABORT: 'aborted' };

/** What one accepted event touched. */
export interface IngestedEvent {
  kind: 'run' | 'dataset' | 'job';
  /** Lineage node keys of the run or job and its datasets. */
  keys: string[];
}

/**
 * Accepts OpenLineage events (already validated against the spec's schema) into the lineage
 * graph. Datasets that point at Strata — a `strata://` namespace, an `s3://` bucket that is one
 * of its repositories, or a `strata` facet naming an existing commit — become Strata's own
 * versioned nodes; the rest are external nodes named as the producer named them. Facets are
 * kept whole, unknown ones included. Events may repeat or arrive out of order: runs take the
 * earliest start, the latest terminal state, and the union of inputs and outputs.
 */
export class OpenLineageService {
  private readonly objects: ObjectService;
  private readonly recorder: LineageRecorder;
  private readonly strataNamespace: string;

  constructor(
    private readonly deps: VersioningDeps,
    parts: { objects: ObjectService; recorder: LineageRecorder; strataNamespace: string },
  ) {
    this.objects = parts.objects;
    this.recorder = parts.recorder;
    this.strataNamespace = parts.strataNamespace;
  }

  /**
   * Applies the events; `warnings[i]` are the schema deviations of `events[i]` (the edge checked
   * them), recorded for `intakeWarnings` to list.
   */
  async ingest(ctx: CallContext, events: OpenLineageEvent[], warnings: string[][] = []): Promise<IngestedEvent[]> {
    await authorize(this.deps, ctx, { action: 'lineage:write' });
    const out: IngestedEvent[] = [];
    for (const event of events) {
      if (isRunEvent(event)) out.push(await this.runEvent(ctx, event).catch(async (error: unknown) => {
        // Two events of one new run arriving at once: the second to insert folds into the first.
        if ((error as { code?: string }).code !== 'Conflict') throw error;
        return this.runEvent(ctx, event);
      }));
      else if (isDatasetEvent(event)) out.push({ kind: 'dataset', keys: [await this.datasetNode(ctx, event.dataset)] });
      else out.push(await this.jobEvent(ctx, event));
    }
    const receivedAt = this.deps.clock.now().toISOString();
    await this.deps.metadata.lineage.recordIntakeWarnings(
      events.flatMap((event, i) => {
        const found = warnings[i] ?? [];
        return found.length === 0 ? [] : [intakeWarning(event, { actor: ctx.actor.id, receivedAt, warnings: found })];
      }),
    );
    return out;
  }

  /** Accepted events whose facets deviated from their schema, newest first (of one subject when given). */
  async intakeWarnings(ctx: CallContext, input: { limit: number; subject?: string }): Promise<IntakeWarning[]> {
    await authorize(this.deps, ctx, { action: 'lineage:read' });
    return this.deps.metadata.lineage.listIntakeWarnings(input);
  }

  private async runEvent(ctx: CallContext, event: OpenLineageRunEvent): Promise<IngestedEvent> {
    const id = event.run.runId.toLowerCase();
    const existing = await this.deps.metadata.runs.get(id);
    const run = merge(existing ?? newRun(ctx, event), event);
    const inputs = await this.datasets(ctx, event.inputs ?? []);
    const outputs = await this.datasets(ctx, event.outputs ?? []);
    run.inputs = [...new Set([...run.inputs, ...inputs.map((i) => i.key)])];
    run.outputs = [...new Set([...run.outputs, ...outputs.map((o) => o.key)])];
    const [runId, ...ids] = await this.recorder.nodes([runNode(run), ...inputs, ...outputs]);
    const edges: LineageEdge[] = ids.map((nodeId, i) => (i < inputs.length ? { src: nodeId, dst: runId as number, type: 'read' } : { src: runId as number, dst: nodeId, type: 'wrote' }));
    await this.recorder.edges(edges);
    for (const input of inputs) await this.recorder.recordMembers(ctx, input);
    for (const output of outputs) if (output.type === 'dataset') await this.recorder.recordWritten({ dataset: output, since: run.startedAt, runNode: runId as number });
    if (existing) await this.deps.metadata.runs.update(run);
    else await this.deps.metadata.runs.create(run);
    return { kind: 'run', keys: [`run:${run.id}`, ...inputs.map((i) => i.key), ...outputs.map((o) => o.key)] };
  }

  private async jobEvent(ctx: CallContext, event: OpenLineageJobEvent): Promise<IngestedEvent> {
    const job = { key: jobKey(event.job.namespace, event.job.name), type: 'job' as const, label: event.job.name, data: { namespace: event.job.namespace, name: event.job.name, facets: event.job.facets ?? {} } };
    const inputs = await this.datasets(ctx, event.inputs ?? []);
    const outputs = await this.datasets(ctx, event.outputs ?? []);
    const [jobId, ...ids] = await this.recorder.nodes([job, ...inputs, ...outputs]);
    await this.deps.metadata.lineage.mergeNodeData(job.key, { facets: job.data.facets });
    await this.recorder.edges(ids.map((nodeId, i) => (i < inputs.length ? { src: nodeId, dst: jobId as number, type: 'read' } : { src: jobId as number, dst: nodeId, type: 'wrote' })));
    return { kind: 'job', keys: [job.key, ...inputs.map((i) => i.key), ...outputs.map((o) => o.key)] };
  }

  private async datasetNode(ctx: CallContext, dataset: OpenLineageDataset): Promise<string> {
    const [node] = await this.datasets(ctx, [dataset]);
    return (node as DataVersion).key;
  }

  /** Maps each dataset and keeps its facets on the node (external ones; Strata's describe themselves). */
  private async datasets(ctx: CallContext, datasets: OpenLineageDataset[]): Promise<DataVersion[]> {
    const out: DataVersion[] = [];
    for (const dataset of datasets) {
      const version = await this.map(ctx, dataset);
      await this.recorder.nodes([version]);
      const facets = { ...(dataset.facets ?? {}), ...(dataset.inputFacets ?? {}), ...(dataset.outputFacets ?? {}) };
      if (version.type === 'external' && Object.keys(facets).length > 0) await this.deps.metadata.lineage.mergeNodeData(version.key, { facets });
      out.push(version);
    }
    return out;
  }

  private async map(ctx: CallContext, dataset: OpenLineageDataset): Promise<DataVersion> {
    const strata = (dataset.facets?.strata ?? undefined) as Record<string, unknown> | undefined;
    try {
      if (strata !== undefined) {
        const exact = await this.fromStrataFacet(strata);
        if (exact) return exact;
      }
      if (dataset.namespace === this.strataNamespace || dataset.namespace.startsWith('strata://')) return await this.fromStrataName(ctx, dataset);
      if (dataset.namespace.startsWith('s3://')) return await resolveDataAddress({ deps: this.deps, objects: this.objects, ctx }, `${dataset.namespace}/${dataset.name}`);
    } catch (error) {
      // A name that looks like Strata's but resolves to nothing stays what the producer said.
      if ((error as { code?: string }).code !== 'NotFound' && (error as { code?: string }).code !== 'InvalidArgument') throw error;
    }
    return externalVersion(dataset.namespace, dataset.name);
  }

  /** Strata's own facet names the exact version (what Strata emits); used when the commit exists here. */
  private async fromStrataFacet(facet: Record<string, unknown>): Promise<DataVersion | undefined> {
    const { kind, repository, commit, path, sha256 } = facet;
    if (typeof repository !== 'string' || typeof path !== 'string') return undefined;
    if (typeof commit !== 'string' || !(await this.deps.metadata.getCommit(repository, commit))) return undefined;
    if (kind === 'object' && typeof sha256 === 'string') return objectVersion({ repository, path, entry: { sha256, size: Number(facet.size ?? 0) }, commit });
    if (kind === 'dataset') return datasetVersion(repository, commit, path);
    return undefined;
  }

  /** `<repository>/<path>`, at the commit of the `version` facet when it names one, else now. */
  private async fromStrataName(ctx: CallContext, dataset: OpenLineageDataset): Promise<DataVersion> {
    const slash = dataset.name.indexOf('/');
    const repository = slash < 0 ? dataset.name : dataset.name.slice(0, slash);
    const path = slash < 0 ? '' : dataset.name.slice(slash + 1);
    const version = (dataset.facets?.version as { datasetVersion?: unknown } | undefined)?.datasetVersion;
    const ref = typeof version === 'string' && /^[0-9a-f]{64}$/.test(version) && (await this.deps.metadata.getCommit(repository, version)) ? version : undefined;
    return resolveStrata({ deps: this.deps, objects: this.objects, ctx }, { repository, ref, path });
  }
}

function intakeWarning(event: OpenLineageEvent, at: { actor: string; receivedAt: string; warnings: string[] }): IntakeWarning {
  const base = { id: randomUUID(), receivedAt: at.receivedAt, actor: at.actor, eventTime: event.eventTime, producer: event.producer, warnings: at.warnings };
  if (isRunEvent(event)) return { ...base, kind: 'run', eventType: event.eventType ?? null, subject: `run:${event.run.runId.toLowerCase()}` };
  if (isDatasetEvent(event)) return { ...base, kind: 'dataset', eventType: null, subject: `dataset:${event.dataset.namespace}:${event.dataset.name}` };
  return { ...base, kind: 'job', eventType: null, subject: jobKey(event.job.namespace, event.job.name) };
}

function newRun(ctx: CallContext, event: OpenLineageRunEvent): RunRecord {
  return {
    id: event.run.runId.toLowerCase(),
    namespace: event.job.namespace,
    job: event.job.name,
    kind: 'external',
    status: 'running',
    startedAt: new Date(event.eventTime).toISOString(),
    params: {},
    env: {},
    user: ctx.actor.id,
    tags: [],
    facets: {},
    inputs: [],
    outputs: [],
  };
}

/** Folds one event into the run: facets (all kept), times, state and Strata's own run facet. */
function merge(current: RunRecord, event: OpenLineageRunEvent): RunRecord {
  const run: RunRecord = { ...current };
  const time = new Date(event.eventTime).toISOString();
  const status = STATUS_OF[event.eventType ?? 'OTHER'];
  if (event.eventType === 'START' && time < run.startedAt) run.startedAt = time;
  if (status !== undefined && status !== 'running') {
    run.status = status;
    run.endedAt = time;
  }
  const facets = current.facets as { run?: Facets; job?: Facets };
  run.facets = { run: { ...(facets.run ?? {}), ...(event.run.facets ?? {}) }, job: { ...(facets.job ?? {}), ...(event.job.facets ?? {}) } };
  const strata = event.run.facets?.strata_run as Record<string, unknown> | undefined;
  if (strata) applyStrataFacet(run, strata);
  // The standard parent facet (a task's DAG run, a Spark job's application, a dbt model's `dbt run`).
  const parent = (event.run.facets?.parent as { run?: { runId?: unknown } } | undefined)?.run?.runId;
  if (run.parentId === undefined && typeof parent === 'string' && UUID.test(parent)) run.parentId = parent.toLowerCase();
  const jobType = (event.job.facets?.jobType as { jobType?: unknown } | undefined)?.jobType;
  if (typeof jobType === 'string' && strata === undefined) run.kind = jobType.toLowerCase();
  return run;
}

/** A run Strata emitted comes back whole: parameters, code, environment, host, user, tags. */
function applyStrataFacet(run: RunRecord, facet: Record<string, unknown>): void {
  if (typeof facet.kind === 'string') run.kind = facet.kind;
  if (isStringRecord(facet.params)) run.params = { ...run.params, ...facet.params };
  if (isStringRecord(facet.env)) run.env = facet.env;
  if (typeof facet.host === 'string') run.host = facet.host;
  if (typeof facet.user === 'string') run.user = facet.user;
  if (Array.isArray(facet.tags)) run.tags = facet.tags.filter((t): t is string => typeof t === 'string');
  if (typeof facet.exitCode === 'number') run.exitCode = facet.exitCode;
  if (typeof facet.parentId === 'string') run.parentId = facet.parentId;
  const code = facet.code as Record<string, unknown> | undefined;
  if (code && typeof code.commit === 'string' && typeof code.dirty === 'boolean') run.code = code as unknown as RunRecord['code'] & object;
}

function isStringRecord(value: unknown): value is Record<string, string> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && Object.values(value).every((v) => typeof v === 'string');
}
