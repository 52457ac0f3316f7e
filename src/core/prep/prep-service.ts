import { runKey } from '../lineage/node-keys.ts';
import { invalidArgument, notFound } from '../errors.ts';
import { objectVersion, resolveDataAddress } from '../lineage/data-address.ts';
import type { LineageRecorder } from '../lineage/lineage-recorder.ts';
import type { LineageEdge } from '../ports/lineage-store.ts';
import type { RunService } from '../runs/run-service.ts';
import type { CommitService } from '../versioning/commit-service.ts';
import { authorize, type VersioningDeps } from '../versioning/deps.ts';
import type { ObjectService } from '../versioning/object-service.ts';
import type { CallContext } from '../versioning/types.ts';
import { UNREADABLE } from './map-records.ts';
import type { PrepCache } from './prep-cache.ts';
import type { SourceMapper } from '../ports/source-mapper.ts';
import type { DocumentTextExtractor } from '../ports/document-text.ts';
import { sourcePages, type SourceSet } from './prep-sources.ts';
import { distribute, serveTasks, type TaskSettings } from './prep-tasks.ts';
import { instantiate, instantiateDatasetSteps, isTextLevel, parseRecipe, withHashes, type Recipe, type StepEnvironment } from './recipe.ts';
import type { AnyStepInstance, PrepRecord } from './record.ts';
import { RecordReducer, type StepCount } from './reduce-records.ts';
import { preparePage, type PreparedPage } from './prep-pages.ts';
import { seedAgainst } from './seed-against.ts';
import { catalogOutput, labelsRemovedBy, type OutputDataset } from './output-dataset.ts';
import type { DatasetService } from '../catalog/dataset-service.ts';
import { ShardWriter, type ShardInfo } from './shard-writer.ts';

export type { StepCount } from './reduce-records.ts';

export interface PrepRunInput {
  recipe: Recipe;
  /** Data to prepare: `repo@ref:prefix/` (or one file), resolved to its commit when the run starts. */
  input: string;
  /** Where shards go: `repo@branch[:prefix/]` (default prefix: `<recipe name>/`). */
  output: string;
  onProgress?: (progress: { sources: number; records: number }) => void;
  /** Map sources on `strata worker` processes through the task queue (PostgreSQL only). */
  workers?: boolean;
  /** Reuse what earlier runs prepared from unchanged sources (default true); false prepares everything again. */
  reuse?: boolean;
  onTaskProgress?: (progress: { tasks: number; done: number }) => void;
}

/** What the online path did to one input. */
export interface ApplyResult {
  /** The prepared text; absent when a step dropped the input. */
  text?: string;
  /** The step and reason that dropped it. */
  dropped?: { step: string; reason: string };
  /** Step counters for this input (e.g. `pii.email`: 2). */
  counters: Record<string, number>;
  /** Steps of the recipe that need the whole dataset (dedup) and do not run on single inputs. */
  skipped: string[];
  recipe: { name: string; hash: string; commit?: string };
}

/** Recipes kept in Strata: `recipes@<version>:<name>.yaml`, version a branch, tag or commit. */
export const RECIPE_REPOSITORY = 'recipes';
const RECIPE_CACHE = 256;

export interface PrepSummary {
  runId: string;
  recipeHash: string;
  inputKey: string;
  outputCommit: string;
  /** Source objects read, and those skipped by type. */
  sources: number;
  /** Sources unchanged since an earlier run under the same preparation, whose records were reused. */
  reused: number;
  /** Tasks this run queued for workers. */
  tasks: number;
  /** The dataset the output is, with its classification labels and tags. */
  dataset: OutputDataset;
  skipped: Record<string, number>;
  /** Sources whose bytes could not be read as their type (a broken PDF), with the parser's reason. */
  unreadable: Array<{ path: string; reason: string }>;
  /** Records extracted from the sources, and records written. */
  extracted: number;
  written: number;
  steps: StepCount[];
  shards: ShardInfo[];
  /** Records a validate step rejected, written to `<prefix>quarantine/` with their reason. */
  quarantined: number;
  quarantine: ShardInfo[];
}


