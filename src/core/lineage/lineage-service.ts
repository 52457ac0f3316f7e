import { invalidArgument, notFound } from '../errors.ts';
import { LINEAGE_NODE_TYPES, type LineageDirection, type LineageEdge, type LineageEdgeType, type LineageNode, type LineageNodeType } from '../ports/lineage-store.ts';
import { permitsEach } from '../access/permits.ts';
import { authorize, type VersioningDeps } from '../versioning/deps.ts';
import type { ObjectService } from '../versioning/object-service.ts';
import type { CallContext } from '../versioning/types.ts';
import { resolveDataAddress } from './data-address.ts';
import { INFERENCE_RECORD_ADDRESS, NODE_KEY_PREFIX } from './node-keys.ts';
import { exactProvenance, type ProvenanceGraph } from './exact-provenance.ts';
import { propagateLabels, type NodeLabels } from './label-propagation.ts';

/** A node as queries return it. */
export interface LineageNodeView {
  key: string;
  type: LineageNodeType;
  label: string;
  data: Record<string, unknown>;
  /** Edges from the start node (0 for the start node itself). */
  depth: number;
}

export interface LineageEdgeView {
  from: string;
  to: string;
  type: LineageEdgeType;
}

export interface LineageGraph {
  /** The start node; absent when the address resolves to a version nothing was recorded about. */
  root?: LineageNodeView;
  /** The address as resolved (a node key). */
  key: string;
  direction: LineageDirection | 'both';
  /** Reached nodes (the start node excluded), by depth then key, filtered by type. */
  nodes: LineageNodeView[];
  /** Edges walked between reached nodes. */
  edges: LineageEdgeView[];
  /** True when the walk stopped at `limit` nodes before reaching `depth`. */
  truncated: boolean;
}

export interface WalkInput {
  address: string;
  direction: LineageDirection | 'both';
  /** Edges to follow at most; default 10. */
  depth?: number;
  /** Only return nodes of these types (the walk still passes through the others). */
  types?: LineageNodeType[];
  /** Nodes to visit at most; default 10,000. */
  limit?: number;
}

export const DEFAULT_DEPTH = 10;
export const DEFAULT_NODE_LIMIT = 10_000;
/** Provenance and impact must list every source or every affected version, not a page of them. */
export const CHAIN_NODE_LIMIT = 1_000_000;
/** Provenance and impact follow the whole chain: part-of, read, wrote and registered-as make 3 to 4 edges a step. */
export const CHAIN_DEPTH = 100;

/** Resolves `model:` addresses to node keys (the registry lives above lineage). */
export type ModelAddressResolver = (ctx: CallContext, address: string) => Promise<string>;

/** Resolves an inference record id to the node key of its aggregate (the archive lives above lineage). */
export type InferenceRecordResolver = (ctx: CallContext, id: string) => Promise<string>;

/** Questions over the lineage graph: upstream, downstream, provenance and impact. */
export class LineageService {
  private modelResolver: ModelAddressResolver | undefined;
  private inferenceResolver: InferenceRecordResolver | undefined;

  constructor(
    private readonly deps: VersioningDeps,
    private readonly objects: ObjectService,
  ) {}

  /** Plugged in by the composition of core (the registry depends on lineage, not the other way). */
  setModelResolver(resolver: ModelAddressResolver): void {
    this.modelResolver = resolver;
  }

  setInferenceResolver(resolver: InferenceRecordResolver): void {
    this.inferenceResolver = resolver;
  }

  /** The node key an address names: a node key as is, `model:name@alias`, or a data address resolved now. */
  async resolveKey(ctx: CallContext, address: string): Promise<string> {
    const record = INFERENCE_RECORD_ADDRESS.exec(address)?.[1];
    if (record !== undefined) {
      if (!this.inferenceResolver) throw invalidArgument('inference records are not available here');
      return this.inferenceResolver(ctx, record);
    }
    if (NODE_KEY_PREFIX.test(address)) return address;
    if (address.startsWith('model:')) {
      if (!this.modelResolver) throw invalidArgument('model addresses are not available here');
      return this.modelResolver(ctx, address);
    }
    return (await resolveDataAddress({ deps: this.deps, objects: this.objects, ctx }, address)).key;
  }

