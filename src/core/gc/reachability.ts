import { mapConcurrent } from '../concurrency.ts';
import { StrataError } from '../errors.ts';
import type { BlobStore } from '../ports/blob-store.ts';
import type { HeldBlob } from '../ports/gc-store.ts';
import { decodeNode, isLeaf } from '../versioning/tree/node.ts';

/** Node and manifest reads in flight at once while marking. */
const READ_CONCURRENCY = 16;

/**
 * The set of blobs garbage collection must keep, filled by walking trees and manifests. Each
 * node and manifest is read once whatever number of commits share it, so marking a hundred
 * commits of one large tree costs about one walk of the tree plus the nodes the commits changed.
 *
 * Decoded nodes are not cached (a walk touches each once); the set holds hashes only.
 */
export class ReachableSet {
  private readonly hashes = new Set<string>();
  /**
   * Tree nodes already walked, apart from `hashes`: a stored file whose bytes equal some node
   * is marked as a content, and must not stop the walk from reading that node's children.
   */
  private readonly walked = new Set<string>();
  private readonly manifestsRead = new Set<string>();

  /**
   * `erased`: contents an erasure destroyed. Their blobs are gone on purpose, so a kept tree
   * naming one marks nothing for it (and a copy put back later is garbage).
   */
  constructor(
    private readonly blobs: BlobStore,
    private readonly erased: ReadonlySet<string> = new Set(),
  ) {}

  has(sha256: string): boolean {
    return this.hashes.has(sha256);
  }

  get size(): number {
    return this.hashes.size;
  }

  /** Marks a whole tree: every node, every entry's content, every manifest and its chunks. */
  async addTree(root: string | null): Promise<void> {
    if (root === null || this.walked.has(root)) return;
    this.walked.add(root);
    this.hashes.add(root);
    let frontier = [root];
    while (frontier.length > 0) {
      const next: string[] = [];
      const manifests: string[] = [];
      await mapConcurrent(frontier, READ_CONCURRENCY, async (id) => {
        const node = decodeNode(Buffer.from(await this.read(id, 'tree node')).toString('utf8'));
        if (isLeaf(node)) {
          for (const entry of node.values) manifests.push(...this.addContent(entry));
          return;
        }
        for (const child of node.children) {
          if (this.walked.has(child)) continue;
          this.walked.add(child);
          this.hashes.add(child);
          next.push(child);
        }
      });
      await this.addManifests(manifests);
      frontier = next;
    }
  }

  /** Marks blobs a root outside the trees holds (a staged entry, a part, a cache segment). */
  async addHeld(held: HeldBlob): Promise<void> {
    await this.addManifests(this.addContent(held));
  }

  /** Marks a content; returns its manifest when that still has to be read. */
  private addContent(content: { sha256: string; manifest?: string }): string[] {
    if (this.erased.has(content.sha256)) return [];
    // A chunked content's own hash names no blob; marking it costs nothing and keeps the rule simple.
    this.hashes.add(content.sha256);
    const manifest = content.manifest;
    if (manifest === undefined || this.manifestsRead.has(manifest)) return [];
    this.manifestsRead.add(manifest);
    this.hashes.add(manifest);
    return [manifest];
  }

  private async addManifests(ids: string[]): Promise<void> {
    await mapConcurrent(ids, READ_CONCURRENCY, async (id) => {
      const encoded = JSON.parse(Buffer.from(await this.read(id, 'chunk manifest')).toString('utf8')) as { chunks: [string, number][] };
      for (const [chunk] of encoded.chunks) this.hashes.add(chunk);
    });
  }

  /**
   * A node or manifest that a kept version names must exist: if it does not, the store already
   * lost data, and collecting on would hide it. Stop with the hash so an operator can look.
   */
  private async read(id: string, what: string): Promise<Uint8Array> {
    try {
      return await this.blobs.read(id);
    } catch (error) {
      if (error instanceof StrataError && error.code === 'NotFound') {
        throw new StrataError('Internal', `garbage collection stopped: ${what} ${id} of a kept version is missing from the blob store`, { cause: error });
      }
      throw error;
    }
  }
}