/**
 * Runs recipes: reads a dataset version object by object, extracts records, passes each through
 * the steps in order (streaming: memory holds one source and one shard buffer), writes JSONL
 * shards and a manifest to a branch, commits, and records the run — recipe hash, step versions
 * and parameters, input commit, output commit, per-step counts and drop reasons — with
 * record-level lineage: every output record names its source object version (and span), and
 * each shard is linked `derived-from` the source objects whose records it holds.
 */
export class PrepService {
  /** Parsed recipes by repository and content hash: the same bytes are the same recipe. */
  private readonly recipes = new Map<string, Recipe & { commit: string }>();
  /** Custom step modules by `repo@commit:path`, checked and (TypeScript) compiled. */
  private readonly modules = new Map<string, { address: string; sha256: string; source: string }>();

  constructor(
    private readonly deps: VersioningDeps,
    private readonly parts: { objects: ObjectService; commits: CommitService; runs: RunService; recorder: LineageRecorder; datasets: DatasetService; cache: PrepCache; env?: StepEnvironment; tasks?: TaskSettings; mapper?: SourceMapper },
  ) {}

  /**
   * A recipe stored in Strata: `repo@ref:path.yaml`, or `<name>@<version>` for
   * `recipes@<version>:<name>.yaml`. Resolved to its commit; parsed once per content.
   */
  async loadRecipe(ctx: CallContext, address: string): Promise<Recipe & { commit: string; address: string }> {
    const named = /^([a-z0-9][a-z0-9._-]*)@([^:]+)$/.exec(address);
    const full = named ? `${RECIPE_REPOSITORY}@${named[2] ?? ''}:${named[1] ?? ''}.yaml` : address;
    const match = /^([^@:/]+)@([^:]+):(.+)$/.exec(full);
    if (!match) throw invalidArgument(`cannot read recipe '${address}': expected <name>@<version> or repo@ref:path.yaml`);
    const [, repository = '', ref = '', path = ''] = match;
    // The commit first, then the file at it: a branch moving in between cannot mix two versions.
    const commit = (await this.parts.commits.show(ctx, { repository, ref })).id;
    const info = await this.parts.objects.stat(ctx, { repository, ref: commit, path });
    const key = `${repository}\n${info.sha256}`;
    let recipe = this.recipes.get(key);
    if (!recipe) {
      const { body } = await this.parts.objects.get(ctx, { repository, ref: commit, path });
      const chunks: Uint8Array[] = [];
      for await (const chunk of body) chunks.push(chunk);
      recipe = { ...parseRecipe(Buffer.concat(chunks).toString('utf8')), commit };
      if (this.recipes.size >= RECIPE_CACHE) this.recipes.clear();
      this.recipes.set(key, recipe);
    }
    // Custom steps' module refs are resolved on every load: a branch they name may have moved.
    return { ...(await this.resolve(ctx, recipe)), commit, address: `${repository}@${commit}:${path}` };
  }

