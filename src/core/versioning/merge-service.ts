import { conflict, invalidArgument, StrataError } from '../errors.ts';
import type { CheckOutcome, MergeChecks } from '../protection/merge-checks.ts';
import { ruleFor } from '../protection/protection-rules.ts';
import { compareKeys } from '../keys.ts';
import { sameEntry, type Entry } from '../objects/entry.ts';
import type { CommitRecord } from '../ports/metadata-store.ts';
import { backoff } from './branch-locks.ts';
import type { CommitService } from './commit-service.ts';
import { authorize, type VersioningDeps } from './deps.ts';
import { requireBranch, requireCommit, resolveRef } from './refs.ts';
import { applyEdits, type TreeEdit } from './tree/apply-edits.ts';
import { diffTrees, type TreeChange } from './tree/tree-diff.ts';
import { getTreeEntry } from './tree/tree-reader.ts';
import { toCommitInfo, type CallContext, type MergeResult, type MergeStrategy } from './types.ts';

export interface MergeInput {
  repository: string;
  /** Any ref; a branch contributes its head commit (not its staging). */
  source: string;
  destination: string;
  strategy?: MergeStrategy;
  message?: string;
  metadata?: Record<string, string>;
}

/** How many conflicting paths an error lists. */
const CONFLICTS_REPORTED = 100;
/** How many times a merge or revert is planned again on a head another writer moved. */
const MAX_MOVE_ATTEMPTS = 20;

/** Three-way merge and revert, both O(changes · log n) on top of tree diffs. */
export class MergeService {
  constructor(
    private readonly deps: VersioningDeps,
    private readonly commits: CommitService,
    private readonly checks: MergeChecks,
  ) {}

  /**
   * Merges `source` into the `destination` branch. When another writer moves the destination
   * while the merge is built, the merge is planned again on the new head (a bounded number of
   * times): it fails with Conflict only for conflicting paths, or when the head never held still.
   */
  async merge(ctx: CallContext, input: MergeInput): Promise<MergeResult> {
    // `strata.checks` on a merge commit is Strata's record of a protected branch's checks: not a caller's to write.
    if (input.metadata?.['strata.checks'] !== undefined) throw invalidArgument("metadata key 'strata.checks' is reserved: Strata records a protected branch's check outcomes there");
    await requireBranch(this.deps, input.repository, input.destination);
    await authorize(this.deps, ctx, { action: 'branch:merge', repository: input.repository, ref: input.destination });
    return this.untilHeadHolds({ repository: input.repository, branch: input.destination, what: 'merge' }, () => this.mergeOnce(ctx, input));
  }

  /** Runs `once` on the branch's turn, again (bounded, with a pause) each time it found the head moved. */
  private untilHeadHolds<T>(at: { repository: string; branch: string; what: string }, once: () => Promise<T | 'moved'>): Promise<T> {
    return this.commits.serialized(at.repository, at.branch, async () => {
      for (let attempt = 0; attempt < MAX_MOVE_ATTEMPTS; attempt++) {
        if (attempt > 0) await backoff(attempt);
        const result = await once();
        if (result !== 'moved') return result;
      }
      throw conflict(`branch '${at.branch}' kept moving during the ${at.what}; try again`);
    });
  }

