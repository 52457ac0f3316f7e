import { mapConcurrent } from '../../concurrency.ts';
import type { Entry } from '../../objects/entry.ts';
import { compareKeys } from '../../keys.ts';
import { locateNode, type LocatedNode } from './locate.ts';
import type { NodeStore } from './node-store.ts';
import { isBoundary, isLeaf, type TreeNode } from './node.ts';

/** Sets `key` to `value`, or deletes it when `value` is null. */
export interface TreeEdit<V = Entry> {
  key: string;
  value: V | null;
}

type Value = Entry | string;

/** Node writes in flight at once while rewriting a level. */
const NODE_WRITE_CONCURRENCY = 32;

interface Item {
  key: string;
  value: Value;
}

/**
 * Applies sorted, unique-key edits to the tree at `rootId` (null: empty) and returns the new
 * root id (null: empty). Cost O(edits · height): each level rewrites only the regions holding an
 * edit, and hands the level above an edit batch of (old node → deleted, new node → put).
 */
export async function applyEdits(
  store: NodeStore,
  rootId: string | null,
  edits: TreeEdit[],
): Promise<string | null> {
  if (edits.length === 0) return rootId;
  if (rootId === null) return buildUp(store, await writeChunks(store, edits.filter(hasValue), 0), 1);
  const rootLevel = (await store.get(rootId)).level;
  let level = 0;
  let levelEdits: TreeEdit<Value>[] = edits;
  for (;;) {
    const { parentEdits, written } = await rewriteLevel(store, rootId, { level, edits: levelEdits });
    if (level === rootLevel) return buildUp(store, written, level + 1);
    if (parentEdits.length === 0) return rootId;
    levelEdits = parentEdits;
    level += 1;
  }
}

function hasValue<V>(edit: TreeEdit<V>): edit is { key: string; value: V } {
  return edit.value !== null;
}

async function rewriteLevel(
  store: NodeStore,
  rootId: string,
  input: { level: number; edits: TreeEdit<Value>[] },
): Promise<{ parentEdits: TreeEdit<string>[]; written: Item[] }> {
  const { level, edits } = input;
  const parentEdits: TreeEdit<string>[] = [];
  const written: Item[] = [];
  let i = 0;
  while (i < edits.length) {
    let located = await locateNode(store, rootId, { level, key: (edits[i] as TreeEdit<Value>).key, strict: false });
    const consumed: LocatedNode[] = [];
    const merged: Item[] = [];
    // A region grows until it ends on a boundary key, so that the nodes after it stay valid.
    for (;;) {
      if (!located) throw new Error('prolly tree: a node that must follow is missing');
      consumed.push(located);
      let j = i;
      while (j < edits.length && (located.rightmost || compareKeys((edits[j] as TreeEdit<Value>).key, located.lastKey) <= 0)) j++;
      mergeNode(merged, located.node, edits.slice(i, j));
      i = j;
      const last = merged[merged.length - 1];
      if (located.rightmost || (last !== undefined && isBoundary(last.key, level))) break;
      located = await locateNode(store, rootId, { level, key: located.lastKey, strict: true });
    }
    const chunks = await writeChunks(store, merged, level);
    written.push(...chunks);
    parentEdits.push(...regionParentEdits(consumed, chunks));
  }
  return { parentEdits, written };
}

/** Old nodes leave the parent level, new ones enter; a put on a deleted key wins. */
function regionParentEdits(consumed: LocatedNode[], chunks: Item[]): TreeEdit<string>[] {
  const byKey = new Map<string, string | null>();
  const oldIds = new Map<string, string>();
  for (const old of consumed) {
    byKey.set(old.lastKey, null);
    oldIds.set(old.lastKey, old.id);
  }
  for (const chunk of chunks) {
    // A node rebuilt byte-for-byte changes nothing above it.
    if (oldIds.get(chunk.key) === chunk.value) byKey.delete(chunk.key);
    else byKey.set(chunk.key, chunk.value as string);
  }
  return [...byKey.entries()]
    .map(([key, value]) => ({ key, value }))
    .sort((a, b) => compareKeys(a.key, b.key));
}

function mergeNode(out: Item[], node: TreeNode, edits: TreeEdit<Value>[]): void {
  const values: Value[] = isLeaf(node) ? node.values : node.children;
  let e = 0;
  for (let k = 0; k < node.keys.length; k++) {
    const key = node.keys[k] as string;
    while (e < edits.length && compareKeys((edits[e] as TreeEdit<Value>).key, key) < 0) pushEdit(out, edits[e++] as TreeEdit<Value>);
    const edit = edits[e];
    if (edit !== undefined && edit.key === key) {
      pushEdit(out, edit);
      e++;
    } else {
      out.push({ key, value: values[k] as Value });
    }
  }
  while (e < edits.length) pushEdit(out, edits[e++] as TreeEdit<Value>);
}

function pushEdit(out: Item[], edit: TreeEdit<Value>): void {
  if (edit.value !== null) out.push({ key: edit.key, value: edit.value });
}

/** Cuts items into nodes at `level` after each boundary key, writes them, returns (last key → id). */
async function writeChunks(store: NodeStore, items: Item[], level: number): Promise<Item[]> {
  const nodes: TreeNode[] = [];
  let start = 0;
  for (let k = 0; k < items.length; k++) {
    if (k === items.length - 1 || isBoundary((items[k] as Item).key, level)) {
      nodes.push(makeNode(items.slice(start, k + 1), level));
      start = k + 1;
    }
  }
  const ids = await mapConcurrent(nodes, NODE_WRITE_CONCURRENCY, (node) => store.put(node));
  return nodes.map((node, n) => ({ key: node.keys[node.keys.length - 1] as string, value: ids[n] as string }));
}

function makeNode(items: Item[], level: number): TreeNode {
  const keys = items.map((item) => item.key);
  if (level === 0) return { level: 0, keys, values: items.map((item) => item.value as Entry) };
  return { level, keys, children: items.map((item) => item.value as string) };
}

/**
 * Given the nodes of level `level - 1` (in order), builds the levels above until one node is
 * left, then drops single-child roots: the root is the lowest level that has a single node.
 */
async function buildUp(store: NodeStore, nodes: Item[], level: number): Promise<string | null> {
  let current = nodes;
  let next = level;
  while (current.length > 1) {
    current = await writeChunks(store, current, next);
    next += 1;
  }
  const top = current[0];
  if (top === undefined) return null;
  let id = top.value as string;
  let node = await store.get(id);
  while (!isLeaf(node) && node.children.length === 1) {
    id = node.children[0] as string;
    node = await store.get(id);
  }
  return id;
}
