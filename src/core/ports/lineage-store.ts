/**
 * The lineage graph: nodes for exact versions (an object's content at a path, a prefix at a
 * commit, a run, a model version, an OpenLineage job or external dataset) and typed edges in
 * the direction data flows. Adapters: SQLite and PostgreSQL (`adapters/db/lineage-queries.ts`),
 * both passing `test/conformance/lineage-store-suite.ts`.
 *
 * Traversal is done by the caller one level at a time (`edgesOf`), so both engines answer the
 * same short indexed queries and the walk's bookkeeping (depth, visited set, limits) lives in
 * core once.
 */
export type LineageNodeType = 'object' | 'dataset' | 'run' | 'model' | 'job' | 'external' | 'inference' | 'application';
export const LINEAGE_NODE_TYPES: readonly LineageNodeType[] = ['object', 'dataset', 'run', 'model', 'job', 'external', 'inference', 'application'];

/**
 * Edges point the way data flows: `read` input → run, `wrote` run → output, `derived-from`
 * source → derived, `registered-as` artifact → model version, `part-of` object → the dataset
 * version (prefix at a commit) that holds it.
 */
export type LineageEdgeType = 'read' | 'wrote' | 'derived-from' | 'registered-as' | 'part-of';
export const LINEAGE_EDGE_TYPES: readonly LineageEdgeType[] = ['read', 'wrote', 'derived-from', 'registered-as', 'part-of'];

export interface LineageNodeInput {
  /** Unique, stable name of the version (see core/lineage/node-keys.ts). */
  key: string;
  type: LineageNodeType;
  /** Short human name. */
  label: string;
  /** Type-specific fields (repository, commit, path, sha256, facets …). */
  data: Record<string, unknown>;
}

export interface LineageNode extends LineageNodeInput {
  id: number;
  createdAt: string;
}

export interface LineageEdge {
  src: number;
  dst: number;
  type: LineageEdgeType;
}

export type LineageDirection = 'upstream' | 'downstream';

/** An accepted OpenLineage event whose facets deviate from their schema, and how. */
export interface IntakeWarning {
  id: string;
  receivedAt: string;
  actor: string;
  kind: 'run' | 'dataset' | 'job';
  eventType: string | null;
  eventTime: string;
  producer: string;
  /** `run:<id>`, `job:<namespace>:<name>` or `dataset:<namespace>:<name>`. */
  subject: string;
  /** Each deviation: the JSON pointer into the event and what is wrong there. */
  warnings: string[];
}

export interface LineageStore {
  /**
   * Inserts the nodes whose key is new and leaves existing ones as they are. Returns, in input
   * order, each node's id and whether this call created it.
   */
  ensureNodes(nodes: LineageNodeInput[], createdAt: string): Promise<Array<{ id: number; created: boolean }>>;
  /** Replaces the given top-level keys of a node's data; false if the node does not exist. */
  mergeNodeData(key: string, data: Record<string, unknown>): Promise<boolean>;
  getNodes(keys: string[]): Promise<LineageNode[]>;
  getNodesById(ids: number[]): Promise<LineageNode[]>;
  /** Nodes of a type whose key starts with `prefix`, by key. */
  findNodes(input: { type?: LineageNodeType; keyPrefix?: string; limit: number }): Promise<LineageNode[]>;
  /** Inserts the edges not present yet (unique by src, dst, type); returns how many were new. */
  addEdges(edges: LineageEdge[]): Promise<number>;
  /** Edges ending at (upstream) or starting from (downstream) any of `ids`. */
  edgesOf(ids: number[], direction: LineageDirection): Promise<LineageEdge[]>;
  countEdges(): Promise<number>;
  recordIntakeWarnings(warnings: IntakeWarning[]): Promise<void>;
  /** Newest first; of one subject when given. */
  listIntakeWarnings(input: { limit: number; subject?: string }): Promise<IntakeWarning[]>;
}
