import { randomUUID } from 'node:crypto';
import { invalidArgument, StrataError } from '../errors.ts';
import type { TaskQueue } from '../ports/task-queue.ts';
import type { BlobStore, ListedBlob } from '../ports/blob-store.ts';
import { mapConcurrent } from '../concurrency.ts';
import type { CommitNode, ExpiryCandidate, GcRunRecord } from '../ports/gc-store.ts';
import type { RepositoryRecord } from '../ports/metadata-store.ts';
import { authorize, type VersioningDeps } from '../versioning/deps.ts';
import type { CallContext } from '../versioning/types.ts';
import { ReachableSet } from './reachability.ts';
import { branchRetention, retainedOnBranch } from './retention.ts';
import { applyRefRules, type RefRuleActions, type RefRuleOutcome } from './ref-rules.ts';

/** One hour: far above the time a writer takes between storing a blob and staging it. */
export const DEFAULT_GC_GRACE_SECONDS = 3600;

export interface CollectInput {
  /** Count what would go; change nothing. */
  dryRun?: boolean;
  /**
   * Blobs written or freshened this recently are never collected, and commits this young never
   * expire: the time a writer may take between storing a blob and recording a reference to it.
   */
  graceMs: number;
  /** Called as the run moves on, for progress bars. */
  progress?: (phase: GcPhase, done: number) => void;
  /** The id to record the run under (a queued run's waiter knows it in advance). */
  runId?: string;
}

/** Deletes in flight at once, and how many unreachable blobs are gathered before deleting them. */
const COLLECT_CONCURRENCY = 32;
const COLLECT_BATCH = 2048;

/** The queue collections handed to workers go through. */
const GC_QUEUE = 'strata-gc';

interface GcTask {
  actor: string;
  scope?: string[];
  dryRun: boolean;
  graceMs: number;
  runId: string;
}

export type GcPhase = 'rules' | 'mark' | 'fence' | 'sweep';

export interface Tally {
  count: number;
  bytes: number;
}

export interface GcReport {
  id: string;
  dryRun: boolean;
  startedAt: string;
  finishedAt: string;
  graceMs: number;
  repositories: number;
  /** Commits whose trees stay readable, those expired by this run (or that would be), and those expired before. */
  commits: { kept: number; expired: number; expiredBefore: number };
  /** Blobs listed; those a kept version or a root holds; unreferenced but written or freshened inside the grace period; collected (or that would be). */
  blobs: { listed: number; reachable: number; young: Tally; collected: Tally };
  /** Recipe cache entries dropped (or that would be) because no kept version holds their source. */
  prepCache: { pruned: number };
  /** What lifecycle and stale-branch rules did (or would do). */
  rules: RefRuleOutcome[];
  /** Milliseconds each phase took. */
  phases: Record<GcPhase, number>;
}

/** Commits of one repository as the mark phase classified them. */
interface RepositoryMark {
  repository: string;
  commits: Map<string, CommitNode>;
  kept: Set<string>;
  candidates: ExpiryCandidate[];
}

/**
 * Garbage collection: expires commits the retention rules let go and deletes every blob no kept
 * version or other root reaches. Safe beside writers on any number of processes; the protocol
 * is in docs/architecture.md ("Garbage collection"):
 *
 * 1. mark: the trees of every commit that stays, and every blob a root outside trees holds;
 * 2. fence: in one transaction that ref creations and head moves wait for, expire the commits
 *    no ref names (from then on nothing can build on them);
 * 3. mark again what changed meanwhile: roots, new commits, commits a new ref spared;
 * 4. sweep: delete each unmarked blob older than the grace period, re-checked atomically.
 */
export class GcService {
  constructor(
    private readonly deps: VersioningDeps & { blobs: BlobStore },
    private readonly actions: RefRuleActions,
    private readonly tasks?: { queue: TaskQueue; expireInSeconds: number },
  ) {}

