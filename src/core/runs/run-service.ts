import { conflict, invalidArgument, notFound } from '../errors.ts';
import { resolveDataAddress, type DataVersion } from '../lineage/data-address.ts';
import type { LineageRecorder } from '../lineage/lineage-recorder.ts';
import { runKey } from '../lineage/node-keys.ts';
import type { LineageNodeInput } from '../ports/lineage-store.ts';
import type { LineageEmitter } from '../ports/lineage-emitter.ts';
import type { LineageNode } from '../ports/lineage-store.ts';
import { RUN_STATUSES, type CodeVersion, type MetricPoint, type RunRecord, type RunStatus } from '../ports/run-store.ts';
import { authorize, type VersioningDeps } from '../versioning/deps.ts';
import type { ObjectService } from '../versioning/object-service.ts';
import type { CallContext } from '../versioning/types.ts';
import { runToOpenLineage, type OpenLineageRunEvent, type OpenLineageSettings } from '../lineage/openlineage-events.ts';
import { newRunId, UUID } from './run-id.ts';

export interface StartRunInput {
  job: string;
  /** prep, training, fine-tuning, evaluation, external … (default: external). */
  kind?: string;
  namespace?: string;
  /** A UUID chosen by the caller (e.g. from a scheduler); a new v7 UUID otherwise. */
  id?: string;
  params?: Record<string, string>;
  code?: CodeVersion;
  env?: Record<string, string>;
  host?: string;
  tags?: string[];
  parentId?: string;
  /** Data addresses read by the run, resolved to exact versions now. */
  inputs?: string[];
}

export interface MetricInput {
  key: string;
  value: number;
  step?: number;
  at?: string;
}

/** A run's inputs and outputs: the nodes its `read` and `wrote` edges touch. */
export interface RunIo {
  key: string;
  type: string;
  label: string;
  data: Record<string, unknown>;
}

export interface RunView extends Omit<RunRecord, 'inputs' | 'outputs'> {
  inputs: RunIo[];
  outputs: RunIo[];
  /** The last value of each metric, and how many points its series has. */
  metrics: Record<string, { value: number; step: number; points: number }>;
}

const JOB = /^[^\s\0]{1,256}$/;
const PARAM_KEY = /^[\w.\-/: ]{1,250}$/;
const TERMINAL: readonly RunStatus[] = ['completed', 'failed', 'aborted'];

/**
 * Runs: one execution of a job with its parameters, metrics, code version, environment and the
 * exact data versions it read and wrote (recorded in the lineage graph as it happens).
 */
export class RunService {
  private readonly objects: ObjectService;
  private readonly recorder: LineageRecorder;
  private readonly ol: { settings: OpenLineageSettings; emitter?: LineageEmitter };
  private modelResolver: ((ctx: CallContext, address: string) => Promise<DataVersion>) | undefined;

  constructor(
    private readonly deps: VersioningDeps,
    parts: { objects: ObjectService; recorder: LineageRecorder; openLineage: { settings: OpenLineageSettings; emitter?: LineageEmitter } },
  ) {
    this.objects = parts.objects;
    this.recorder = parts.recorder;
    this.ol = parts.openLineage;
  }

  /** Lets runs read and write model versions (`model:name@alias`); plugged in by the core's composition. */
  setModelResolver(resolver: (ctx: CallContext, address: string) => Promise<DataVersion>): void {
    this.modelResolver = resolver;
  }

  async start(ctx: CallContext, input: StartRunInput): Promise<RunView> {
    await authorize(this.deps, ctx, { action: 'run:create' });
    if (!JOB.test(input.job)) throw invalidArgument(`invalid job name '${input.job}': 1 to 256 characters without spaces`);
    if (input.id !== undefined && !UUID.test(input.id)) throw invalidArgument(`run id '${input.id}' is not a UUID`);
    const now = this.deps.clock.now();
    checkParams(input.params ?? {});
    const run: RunRecord = {
      id: (input.id ?? newRunId(now)).toLowerCase(),
      namespace: input.namespace ?? 'strata',
      job: input.job,
      kind: input.kind ?? 'external',
      status: 'running',
      startedAt: now.toISOString(),
      params: input.params ?? {},
      env: input.env ?? {},
      user: ctx.actor.id,
      tags: [...new Set(input.tags ?? [])].sort(),
      facets: {},
      inputs: [],
      outputs: [],
    };
    if (input.code !== undefined) run.code = input.code;
    if (input.host !== undefined) run.host = input.host;
    if (input.parentId !== undefined) run.parentId = input.parentId;
    // Everything that can fail on bad input fails before anything is written.
    if (input.id !== undefined && (await this.deps.metadata.runs.get(run.id))) throw conflict(`run '${run.id}' already exists`);
    const inputs = await this.resolve(ctx, input.inputs ?? []);
    run.inputs = [...new Set(inputs.map((i) => i.key))];
    // Edges first, then the row: an acknowledged run always has its inputs in the graph.
    await this.recorder.nodes([runNode(run)]);
    await this.link(ctx, { run, data: inputs, type: 'read' });
    await this.deps.metadata.runs.create(run);
    await this.emit(run);
    return this.view(run);
  }