  private async mergeOnce(ctx: CallContext, input: MergeInput): Promise<MergeResult | 'moved'> {
    const strategy = input.strategy ?? 'fail';
    const destBranch = await requireBranch(this.deps, input.repository, input.destination);
    await this.assertClean(input.repository, input.destination);
    const source = (await resolveRef(this.deps, input.repository, input.source)).commit;
    const dest = await requireCommit(this.deps, input.repository, destBranch.head);
    const base = await this.mergeBase(input.repository, source, dest);
    if (base?.id === source.id) return { commit: toCommitInfo(dest), merged: false, resolvedConflicts: [], changes: 0 };
    const baseTree = base?.treeId ?? null;
    const plan = planMerge(
      await collect(diffTrees(this.deps.nodes, { left: baseTree, right: source.treeId })),
      await collect(diffTrees(this.deps.nodes, { left: baseTree, right: dest.treeId })),
    );
    if (plan.conflicts.length > 0 && strategy === 'fail') {
      throw conflict(`merge of '${input.source}' into '${input.destination}' has ${plan.conflicts.length} conflicting path(s)`, {
        conflicts: plan.conflicts.slice(0, CONFLICTS_REPORTED),
      });
    }
    const edits = strategy === 'source-wins' ? mergeSorted(plan.edits, plan.conflictEdits) : plan.edits;
    const treeId = await applyEdits(this.deps.nodes, dest.treeId, edits);
    await this.deps.nodes.flush();
    const checks = await this.requiredChecks(ctx, input, { head: dest, treeId });
    const message = input.message ?? `Merge '${input.source}' into '${input.destination}'`;
    const metadata = { ...input.metadata, ...(checks === undefined ? {} : { 'strata.checks': JSON.stringify(checks) }) };
    const commit = this.commits.newCommit(ctx, { repository: input.repository, treeId, parents: [dest, source], message, metadata });
    // Entries came from the source: it must not have expired meanwhile (garbage collection).
    const moved = await this.deps.metadata.advanceBranch({ repository: input.repository, branch: input.destination, expectedHead: dest.id, commit, builtFrom: [source.id] });
    if (!moved) return 'moved';
    return { commit: toCommitInfo(commit), merged: true, resolvedConflicts: plan.conflicts, changes: edits.length, ...(checks === undefined ? {} : { checks }) };
  }

  /**
   * The checks a protected destination requires, run on the merge's result before its head
   * moves; PreconditionFailed (naming every failed check) when one fails. Undefined: none required.
   */
  private async requiredChecks(ctx: CallContext, input: MergeInput, result: { head: CommitRecord; treeId: string | null }): Promise<CheckOutcome[] | undefined> {
    const rule = ruleFor((await this.deps.metadata.getRepository(input.repository))?.protection, input.destination);
    if (rule === undefined || rule.checks.length === 0) return undefined;
    const changes = await collect(diffTrees(this.deps.nodes, { left: result.head.treeId, right: result.treeId }));
    const outcomes = await this.checks.run(rule.checks, { repository: input.repository, source: input.source, destination: input.destination, head: result.head.id, changes, ctx });
    const failed = outcomes.filter((o) => !o.passed);
    if (failed.length > 0) {
      throw new StrataError('PreconditionFailed', `merge into protected branch '${input.destination}' refused: ${failed.map((o) => `${o.check}: ${o.message}`).join('; ')}`, { details: { checks: outcomes } });
    }
    return outcomes;
  }

  /**
   * Adds a commit on `branch` that undoes `ref`'s changes against its parent (`parent` picks
   * which, for merge commits). Conflict if a path it touches has changed since.
   */
  async revert(ctx: CallContext, input: { repository: string; branch: string; ref: string; parent?: number }): Promise<{ commit: ReturnType<typeof toCommitInfo> }> {
    await requireBranch(this.deps, input.repository, input.branch);
    await authorize(this.deps, ctx, { action: 'branch:revert', repository: input.repository, ref: input.branch });
    return this.untilHeadHolds({ repository: input.repository, branch: input.branch, what: 'revert' }, () => this.revertOnce(ctx, input));
  }

