import { conflict, invalidArgument } from '../errors.ts';
import { sameEntry } from '../objects/entry.ts';
import { assertPrefix } from '../names.ts';
import { compareKeys } from '../keys.ts';
import type { CommitRecord, StagedRow } from '../ports/metadata-store.ts';
import { backoff, BranchLocks } from './branch-locks.ts';
import { commitId } from './commit-id.ts';
import { permitsEach } from '../access/permits.ts';
import { authorize, type VersioningDeps } from './deps.ts';
import { requireBranch, requireCommit, resolveRef } from './refs.ts';
import { applyEdits, type TreeEdit } from './tree/apply-edits.ts';
import { prefetchPaths } from './tree/locate.ts';
import { diffTrees } from './tree/tree-diff.ts';
import { getTreeEntry } from './tree/tree-reader.ts';
import { toCommitInfo, type CallContext, type CommitInfo, type ObjectChange } from './types.ts';

export interface CommitInput {
  repository: string;
  branch: string;
  message: string;
  metadata?: Record<string, string>;
  /**
   * Commit only these staged paths: each item takes the path itself and everything under
   * `item/` (an item ending in `/` is a prefix only), as `git commit -- <paths>` does. Default:
   * everything staged on the branch, whoever staged it.
   */
  only?: string[];
  /**
   * When the staged changes leave the tree as it is (or nothing is staged), return the head
   * instead of failing: for writers that rewrite a whole prefix and expect the same bytes again.
   */
  unchangedIsHead?: boolean;
}

/** How many times a commit rebuilds on a head that another process moved under it. */
const MAX_COMMIT_ATTEMPTS = 20;
const STAGED_PAGE = 5000;
/** Staged rows looked up in the head tree per prefetch: their nodes fit the node cache together. */
const LOOKUP_WINDOW = 2048;
/** Changes of a diff decided by the authorizer at once (a label or path rule may hide some). */
const DIFF_BATCH = 1000;

/** Commits, history and differences. */
export class CommitService {
  private readonly locks = new BranchLocks();

  constructor(private readonly deps: VersioningDeps) {}

  /**
   * Reads the branch's staged changes, builds the new tree from the head's tree, and moves the
   * head by compare-and-swap, deleting in the same transaction exactly the staged writes it read.
   * So every write acknowledged before the commit started is in this commit or an earlier one:
   * its row is either still staged (and read here) or was removed by a commit that won the CAS
   * before this one read the head. A write that lands while the commit runs stays staged for the
   * next. If another process moved the head first, the commit rebuilds on the new head.
   */
  async commit(ctx: CallContext, input: CommitInput): Promise<CommitInfo> {
    if (input.message.trim() === '') throw invalidArgument('commit message is empty');
    const only = input.only === undefined ? undefined : commitScopes(input.only);
    await requireBranch(this.deps, input.repository, input.branch);
    await authorize(this.deps, ctx, { action: 'branch:commit', repository: input.repository, ref: input.branch });
    return this.serialized(input.repository, input.branch, () => this.commitOnce(ctx, input, only));
  }

  /**
   * An erasure's commit: made whatever the branch's protection rules say (removing erased data
   * is a legal obligation, and the erasure service has already authorized `erasure:run`), and
   * only of the paths `stage` staged. `stage` runs under the branch's commit lock, so what it
   * reads of the head (a manifest it rewrites) is what the commit builds on. Not reachable from
   * any edge but the erasure service.
   */
  async commitErasure(ctx: CallContext, input: Omit<CommitInput, 'only'>, stage: () => Promise<string[]>): Promise<CommitInfo> {
    await requireBranch(this.deps, input.repository, input.branch);
    return this.serialized(input.repository, input.branch, async () => {
      const only = await stage();
      return this.commitOnce(ctx, { ...input, only }, commitScopes(only));
    });
  }

  /**
   * Runs a task that moves the branch head after the others on that branch: in this process
   * (BranchLocks), then across processes where the database offers a lock.
   */
  serialized<T>(repository: string, branch: string, task: () => Promise<T>): Promise<T> {
    return this.locks.run(repository, branch, () => this.deps.metadata.withBranchLock(repository, branch, task));
  }