  /**
   * Loads the code of the recipe's custom steps from Strata (each module at the commit its ref
   * points to now), so the recipe — and its hash — holds exactly the code that will run, and
   * checks that each module loads and declares its types. Recipes without custom steps are
   * returned as they are.
   */
  async resolve(ctx: CallContext, recipe: Recipe): Promise<Recipe> {
    await this.mayRunCustom(ctx, recipe);
    if (!recipe.steps.some((s) => s.name === 'custom' && s.params.resolved === undefined)) return recipe;
    const steps = [];
    const newly: Array<{ address: string; sha256: string; source: string }> = [];
    for (const step of recipe.steps) {
      let fresh = false;
      if (step.name !== 'custom' || step.params.resolved !== undefined) {
        steps.push(step);
        continue;
      }
      const [, repository = '', ref = '', path = ''] = /^([^@:/]+)@([^:]+):(.+)$/.exec(String(step.params.module)) ?? [];
      const commit = (await this.parts.commits.show(ctx, { repository, ref })).id;
      const address = `${repository}@${commit}:${path}`;
      let resolved = this.modules.get(address);
      if (!resolved) {
        const { body, info } = await this.parts.objects.get(ctx, { repository, ref: commit, path });
        const chunks: Uint8Array[] = [];
        for await (const chunk of body) chunks.push(chunk);
        resolved = { address, sha256: info.sha256, source: await this.javascript(Buffer.concat(chunks).toString('utf8'), address) };
        fresh = true;
      }
      steps.push({ ...step, version: `sha256:${resolved.sha256.slice(0, 12)}`, params: { ...step.params, resolved } });
      if (fresh) newly.push(resolved);
    }
    const loaded = withHashes({ ...recipe, steps });
    // New modules are loaded once to check them; then remembered (by commit: immutable).
    if (newly.length > 0) {
      await instantiate(loaded, this.parts.env);
      if (this.modules.size >= RECIPE_CACHE) this.modules.clear();
      for (const module of newly) this.modules.set(module.address, module);
    }
    return loaded;
  }

  /** A module's code as JavaScript: TypeScript (`.ts`, `.mts`) goes through the compiler. */
  private async javascript(source: string, address: string): Promise<string> {
    if (!/\.m?ts$/.test(address)) return source;
    const compiler = this.parts.env?.compiler;
    if (!compiler) throw invalidArgument(`custom step ${address} is TypeScript, and this process has no compiler`);
    try {
      return await compiler.compile(source, address);
    } catch (error) {
      throw invalidArgument(`custom step ${address} ${(error as Error).message}`);
    }
  }

  /**
   * The online path: the recipe's text-level steps on one inference input, so production sees
   * text prepared exactly as training data was. Steps that need the whole dataset are skipped
   * and named.
   */
  async apply(ctx: CallContext, input: { recipe: Recipe & { commit?: string }; text: string }): Promise<ApplyResult> {
    await authorize(this.deps, ctx, { action: 'recipe:apply' });
    await this.mayRunCustom(ctx, input.recipe);
    const recipe = input.recipe;
    const result: ApplyResult = { counters: {}, skipped: [], recipe: { name: recipe.name, hash: recipe.hash, ...(recipe.commit === undefined ? {} : { commit: recipe.commit }) } };
    let record: PrepRecord = { id: 'input#0', text: input.text, meta: {}, source: { key: 'input', repository: '', path: '', sha256: '' } };
    const steps = await instantiate(recipe, this.parts.env);
    for (const [i, step] of recipe.steps.entries()) {
      const instance = steps[i];
      if (!isTextLevel(step) || instance?.kind !== 'record') {
        result.skipped.push(step.name);
        continue;
      }
      const outcome = instance.process(record);
      for (const [name, n] of Object.entries(outcome.count ?? {})) result.counters[name] = (result.counters[name] ?? 0) + n;
      if ('drop' in outcome) {
        result.dropped = { step: step.name, reason: outcome.drop };
        return result;
      }
      record = outcome.keep;
    }
    result.text = record.text;
    return result;
  }

  /**
   * The `validate` steps of a kept recipe as one function over records (`{ id, text, meta }`
   * objects, as recipe shards hold them): undefined when a record passes, else the first
   * failure's reason. A protected branch's `recipe` check uses it on what a merge brings.
   */
  async validator(ctx: CallContext, address: string): Promise<(row: unknown) => string | undefined> {
    const recipe = await this.loadRecipe(ctx, address);
    const steps = recipe.steps.filter((s) => s.name === 'validate');
    if (steps.length === 0) throw invalidArgument(`recipe ${address} has no validate step`);
    const instances = await instantiate({ steps }, this.parts.env);
    return (row) => {
      const fields = (typeof row === 'object' && row !== null ? row : {}) as Partial<PrepRecord>;
      const record = { id: fields.id, text: fields.text, meta: fields.meta, source: { key: '', repository: '', path: '', sha256: '' } } as PrepRecord;
      for (const step of instances) {
        if (step.kind !== 'record') continue;
        const result = step.process(record);
        if ('drop' in result) return String(result.quarantine?.meta.quarantine_reason ?? result.drop);
      }
      return undefined;
    };
  }

