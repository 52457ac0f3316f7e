import type { Entry } from '../objects/entry.ts';
import { compareKeys } from '../keys.ts';
import type { MetadataStore } from '../ports/metadata-store.ts';
import type { NodeStore } from './tree/node-store.ts';
import { TreeCursor, type TreeItem } from './tree/tree-reader.ts';

/** A seekable, ordered source of entries: a tree, or a branch (tree + staging). */
export interface EntryCursor {
  seek(key: string): Promise<void>;
  next(): Promise<TreeItem | undefined>;
}

const STAGING_PAGE = 1000;

/** Staged rows of a branch in path order, read page by page. Deletions come with `entry: null`. */
class StagingCursor {
  private page: { path: string; entry: Entry | null }[] = [];
  private index = 0;
  private exhausted = false;

  constructor(
    private readonly metadata: MetadataStore,
    private readonly branch: { repository: string; name: string },
  ) {}

  async seek(key: string): Promise<void> {
    await this.load({ from: key });
  }

  async peek(): Promise<{ path: string; entry: Entry | null } | undefined> {
    if (this.index < this.page.length) return this.page[this.index];
    if (this.exhausted) return undefined;
    const last = this.page[this.page.length - 1];
    if (!last) return undefined;
    await this.load({ after: last.path });
    return this.page[this.index];
  }

  skip(): void {
    this.index += 1;
  }

  /** A page from `from` (inclusive) or strictly `after` a path: PostgreSQL text cannot hold '\0'. */
  private async load(position: { from?: string; after?: string }): Promise<void> {
    this.page = await this.metadata.listStaged(this.branch.repository, this.branch.name, { ...position, limit: STAGING_PAGE });
    this.index = 0;
    this.exhausted = this.page.length < STAGING_PAGE;
  }
}

/** A branch as readers see it: staged changes laid over the head commit's tree. */
class OverlayCursor implements EntryCursor {
  private readonly tree: TreeCursor;
  private readonly staging: StagingCursor;
  private treeNext: TreeItem | undefined | null = null;

  constructor(nodes: NodeStore, input: { treeId: string | null; metadata: MetadataStore; repository: string; branch: string }) {
    this.tree = new TreeCursor(nodes, input.treeId);
    this.staging = new StagingCursor(input.metadata, { repository: input.repository, name: input.branch });
  }

  async seek(key: string): Promise<void> {
    await Promise.all([this.tree.seek(key), this.staging.seek(key)]);
    this.treeNext = null;
  }

  async next(): Promise<TreeItem | undefined> {
    for (;;) {
      if (this.treeNext === null) this.treeNext = await this.tree.next();
      const staged = await this.staging.peek();
      const fromTree = this.treeNext;
      if (!staged && !fromTree) return undefined;
      const order = staged && fromTree ? compareKeys(staged.path, fromTree.key) : staged ? -1 : 1;
      if (order > 0) {
        this.treeNext = null;
        return fromTree;
      }
      this.staging.skip();
      if (order === 0) this.treeNext = null;
      if (staged?.entry) return { key: staged.path, entry: staged.entry };
      // A staged deletion hides the tree's entry (or is a no-op); keep going.
    }
  }
}

export function createEntryCursor(
  nodes: NodeStore,
  input: { treeId: string | null; metadata: MetadataStore; repository: string; branch?: string },
): EntryCursor {
  if (input.branch === undefined) return new TreeCursor(nodes, input.treeId);
  return new OverlayCursor(nodes, { ...input, branch: input.branch });
}
