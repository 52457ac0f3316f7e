import { invalidArgument, notFound } from '../errors.ts';
import { objectVersion, resolveDataAddress } from '../lineage/data-address.ts';
import type { LineageRecorder } from '../lineage/lineage-recorder.ts';
import type { LineageEdge } from '../ports/lineage-store.ts';
import type { RunService } from '../runs/run-service.ts';
import type { CommitService } from '../versioning/commit-service.ts';
import { authorize, type VersioningDeps } from '../versioning/deps.ts';
import type { ObjectService } from '../versioning/object-service.ts';
import type { CallContext } from '../versioning/types.ts';
import { accepts, extractRecords } from './extract-text.ts';
import { instantiate, isTextLevel, parseRecipe, type Recipe, type StepEnvironment } from './recipe.ts';
import type { PrepRecord, StepInstance } from './record.ts';
import { ShardWriter, type ShardInfo } from './shard-writer.ts';

export interface PrepRunInput {
  recipe: Recipe;
  /** Data to prepare: `repo@ref:prefix/` (or one file), resolved to its commit when the run starts. */
  input: string;
  /** Where shards go: `repo@branch[:prefix/]` (default prefix: `<recipe name>/`). */
  output: string;
  onProgress?: (progress: { sources: number; records: number }) => void;
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

export interface StepCount {
  name: string;
  in: number;
  out: number;
  dropped: Record<string, number>;
  counters: Record<string, number>;
}

export interface PrepSummary {
  runId: string;
  recipeHash: string;
  inputKey: string;
  outputCommit: string;
  /** Source objects read, and those skipped by type. */
  sources: number;
  skipped: Record<string, number>;
  /** Records extracted from the sources, and records written. */
  extracted: number;
  written: number;
  steps: StepCount[];
  shards: ShardInfo[];
  /** Records a validate step rejected, written to `<prefix>quarantine/` with their reason. */
  quarantined: number;
  quarantine: ShardInfo[];
}

const LIST_PAGE = 1000;

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

  constructor(
    private readonly deps: VersioningDeps,
    private readonly parts: { objects: ObjectService; commits: CommitService; runs: RunService; recorder: LineageRecorder; env?: StepEnvironment },
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
    return { ...recipe, commit, address: `${repository}@${commit}:${path}` };
  }

  /**
   * The online path: the recipe's text-level steps on one inference input, so production sees
   * text prepared exactly as training data was. Steps that need the whole dataset are skipped
   * and named.
   */
  async apply(ctx: CallContext, input: { recipe: Recipe & { commit?: string }; text: string }): Promise<ApplyResult> {
    await authorize(this.deps, ctx, { action: 'recipe:apply' });
    const recipe = input.recipe;
    const result: ApplyResult = { counters: {}, skipped: [], recipe: { name: recipe.name, hash: recipe.hash, ...(recipe.commit === undefined ? {} : { commit: recipe.commit }) } };
    let record: PrepRecord = { id: 'input#0', text: input.text, meta: {}, source: { key: 'input', repository: '', path: '', sha256: '' } };
    const steps = await instantiate(recipe, this.parts.env);
    for (const [i, step] of recipe.steps.entries()) {
      if (!isTextLevel(step)) {
        result.skipped.push(step.name);
        continue;
      }
      const instance = steps[i] as (typeof steps)[number];
      const outcome = instance.process(record);
      Object.assign(result.counters, instance.counters?.() ?? {});
      if ('drop' in outcome) {
        result.dropped = { step: step.name, reason: outcome.drop };
        return result;
      }
      record = outcome.keep;
    }
    result.text = record.text;
    return result;
  }

  async run(ctx: CallContext, input: PrepRunInput): Promise<PrepSummary> {
    await authorize(this.deps, ctx, { action: 'recipe:run' });
    const { objects, commits, runs } = this.parts;
    const source = await resolveDataAddress({ deps: this.deps, objects, ctx }, input.input);
    if (source.type !== 'dataset' && source.type !== 'object') throw invalidArgument(`a recipe reads Strata data (repo@ref:prefix), not ${input.input}`);
    const target = parseOutput(input.output, input.recipe.name);
    const { repository, commit } = source.data as { repository: string; commit: string };
    const prefix = source.type === 'dataset' ? String(source.data.prefix) : String(source.data.path);
    if (source.type === 'dataset' && (await objects.list(ctx, { repository, ref: commit, prefix, limit: 1 })).objects.length === 0) {
      throw notFound(`nothing to prepare at ${repository}@${commit.slice(0, 12)}:${prefix}`);
    }
    const run = await runs.start(ctx, { job: input.recipe.name, kind: 'prep', inputs: [`${repository}@${commit}:${prefix}`], params: runParams(input.recipe, input.output) });
    try {
      // The output prefix belongs to the recipe: what an earlier run left there goes.
      await objects.deletePrefix(ctx, { repository: target.repository, branch: target.branch, prefix: target.prefix });
      const summary = await this.process(ctx, { recipe: input.recipe, repository, commit, prefix, single: source.type === 'object', target, onProgress: input.onProgress });
      const committed = await commits.commit(ctx, { repository: target.repository, branch: target.branch, message: `recipe ${input.recipe.name}: ${summary.written} record(s) from ${repository}@${commit.slice(0, 12)}:${prefix}`, metadata: { recipe: input.recipe.name, 'recipe-hash': input.recipe.hash, run: run.id } });
      await this.linkShards({ shards: summary.shards, sources: summary.sourcesByShard, repository: target.repository, commit: committed.id });
      await runs.logMetrics(ctx, run.id, metricsOf(summary));
      await runs.finish(ctx, run.id, { status: 'completed', outputs: [`${target.repository}@${committed.id}:${target.prefix}`] });
      const { sourcesByShard: _sources, ...rest } = summary;
      return { ...rest, runId: run.id, recipeHash: input.recipe.hash, inputKey: source.key, outputCommit: committed.id };
    } catch (error) {
      // Leave the branch as it was: drop what this run staged, then record the failure.
      await commits.reset(ctx, { repository: target.repository, branch: target.branch, prefix: target.prefix }).catch(() => undefined);
      await runs.finish(ctx, run.id, { status: 'failed' }).catch(() => undefined);
      throw error;
    }
  }