  /** Code of one's own runs only for principals allowed `recipe:custom` (sandboxed even then). */
  private async mayRunCustom(ctx: CallContext, recipe: Pick<Recipe, 'steps'>): Promise<void> {
    if (recipe.steps.some((s) => s.name === 'custom')) await authorize(this.deps, ctx, { action: 'recipe:custom' });
  }

  async run(ctx: CallContext, request: PrepRunInput): Promise<PrepSummary> {
    await authorize(this.deps, ctx, { action: 'recipe:run' });
    const input = { ...request, recipe: await this.resolve(ctx, request.recipe) };
    const { objects, commits, runs } = this.parts;
    const source = await resolveDataAddress({ deps: this.deps, objects, ctx }, input.input);
    if (source.type !== 'dataset' && source.type !== 'object') throw invalidArgument(`a recipe reads Strata data (repo@ref:prefix), not ${input.input}`);
    if (input.workers === true && this.parts.tasks === undefined) throw invalidArgument('runs on workers need PostgreSQL (STRATA_DATABASE_URL=postgres://…) and `strata worker` processes sharing it');
    const target = parseOutput(input.output, input.recipe.name);
    const { repository, commit } = source.data as { repository: string; commit: string };
    const set: SourceSet = { repository, commit, prefix: source.type === 'dataset' ? String(source.data.prefix) : String(source.data.path), single: source.type === 'object' };
    if (!set.single && (await objects.list(ctx, { repository, ref: commit, prefix: set.prefix, limit: 1, hidden: 'refuse' })).objects.length === 0) {
      throw notFound(`nothing to prepare at ${repository}@${commit.slice(0, 12)}:${set.prefix}`);
    }
    const run = await runs.start(ctx, { job: input.recipe.name, kind: 'prep', inputs: [`${repository}@${commit}:${set.prefix}`], params: runParams(input.recipe, input.output) });
    try {
      const distributed = input.workers === true && this.parts.tasks ? await distribute({ objects, ctx, cache: this.parts.cache, tasks: this.parts.tasks }, { recipe: input.recipe, set, reuse: input.reuse !== false, onProgress: input.onTaskProgress }) : { tasks: 0, sources: 0 };
      // The output prefix belongs to the recipe: what an earlier run left there goes.
      await objects.deletePrefix(ctx, { repository: target.repository, branch: target.branch, prefix: target.prefix });
      // After workers, everything is in the cache, mapped afresh when reuse was refused.
      const summary = await this.process(ctx, { recipe: input.recipe, set, target, reuse: input.reuse !== false || distributed.tasks > 0, onProgress: input.onProgress });
      const committed = await commits.commit(ctx, { repository: target.repository, branch: target.branch, message: `recipe ${input.recipe.name}: ${summary.written} record(s) from ${repository}@${commit.slice(0, 12)}:${set.prefix}`, metadata: { recipe: input.recipe.name, 'recipe-hash': input.recipe.hash, run: run.id }, unchangedIsHead: true });
      const removesLabels = labelsRemovedBy(input.recipe);
      await this.linkShards({ shards: summary.shards, sources: summary.sourcesByShard, repository: target.repository, commit: committed.id, run: run.id, removesLabels });
      await this.recordExclusions(run.id, summary.exclusions, removesLabels);
      const dataset = await catalogOutput(this.parts.datasets, ctx, { recipe: input.recipe, input: { repository, prefix: set.prefix }, output: target, labels: summary.labels });
      await runs.logMetrics(ctx, run.id, metricsOf(summary));
      await runs.finish(ctx, run.id, { status: 'completed', outputs: [`${target.repository}@${committed.id}:${target.prefix}`] });
      const { sourcesByShard: _sources, labels: _labels, exclusions: _exclusions, ...rest } = summary;
      // What workers mapped for this run came back through the cache too, but is not reuse.
      return { ...rest, dataset, reused: rest.reused - distributed.sources, tasks: distributed.tasks, runId: run.id, recipeHash: input.recipe.hash, inputKey: source.key, outputCommit: committed.id };
    } catch (error) {
      // Leave the branch as it was: drop what this run staged, then record the failure.
      await commits.reset(ctx, { repository: target.repository, branch: target.branch, prefix: target.prefix }).catch(() => undefined);
      await runs.finish(ctx, run.id, { status: 'failed' }).catch(() => undefined);
      throw error;
    }
  }