  /**
   * Hands the collection to a `strata worker` through the task queue (PostgreSQL) and waits for
   * its report. The worker acts as the caller: authorization is checked here and there.
   */
  async collectOnWorker(ctx: CallContext, input: Omit<CollectInput, 'progress'>): Promise<GcReport> {
    const tasks = this.tasks;
    if (!tasks) throw invalidArgument('a collection on a worker needs PostgreSQL (STRATA_DATABASE_URL=postgres://…): the task queue lives there');
    await authorize(this.deps, ctx, { action: 'storage:gc' });
    const task: GcTask = { actor: ctx.actor.id, ...(ctx.actor.scope ? { scope: ctx.actor.scope } : {}), dryRun: input.dryRun === true, graceMs: input.graceMs, runId: randomUUID() };
    // One attempt: a collection cut short is harmless, and the next one starts over.
    const [id] = await tasks.queue.send(GC_QUEUE, [task], { retryLimit: 0, expireInSeconds: tasks.expireInSeconds });
    for (;;) {
      const state = (await tasks.queue.states(GC_QUEUE, [id ?? ''])).get(id ?? '');
      if (state?.state === 'completed') break;
      if (state?.state === 'failed' || state?.state === 'cancelled') throw new StrataError('Unavailable', `the collection task ${state.state}: ${state.error ?? 'no reason given'}`);
      await tasks.queue.expire();
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    const run = await this.deps.metadata.gc.getRun(task.runId);
    if (!run) throw new StrataError('Internal', `the collection task finished without recording run ${task.runId}`);
    return JSON.parse(run.report) as GcReport;
  }

  /** In `strata worker`: runs queued collections, one at a time, as the principal who queued each. */
  serveTasks(): Promise<void> {
    const tasks = this.tasks;
    if (!tasks) return Promise.reject(invalidArgument('workers need PostgreSQL (STRATA_DATABASE_URL=postgres://…): the task queue lives there'));
    return tasks.queue.work(GC_QUEUE, { concurrency: 1 }, async (data) => {
      const task = data as GcTask;
      await this.collect({ actor: { id: task.actor, ...(task.scope ? { scope: task.scope } : {}) }, source: 'worker' }, { dryRun: task.dryRun, graceMs: task.graceMs, runId: task.runId });
    });
  }

  async collect(ctx: CallContext, input: CollectInput): Promise<GcReport> {
    if (!Number.isFinite(input.graceMs) || input.graceMs < 0) throw invalidArgument('the grace period must be a non-negative duration');
    await authorize(this.deps, ctx, { action: 'storage:gc' });
    const dryRun = input.dryRun === true;
    const progress = input.progress ?? ((): void => undefined);
    // Wall-clock time: blob modification times are the file system's (or S3's), not the Clock port's.
    const started = Date.now();
    const cutoff = started - input.graceMs;
    // Commit times are the Clock's, so their age is judged on it.
    const commitCutoff = this.deps.clock.now().getTime() - input.graceMs;
    const startedAt = new Date(started).toISOString();
    const phases: Record<GcPhase, number> = { rules: 0, mark: 0, fence: 0, sweep: 0 };
    let phaseStart = Date.now();
    const phaseDone = (phase: GcPhase): void => {
      phases[phase] = Date.now() - phaseStart;
      phaseStart = Date.now();
    };
    const repositories = await this.deps.metadata.listRepositories();
    progress('rules', 0);
    const rules = await applyRefRules(this.actions, ctx, { repositories, now: this.deps.clock.now(), dryRun });
    phaseDone('rules');
    const erased = new Set((await this.deps.metadata.erasure.listErased()).map((e) => e.sha256));
    const reachable = new ReachableSet(this.deps.blobs, erased);
    const marks: RepositoryMark[] = [];
    let expiredBefore = 0;
    for (const repository of await this.deps.metadata.listRepositories()) {
      const mark = await this.markRepository(repository, { reachable, youngerThan: commitCutoff, dryRunRules: dryRun ? rules : [] });
      expiredBefore += mark.expiredBefore;
      marks.push(mark);
      progress('mark', reachable.size);
    }
    for await (const held of this.deps.metadata.gc.heldBlobs()) await reachable.addHeld(held);
    const staleCache = await this.markPrepCache(reachable);
    phaseDone('mark');
    progress('fence', reachable.size);
    const candidates = marks.flatMap((m) => m.candidates);
    const spared = dryRun ? [] : (await this.deps.metadata.gc.expire(candidates, new Date().toISOString())).spared;
    const prunedCache = dryRun ? staleCache.length : await this.deps.metadata.gc.dropPrepCache(staleCache);
    // An erasure finished meanwhile: its contents' manifests are gone, and must not be read.
    for (const e of await this.deps.metadata.erasure.listErased()) erased.add(e.sha256);
    await this.markChanges({ reachable, marks, spared });
    phaseDone('fence');
    const blobs = await this.sweep({ reachable, cutoff, dryRun, progress });
    phaseDone('sweep');
    const report: GcReport = {
      id: input.runId ?? randomUUID(),
      dryRun,
      startedAt,
      finishedAt: new Date().toISOString(),
      graceMs: input.graceMs,
      repositories: repositories.length,
      commits: { kept: marks.reduce((n, m) => n + m.kept.size, 0) + spared.length, expired: candidates.length - spared.length, expiredBefore },
      prepCache: { pruned: prunedCache },
      blobs,
      rules,
      phases,
    };
    await this.deps.metadata.gc.recordRun(toRecord(report, ctx.actor.id));
    return report;
  }

  /** The last runs, newest first. */
  async history(ctx: CallContext, limit = 20): Promise<GcReport[]> {
    await authorize(this.deps, ctx, { action: 'storage:gc' });
    return (await this.deps.metadata.gc.listRuns(limit)).map((run) => JSON.parse(run.report) as GcReport);
  }

  /**
   * Marks a repository's kept commits: every branch's retained history and every tag. A commit
   * no rule keeps is a candidate for expiry unless it is younger than the grace period (it may
   * be a commit whose branch move is still in flight). In a dry run, the branches the rules
   * would delete count as gone.
   */
  private async markRepository(repository: RepositoryRecord, at: { reachable: ReachableSet; youngerThan: number; dryRunRules: RefRuleOutcome[] }): Promise<RepositoryMark & { expiredBefore: number }> {
    const name = repository.name;
    const commits = new Map((await this.deps.metadata.gc.listCommits(name)).map((c) => [c.id, c]));
    const expired = await this.deps.metadata.gc.expiredCommits(name);
    const kept = new Set<string>();
    /** The rule of the first branch whose history holds a commit: what let it go when it expires. */
    const ruleOf = new Map<string, string>();
    const doomedBranches = new Set(at.dryRunRules.filter((r) => r.repository === name && r.kind === 'stale-branch').map((r) => r.branch));
    for (const branch of await this.deps.metadata.listBranches(name)) {
      if (doomedBranches.has(branch.name)) continue;
      const { days, rule } = branchRetention(repository.retention, branch.name);
      const retained = retainedOnBranch({ head: branch.head, commits, days, now: this.deps.clock.now() });
      for (const id of retained) kept.add(id);
      // The whole history, for the rule an expired commit names (the same set when kept forever).
      const history = days === null ? retained : retainedOnBranch({ head: branch.head, commits, days: null, now: this.deps.clock.now() });
      for (const id of history) if (!ruleOf.has(id)) ruleOf.set(id, `${rule} on ${branch.name}`);
    }
    for (const tag of await this.deps.metadata.listTags(name)) kept.add(tag.commitId);
    const candidates: ExpiryCandidate[] = [];
    for (const commit of commits.values()) {
      if (expired.has(commit.id) || kept.has(commit.id)) continue;
      if (Date.parse(commit.createdAt) >= at.youngerThan) kept.add(commit.id);
      else candidates.push({ repository: name, commitId: commit.id, rule: ruleOf.get(commit.id) ?? 'unreachable from any branch or tag' });
    }
    for (const id of kept) if (!expired.has(id)) await at.reachable.addTree(commits.get(id)?.treeId ?? null);
    return { repository: name, commits, kept: new Set([...kept].filter((id) => !expired.has(id))), candidates, expiredBefore: expired.size };
  }

  /**
   * Marks the segments of recipe cache entries whose source a kept version still holds (or whose
   * source is unknown: entries recorded before sources were); returns the keys of the others,
   * which can never be looked up again by a run over kept data.
   */
  private async markPrepCache(reachable: ReachableSet): Promise<string[]> {
    const stale: string[] = [];
    for await (const entry of this.deps.metadata.gc.prepCacheEntries()) {
      if (entry.source === null || reachable.has(entry.source)) await reachable.addHeld({ sha256: entry.blob });
      else stale.push(entry.key);
    }
    return stale;
  }

  /**
   * After the fence: roots read again (staged rows, parts… in the order that sees a moving row
   * once), commits made since the mark (their trees may hold entries no root showed before),
   * and commits a new ref spared. Commits made after this read build on kept or fresh things.
   */
  private async markChanges(input: { reachable: ReachableSet; marks: RepositoryMark[]; spared: ExpiryCandidate[] }): Promise<void> {
    for await (const held of this.deps.metadata.gc.heldBlobs()) await input.reachable.addHeld(held);
    // Entries recorded since: a stale one left here is only unmarked, and its segment is fresh.
    await this.markPrepCache(input.reachable);
    const byName = new Map(input.marks.map((m) => [m.repository, m]));
    for (const candidate of input.spared) await input.reachable.addTree(byName.get(candidate.repository)?.commits.get(candidate.commitId)?.treeId ?? null);
    for (const repository of await this.deps.metadata.listRepositories()) {
      const seen = byName.get(repository.name)?.commits;
      for (const commit of await this.deps.metadata.gc.listCommits(repository.name)) {
        if (seen?.has(commit.id) !== true) await input.reachable.addTree(commit.treeId);
      }
    }
  }

  /**
   * Lists every blob; the unmarked ones are looked at (size and age, when the listing did not
   * carry them) and those older than the cutoff collected, a batch at a time, many at once.
   * Marked blobs cost nothing but the listing.
   */
  private async sweep(input: { reachable: ReachableSet; cutoff: number; dryRun: boolean; progress: (phase: GcPhase, done: number) => void }): Promise<GcReport['blobs']> {
    const tally = (): Tally => ({ count: 0, bytes: 0 });
    const result = { listed: 0, reachable: 0, young: tally(), collected: tally() };
    const add = (t: Tally, size: number): void => {
      t.count++;
      t.bytes += size;
    };
    let unmarked: ListedBlob[] = [];
    const settle = async (): Promise<void> => {
      const batch = unmarked;
      unmarked = [];
      await mapConcurrent(batch, COLLECT_CONCURRENCY, async (listed) => {
        const known = listed.size !== undefined && listed.modifiedAt !== undefined ? { size: listed.size, modifiedAt: listed.modifiedAt } : undefined;
        // A real run goes straight to `collect`, whose own atomic check says whether the blob is young.
        const info = known ?? (input.dryRun ? await this.deps.blobs.stat(listed.sha256) : undefined);
        if (info && (info.modifiedAt >= input.cutoff || input.dryRun)) {
          add(info.modifiedAt >= input.cutoff ? result.young : result.collected, info.size);
          return;
        }
        if (input.dryRun) return; // gone meanwhile (another collector)
        const { outcome, size } = await this.deps.blobs.collect(listed.sha256, input.cutoff);
        if (outcome === 'deleted') add(result.collected, size);
        else if (outcome === 'kept') add(result.young, size);
      });
    };
    for await (const blob of this.deps.blobs.list()) {
      result.listed++;
      if (input.reachable.has(blob.sha256)) result.reachable++;
      else unmarked.push(blob);
      if (unmarked.length >= COLLECT_BATCH) await settle();
      if (result.listed % 10_000 === 0) input.progress('sweep', result.listed);
    }
    await settle();
    return result;
  }
}

function toRecord(report: GcReport, actor: string): GcRunRecord {
  return { id: report.id, startedAt: report.startedAt, finishedAt: report.finishedAt, actor, dryRun: report.dryRun, report: JSON.stringify(report) };
}
