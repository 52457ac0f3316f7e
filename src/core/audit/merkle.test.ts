import { describe, expect, it } from 'vitest';
import { consistencyProof, inclusionProof, leafHash, nodeHash, rootOf, verifyConsistency, verifyInclusion, type SubtreeHashes } from './merkle.ts';

/** MTH straight from RFC 9162 §2.1.1, over the leaves' hashes: the reference the fast code is checked against. */
function mth(leaves: Buffer[]): Buffer {
  if (leaves.length === 0) throw new Error('empty');
  if (leaves.length === 1) return leaves[0] as Buffer;
  let k = 1;
  while (k * 2 < leaves.length) k *= 2;
  return nodeHash(mth(leaves.slice(0, k)), mth(leaves.slice(k)));
}

function memoryTree(leaves: Buffer[]): SubtreeHashes {
  return { subtree: (start, size) => Promise.resolve(mth(leaves.slice(start, start + size))) };
}

const flip = (b: Buffer): Buffer => {
  const c = Buffer.from(b);
  c[0] = (c[0] as number) ^ 1;
  return c;
};

describe('RFC 9162 Merkle tree', () => {
  // The test data of the Certificate Transparency reference implementation (RFC 6962 trees).
  const inputs = ['', '00', '10', '2021', '3031', '40414243', '5051525354555657', '606162636465666768696a6b6c6d6e6f'].map((h) => Buffer.from(h, 'hex'));
  const roots = [
    '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
    'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
    'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77',
    'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    '4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4',
    '76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef',
    'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c',
    '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
  ];

  it('gives the reference implementation roots for trees of 1 to 8 leaves', async () => {
    const leaves = inputs.map(leafHash);
    for (let n = 1; n <= 8; n++) expect((await rootOf(memoryTree(leaves), 0, n)).toString('hex')).toBe(roots[n - 1]);
  });

  const leaves = Array.from({ length: 37 }, (_, i) => leafHash(Buffer.from(`entry ${i}`)));
  const tree = memoryTree(leaves);

  it('proves every leaf of every tree up to 37 leaves, and rejects altered proofs', async () => {
    for (let n = 1; n <= leaves.length; n++) {
      const root = mth(leaves.slice(0, n));
      expect(await rootOf(tree, 0, n)).toEqual(root);
      for (let index = 0; index < n; index++) {
        const proof = await inclusionProof(tree, index, n);
        const leaf = leaves[index] as Buffer;
        expect(verifyInclusion({ leaf, index, size: n, proof, root })).toBe(true);
        if (proof.length > 0) {
          expect(verifyInclusion({ leaf, index, size: n, proof: [flip(proof[0] as Buffer), ...proof.slice(1)], root })).toBe(false);
          expect(verifyInclusion({ leaf, index, size: n, proof: proof.slice(1), root })).toBe(false);
        }
        expect(verifyInclusion({ leaf: flip(leaf), index, size: n, proof, root })).toBe(false);
        if (n > 1) expect(verifyInclusion({ leaf, index: (index + 1) % n, size: n, proof, root })).toBe(false);
        expect(verifyInclusion({ leaf, index, size: n, proof: [...proof, leaf], root })).toBe(false);
      }
    }
  });

  it('proves every smaller tree a prefix of every larger one, and rejects altered proofs', async () => {
    for (let n = 1; n <= leaves.length; n++) {
      const secondRoot = mth(leaves.slice(0, n));
      for (let m = 1; m <= n; m++) {
        const firstRoot = mth(leaves.slice(0, m));
        const proof = await consistencyProof(tree, m, n);
        expect(verifyConsistency({ first: m, second: n, firstRoot, secondRoot, proof })).toBe(true);
        expect(verifyConsistency({ first: m, second: n, firstRoot: flip(firstRoot), secondRoot, proof })).toBe(false);
        expect(verifyConsistency({ first: m, second: n, firstRoot, secondRoot: flip(secondRoot), proof })).toBe(false);
        if (proof.length > 0) expect(verifyConsistency({ first: m, second: n, firstRoot, secondRoot, proof: [flip(proof[0] as Buffer), ...proof.slice(1)] })).toBe(false);
        if (m < n) expect(verifyConsistency({ first: m, second: n, firstRoot, secondRoot, proof: proof.slice(0, -1) })).toBe(false);
      }
    }
    // A log that rewrote an old entry cannot prove itself consistent with the head it published.
    const rewritten = [...leaves];
    rewritten[3] = leafHash(Buffer.from('entry 3, edited'));
    const published = mth(leaves.slice(0, 10));
    const proof = await consistencyProof(memoryTree(rewritten), 10, 20);
    expect(verifyConsistency({ first: 10, second: 20, firstRoot: published, secondRoot: mth(rewritten.slice(0, 20)), proof })).toBe(false);
  });

  it('refuses proofs outside the tree', async () => {
    await expect(inclusionProof(tree, 5, 5)).rejects.toThrow('leaf 5 is not in a tree of 5');
    await expect(consistencyProof(tree, 0, 5)).rejects.toThrow('no consistency proof from 0 to 5');
    expect(verifyInclusion({ leaf: leaves[0] as Buffer, index: 0, size: 0, proof: [], root: leaves[0] as Buffer })).toBe(false);
  });
});