  /**
   * A worker process's loop: takes recipe tasks from the queue until it stops (see
   * `prep-tasks.ts`). Needs PostgreSQL, where the queue lives.
   */
  serveTasks(options: { concurrency: number; onTask?: (task: { paths: number; ms: number }) => void }): Promise<void> {
    const tasks = this.parts.tasks;
    if (!tasks) return Promise.reject(invalidArgument('workers need PostgreSQL (STRATA_DATABASE_URL=postgres://…): the task queue lives there'));
    return serveTasks({ objects: this.parts.objects, cache: this.parts.cache, queue: tasks.queue, env: this.parts.env ?? {} }, options);
  }

  /**
   * Both halves of the run, a listing page at a time: sources the cache holds (from an earlier
   * run, or from workers) are read back, the others mapped here and cached; then every record,
   * in path order, through the reducer into the shards. Memory holds one page's fresh results
   * and one shard.
   */
  private async process(
    ctx: CallContext,
    job: { recipe: Recipe; set: SourceSet; target: Output; reuse: boolean; onProgress?: PrepRunInput['onProgress'] },
  ): Promise<Omit<PrepSummary, 'runId' | 'recipeHash' | 'inputKey' | 'outputCommit' | 'tasks' | 'dataset'> & { sourcesByShard: Array<Set<string>>; labels: string[]; exclusions: RunExclusions }> {
    const { objects, cache } = this.parts;
    const decisions = await instantiateDatasetSteps(job.recipe, this.parts.env);
    await seedAgainst({ deps: this.deps, objects, ctx, ...this.documents() }, { recipe: job.recipe, steps: decisions });
    const reducer = new RecordReducer(job.recipe.steps.map((s) => s.name), decisions);
    // Built only if some source is mapped here (an incremental rerun may map none).
    let built: Promise<AnyStepInstance[]> | undefined;
    const steps = (): Promise<AnyStepInstance[]> => (built ??= instantiate(job.recipe, this.parts.env));
    const encoder = this.parts.env?.shards;
    const shardTarget = { objects, ctx, repository: job.target.repository, branch: job.target.branch, targetBytes: job.recipe.shard.target_bytes, ...(encoder ? { encoder } : {}) };
    const writer = new ShardWriter({ ...shardTarget, prefix: job.target.prefix, format: job.recipe.shard.format });
    // Quarantine stays JSON Lines: it is for people to read.
    const quarantine = new ShardWriter({ ...shardTarget, prefix: `${job.target.prefix}quarantine/` });
    const totals = { sources: 0, reused: 0, extracted: 0, quarantined: 0 };
    const skipped: Record<string, number> = {};
    const unreadable: PrepSummary['unreadable'] = [];
    /** Sources none of whose records went into the output, and why (provenance lists them as excluded). */
    const excluded: SourceExclusion[] = [];
    const unreadableKeys: Array<{ key: string; reason: string }> = [];
    /** Labels of the records written: they become the output dataset's tags. */
    const labels = new Set<string>();
    const reduce = async (ready: PreparedPage): Promise<void> => {
      for (const source of ready.page) {
        const location = ready.hits.get(source.cacheKey);
        const mapped = ready.fresh.get(source.cacheKey) ?? (location ? await cache.read(location) : []);
        totals.sources++;
        if (location) totals.reused++;
        const failed = mapped.length === 1 && mapped[0]?.drop?.step === UNREADABLE ? mapped[0].drop : undefined;
        const key = source.key;
        if (failed) {
          unreadable.push({ path: source.object.path, reason: failed.reason });
          unreadableKeys.push({ key, reason: failed.reason });
          continue;
        }
        totals.extracted += mapped.length;
        let kept = 0;
        const reasons: Record<string, number> = {};
        for (const record of mapped) {
          const outcome = reducer.reduce(record);
          if (outcome.kept) {
            kept++;
            if (typeof outcome.kept.meta.labels === 'string' && outcome.kept.meta.labels !== '') for (const label of outcome.kept.meta.labels.split(',')) labels.add(label);
            await writer.add(outcome.kept);
          } else if (outcome.dropped) {
            const why = `${outcome.dropped.step}: ${outcome.dropped.reason}`;
            reasons[why] = (reasons[why] ?? 0) + 1;
          }
          if (outcome.quarantined) {
            totals.quarantined++;
            await quarantine.add(outcome.quarantined);
          }
        }
        if (kept === 0) excluded.push({ key, path: source.object.path, records: mapped.length, reasons: mapped.length === 0 ? { 'extract: no records': 1 } : reasons });
      }
      job.onProgress?.({ sources: totals.sources, records: totals.extracted });
    };
    // One page of look-ahead: the next page is read and mapped (on the pool) while this one is
    // reduced and written.
    let ahead: Promise<PreparedPage> | undefined;
    for await (const page of sourcePages({ objects, ctx }, { recipe: job.recipe, set: job.set, skipped })) {
      const next = preparePage({ objects, ctx, cache, ...(this.parts.mapper ? { mapper: this.parts.mapper } : {}), ...this.documents() }, { recipe: job.recipe, repository: job.set.repository, page, steps, reuse: job.reuse });
      next.catch(() => undefined);
      if (ahead) await reduce(await ahead);
      ahead = next;
    }
    if (ahead) await reduce(await ahead);
    const { repository, commit, prefix } = job.set;
    const manifest = { recipe: job.recipe.name, recipeHash: job.recipe.hash, input: `${repository}@${commit}:${prefix}` };
    const shards = await writer.finish(manifest);
    const quarantineShards = totals.quarantined > 0 ? await quarantine.finish(manifest) : [];
    return {
      sources: totals.sources,
      reused: totals.reused,
      skipped,
      unreadable,
      labels: [...labels].sort(),
      extracted: totals.extracted,
      written: shards.reduce((sum, s) => sum + s.records, 0),
      steps: reducer.finish(),
      shards,
      quarantined: totals.quarantined,
      quarantine: quarantineShards,
      sourcesByShard: writer.sources,
      exclusions: { excluded, unreadable: unreadableKeys },
    };
  }