  private async commitOnce(ctx: CallContext, input: CommitInput, only: string[] | undefined): Promise<CommitInfo> {
    const where = `${input.repository}@${input.branch}${only === undefined ? '' : ` (only ${only.join(', ')})`}`;
    for (let attempt = 0; attempt < MAX_COMMIT_ATTEMPTS; attempt++) {
      if (attempt > 0) await backoff(attempt);
      const branch = await requireBranch(this.deps, input.repository, input.branch);
      const head = await requireCommit(this.deps, input.repository, branch.head);
      const rows = await this.stagedRows(input.repository, input.branch, only);
      if (rows.length === 0) {
        if (input.unchangedIsHead === true) return toCommitInfo(head);
        throw invalidArgument(`nothing to commit on ${where}`);
      }
      const treeId = await applyEdits(this.deps.nodes, head.treeId, await this.effectiveEdits(head.treeId, rows));
      await this.deps.nodes.flush();
      const consumed = rows.map((row) => ({ path: row.path, writeId: row.writeId }));
      if (treeId === head.treeId) {
        if (!(await this.deps.metadata.dropStaged({ repository: input.repository, branch: input.branch, expectedHead: head.id, rows: consumed }))) continue;
        if (input.unchangedIsHead === true) return toCommitInfo(head);
        throw invalidArgument(`nothing to commit on ${where}: staged changes equal the head`);
      }
      const commit = this.newCommit(ctx, { repository: input.repository, treeId, parents: [head], message: input.message, metadata: input.metadata ?? {} });
      if (await this.deps.metadata.advanceBranch({ repository: input.repository, branch: input.branch, expectedHead: head.id, commit, consumed })) return toCommitInfo(commit);
    }
    throw conflict(`branch '${input.branch}' kept moving during the commit; try again`);
  }

  /** Builds a commit record on top of `parents` (first parent first). */
  newCommit(
    ctx: CallContext,
    input: { repository: string; treeId: string | null; parents: CommitRecord[]; message: string; metadata: Record<string, string> },
  ): CommitRecord {
    const content = {
      treeId: input.treeId,
      parents: input.parents.map((p) => p.id),
      author: ctx.actor.id,
      message: input.message,
      createdAt: this.deps.clock.now().toISOString(),
      metadata: input.metadata,
    };
    const generation = 1 + Math.max(...input.parents.map((p) => p.generation));
    return { ...content, id: commitId(content), repository: input.repository, generation };
  }

  /** Drops staged rows that would leave the head's entry as it is (same version, or absent). */
  private async effectiveEdits(treeId: string | null, rows: StagedRow[]): Promise<TreeEdit[]> {
    const out: TreeEdit[] = [];
    for (let start = 0; start < rows.length; start += LOOKUP_WINDOW) {
      const window = rows.slice(start, start + LOOKUP_WINDOW);
      if (treeId !== null) await prefetchPaths(this.deps.nodes, treeId, window.map((row) => row.path));
      for (const row of window) await this.pushEffective(out, treeId, row);
    }
    return out;
  }

  private async pushEffective(out: TreeEdit[], treeId: string | null, row: StagedRow): Promise<void> {
    const current = await getTreeEntry(this.deps.nodes, treeId, row.path);
    const unchanged = row.entry === null ? current === undefined : current !== undefined && sameEntry(current, row.entry);
    if (!unchanged) out.push({ key: row.path, value: row.entry });
  }

  /** The staged rows a commit takes, in path order: all of them, or those under `only`. */
  private async stagedRows(repository: string, branch: string, only: string[] | undefined): Promise<StagedRow[]> {
    if (only === undefined) return this.stagedUnder(repository, branch, undefined);
    const rows: StagedRow[] = [];
    for (const scope of only) {
      if (!scope.endsWith('/')) {
        const exact = (await this.deps.metadata.listStaged(repository, branch, { from: scope, limit: 1 }))[0];
        if (exact?.path === scope) rows.push(exact);
      }
      rows.push(...(await this.stagedUnder(repository, branch, scope.endsWith('/') ? scope : `${scope}/`)));
    }
    const unique = new Map(rows.map((row) => [row.path, row]));
    return [...unique.values()].sort((a, b) => compareKeys(a.path, b.path));
  }

  private async stagedUnder(repository: string, branch: string, prefix: string | undefined): Promise<StagedRow[]> {
    const rows: StagedRow[] = [];
    let after: string | undefined;
    for (;;) {
      const page = await this.deps.metadata.listStaged(repository, branch, { prefix, after, limit: STAGED_PAGE });
      rows.push(...page);
      const last = page[page.length - 1];
      if (page.length < STAGED_PAGE || !last) return rows;
      after = last.path;
    }
  }

  async show(ctx: CallContext, input: { repository: string; ref: string }): Promise<CommitInfo> {
    await authorize(this.deps, ctx, { action: 'commit:read', repository: input.repository });
    return toCommitInfo((await resolveRef(this.deps, input.repository, input.ref)).commit);
  }

