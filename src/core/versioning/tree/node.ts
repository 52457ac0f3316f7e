import type { Entry } from '../../objects/entry.ts';
import { compareKeys } from '../../keys.ts';

/**
 * Prolly tree nodes (DESIGN.md §2). A node is an immutable blob named by the SHA-256 of its
 * encoding. Leaves (level 0) map paths to entries; an internal node at level L maps the last key
 * of each child (a level L-1 node) to the child's id.
 *
 * Node boundaries depend only on keys: a key closes a node at level L when the low
 * `(L + 1) * FANOUT_BITS` bits of its hash are zero. A level L+1 boundary is therefore also a
 * level L boundary, so the tree is a pure function of its contents: equal key ranges give equal
 * nodes, equal trees have equal root ids, and an edit rewrites only the nodes it touches.
 */
export interface LeafNode {
  level: 0;
  keys: string[];
  values: Entry[];
}

export interface InternalNode {
  level: number;
  keys: string[];
  children: string[];
}

export type TreeNode = LeafNode | InternalNode;

/** 2^5 = 32 entries per node on average. Changing it changes every tree id: never do. */
export const FANOUT_BITS = 5;

export function isLeaf(node: TreeNode): node is LeafNode {
  return node.level === 0;
}

/**
 * Whether `key` closes a node at `level`. The hash is 53-bit cyrb53-style mixing over UTF-16
 * code units: fast, well spread, and frozen — it decides tree shapes, which are persisted.
 */
export function isBoundary(key: string, level: number): boolean {
  return keyHash(key) % 2 ** ((level + 1) * FANOUT_BITS) === 0;
}

export function keyHash(key: string): number {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 2654435761);
    h2 = Math.imul(h2 ^ c, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return 4294967296 * (2097151 & h2) + (h1 >>> 0);
}

interface EncodedNode {
  l: number;
  k: string[];
  v?: Entry[];
  c?: string[];
}

export function encodeNode(node: TreeNode): string {
  const encoded: EncodedNode = isLeaf(node)
    ? { l: 0, k: node.keys, v: node.values }
    : { l: node.level, k: node.keys, c: node.children };
  return JSON.stringify(encoded);
}

export function decodeNode(text: string): TreeNode {
  const encoded = JSON.parse(text) as EncodedNode;
  if (encoded.l === 0) return { level: 0, keys: encoded.k, values: encoded.v ?? [] };
  return { level: encoded.l, keys: encoded.k, children: encoded.c ?? [] };
}

/** Index of the first key ≥ `key` (or > `key` when `strict`), or `keys.length`. */
export function searchKeys(keys: string[], key: string, options: { strict: boolean }): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const c = compareKeys(keys[mid] as string, key);
    if (c < 0 || (options.strict && c === 0)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
