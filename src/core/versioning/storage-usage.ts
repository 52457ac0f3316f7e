import type { VersioningDeps } from './deps.ts';
import type { ObjectService } from './object-service.ts';
import type { CallContext } from './types.ts';

/** What the objects under a prefix take: as users see them, and as stored after deduplication. */
export interface StorageUsage {
  objects: number;
  /** Sum of the objects' sizes. */
  logicalBytes: number;
  /** Bytes of the distinct contents (identical files counted once). */
  distinctBytes: number;
  /** Bytes of the distinct chunks and whole blobs holding them (what the blob store keeps). */
  storedBytes: number;
  chunks: number;
}

const PAGE = 5000;

/**
 * Walks the objects under `prefix` at `ref` and counts each distinct chunk once, so a series of
 * checkpoints that share most of their bytes shows how little each new one added.
 */
export async function storageUsage(scope: { deps: VersioningDeps; objects: ObjectService; ctx: CallContext }, input: { repository: string; ref: string; prefix?: string }): Promise<StorageUsage> {
  const { deps, objects, ctx } = scope;
  const usage: StorageUsage = { objects: 0, logicalBytes: 0, distinctBytes: 0, storedBytes: 0, chunks: 0 };
  const contents = new Set<string>();
  const chunks = new Set<string>();
  for (let after: string | undefined; ; ) {
    const page = await objects.list(ctx, { repository: input.repository, ref: input.ref, prefix: input.prefix ?? '', after, limit: PAGE });
    for (const object of page.objects) {
      usage.objects++;
      usage.logicalBytes += object.size;
      if (contents.has(object.sha256)) continue;
      contents.add(object.sha256);
      usage.distinctBytes += object.size;
      for (const chunk of await deps.objects.chunksOf(object)) {
        if (chunks.has(chunk.sha256)) continue;
        chunks.add(chunk.sha256);
        usage.storedBytes += chunk.size;
      }
    }
    if (!page.truncated) break;
    after = page.nextAfter;
  }
  usage.chunks = chunks.size;
  return usage;
}
