import { invalidArgument, StrataError } from '../errors.ts';
import type { TaskQueue } from '../ports/task-queue.ts';
import type { ObjectService } from '../versioning/object-service.ts';
import type { CallContext } from '../versioning/types.ts';
import type { PrepCache } from './prep-cache.ts';
import { readAndMap, sourcePages, type SourceSet } from './prep-sources.ts';
import { instantiate, type Recipe, type StepEnvironment } from './recipe.ts';
import type { AnyStepInstance } from './record.ts';

/** The queue `strata worker` takes recipe tasks from. */
export const PREP_QUEUE = 'strata.prep.map';
/** Sources per task: large enough that queueing costs little, small enough that a lost task costs little. */
const SOURCES_PER_TASK = 64;
const POLL_MS = 500;

/** One task: the per-record half of a recipe over some sources of one commit. Plain JSON. */
export interface MapTask {
  recipe: Pick<Recipe, 'name' | 'extract' | 'steps' | 'mapHash'>;
  /** Who started the run, and the roles its token was limited to: a worker acts with no more. */
  actor: string;
  scope?: string[];
  repository: string;
  commit: string;
  paths: string[];
}

export interface TaskSettings {
  queue: TaskQueue;
  /** A task active longer than this is taken to be lost with its worker and runs again. */
  expireInSeconds: number;
  retryLimit: number;
}

/**
 * The distributed half of a run: queues a task for every batch of sources the cache does not
 * hold and waits until workers have put all of them in the cache. Workers write only the cache,
 * whose keys name content, so a task that runs twice (a worker killed after its work, an
 * expired task still running) writes the same bytes under the same keys: nothing is duplicated,
 * and the coordinator writes the output alone, from the cache.
 */
export async function distribute(
  scope: { objects: ObjectService; ctx: CallContext; cache: PrepCache; tasks: TaskSettings },
  input: { recipe: Recipe; set: SourceSet; reuse: boolean; onProgress?: (progress: { tasks: number; done: number }) => void },
): Promise<{ tasks: number; sources: number }> {
  const { cache, tasks } = scope;
  let sources = 0;
  const ids: string[] = [];
  let batch: string[] = [];
  const send = async (): Promise<void> => {
    if (batch.length === 0) return;
    const task: MapTask = { recipe: { name: input.recipe.name, extract: input.recipe.extract, steps: input.recipe.steps, mapHash: input.recipe.mapHash }, actor: scope.ctx.actor.id, ...(scope.ctx.actor.scope === undefined ? {} : { scope: scope.ctx.actor.scope }), repository: input.set.repository, commit: input.set.commit, paths: batch };
    ids.push(...(await tasks.queue.send(PREP_QUEUE, [task], { retryLimit: tasks.retryLimit, expireInSeconds: tasks.expireInSeconds })));
    batch = [];
  };
  for await (const page of sourcePages(scope, { recipe: input.recipe, set: input.set, skipped: {} })) {
    const hits = input.reuse ? await cache.lookup(page.map((s) => s.cacheKey)) : new Map<string, unknown>();
    for (const source of page) {
      if (hits.has(source.cacheKey)) continue;
      sources++;
      batch.push(source.object.path);
      if (batch.length === SOURCES_PER_TASK) await send();
    }
  }
  await send();
  await waitFor(tasks, ids, input.onProgress);
  return { tasks: ids.length, sources };
}

async function waitFor(tasks: TaskSettings, ids: string[], onProgress?: (progress: { tasks: number; done: number }) => void): Promise<void> {
  let pending = ids;
  let lastExpire = Date.now();
  while (pending.length > 0) {
    const states = await tasks.queue.states(PREP_QUEUE, pending);
    const failed = [...states.values()].find((s) => s.state === 'failed' || s.state === 'cancelled');
    if (failed) throw new StrataError('Unavailable', `a recipe task ${failed.state} after ${tasks.retryLimit + 1} attempt(s): ${failed.error ?? 'no reason given'}`);
    pending = pending.filter((id) => states.get(id)?.state !== 'completed');
    onProgress?.({ tasks: ids.length, done: ids.length - pending.length });
    if (pending.length === 0) break;
    // Tasks of workers that died are failed (and retried) at their expiry, by whoever looks first.
    if (Date.now() - lastExpire >= tasks.expireInSeconds * 500) {
      await tasks.queue.expire();
      lastExpire = Date.now();
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

/**
 * A worker's side: runs tasks until the queue stops. Step instances are kept per recipe (the
 * tokenizer and language model take a while to load); record steps hold no state across records
 * and dataset steps only compute features here, so sharing them between tasks is safe.
 */
export function serveTasks(
  scope: { objects: ObjectService; cache: PrepCache; queue: TaskQueue; env: StepEnvironment },
  options: { concurrency: number; onTask?: (task: { paths: number; ms: number }) => void },
): Promise<void> {
  const instances = new Map<string, Promise<AnyStepInstance[]>>();
  return scope.queue.work(PREP_QUEUE, { concurrency: options.concurrency }, async (data) => {
    const task = data as MapTask;
    if (!Array.isArray(task.paths) || typeof (task.recipe as { mapHash?: unknown } | undefined)?.mapHash !== 'string') throw invalidArgument('not a recipe task');
    const started = Date.now();
    let steps = instances.get(task.recipe.mapHash);
    if (!steps) {
      steps = instantiate(task.recipe, scope.env);
      instances.set(task.recipe.mapHash, steps);
    }
    const ready = await steps;
    const ctx: CallContext = { actor: { id: task.actor, ...(task.scope === undefined ? {} : { scope: task.scope }) } };
    const set: SourceSet = { repository: task.repository, commit: task.commit, prefix: '', single: true };
    const entries = [];
    for (const path of task.paths) {
      for await (const [source] of sourcePages({ objects: scope.objects, ctx }, { recipe: task.recipe, set: { ...set, prefix: path }, skipped: {} })) {
        if (source) entries.push({ key: source.cacheKey, source: source.object.sha256, mapped: await readAndMap({ objects: scope.objects, ctx }, { repository: task.repository, source, steps: ready, ...(scope.env.documents ? { documents: scope.env.documents } : {}) }) });
      }
    }
    await scope.cache.write(entries);
    options.onTask?.({ paths: task.paths.length, ms: Date.now() - started });
  });
}