  async get(ctx: CallContext, id: string): Promise<RunView> {
    await authorize(this.deps, ctx, { action: 'run:read' });
    return this.view(await this.require(id));
  }

  async list(ctx: CallContext, filter: { job?: string; namespace?: string; status?: RunStatus; before?: string; limit?: number } = {}): Promise<RunRecord[]> {
    await authorize(this.deps, ctx, { action: 'run:list' });
    if (filter.status !== undefined && !RUN_STATUSES.includes(filter.status)) throw invalidArgument(`unknown status '${filter.status as string}': use ${RUN_STATUSES.join(', ')}`);
    return this.deps.metadata.runs.list({ ...filter, limit: Math.min(filter.limit ?? 100, 1000) });
  }

  /** Adds parameters; a parameter already logged may not change (a run's inputs are fixed). */
  async logParams(ctx: CallContext, id: string, params: Record<string, string>): Promise<RunView> {
    await authorize(this.deps, ctx, { action: 'run:update' });
    const run = await this.requireRunning(id);
    checkParams(params);
    for (const [key, value] of Object.entries(params)) {
      const logged = run.params[key];
      if (logged !== undefined && logged !== value) throw conflict(`parameter '${key}' is already ${logged} on run ${id}`);
    }
    const updated = { ...run, params: { ...run.params, ...params } };
    await this.deps.metadata.runs.update(updated);
    return this.view(updated);
  }

  async logMetrics(ctx: CallContext, id: string, metrics: MetricInput[]): Promise<void> {
    await authorize(this.deps, ctx, { action: 'run:update' });
    const run = await this.require(id);
    const now = this.deps.clock.now().toISOString();
    const points: MetricPoint[] = metrics.map((m) => {
      if (!PARAM_KEY.test(m.key)) throw invalidArgument(`invalid metric name '${m.key}'`);
      if (!Number.isFinite(m.value)) throw invalidArgument(`metric '${m.key}' must be a finite number, not ${m.value}`);
      const step = m.step ?? 0;
      if (!Number.isSafeInteger(step) || step < 0) throw invalidArgument(`metric '${m.key}': step must be a whole number ≥ 0`);
      return { key: m.key, value: m.value, step, at: m.at ?? now };
    });
    await this.deps.metadata.runs.logMetrics(run.id, points);
  }

  async metrics(ctx: CallContext, id: string): Promise<MetricPoint[]> {
    await authorize(this.deps, ctx, { action: 'run:read' });
    return this.deps.metadata.runs.metrics((await this.require(id)).id);
  }

  /** Declares data the run read, each resolved to the exact version it is now. */
  async addInputs(ctx: CallContext, id: string, addresses: string[]): Promise<RunView> {
    await authorize(this.deps, ctx, { action: 'run:update' });
    const run = await this.require(id);
    const inputs = await this.resolve(ctx, addresses);
    await this.link(ctx, { run, data: inputs, type: 'read' });
    return this.view(await this.declare(run, { inputs: inputs.map((i) => i.key) }));
  }

  /**
   * Declares data the run wrote: a file, or a prefix at a commit (usually the branch the run
   * committed to). For a prefix, the objects added or changed on its branch since the run
   * started are linked too, so lineage reaches single files.
   */
  async addOutputs(ctx: CallContext, id: string, addresses: string[]): Promise<RunView> {
    await authorize(this.deps, ctx, { action: 'run:update' });
    const run = await this.require(id);
    const outputs = await this.resolve(ctx, addresses);
    await this.link(ctx, { run, data: outputs, type: 'wrote' });
    return this.view(await this.declare(run, { outputs: outputs.map((o) => o.key) }));
  }

  async finish(ctx: CallContext, id: string, input: { status?: RunStatus; exitCode?: number; outputs?: string[] } = {}): Promise<RunView> {
    await authorize(this.deps, ctx, { action: 'run:update' });
    const run = await this.requireRunning(id);
    const status = input.status ?? (input.exitCode === undefined || input.exitCode === 0 ? 'completed' : 'failed');
    if (!TERMINAL.includes(status)) throw invalidArgument(`a run finishes as ${TERMINAL.join(', ')}, not ${status}`);
    const outputs = await this.resolve(ctx, input.outputs ?? []);
    await this.link(ctx, { run, data: outputs, type: 'wrote' });
    const finished: RunRecord = { ...run, status, endedAt: this.deps.clock.now().toISOString(), outputs: unique([...run.outputs, ...outputs.map((o) => o.key)]) };
    if (input.exitCode !== undefined) finished.exitCode = input.exitCode;
    await this.deps.metadata.runs.update(finished);
    await this.emit(finished);
    return this.view(finished);
  }

