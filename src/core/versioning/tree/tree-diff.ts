import { sameEntry, type Entry } from '../../objects/entry.ts';
import { compareKeys } from '../../keys.ts';
import type { NodeStore } from './node-store.ts';
import { isLeaf } from './node.ts';

export type ChangeType = 'added' | 'removed' | 'changed';

/** One path that differs between two trees. */
export interface TreeChange {
  path: string;
  type: ChangeType;
  /** The entry in the left (older) tree; absent for `added`. */
  left?: Entry;
  /** The entry in the right (newer) tree; absent for `removed`. */
  right?: Entry;
}

type StackItem =
  | { kind: 'node'; id: string; level: number; lowKey: string | undefined; lastKey: string }
  | { kind: 'entry'; key: string; entry: Entry };

/**
 * Streams the differences between two trees in path order. Subtrees with equal ids are skipped
 * without being read, so the cost is O(changes · height), not O(size).
 */
export async function* diffTrees(
  store: NodeStore,
  trees: { left: string | null; right: string | null; prefix?: string },
): AsyncGenerator<TreeChange> {
  const prefix = trees.prefix ?? '';
  const a = await rootStack(store, trees.left);
  const b = await rootStack(store, trees.right);
  for (;;) {
    trimToPrefix(a, prefix);
    trimToPrefix(b, prefix);
    const x = a[a.length - 1];
    const y = b[b.length - 1];
    if (!x && !y) return;
    if (x?.kind === 'node' && y?.kind === 'node') {
      if (x.id === y.id) {
        a.pop();
        b.pop();
        continue;
      }
      const order = compareKeys(x.lastKey, y.lastKey);
      if (order < 0 || (order === 0 && x.level >= y.level)) await expand(store, a);
      if (order > 0 || (order === 0 && y.level >= x.level)) await expand(store, b);
      continue;
    }
    if (x?.kind === 'node') {
      if (y?.kind === 'entry' && isBefore(y, x)) yield added(b.pop() as EntryItem);
      else await expand(store, a);
      continue;
    }
    if (y?.kind === 'node') {
      if (x?.kind === 'entry' && isBefore(x, y)) yield removed(a.pop() as EntryItem);
      else await expand(store, b);
      continue;
    }
    const change = compareEntries(x, y);
    if (change === 'left') yield removed(a.pop() as EntryItem);
    else if (change === 'right') yield added(b.pop() as EntryItem);
    else {
      a.pop();
      b.pop();
      if (x && y && !sameEntry(x.entry, y.entry)) yield { path: x.key, type: 'changed', left: x.entry, right: y.entry };
    }
  }
}

type EntryItem = Extract<StackItem, { kind: 'entry' }>;
type NodeItem = Extract<StackItem, { kind: 'node' }>;

function added(item: EntryItem): TreeChange {
  return { path: item.key, type: 'added', right: item.entry };
}

function removed(item: EntryItem): TreeChange {
  return { path: item.key, type: 'removed', left: item.entry };
}

/** Which side's next entry comes first: 'left', 'right', or 'same' path. */
function compareEntries(x: EntryItem | undefined, y: EntryItem | undefined): 'left' | 'right' | 'same' {
  if (!y) return 'left';
  if (!x) return 'right';
  const order = compareKeys(x.key, y.key);
  return order < 0 ? 'left' : order > 0 ? 'right' : 'same';
}

/** True when the entry sorts before every key the node can hold. */
function isBefore(entry: EntryItem, node: NodeItem): boolean {
  return node.lowKey !== undefined && compareKeys(entry.key, node.lowKey) <= 0;
}

async function rootStack(store: NodeStore, rootId: string | null): Promise<StackItem[]> {
  if (rootId === null) return [];
  const root = await store.get(rootId);
  return [{ kind: 'node', id: rootId, level: root.level, lowKey: undefined, lastKey: root.keys[root.keys.length - 1] ?? '' }];
}

/** Replaces the node on top of the stack by its children (the first child ends on top). */
async function expand(store: NodeStore, stack: StackItem[]): Promise<void> {
  const top = stack.pop() as NodeItem;
  const node = await store.get(top.id);
  for (let i = node.keys.length - 1; i >= 0; i--) {
    const key = node.keys[i] as string;
    if (isLeaf(node)) {
      stack.push({ kind: 'entry', key, entry: node.values[i] as Entry });
    } else {
      const lowKey = i > 0 ? node.keys[i - 1] : top.lowKey;
      stack.push({ kind: 'node', id: node.children[i] as string, level: node.level - 1, lowKey, lastKey: key });
    }
  }
}

/** Drops items wholly before `prefix`; empties the stack once items are wholly after it. */
function trimToPrefix(stack: StackItem[], prefix: string): void {
  if (prefix === '') return;
  for (;;) {
    const top = stack[stack.length - 1];
    if (!top) return;
    const first = top.kind === 'entry' ? top.key : top.lowKey;
    const last = top.kind === 'entry' ? top.key : top.lastKey;
    if (compareKeys(last, prefix) < 0) {
      stack.pop();
      continue;
    }
    if (first !== undefined && !first.startsWith(prefix) && compareKeys(first, prefix) > 0) {
      stack.length = 0;
      return;
    }
    if (top.kind === 'entry' && !top.key.startsWith(prefix)) {
      stack.pop();
      continue;
    }
    return;
  }
}