  private documents(): { documents?: DocumentTextExtractor } {
    const documents = this.parts.env?.documents;
    return documents ? { documents } : {};
  }

  /**
   * The run's node says its output is linked record by record (`recordLineage`), and lists the
   * sources none of whose records went in, with the steps and reasons, and those that could not
   * be read, and the classification labels it provably removes (`removesLabels`, for label
   * propagation): provenance separates them from the sources (at most EXCLUSIONS_LISTED of each;
   * `excludedTotal` counts them all).
   */
  private async recordExclusions(runId: string, exclusions: RunExclusions, removesLabels: string[]): Promise<void> {
    await this.deps.metadata.lineage.mergeNodeData(runKey(runId), {
      recordLineage: true,
      removesLabels,
      excluded: exclusions.excluded.slice(0, EXCLUSIONS_LISTED),
      excludedTotal: exclusions.excluded.length,
      unreadable: exclusions.unreadable.slice(0, EXCLUSIONS_LISTED),
      unreadableTotal: exclusions.unreadable.length,
    });
  }

  /**
   * Each shard `derived-from` every source object whose records it holds; the shard's node names
   * the run that made it and the labels that run removed (the derived-from edges pass through it).
   */
  private async linkShards(input: { shards: ShardInfo[]; sources: Array<Set<string>>; repository: string; commit: string; run: string; removesLabels: string[] }): Promise<void> {
    const { recorder } = this.parts;
    for (const [i, shard] of input.shards.entries()) {
      const keys = [...(input.sources[i] ?? [])];
      const node = objectVersion({ repository: input.repository, path: shard.path, entry: shard, commit: input.commit });
      const [shardId] = await recorder.nodes([node]);
      await this.deps.metadata.lineage.mergeNodeData(node.key, { madeBy: runKey(input.run), removesLabels: input.removesLabels });
      const existing = await this.deps.metadata.lineage.getNodes(keys);
      const edges: LineageEdge[] = existing.map((n) => ({ src: n.id, dst: shardId as number, type: 'derived-from' }));
      await recorder.edges(edges);
    }
  }
}