  private async revertOnce(ctx: CallContext, input: { repository: string; branch: string; ref: string; parent?: number }): Promise<{ commit: ReturnType<typeof toCommitInfo> } | 'moved'> {
    const branch = await requireBranch(this.deps, input.repository, input.branch);
    await this.assertClean(input.repository, input.branch);
    const target = (await resolveRef(this.deps, input.repository, input.ref)).commit;
    if (target.parents.length === 0) throw invalidArgument('cannot revert the root commit');
    if (target.parents.length > 1 && input.parent === undefined) {
      throw invalidArgument(`commit ${target.id.slice(0, 12)} is a merge; choose the parent to revert to (1 or 2)`);
    }
    const parentId = target.parents[(input.parent ?? 1) - 1];
    if (parentId === undefined) throw invalidArgument(`commit ${target.id.slice(0, 12)} has no parent ${input.parent ?? 1}`);
    const parent = await requireCommit(this.deps, input.repository, parentId);
    const head = await requireCommit(this.deps, input.repository, branch.head);
    const edits: TreeEdit[] = [];
    const conflicts: string[] = [];
    for await (const change of diffTrees(this.deps.nodes, { left: target.treeId, right: parent.treeId })) {
      const current = await getTreeEntry(this.deps.nodes, head.treeId, change.path);
      if (!equalOrAbsent(current, change.left)) conflicts.push(change.path);
      edits.push({ key: change.path, value: change.right ?? null });
    }
    if (conflicts.length > 0) {
      throw conflict(`cannot revert ${target.id.slice(0, 12)}: ${conflicts.length} path(s) changed since`, { conflicts: conflicts.slice(0, CONFLICTS_REPORTED) });
    }
    const treeId = await applyEdits(this.deps.nodes, head.treeId, edits);
    await this.deps.nodes.flush();
    const commit = this.commits.newCommit(ctx, {
      repository: input.repository,
      treeId,
      parents: [head],
      message: `Revert "${target.message}"\n\nThis reverts commit ${target.id}.`,
      metadata: { 'strata.revert': target.id },
    });
    // Entries came from the parent of the reverted commit, which must not have expired meanwhile.
    const moved = await this.deps.metadata.advanceBranch({ repository: input.repository, branch: input.branch, expectedHead: head.id, commit, builtFrom: [target.id, parent.id] });
    return moved ? { commit: toCommitInfo(commit) } : 'moved';
  }

  /**
   * The best common ancestor: walk both histories from the highest generation down; the first
   * commit reached from both sides is an ancestor of both with the greatest generation.
   */
  async mergeBase(repository: string, a: CommitRecord, b: CommitRecord): Promise<CommitRecord | undefined> {
    const flags = new Map<string, number>([[a.id, 1]]);
    flags.set(b.id, (flags.get(b.id) ?? 0) | 2);
    const queue = new Map<string, CommitRecord>([[a.id, a], [b.id, b]]);
    while (queue.size > 0) {
      let top: CommitRecord | undefined;
      for (const commit of queue.values()) if (!top || commit.generation > top.generation) top = commit;
      const current = top as CommitRecord;
      queue.delete(current.id);
      const flag = flags.get(current.id) ?? 0;
      if (flag === 3) return current;
      for (const parentId of current.parents) {
        const merged = (flags.get(parentId) ?? 0) | flag;
        flags.set(parentId, merged);
        if (!queue.has(parentId)) queue.set(parentId, await requireCommit(this.deps, repository, parentId));
      }
    }
    return undefined;
  }

  private async assertClean(repository: string, branch: string): Promise<void> {
    const staged = await this.deps.metadata.countStaged(repository, branch);
    if (staged > 0) throw conflict(`branch '${branch}' has ${staged} uncommitted change(s); commit or reset them first`);
  }
}

function equalOrAbsent(a: Entry | undefined, b: Entry | undefined): boolean {
  if (!a || !b) return a === b;
  return sameEntry(a, b);
}

async function collect(changes: AsyncIterable<TreeChange>): Promise<TreeChange[]> {
  const out: TreeChange[] = [];
  for await (const change of changes) out.push(change);
  return out;
}

/**
 * Joins base→source and base→dest changes by path. Source-only changes become edits; changes
 * on both sides that end in the same state are nothing to do; others are conflicts, with the
 * source's version kept aside for `source-wins`.
 */
function planMerge(source: TreeChange[], dest: TreeChange[]): { edits: TreeEdit[]; conflicts: string[]; conflictEdits: TreeEdit[] } {
  const edits: TreeEdit[] = [];
  const conflicts: string[] = [];
  const conflictEdits: TreeEdit[] = [];
  let d = 0;
  for (const change of source) {
    while (d < dest.length && compareKeys((dest[d] as TreeChange).path, change.path) < 0) d++;
    const other = dest[d];
    const edit = { key: change.path, value: change.right ?? null };
    if (!other || other.path !== change.path) {
      edits.push(edit);
    } else if (!equalOrAbsent(change.right, other.right)) {
      conflicts.push(change.path);
      conflictEdits.push(edit);
    }
  }
  return { edits, conflicts, conflictEdits };
}

function mergeSorted(a: TreeEdit[], b: TreeEdit[]): TreeEdit[] {
  return [...a, ...b].sort((x, y) => compareKeys(x.key, y.key));
}
