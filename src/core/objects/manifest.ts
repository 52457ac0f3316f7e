import { createHash } from 'node:crypto';
import type { BlobStore } from '../ports/blob-store.ts';

/** One chunk of a chunked content, in order. */
export interface ChunkRef {
  sha256: string;
  size: number;
}

/** The list of chunks a large content is made of; an immutable blob like any other. */
export interface Manifest {
  size: number;
  chunks: ChunkRef[];
}

interface EncodedManifest {
  v: 1;
  size: number;
  chunks: [string, number][];
}

export async function writeManifest(blobs: BlobStore, manifest: Manifest, options: { deferSync: boolean }): Promise<string> {
  const encoded: EncodedManifest = { v: 1, size: manifest.size, chunks: manifest.chunks.map((c) => [c.sha256, c.size]) };
  const bytes = Buffer.from(JSON.stringify(encoded), 'utf8');
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  await blobs.put(bytes, { sha256, deferSync: options.deferSync });
  return sha256;
}

const cache = new Map<string, Manifest>();
const CACHE_LIMIT = 256;

/** Reads a manifest; manifests are immutable, so a small process-wide cache is safe. */
export async function readManifest(blobs: BlobStore, id: string): Promise<Manifest> {
  const hit = cache.get(id);
  if (hit) return hit;
  const bytes = await blobs.read(id);
  const encoded = JSON.parse(Buffer.from(bytes).toString('utf8')) as EncodedManifest;
  const manifest = { size: encoded.size, chunks: encoded.chunks.map(([sha256, size]) => ({ sha256, size })) };
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(id, manifest);
  return manifest;
}