  private async process(
    ctx: CallContext,
    job: { recipe: Recipe; repository: string; commit: string; prefix: string; single: boolean; target: Output; onProgress?: PrepRunInput['onProgress'] },
  ): Promise<Omit<PrepSummary, 'runId' | 'recipeHash' | 'inputKey' | 'outputCommit'> & { sourcesByShard: Array<Set<string>> }> {
    const { objects } = this.parts;
    const steps = await instantiate(job.recipe, this.parts.env);
    const counts: StepCount[] = job.recipe.steps.map((s) => ({ name: s.name, in: 0, out: 0, dropped: {}, counters: {} }));
    const shardTarget = { objects, ctx, repository: job.target.repository, branch: job.target.branch, targetBytes: job.recipe.shard.target_bytes };
    const writer = new ShardWriter({ ...shardTarget, prefix: job.target.prefix });
    const quarantine = new ShardWriter({ ...shardTarget, prefix: `${job.target.prefix}quarantine/` });
    let quarantined = 0;
    const skipped: Record<string, number> = {};
    let sources = 0;
    let extracted = 0;
    for (let after: string | undefined; ; ) {
      const page = job.single
        ? { objects: [await objects.stat(ctx, { repository: job.repository, ref: job.commit, path: job.prefix })], truncated: false, nextAfter: undefined }
        : await objects.list(ctx, { repository: job.repository, ref: job.commit, prefix: job.prefix, after, limit: LIST_PAGE });
      for (const object of page.objects) {
        if (!accepts(job.recipe, object.contentType)) {
          skipped[object.contentType] = (skipped[object.contentType] ?? 0) + 1;
          continue;
        }
        sources++;
        // The listing's entry is the object: read it without resolving the ref again.
        const body = await objects.read(ctx, object);
        const chunks: Uint8Array[] = [];
        for await (const chunk of body) chunks.push(chunk);
        const version = objectVersion({ repository: job.repository, path: object.path, entry: object, commit: job.commit });
        const title = object.extracted?.title;
        const records = extractRecords({ key: version.key, repository: job.repository, path: object.path, sha256: object.sha256, contentType: object.contentType, text: Buffer.concat(chunks).toString('utf8'), ...(typeof title === 'string' ? { title } : {}) });
        extracted += records.length;
        for (const record of records) {
          const outcome = applySteps(record, steps, counts);
          if (outcome.kept) await writer.add(outcome.kept);
          if (outcome.quarantined) {
            quarantined++;
            await quarantine.add(outcome.quarantined);
          }
        }
        job.onProgress?.({ sources, records: extracted });
      }
      if (!page.truncated) break;
      after = page.nextAfter;
    }
    const manifest = { recipe: job.recipe.name, recipeHash: job.recipe.hash, input: `${job.repository}@${job.commit}:${job.prefix}` };
    const shards = await writer.finish(manifest);
    const quarantineShards = quarantined > 0 ? await quarantine.finish(manifest) : [];
    steps.forEach((step, i) => {
      (counts[i] as StepCount).counters = step.counters?.() ?? {};
    });
    return { sources, skipped, extracted, written: shards.reduce((sum, s) => sum + s.records, 0), steps: counts, shards, quarantined, quarantine: quarantineShards, sourcesByShard: writer.sources };
  }

  /** Each shard `derived-from` every source object whose records it holds. */
  private async linkShards(input: { shards: ShardInfo[]; sources: Array<Set<string>>; repository: string; commit: string }): Promise<void> {
    const { recorder } = this.parts;
    for (const [i, shard] of input.shards.entries()) {
      const keys = [...(input.sources[i] ?? [])];
      const [shardId] = await recorder.nodes([objectVersion({ repository: input.repository, path: shard.path, entry: shard, commit: input.commit })]);
      const existing = await this.deps.metadata.lineage.getNodes(keys);
      const edges: LineageEdge[] = existing.map((n) => ({ src: n.id, dst: shardId as number, type: 'derived-from' }));
      await recorder.edges(edges);
    }
  }
}

/** Through every step in order; the first drop ends the record's way (into quarantine, if the step says so). */
function applySteps(record: PrepRecord, steps: StepInstance[], counts: StepCount[]): { kept?: PrepRecord; quarantined?: PrepRecord } {
  let current = record;
  for (const [i, step] of steps.entries()) {
    const count = counts[i] as StepCount;
    count.in++;
    const result = step.process(current);
    if ('drop' in result) {
      count.dropped[result.drop] = (count.dropped[result.drop] ?? 0) + 1;
      return result.quarantine ? { quarantined: result.quarantine } : {};
    }
    count.out++;
    current = result.keep;
  }
  return { kept: current };
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