/** Exclusions kept on a run's node, each list at most this long (the node is one database row). */
const EXCLUSIONS_LISTED = 10_000;

/** A source none of whose records went into a run's output. */
export interface SourceExclusion {
  key: string;
  path: string;
  /** Records extracted from it. */
  records: number;
  /** `step: reason` → records dropped so. */
  reasons: Record<string, number>;
}

interface RunExclusions {
  excluded: SourceExclusion[];
  unreadable: Array<{ key: string; reason: string }>;
}

interface Output {
  repository: string;
  branch: string;
  prefix: string;
}

function parseOutput(text: string, recipe: string): Output {
  const match = /^([^@:/]+)@([^:]+)(?::(.*))?$/.exec(text);
  if (!match) throw invalidArgument(`output '${text}' must be repo@branch[:prefix/]`);
  const [, repository = '', branch = '', given] = match;
  const prefix = given === undefined || given === '' ? `${recipe}/` : given.endsWith('/') ? given : `${given}/`;
  return { repository, branch, prefix };
}

function runParams(recipe: Recipe, output: string): Record<string, string> {
  const params: Record<string, string> = { recipe: recipe.name, 'recipe.hash': recipe.hash, output, 'extract.types': recipe.extract.types.join(','), 'shard.format': recipe.shard.format, 'shard.target_bytes': String(recipe.shard.target_bytes) };
  recipe.steps.forEach((step, i) => {
    params[`step.${i}.${step.name}`] = `v${step.version} ${JSON.stringify(step.params)}`;
  });
  return params;
}

function metricsOf(summary: { sources: number; extracted: number; written: number; quarantined: number; skipped: Record<string, number>; steps: StepCount[] }): Array<{ key: string; value: number }> {
  const metrics = [
    { key: 'sources', value: summary.sources },
    { key: 'records.extracted', value: summary.extracted },
    { key: 'records.written', value: summary.written },
    { key: 'records.quarantined', value: summary.quarantined },
    { key: 'sources.skipped', value: Object.values(summary.skipped).reduce((a, b) => a + b, 0) },
  ];
  summary.steps.forEach((step, i) => {
    const at = `step.${i}.${step.name}`;
    metrics.push({ key: `${at}.in`, value: step.in }, { key: `${at}.out`, value: step.out });
    for (const [reason, n] of Object.entries(step.dropped)) metrics.push({ key: `${at}.dropped.${reason}`, value: n });
    for (const [name, n] of Object.entries(step.counters)) metrics.push({ key: `${at}.${name}`, value: n });
  });
  return metrics;
}
