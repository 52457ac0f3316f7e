import { randomUUID } from 'node:crypto';
import { conflict, invalidArgument } from '../errors.ts';
import { sameEntry } from '../objects/entry.ts';
import { assertPrefix } from '../names.ts';
import type { CommitRecord } from '../ports/metadata-store.ts';
import { commitId } from './commit-id.ts';
import { authorize, type VersioningDeps } from './deps.ts';
import { requireBranch, requireCommit, resolveRef } from './refs.ts';
import { applyEdits, type TreeEdit } from './tree/apply-edits.ts';
import { diffTrees } from './tree/tree-diff.ts';
import { getTreeEntry } from './tree/tree-reader.ts';
import { toCommitInfo, type CallContext, type CommitInfo, type ObjectChange } from './types.ts';

export interface CommitInput {
  repository: string;
  branch: string;
  message: string;
  metadata?: Record<string, string>;
  /**
   * When the staged changes leave the tree as it is (or nothing is staged), return the head
   * instead of failing: for writers that rewrite a whole prefix and expect the same bytes again.
   */
  unchangedIsHead?: boolean;
}

/** How many times a commit rebuilds on a head that moved under it before giving up. */
const MAX_COMMIT_ATTEMPTS = 20;
const SEALED_PAGE = 5000;

/** Commits, history and differences. */
export class CommitService {
  constructor(private readonly deps: VersioningDeps) {}

  /**
   * Seals the branch's staged changes, builds the new tree from the head's tree, and moves the
   * head by compare-and-swap. If another writer moved the head first, it rebuilds on the new
   * head (staged rows written meanwhile join in); no acknowledged write is ever dropped.
   */
  async commit(ctx: CallContext, input: CommitInput): Promise<CommitInfo> {
    if (input.message.trim() === '') throw invalidArgument('commit message is empty');
    await requireBranch(this.deps, input.repository, input.branch);
    await authorize(this.deps, ctx, { action: 'branch:commit', repository: input.repository });
    for (let attempt = 0; attempt < MAX_COMMIT_ATTEMPTS; attempt++) {
      const branch = await requireBranch(this.deps, input.repository, input.branch);
      const head = await requireCommit(this.deps, input.repository, branch.head);
      const sealId = randomUUID();
      const sealed = await this.deps.metadata.sealStaged(input.repository, input.branch, sealId);
      if (sealed === 0) {
        if (input.unchangedIsHead === true) return toCommitInfo(head);
        throw invalidArgument(`nothing to commit on ${input.repository}@${input.branch}`);
      }
      const edits = await this.effectiveEdits(head.treeId, await this.sealedEdits(input.repository, input.branch, sealId));
      const treeId = await applyEdits(this.deps.nodes, head.treeId, edits);
      await this.deps.nodes.flush();
      if (treeId === head.treeId) {
        await this.deps.metadata.deleteSealed(input.repository, input.branch, sealId);
        if (input.unchangedIsHead === true) return toCommitInfo(head);
        throw invalidArgument(`nothing to commit on ${input.repository}@${input.branch}: staged changes equal the head`);
      }
      const commit = this.newCommit(ctx, { repository: input.repository, treeId, parents: [head], message: input.message, metadata: input.metadata ?? {} });
      const moved = await this.deps.metadata.advanceBranch({ repository: input.repository, branch: input.branch, expectedHead: head.id, commit, clearSealed: sealId });
      if (moved) return toCommitInfo(commit);
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
  private async effectiveEdits(treeId: string | null, edits: TreeEdit[]): Promise<TreeEdit[]> {
    const out: TreeEdit[] = [];
    for (const edit of edits) {
      const current = await getTreeEntry(this.deps.nodes, treeId, edit.key);
      const unchanged = edit.value === null ? current === undefined : current !== undefined && sameEntry(current, edit.value);
      if (!unchanged) out.push(edit);
    }
    return out;
  }

  private async sealedEdits(repository: string, branch: string, sealId: string): Promise<TreeEdit[]> {
    const edits: TreeEdit[] = [];
    let after: string | undefined;
    for (;;) {
      const page = await this.deps.metadata.listStaged(repository, branch, { sealedBy: sealId, after, limit: SEALED_PAGE });
      for (const row of page) edits.push({ key: row.path, value: row.entry });
      const last = page[page.length - 1];
      if (page.length < SEALED_PAGE || !last) return edits;
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

  /** Differences between two refs' commits (staged changes are not included; see `status`). */
  async diff(ctx: CallContext, input: { repository: string; left: string; right: string; prefix?: string; limit?: number }): Promise<ObjectChange[]> {
    assertPrefix(input.prefix ?? '');
    await authorize(this.deps, ctx, { action: 'commit:read', repository: input.repository });
    const [left, right] = await Promise.all([resolveRef(this.deps, input.repository, input.left), resolveRef(this.deps, input.repository, input.right)]);
    const changes: ObjectChange[] = [];
    const limit = input.limit ?? Number.POSITIVE_INFINITY;
    for await (const change of diffTrees(this.deps.nodes, { left: left.commit.treeId, right: right.commit.treeId, prefix: input.prefix })) {
      if (changes.length >= limit) break;
      changes.push(change);
    }
    return changes;
  }

  /** Uncommitted changes of a branch against its head; staged rows that change nothing are left out. */
  async status(ctx: CallContext, input: { repository: string; branch: string; prefix?: string }): Promise<ObjectChange[]> {
    assertPrefix(input.prefix ?? '');
    const branch = await requireBranch(this.deps, input.repository, input.branch);
    await authorize(this.deps, ctx, { action: 'object:list', repository: input.repository });
    const head = await requireCommit(this.deps, input.repository, branch.head);
    const changes: ObjectChange[] = [];
    let after: string | undefined;
    for (;;) {
      const page = await this.deps.metadata.listStaged(input.repository, input.branch, { after, prefix: input.prefix, limit: SEALED_PAGE });
      for (const row of page) {
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
      if (page.length < SEALED_PAGE || !last) return changes;
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
