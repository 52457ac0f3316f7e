import { hash } from 'node:crypto';

/**
 * The Merkle tree of RFC 9162 §2.1 (Certificate Transparency v2, same tree as RFC 6962): leaf
 * hash SHA-256(0x00 ‖ entry), node hash SHA-256(0x01 ‖ left ‖ right), a tree of n leaves split
 * at the largest power of two below n. Written here: the algorithms are a page of the RFC, and
 * the packages that implement them either hash differently (Bitcoin's duplicated odd nodes) or
 * keep the whole tree in memory, where the audit log needs proofs over stored subtree hashes.
 */

const LEAF = Buffer.from([0x00]);
const NODE = Buffer.from([0x01]);

// One-shot hashing of one concatenated buffer: about twice as fast as a Hash object per node,
// which is what verification of millions of entries spends its time on.
export function leafHash(entry: Uint8Array): Buffer {
  return hash('sha256', Buffer.concat([LEAF, entry]), 'buffer');
}

export function nodeHash(left: Uint8Array, right: Uint8Array): Buffer {
  return hash('sha256', Buffer.concat([NODE, left, right], 65), 'buffer');
}

/**
 * Hashes of perfect subtrees — `size` a power of two, `start` a multiple of it — which is all any
 * root or proof needs. A log keeps them as it grows, so proofs cost O(log n) lookups.
 */
export interface SubtreeHashes {
  subtree(start: number, size: number): Promise<Buffer>;
}

/** The largest power of two smaller than n (n ≥ 2). */
function split(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

const isPowerOfTwo = (n: number): boolean => n > 0 && (n & (n - 1)) === 0;

/** MTH(D[start : start + n]), for n ≥ 1 and `start` a multiple of split(n)'s powers (as the recursion makes it). */
export async function rootOf(tree: SubtreeHashes, start: number, n: number): Promise<Buffer> {
  if (isPowerOfTwo(n) && start % n === 0) return tree.subtree(start, n);
  const k = split(n);
  return nodeHash(await rootOf(tree, start, k), await rootOf(tree, start + k, n - k));
}

/** PATH(index, D[0:n]) of RFC 9162 §2.1.3.1: the audit path of leaf `index` in the tree of size n. */
export async function inclusionProof(tree: SubtreeHashes, index: number, n: number): Promise<Buffer[]> {
  if (!(index >= 0 && index < n)) throw new RangeError(`leaf ${index} is not in a tree of ${n}`);
  const path: Buffer[] = [];
  // Walks down from the root; the proof lists siblings from the leaf up, so it is built reversed.
  let start = 0;
  let size = n;
  let m = index;
  while (size > 1) {
    const k = split(size);
    if (m < k) {
      path.push(await rootOf(tree, start + k, size - k));
      size = k;
    } else {
      path.push(await rootOf(tree, start, k));
      start += k;
      m -= k;
      size -= k;
    }
  }
  return path.reverse();
}

/** PROOF(m, D[0:n]) of RFC 9162 §2.1.4.1: that the tree of size m is a prefix of the tree of size n. */
export async function consistencyProof(tree: SubtreeHashes, m: number, n: number): Promise<Buffer[]> {
  if (!(m > 0 && m <= n)) throw new RangeError(`no consistency proof from ${m} to ${n}`);
  const proof: Buffer[] = [];
  // SUBPROOF(m, D[start : start + size], complete), iteratively; nodes are prepended as the RFC appends them after recursing.
  let start = 0;
  let size = n;
  let complete = true;
  let left = m;
  const tail: Buffer[] = [];
  while (left !== size) {
    const k = split(size);
    if (left <= k) {
      tail.push(await rootOf(tree, start + k, size - k));
      size = k;
    } else {
      tail.push(await rootOf(tree, start, k));
      start += k;
      left -= k;
      size -= k;
      complete = false;
    }
  }
  if (!complete) proof.push(await rootOf(tree, start, size));
  return [...proof, ...tail.reverse()];
}

const lsb = (x: number): boolean => x % 2 === 1;
const half = (x: number): number => Math.floor(x / 2);

/** RFC 9162 §2.1.3.2: whether `proof` shows the leaf with this hash at `index` in the tree of size n with this root. */
export function verifyInclusion(input: { leaf: Uint8Array; index: number; size: number; proof: Uint8Array[]; root: Uint8Array }): boolean {
  if (!(input.index >= 0 && input.index < input.size)) return false;
  let fn = input.index;
  let sn = input.size - 1;
  let r: Uint8Array = input.leaf;
  for (const p of input.proof) {
    if (sn === 0) return false;
    if (lsb(fn) || fn === sn) {
      r = nodeHash(p, r);
      if (!lsb(fn)) {
        while (!(lsb(fn) || fn === 0)) {
          fn = half(fn);
          sn = half(sn);
        }
      }
    } else {
      r = nodeHash(r, p);
    }
    fn = half(fn);
    sn = half(sn);
  }
  return sn === 0 && Buffer.from(r).equals(input.root);
}

/** RFC 9162 §2.1.4.2: whether `proof` shows the tree of size `first` (root `firstRoot`) is a prefix of the one of size `second`. */
export function verifyConsistency(input: { first: number; second: number; firstRoot: Uint8Array; secondRoot: Uint8Array; proof: Uint8Array[] }): boolean {
  const { first, second, firstRoot, secondRoot } = input;
  if (!(first > 0 && first <= second)) return false;
  if (first === second) return input.proof.length === 0 && Buffer.from(firstRoot).equals(secondRoot);
  if (input.proof.length === 0) return false;
  const path = isPowerOfTwo(first) ? [firstRoot, ...input.proof] : input.proof;
  let fn = first - 1;
  let sn = second - 1;
  while (lsb(fn)) {
    fn = half(fn);
    sn = half(sn);
  }
  let fr: Uint8Array = path[0] as Uint8Array;
  let sr: Uint8Array = path[0] as Uint8Array;
  for (const c of path.slice(1)) {
    if (sn === 0) return false;
    if (lsb(fn) || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      if (!lsb(fn)) {
        while (!(lsb(fn) || fn === 0)) {
          fn = half(fn);
          sn = half(sn);
        }
      }
    } else {
      sr = nodeHash(sr, c);
    }
    fn = half(fn);
    sn = half(sn);
  }
  return Buffer.from(fr).equals(firstRoot) && Buffer.from(sr).equals(secondRoot) && sn === 0;
}