  /** Which of these node keys exist. */
  async exists(keys: string[]): Promise<string[]> {
    return (await this.deps.metadata.lineage.getNodes(keys)).map((n) => n.key);
  }

  async node(ctx: CallContext, address: string): Promise<LineageNodeView> {
    await authorize(this.deps, ctx, { action: 'lineage:read' });
    const key = await this.resolveKey(ctx, address);
    const [node] = await this.deps.metadata.lineage.getNodes([key]);
    if (!node) throw notFound(`no lineage recorded for ${key}`);
    await this.requireReadable(ctx, node);
    return view(node, 0);
  }

  async walk(ctx: CallContext, input: WalkInput): Promise<LineageGraph> {
    await authorize(this.deps, ctx, { action: 'lineage:read' });
    const depth = input.depth ?? DEFAULT_DEPTH;
    const limit = input.limit ?? DEFAULT_NODE_LIMIT;
    if (!Number.isInteger(depth) || depth < 0) throw invalidArgument(`depth must be a whole number ≥ 0, not ${depth}`);
    for (const type of input.types ?? []) if (!LINEAGE_NODE_TYPES.includes(type)) throw invalidArgument(`unknown node type '${type}': use ${LINEAGE_NODE_TYPES.join(', ')}`);
    const key = await this.resolveKey(ctx, input.address);
    const [root] = await this.deps.metadata.lineage.getNodes([key]);
    if (!root) return { key, direction: input.direction, nodes: [], edges: [], truncated: false };
    await this.requireReadable(ctx, root);
    const directions: LineageDirection[] = input.direction === 'both' ? ['upstream', 'downstream'] : [input.direction];
    const depths = new Map<number, number>([[root.id, 0]]);
    const edges: LineageEdge[] = [];
    let truncated = false;
    for (const direction of directions) {
      const reached = await this.breadthFirst(root.id, { direction, depth, limit, depths, edges });
      truncated ||= reached;
    }
    const nodes = await this.redacted(ctx, await this.deps.metadata.lineage.getNodesById([...depths.keys()]));
    const byId = new Map(nodes.map((n) => [n.id, n]));
    const wanted = input.types === undefined || input.types.length === 0 ? undefined : new Set(input.types);
    const views = nodes
      .filter((n) => n.id !== root.id && (wanted === undefined || wanted.has(n.type)))
      .map((n) => view(n, depths.get(n.id) ?? 0))
      .sort((a, b) => a.depth - b.depth || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    const edgeViews = edges.map((e) => ({ from: byId.get(e.src)?.key ?? '', to: byId.get(e.dst)?.key ?? '', type: e.type }));
    return { root: view(byId.get(root.id) ?? root, 0), key, direction: input.direction, nodes: views, edges: edgeViews, truncated };
  }

  /**
   * Object and dataset versions the caller may not read (a label or path rule) keep their place
   * in the graph, so a chain stays a chain, but lose their key, label and data: `hidden:<n>`.
   * The start node itself must be readable, or the question is refused.
   */
  private async redacted(ctx: CallContext, nodes: LineageNode[]): Promise<LineageNode[]> {
    const sorted = [...nodes].sort((a, b) => a.id - b.id);
    // One authorizer call per repository, ref and action: a walk can reach thousands of versions.
    const groups = new Map<string, { request: { action: string; repository: string; ref: string }; nodes: Array<{ node: LineageNode; path: string }> }>();
    for (const node of sorted) {
      const request = dataRequest(node);
      if (request === undefined) continue;
      const { path, ...at } = request;
      const key = `${at.action}\u0000${at.repository}\u0000${at.ref}`;
      const group = groups.get(key) ?? { request: at, nodes: [] };
      group.nodes.push({ node, path });
      groups.set(key, group);
    }
    const hidden = new Set<LineageNode>();
    for (const group of groups.values()) {
      const shown = await permitsEach(this.deps.authorizer, { actor: ctx.actor, ...group.request }, group.nodes.map((n) => n.path));
      group.nodes.forEach((n, i) => {
        if (shown[i] !== true) hidden.add(n.node);
      });
    }
    let count = 0;
    return sorted.map((node) => (hidden.has(node) ? { ...node, key: `hidden:${++count}`, label: '(hidden by an access rule)', data: {} } : node));
  }

  private async requireReadable(ctx: CallContext, node: LineageNode): Promise<void> {
    const request = dataRequest(node);
    if (request !== undefined) await authorize(this.deps, ctx, request);
  }

  /**
   * Visits level by level: one indexed query per level, each node expanded once, so cycles and
   * diamonds cost nothing extra. Each edge is met once per direction (from the end being
   * expanded); an edge met from both ends in a two-way walk is kept once, from the upstream
   * pass. Returns true when stopped by the node limit.
   */
  private async breadthFirst(
    start: number,
    walk: { direction: LineageDirection; depth: number; limit: number; depths: Map<number, number>; edges: LineageEdge[] },
  ): Promise<boolean> {
    const skipSeen = walk.edges.length > 0;
    const seen = skipSeen ? new Set(walk.edges.map((e) => `${e.src} ${e.dst} ${e.type}`)) : undefined;
    let frontier = [start];
    for (let level = 1; level <= walk.depth && frontier.length > 0; level++) {
      const next: number[] = [];
      for (const edge of await this.deps.metadata.lineage.edgesOf(frontier, walk.direction)) {
        const other = walk.direction === 'upstream' ? edge.src : edge.dst;
        if (!walk.depths.has(other)) {
          // Past the limit an edge would lead to a node the result does not hold.
          if (walk.depths.size >= walk.limit) return true;
          walk.depths.set(other, level);
          next.push(other);
        }
        if (!seen?.has(`${edge.src} ${edge.dst} ${edge.type}`)) walk.edges.push(edge);
      }
      frontier = next;
    }
    return false;
  }

  /**
   * What made this? The sources behind a node: the upstream objects and external datasets that
   * nothing recorded was derived from (raw inputs), found by walking the whole chain upstream.
   */
  async provenance(ctx: CallContext, input: { address: string; limit?: number }): Promise<ProvenanceGraph> {
    return exactProvenance(await this.upstream(ctx, input));
  }

  /** One upstream walk read three ways, for callers that need all of them (the model report). */
  async trace(ctx: CallContext, input: { address: string; limit?: number }): Promise<{ upstream: LineageGraph; provenance: ProvenanceGraph; labels: NodeLabels }> {
    const upstream = await this.upstream(ctx, input);
    const provenance = exactProvenance(upstream);
    return { upstream, provenance, labels: propagateLabels(upstream, provenance.sources, await this.deps.metadata.listDatasets({})) };
  }

  private upstream(ctx: CallContext, input: { address: string; limit?: number }): Promise<LineageGraph> {
    return this.walk(ctx, { address: input.address, direction: 'upstream', depth: CHAIN_DEPTH, limit: input.limit ?? CHAIN_NODE_LIMIT });
  }

  /** The classification labels and licences that reach a node, each with where it came from (see label-propagation.ts). */
  async labels(ctx: CallContext, input: { address: string; limit?: number }): Promise<NodeLabels> {
    return (await this.trace(ctx, input)).labels;
  }

  /** What does this affect? Every run, dataset version, object and model version downstream. */
  async impact(ctx: CallContext, input: { address: string; types?: LineageNodeType[]; limit?: number }): Promise<LineageGraph> {
    return this.walk(ctx, { address: input.address, direction: 'downstream', depth: CHAIN_DEPTH, types: input.types, limit: input.limit ?? CHAIN_NODE_LIMIT });
  }
}

/** What reading the data a node names asks of the authorizer (object and dataset versions only). */
function dataRequest(node: LineageNode): { action: string; repository: string; ref: string; path: string } | undefined {
  const { repository, commit, path, prefix } = node.data;
  if (typeof repository !== 'string') return undefined;
  const ref = typeof commit === 'string' ? commit : '*';
  if (node.type === 'object' && typeof path === 'string') return { action: 'object:read', repository, ref, path };
  if (node.type === 'dataset' && typeof prefix === 'string') return { action: 'object:list', repository, ref, path: prefix };
  return undefined;
}

function view(node: LineageNode, depth: number): LineageNodeView {
  return { key: node.key, type: node.type, label: node.label, data: node.data, depth };
}
