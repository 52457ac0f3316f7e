import type { LineageEdgeView, LineageGraph, LineageNodeView } from './lineage-service.ts';

/** A source a recipe read but none of whose records went into its output. */
export interface ExcludedSource {
  key: string;
  path?: string;
  /** Records extracted from it. */
  records?: number;
  /** `step: reason` → records dropped so (empty when the run did not list this source). */
  reasons: Record<string, number>;
  /** The recipe run that excluded it. */
  run: string;
}

/** What made a node, exactly: the sources whose data went in, and what was considered and left out. */
export interface ProvenanceGraph extends LineageGraph {
  /** Object versions and external datasets whose data went in (the same as `nodes`). */
  sources: LineageNodeView[];
  /** Read by a recipe upstream, but none of their records went into its output. */
  excluded: ExcludedSource[];
  /** Read by a recipe upstream, but not readable as their type. */
  unreadable: Array<{ key: string; reason: string; run: string }>;
}

type Mode = 'full' | 'recipe-input';

/** A walked graph's nodes by key (the root included) and its edges by the node they end at. */
export function indexGraph(graph: LineageGraph): { nodes: Map<string, LineageNodeView>; into: Map<string, LineageEdgeView[]> } {
  const nodes = new Map<string, LineageNodeView>(graph.nodes.map((n) => [n.key, n]));
  if (graph.root) nodes.set(graph.root.key, graph.root);
  const into = new Map<string, LineageEdgeView[]>();
  for (const edge of graph.edges) {
    const list = into.get(edge.to);
    if (list) list.push(edge);
    else into.set(edge.to, [edge]);
  }
  return { nodes, into };
}

/**
 * Separates what went in from what was only considered. A recipe run that links its output
 * record by record (`recordLineage` on its node) reads a dataset version whose members all
 * reach the run by `part-of` → `read`; the members whose records went in also reach the output
 * by `derived-from`. So the walk back from the root does not pass from such a run's input
 * dataset to its members: the sources it reaches are those with a path of `derived-from` (or a
 * path through any other consumer of the same dataset), and the members that are left are the
 * run's exclusions, with the reasons the run recorded.
 */
export function exactProvenance(graph: LineageGraph): ProvenanceGraph {
  const root = graph.root;
  if (!root) return { ...graph, sources: [], excluded: [], unreadable: [] };
  const { nodes, into } = indexGraph(graph);
  const isRecipe = (key: string): boolean => nodes.get(key)?.type === 'run' && nodes.get(key)?.data.recordLineage === true;

  const reached = new Map<string, Mode>();
  const queue: Array<[string, Mode]> = [[root.key, 'full']];
  for (let next = 0; next < queue.length; next++) {
    const [key, mode] = queue[next] as [string, Mode];
    const before = reached.get(key);
    if (before === 'full' || before === mode) continue;
    reached.set(key, mode);
    for (const edge of into.get(key) ?? []) {
      if (mode === 'recipe-input' && edge.type === 'part-of') continue;
      queue.push([edge.from, isRecipe(key) && edge.type === 'read' ? 'recipe-input' : 'full']);
    }
  }
  const derived = new Set(graph.edges.filter((e) => e.type !== 'part-of').map((e) => e.to));
  const sources = graph.nodes.filter((n) => (n.type === 'object' || n.type === 'external') && reached.get(n.key) === 'full' && !derived.has(n.key));
  const sourceKeys = new Set(sources.map((n) => n.key));

  const excluded = new Map<string, ExcludedSource>();
  const unreadable = new Map<string, { key: string; reason: string; run: string }>();
  for (const run of graph.nodes.filter((n) => isRecipe(n.key) && reached.has(n.key))) {
    for (const u of (run.data.unreadable as Array<{ key: string; reason: string }> | undefined) ?? []) if (!sourceKeys.has(u.key)) unreadable.set(u.key, { ...u, run: run.key });
    for (const e of (run.data.excluded as Array<Omit<ExcludedSource, 'run'>> | undefined) ?? []) if (!sourceKeys.has(e.key) && !unreadable.has(e.key)) excluded.set(e.key, { ...e, run: run.key });
    // Members of its inputs it did not list (past the listed limit, or of a type it does not read).
    for (const input of (into.get(run.key) ?? []).filter((e) => e.type === 'read')) {
      for (const member of into.get(input.from) ?? []) {
        if (member.type !== 'part-of' || sourceKeys.has(member.from) || excluded.has(member.from) || unreadable.has(member.from)) continue;
        const node = nodes.get(member.from);
        if (node?.type !== 'object') continue;
        excluded.set(member.from, { key: member.from, ...(typeof node.data.path === 'string' ? { path: node.data.path } : {}), reasons: {}, run: run.key });
      }
    }
  }
  const byKey = <T extends { key: string }>(a: T, b: T): number => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);
  return { ...graph, nodes: sources, sources, excluded: [...excluded.values()].sort(byKey), unreadable: [...unreadable.values()].sort(byKey) };
}