  /** The run as OpenLineage RunEvents: START, then the terminal event once finished. */
  async openLineage(ctx: CallContext, id: string): Promise<OpenLineageRunEvent[]> {
    return runToOpenLineage(await this.get(ctx, id), this.ol.settings);
  }

  /** Sends the run's latest event to the configured OpenLineage consumer (which never throws). */
  private async emit(run: RunRecord): Promise<void> {
    if (!this.ol.emitter) return;
    const events = runToOpenLineage(await this.view(run), this.ol.settings);
    const last = events[events.length - 1];
    if (last) await this.ol.emitter.emit([last]);
  }

  /** Adds declared input or output keys to the run's record (re-read, so concurrent declarations add up). */
  private async declare(run: RunRecord, keys: { inputs?: string[]; outputs?: string[] }): Promise<RunRecord> {
    const current = await this.require(run.id);
    const updated = { ...current, inputs: unique([...current.inputs, ...(keys.inputs ?? [])]), outputs: unique([...current.outputs, ...(keys.outputs ?? [])]) };
    await this.deps.metadata.runs.update(updated);
    return updated;
  }

  private async resolve(ctx: CallContext, addresses: string[]): Promise<DataVersion[]> {
    const out: DataVersion[] = [];
    for (const address of addresses) {
      if (address.startsWith('model:') && this.modelResolver) out.push(await this.modelResolver(ctx, address));
      else out.push(await resolveDataAddress({ deps: this.deps, objects: this.objects, ctx }, address));
    }
    return out;
  }

  private async link(ctx: CallContext, { run, data, type }: { run: RunRecord; data: DataVersion[]; type: 'read' | 'wrote' }): Promise<void> {
    if (data.length === 0) return;
    const [runId, ...ids] = await this.recorder.nodes([runNode(run), ...data]);
    await this.recorder.edges(ids.map((id) => (type === 'read' ? { src: id, dst: runId as number, type } : { src: runId as number, dst: id, type })));
    for (const version of data) {
      if (version.type !== 'dataset') continue;
      if (type === 'read') await this.recorder.recordMembers(ctx, version);
      else await this.recorder.recordWritten({ dataset: version, since: run.startedAt, runNode: runId as number });
    }
  }

  private async require(id: string): Promise<RunRecord> {
    const run = await this.deps.metadata.runs.get(id.toLowerCase());
    if (!run) throw notFound(`run '${id}' not found`);
    return run;
  }

  private async requireRunning(id: string): Promise<RunRecord> {
    const run = await this.require(id);
    if (run.status !== 'running') throw conflict(`run ${id} is already ${run.status}`);
    return run;
  }

  private async view(run: RunRecord): Promise<RunView> {
    const [nodes, points] = await Promise.all([this.deps.metadata.lineage.getNodes([...run.inputs, ...run.outputs]), this.deps.metadata.runs.metrics(run.id)]);
    const byKey = new Map(nodes.map((n) => [n.key, n]));
    const io = (keys: string[]): RunIo[] => keys.flatMap((k) => {
      const node = byKey.get(k);
      return node ? [ioOf(node)] : [];
    });
    const metrics: RunView['metrics'] = {};
    for (const p of points) {
      const current = metrics[p.key];
      metrics[p.key] = { value: p.value, step: p.step, points: (current?.points ?? 0) + 1 };
    }
    return { ...run, inputs: io(run.inputs), outputs: io(run.outputs), metrics };
  }
}

function ioOf(node: LineageNode): RunIo {
  return { key: node.key, type: node.type, label: node.label, data: node.data };
}

function unique(keys: string[]): string[] {
  return [...new Set(keys)];
}

export function runNode(run: Pick<RunRecord, 'id' | 'job' | 'namespace' | 'kind'>): LineageNodeInput {
  return { key: runKey(run.id), type: 'run', label: run.job, data: { job: run.job, namespace: run.namespace, kind: run.kind } };
}

function checkParams(params: Record<string, string>): void {
  for (const [key, value] of Object.entries(params)) {
    if (!PARAM_KEY.test(key)) throw invalidArgument(`invalid parameter name '${key}'`);
    if (typeof value !== 'string' || value.length > 6000) throw invalidArgument(`parameter '${key}' must be text of at most 6,000 characters`);
  }
}
