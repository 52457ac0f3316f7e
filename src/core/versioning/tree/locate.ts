import { mapConcurrent } from '../../concurrency.ts';
import type { NodeStore } from './node-store.ts';
import { compareKeys } from '../../keys.ts';
import { searchKeys, type TreeNode } from './node.ts';

/** A node found at some level, with its place among its siblings at that level. */
export interface LocatedNode {
  id: string;
  node: TreeNode;
  /** The node's last key (the key its parent files it under). */
  lastKey: string;
  /** The last key of the node before it at this level; undefined for the first node. */
  lowKey: string | undefined;
  /** True when no node follows it at this level. */
  rightmost: boolean;
}

/**
 * Descends from `rootId` to the node at `level` whose key range holds `key`: the first node whose
 * last key is ≥ `key` (> `key` when `strict`). A key past every node lands in the last node,
 * unless `strict`, where there is then no such node. O(height) node reads, mostly cached.
 */
export async function locateNode(
  store: NodeStore,
  rootId: string,
  target: { level: number; key: string; strict: boolean },
): Promise<LocatedNode | undefined> {
  let id = rootId;
  let node = await store.get(id);
  let rightmost = true;
  let lastKey = node.keys[node.keys.length - 1] ?? '';
  let lowKey: string | undefined;
  while (node.level > target.level) {
    const children = (node as { children: string[] }).children;
    let i = searchKeys(node.keys, target.key, { strict: target.strict });
    if (i === node.keys.length) {
      if (target.strict) return undefined;
      i = node.keys.length - 1;
    }
    if (i > 0) lowKey = node.keys[i - 1];
    rightmost = rightmost && i === node.keys.length - 1;
    lastKey = node.keys[i] as string;
    id = children[i] as string;
    node = await store.get(id);
  }
  // Reached without descending (the root is at `level`): nothing follows a key at or past its end.
  if (target.strict && compareKeys(lastKey, target.key) <= 0) return undefined;
  return { id, node, lastKey, lowKey, rightmost };
}

/** Node reads in flight at once while prefetching. */
const PREFETCH_CONCURRENCY = 16;

/**
 * Loads into the store's cache every node on the paths from `rootId` down to the leaves that
 * hold `keys`, one level at a time with the reads of a level in parallel: a commit's thousand
 * lookups at a million entries were a thousand sequential leaf reads. `keys` should fit the
 * cache (a few thousand); callers window larger sets.
 */
export async function prefetchPaths(store: NodeStore, rootId: string, keys: string[]): Promise<void> {
  let level = new Map<string, string[]>([[rootId, keys]]);
  while (level.size > 0) {
    const entries = [...level.entries()];
    const nodes = await mapConcurrent(entries, PREFETCH_CONCURRENCY, ([id]) => store.get(id));
    const next = new Map<string, string[]>();
    nodes.forEach((node, n) => {
      if (node.level === 0) return;
      const children = (node as { children: string[] }).children;
      for (const key of (entries[n] as [string, string[]])[1]) {
        const i = Math.min(searchKeys(node.keys, key, { strict: false }), node.keys.length - 1);
        const child = children[i] as string;
        const under = next.get(child);
        if (under) under.push(key);
        else next.set(child, [key]);
      }
    });
    level = next;
  }
}
