import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { FsBlobStore } from '../../src/adapters/blob/fs/fs-blob-store.ts';
import { MemoryBlobStore } from '../../src/adapters/blob/memory/memory-blob-store.ts';
import { blobStoreConformance } from './blob-store-suite.ts';

const roots: string[] = [];
afterAll(async () => {
  await Promise.all(roots.map((root) => rm(root, { recursive: true, force: true })));
});

blobStoreConformance('fs', async () => {
  const root = await mkdtemp(join(tmpdir(), 'strata-blobs-'));
  roots.push(root);
  return FsBlobStore.open({ root });
});

blobStoreConformance('memory', () => Promise.resolve(new MemoryBlobStore()));
