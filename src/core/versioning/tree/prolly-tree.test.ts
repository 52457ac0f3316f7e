import { describe, expect, it } from 'vitest';
import { MemoryBlobStore } from '../../../adapters/blob/memory/memory-blob-store.ts';
import type { Entry } from '../../objects/entry.ts';
import { compareKeys } from '../../keys.ts';
import { applyEdits, type TreeEdit } from './apply-edits.ts';
import { prefetchPaths } from './locate.ts';
import { NodeStore } from './node-store.ts';
import { diffTrees, type TreeChange } from './tree-diff.ts';
import { getTreeEntry, iterateTree, TreeCursor } from './tree-reader.ts';

/** Deterministic PRNG so failures reproduce. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const entry = (n: number): Entry => ({ sha256: n.toString(16).padStart(64, '0'), size: n, md5: 'm', contentType: 'text/plain', mtime: 't' });
const keyOf = (n: number): string => `dir${n % 7}/file-${n.toString().padStart(6, '0')}`;

function sortedEdits(map: Map<string, Entry | null>): TreeEdit[] {
  return [...map.entries()].map(([key, value]) => ({ key, value })).sort((a, b) => compareKeys(a.key, b.key));
}

async function bulk(store: NodeStore, model: Map<string, Entry>): Promise<string | null> {
  return applyEdits(store, null, sortedEdits(new Map(model)));
}

async function all(store: NodeStore, root: string | null): Promise<[string, Entry][]> {
  const out: [string, Entry][] = [];
  for await (const item of iterateTree(store, root)) out.push([item.key, item.entry]);
  return out;
}

describe('prolly tree', () => {
  it('matches a model under random edit batches, and stays canonical', async () => {
    const store = new NodeStore(new MemoryBlobStore());
    const random = rng(42);
    const model = new Map<string, Entry>();
    let root: string | null = null;
    for (let round = 0; round < 40; round++) {
      const batch = new Map<string, Entry | null>();
      const size = round < 5 ? 2000 : 1 + Math.floor(random() * 300);
      for (let k = 0; k < size; k++) {
        const n = Math.floor(random() * 5000);
        const del = random() < 0.35;
        batch.set(keyOf(n), del ? null : entry(n + round));
      }
      root = await applyEdits(store, root, sortedEdits(batch));
      for (const [key, value] of batch) {
        if (value === null) model.delete(key);
        else model.set(key, value);
      }
      const expected = [...model.entries()].sort(([a], [b]) => compareKeys(a, b));
      expect(await all(store, root)).toEqual(expected);
      // History independence: the same contents built in one go give the same root id.
      expect(root).toBe(await bulk(store, model));
    }
    for (const [key, value] of [...model].slice(0, 50)) expect(await getTreeEntry(store, root, key)).toEqual(value);
    expect(await getTreeEntry(store, root, 'missing')).toBeUndefined();
  });

  it('deleting everything gives the empty tree', async () => {
    const store = new NodeStore(new MemoryBlobStore());
    const model = new Map<string, Entry>();
    for (let n = 0; n < 3000; n++) model.set(keyOf(n), entry(n));
    const root = await bulk(store, model);
    const deletes = new Map<string, Entry | null>([...model.keys()].map((k) => [k, null]));
    expect(await applyEdits(store, root, sortedEdits(deletes))).toBeNull();
  });

  it('diff lists exactly the changed paths, with prefix filtering', async () => {
    const store = new NodeStore(new MemoryBlobStore());
    const model = new Map<string, Entry>();
    for (let n = 0; n < 20000; n++) model.set(keyOf(n), entry(n));
    const left = await bulk(store, model);
    const batch = new Map<string, Entry | null>([
      [keyOf(10), null],
      [keyOf(11), entry(999999)],
      [keyOf(19999) + 'x', entry(5)],
      ['aaa-first', entry(1)],
    ]);
    const right = await applyEdits(store, left, sortedEdits(batch));
    const changes: TreeChange[] = [];
    for await (const change of diffTrees(store, { left, right })) changes.push(change);
    // keyOf(19999) is under dir0/, keyOf(10) under dir3/, keyOf(11) under dir4/.
    expect(changes.map((c) => [c.path, c.type])).toEqual([
      ['aaa-first', 'added'],
      [keyOf(19999) + 'x', 'added'],
      [keyOf(10), 'removed'],
      [keyOf(11), 'changed'],
    ]);
    expect(changes[2]?.left).toEqual(entry(10));
    expect(changes[3]?.right).toEqual(entry(999999));
    const filtered: string[] = [];
    for await (const change of diffTrees(store, { left, right, prefix: 'dir4/' })) filtered.push(change.path);
    expect(filtered).toEqual([keyOf(11)]);
    const reverse: string[] = [];
    for await (const change of diffTrees(store, { left: right, right: left })) reverse.push(`${change.path}:${change.type}`);
    expect(reverse).toEqual(['aaa-first:removed', `${keyOf(19999)}x:removed`, `${keyOf(10)}:added`, `${keyOf(11)}:changed`]);
  });

  it('diff against an empty tree and between equal trees', async () => {
    const store = new NodeStore(new MemoryBlobStore());
    const model = new Map<string, Entry>([['a', entry(1)], ['b', entry(2)]]);
    const root = await bulk(store, model);
    const fromEmpty: string[] = [];
    for await (const change of diffTrees(store, { left: null, right: root })) fromEmpty.push(`${change.path}:${change.type}`);
    expect(fromEmpty).toEqual(['a:added', 'b:added']);
    let count = 0;
    for await (const _ of diffTrees(store, { left: root, right: root })) count++;
    expect(count).toBe(0);
  });

  it('cursor seeks to the first key at or after a position', async () => {
    const store = new NodeStore(new MemoryBlobStore());
    const model = new Map<string, Entry>();
    for (let n = 0; n < 5000; n++) model.set(`k${n.toString().padStart(5, '0')}`, entry(n));
    const root = await bulk(store, model);
    const cursor = new TreeCursor(store, root);
    await cursor.seek('k02500x');
    expect((await cursor.next())?.key).toBe('k02501');
    await cursor.seek('k04999');
    expect((await cursor.next())?.key).toBe('k04999');
    expect(await cursor.next()).toBeUndefined();
    await cursor.seek('a');
    expect((await cursor.next())?.key).toBe('k00000');
  });

  it('prefetches exactly the nodes on the paths to the given keys, so the lookups read nothing more', async () => {
    const blobs = new MemoryBlobStore();
    const model = new Map<string, Entry>();
    for (let n = 0; n < 20_000; n++) model.set(keyOf(n), entry(n));
    const root = (await bulk(new NodeStore(blobs), model)) as string;
    const reads: string[] = [];
    const read = blobs.read.bind(blobs);
    blobs.read = (id: string) => {
      reads.push(id);
      return read(id);
    };
    const store = new NodeStore(blobs);
    const keys = [keyOf(3), keyOf(9_999), keyOf(19_998), 'absent/key'];
    await prefetchPaths(store, root, keys);
    const prefetched = reads.length;
    expect(new Set(reads).size).toBe(prefetched);
    for (const key of keys) expect(await getTreeEntry(store, root, key)).toEqual(model.get(key));
    expect(reads.length).toBe(prefetched);
    // The root, then one node per level per distinct path: at most (height − 1) × 4 + 1.
    const height = (await store.get(root)).level + 1;
    expect(prefetched).toBeGreaterThanOrEqual(height);
    expect(prefetched).toBeLessThanOrEqual((height - 1) * keys.length + 1);
  });
});
