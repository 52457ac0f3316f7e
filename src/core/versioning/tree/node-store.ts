import { createHash } from 'node:crypto';
import type { BlobStore } from '../../ports/blob-store.ts';
import { decodeNode, encodeNode, type TreeNode } from './node.ts';

export const DEFAULT_NODE_CACHE_SIZE = 8192;

/**
 * Reads and writes tree nodes through the blob store, with an LRU cache of decoded nodes.
 * Nodes are immutable, so the cache never needs invalidation and is safe to share.
 */
export class NodeStore {
  private readonly cache = new Map<string, TreeNode>();

  constructor(
    private readonly blobs: BlobStore,
    private readonly cacheSize = DEFAULT_NODE_CACHE_SIZE,
  ) {}

  async get(id: string): Promise<TreeNode> {
    const cached = this.cache.get(id);
    if (cached) {
      this.cache.delete(id);
      this.cache.set(id, cached);
      return cached;
    }
    const bytes = await this.blobs.read(id);
    const node = decodeNode(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'));
    this.remember(id, node);
    return node;
  }

  /**
   * Makes the nodes written so far durable. Node writes defer their sync: a commit writes
   * hundreds of nodes and flushes once, before the transaction that makes them reachable.
   */
  flush(): Promise<void> {
    return this.blobs.flush();
  }

  /** Stores a node and returns its id (the SHA-256 of its encoding). Durable after `flush`. */
  async put(node: TreeNode): Promise<string> {
    const bytes = Buffer.from(encodeNode(node), 'utf8');
    const id = createHash('sha256').update(bytes).digest('hex');
    // Put even when cached: the blob store freshens an existing node, and a cached node may have
    // been collected since it was read (garbage collection keeps only what is fresh or reachable).
    await this.blobs.put(bytes, { sha256: id, deferSync: true });
    if (!this.cache.has(id)) this.remember(id, node);
    return id;
  }

  private remember(id: string, node: TreeNode): void {
    this.cache.set(id, node);
    if (this.cache.size > this.cacheSize) {
      const oldest = this.cache.keys().next();
      if (oldest.done !== true) this.cache.delete(oldest.value);
    }
  }
}