  /** Ancestors of a ref, newest generation first (parents after all their children). */
  async log(ctx: CallContext, input: { repository: string; ref: string; limit?: number }): Promise<CommitInfo[]> {
    await authorize(this.deps, ctx, { action: 'commit:read', repository: input.repository });
    const start = (await resolveRef(this.deps, input.repository, input.ref)).commit;
    const limit = input.limit ?? 100;
    const out: CommitInfo[] = [];
    const seen = new Set([start.id]);
    const queue: CommitRecord[] = [start];
    while (queue.length > 0 && out.length < limit) {
      queue.sort((a, b) => a.generation - b.generation || (a.createdAt < b.createdAt ? -1 : 1));
      const commit = queue.pop() as CommitRecord;
      out.push(toCommitInfo(commit));
      for (const parent of commit.parents) {
        if (seen.has(parent)) continue;
        seen.add(parent);
        queue.push(await requireCommit(this.deps, input.repository, parent));
      }
    }
    return out;
  }

  /**
   * The changes the caller may list at every one of `refs` (a label or path rule leaves the rest
   * out, as a listing does): one authorizer call per ref for the whole batch.
   */
  private async listable<T extends { path: string }>(ctx: CallContext, { repository, refs, changes }: { repository: string; refs: string[]; changes: T[] }): Promise<T[]> {
    let kept = changes;
    for (const ref of refs) {
      const shown = await permitsEach(this.deps.authorizer, { actor: ctx.actor, action: 'object:list', repository, ref }, kept.map((c) => c.path));
      kept = kept.filter((_, i) => shown[i]);
    }
    return kept;
  }

  /** Differences between two refs' commits (staged changes are not included; see `status`). */
  async diff(ctx: CallContext, input: { repository: string; left: string; right: string; prefix?: string; limit?: number }): Promise<ObjectChange[]> {
    assertPrefix(input.prefix ?? '');
    await authorize(this.deps, ctx, { action: 'commit:read', repository: input.repository });
    const [left, right] = await Promise.all([resolveRef(this.deps, input.repository, input.left), resolveRef(this.deps, input.repository, input.right)]);
    const changes: ObjectChange[] = [];
    const limit = input.limit ?? Number.POSITIVE_INFINITY;
    let batch: ObjectChange[] = [];
    const flush = async (): Promise<void> => {
      const shown = await this.listable(ctx, { repository: input.repository, refs: [input.left, input.right], changes: batch });
      changes.push(...shown.slice(0, limit - changes.length));
      batch = [];
    };
    for await (const change of diffTrees(this.deps.nodes, { left: left.commit.treeId, right: right.commit.treeId, prefix: input.prefix })) {
      batch.push(change);
      if (batch.length >= DIFF_BATCH) await flush();
      if (changes.length >= limit) break;
    }
    if (changes.length < limit) await flush();
    return changes;
  }

  /** Uncommitted changes of a branch against its head; staged rows that change nothing are left out. */
  async status(ctx: CallContext, input: { repository: string; branch: string; prefix?: string }): Promise<ObjectChange[]> {
    assertPrefix(input.prefix ?? '');
    const branch = await requireBranch(this.deps, input.repository, input.branch);
    await authorize(this.deps, ctx, { action: 'object:list', repository: input.repository, ref: input.branch, path: input.prefix ?? '' });
    const head = await requireCommit(this.deps, input.repository, branch.head);
    const changes: ObjectChange[] = [];
    let after: string | undefined;
    for (;;) {
      const page = await this.deps.metadata.listStaged(input.repository, input.branch, { after, prefix: input.prefix, limit: STAGED_PAGE });
      for (const row of await this.listable(ctx, { repository: input.repository, refs: [input.branch], changes: page })) {
        const left = await getTreeEntry(this.deps.nodes, head.treeId, row.path);
        if (row.entry === null) {
          if (left) changes.push({ path: row.path, type: 'removed', left });
        } else if (!left) {
          changes.push({ path: row.path, type: 'added', right: row.entry });
        } else if (!sameEntry(left, row.entry)) {
          changes.push({ path: row.path, type: 'changed', left, right: row.entry });
        }
      }
      const last = page[page.length - 1];
      if (page.length < STAGED_PAGE || !last) return changes;
      after = last.path;
    }
  }

  /** Drops a branch's staged changes (all, or under `prefix`); returns how many rows. */
  async reset(ctx: CallContext, input: { repository: string; branch: string; prefix?: string }): Promise<number> {
    assertPrefix(input.prefix ?? '');
    await requireBranch(this.deps, input.repository, input.branch);
    await authorize(this.deps, ctx, { action: 'branch:reset', repository: input.repository });
    return this.deps.metadata.resetStaged(input.repository, input.branch, input.prefix === '' ? undefined : input.prefix);
  }
}

/** Checks and normalises `only`: non-empty, each item a valid path or prefix (`a`, `a/`). */
function commitScopes(only: string[]): string[] {
  if (only.length === 0) throw invalidArgument('--only needs at least one path or prefix');
  for (const scope of only) {
    if (scope === '' || scope === '/') throw invalidArgument(`invalid --only '${scope}': name a path or a prefix such as 'raw/'`);
    assertPrefix(scope);
  }
  return [...new Set(only)];
}
