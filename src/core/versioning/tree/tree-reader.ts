import type { Entry } from '../../objects/entry.ts';
import { compareKeys } from '../../keys.ts';
import { locateNode, type LocatedNode } from './locate.ts';
import type { NodeStore } from './node-store.ts';
import { isLeaf, searchKeys, type LeafNode } from './node.ts';

export interface TreeItem {
  key: string;
  entry: Entry;
}

/** The entry at `key`, or undefined. O(height). */
export async function getTreeEntry(store: NodeStore, rootId: string | null, key: string): Promise<Entry | undefined> {
  if (rootId === null) return undefined;
  const located = await locateNode(store, rootId, { level: 0, key, strict: false });
  if (!located || !isLeaf(located.node)) return undefined;
  const i = searchKeys(located.node.keys, key, { strict: false });
  return located.node.keys[i] === key ? located.node.values[i] : undefined;
}

/**
 * Walks entries in key order from any position. `seek` re-descends from the root (O(height),
 * cached), which is what lets listings skip whole common prefixes instead of scanning them.
 */
export class TreeCursor {
  private leaf: LocatedNode | undefined;
  private index = 0;
  private done: boolean;

  constructor(
    private readonly store: NodeStore,
    private readonly rootId: string | null,
  ) {
    this.done = rootId === null;
  }

  /** Positions the cursor at the first key ≥ `key`. */
  async seek(key: string): Promise<void> {
    if (this.rootId === null) return;
    this.leaf = await locateNode(this.store, this.rootId, { level: 0, key, strict: false });
    this.index = this.leaf ? searchKeys(this.leaf.node.keys, key, { strict: false }) : 0;
    this.done = this.leaf === undefined;
  }

  /** The next entry, or undefined at the end. */
  async next(): Promise<TreeItem | undefined> {
    if (this.done || this.rootId === null) return undefined;
    if (!this.leaf) await this.seek('');
    for (;;) {
      const leaf = this.leaf;
      if (!leaf) {
        this.done = true;
        return undefined;
      }
      const node = leaf.node as LeafNode;
      if (this.index < node.keys.length) {
        const i = this.index++;
        return { key: node.keys[i] as string, entry: node.values[i] as Entry };
      }
      if (leaf.rightmost) {
        this.done = true;
        return undefined;
      }
      this.leaf = await locateNode(this.store, this.rootId, { level: 0, key: leaf.lastKey, strict: true });
      this.index = 0;
    }
  }
}

/** Every entry under `prefix`, in order. */
export async function* iterateTree(store: NodeStore, rootId: string | null, prefix = ''): AsyncGenerator<TreeItem> {
  const cursor = new TreeCursor(store, rootId);
  await cursor.seek(prefix);
  for (let item = await cursor.next(); item; item = await cursor.next()) {
    if (!item.key.startsWith(prefix)) {
      if (compareKeys(item.key, prefix) > 0) return;
      continue;
    }
    yield item;
  }
}
