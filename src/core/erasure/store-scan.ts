import { mapConcurrent } from '../concurrency.ts';
import type { Entry } from '../objects/entry.ts';
import type { MetadataStore } from '../ports/metadata-store.ts';
import type { CommitNode } from '../ports/gc-store.ts';
import { isLeaf } from '../versioning/tree/node.ts';
import type { NodeStore } from '../versioning/tree/node-store.ts';

const READ_CONCURRENCY = 16;

/** A repository's commits whose trees are still readable (expired ones were collected). */
export async function readableCommits(metadata: MetadataStore, repository: string): Promise<CommitNode[]> {
  const expired = await metadata.gc.expiredCommits(repository);
  return (await metadata.gc.listCommits(repository)).filter((c) => !expired.has(c.id));
}

/**
 * Calls `visit` for every entry of every readable commit of a repository. Each tree node is read
 * once whatever number of commits share it, so a hundred commits of one large tree cost about
 * one walk of it plus the nodes they changed; an entry that several commits share is visited
 * once, which is what a question about distinct object versions needs.
 */
export async function scanRepository(scope: { metadata: MetadataStore; nodes: NodeStore }, repository: string, visit: (path: string, entry: Entry) => void): Promise<void> {
  const walked = new Set<string>();
  let frontier: string[] = [];
  for (const commit of await readableCommits(scope.metadata, repository)) {
    if (commit.treeId === null || walked.has(commit.treeId)) continue;
    walked.add(commit.treeId);
    frontier.push(commit.treeId);
  }
  while (frontier.length > 0) {
    const next: string[] = [];
    await mapConcurrent(frontier, READ_CONCURRENCY, async (id) => {
      const node = await scope.nodes.get(id);
      if (isLeaf(node)) {
        node.keys.forEach((key, i) => {
          const entry = node.values[i];
          if (entry !== undefined) visit(key, entry);
        });
        return;
      }
      for (const child of node.children) {
        if (walked.has(child)) continue;
        walked.add(child);
        next.push(child);
      }
    });
    frontier = next;
  }
}
