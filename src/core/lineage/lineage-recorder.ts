import type { LineageEdge, LineageEdgeType, LineageNodeInput } from '../ports/lineage-store.ts';
import type { VersioningDeps } from '../versioning/deps.ts';
import type { ObjectService } from '../versioning/object-service.ts';
import { requireCommit } from '../versioning/refs.ts';
import { diffTrees } from '../versioning/tree/tree-diff.ts';
import type { CallContext } from '../versioning/types.ts';
import { objectVersion, type DataVersion } from './data-address.ts';

/** Objects listed and linked per batch when a dataset version's members are recorded. */
const MEMBER_BATCH = 2000;

/**
 * Writes the lineage graph: nodes for exact versions and the edges between them. Every write
 * is idempotent (nodes by key, edges by src, dst and type), so a retried call or two processes
 * recording the same fact leave one copy.
 */
export class LineageRecorder {
  constructor(
    private readonly deps: VersioningDeps,
    private readonly objects: ObjectService,
  ) {}

  /** Ensures the nodes exist; returns their ids in order. */
  async nodes(nodes: LineageNodeInput[]): Promise<number[]> {
    const ids = await this.deps.metadata.lineage.ensureNodes(nodes, this.deps.clock.now().toISOString());
    return ids.map((n) => n.id);
  }

  async edges(edges: LineageEdge[]): Promise<void> {
    if (edges.length > 0) await this.deps.metadata.lineage.addEdges(edges);
  }

  /** One edge from `from` to `to`, creating both nodes when missing. */
  async link(from: LineageNodeInput, type: LineageEdgeType, to: LineageNodeInput): Promise<void> {
    const [src, dst] = await this.nodes([from, to]);
    await this.edges([{ src: src as number, dst: dst as number, type }]);
  }

  /**
   * Records what a dataset version holds: an `object → dataset` part-of edge for every object
   * under its prefix at its commit, once per dataset version (marked `members: true` after).
   * This is what lets provenance reach single files and impact start from one.
   */
  async recordMembers(ctx: CallContext, dataset: DataVersion): Promise<void> {
    if (dataset.type !== 'dataset') return;
    const [node] = await this.deps.metadata.lineage.getNodes([dataset.key]);
    const [datasetId] = node ? [node.id] : await this.nodes([dataset]);
    if (node?.data.members === true) return;
    const { repository, commit, prefix } = dataset.data as { repository: string; commit: string; prefix: string };
    for (let after: string | undefined; ; ) {
      const page = await this.objects.list(ctx, { repository, ref: commit, prefix, after, limit: MEMBER_BATCH });
      const members = page.objects.map((o) => objectVersion({ repository, path: o.path, entry: o, commit }));
      const ids = await this.nodes(members);
      await this.edges(ids.map((id) => ({ src: id, dst: datasetId as number, type: 'part-of' })));
      if (!page.truncated) break;
      after = page.nextAfter;
    }
    await this.deps.metadata.lineage.mergeNodeData(dataset.key, { members: true });
  }

  /**
   * The objects a run wrote into a dataset version: those added or changed under its prefix
   * since the last commit of the branch's first-parent history made before `since` (the run's
   * start). Linked `run → object` as `wrote`.
   */
  async recordWritten(input: { dataset: DataVersion; since: string; runNode: number }): Promise<number> {
    const { repository, commit, prefix } = input.dataset.data as { repository: string; commit: string; prefix: string };
    const head = await requireCommit(this.deps, repository, commit);
    let base = head;
    while (base.createdAt >= input.since && base.parents[0] !== undefined) base = await requireCommit(this.deps, repository, base.parents[0]);
    if (base.id === head.id) return 0;
    let written = 0;
    let batch: DataVersion[] = [];
    const flush = async (): Promise<void> => {
      const ids = await this.nodes(batch);
      await this.edges(ids.map((id) => ({ src: input.runNode, dst: id, type: 'wrote' })));
      written += batch.length;
      batch = [];
    };
    for await (const change of diffTrees(this.deps.nodes, { left: base.treeId, right: head.treeId, prefix })) {
      if (change.type === 'removed' || !change.right) continue;
      batch.push(objectVersion({ repository, path: change.path, entry: change.right, commit }));
      if (batch.length >= MEMBER_BATCH) await flush();
    }
    if (batch.length > 0) await flush();
    return written;
  }
}
