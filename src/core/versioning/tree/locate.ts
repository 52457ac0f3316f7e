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
