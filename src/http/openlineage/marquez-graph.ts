import type { LineageGraph, LineageNodeView } from '../../core/lineage/lineage-service.ts';
import { datasetOf, type OpenLineageSettings } from '../../core/lineage/openlineage-events.ts';

/** Marquez's lineage response: `GET /api/v1/lineage?nodeId=…` (Marquez API, LineageResource). */
export interface MarquezGraph {
  graph: MarquezNode[];
}

export interface MarquezNode {
  id: string;
  type: 'DATASET' | 'JOB';
  data: Record<string, unknown>;
  inEdges: Array<{ origin: string; destination: string }>;
  outEdges: Array<{ origin: string; destination: string }>;
}

const RUN_STATE: Record<string, string> = { running: 'RUNNING', completed: 'COMPLETED', failed: 'FAILED', aborted: 'ABORTED' };

/**
 * Strata's graph as Marquez shows lineage: jobs and datasets, unversioned. Runs fold into their
 * job (`job:<namespace>:<job>`); object, dataset and model versions fold into the OpenLineage
 * dataset Strata emits for them (`dataset:<namespace>:<name>`), so viewers built for Marquez
 * draw Strata's lineage as they draw any producer's.
 */
export function toMarquez(graph: LineageGraph, settings: OpenLineageSettings): MarquezGraph {
  const all = graph.root ? [graph.root, ...graph.nodes] : graph.nodes;
  const idOf = new Map<string, string>();
  const nodes = new Map<string, MarquezNode>();
  for (const node of all) {
    const projected = project(node, settings);
    idOf.set(node.key, projected.id);
    const existing = nodes.get(projected.id);
    if (!existing || newer(projected, existing)) nodes.set(projected.id, { ...projected, inEdges: existing?.inEdges ?? [], outEdges: existing?.outEdges ?? [] });
  }
  const seen = new Set<string>();
  for (const edge of graph.edges) {
    const origin = idOf.get(edge.from);
    const destination = idOf.get(edge.to);
    if (origin === undefined || destination === undefined || origin === destination || seen.has(`${origin}\n${destination}`)) continue;
    seen.add(`${origin}\n${destination}`);
    nodes.get(origin)?.outEdges.push({ origin, destination });
    nodes.get(destination)?.inEdges.push({ origin, destination });
  }
  return { graph: [...nodes.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)) };
}

/** Of two runs folded into one job, the later started one is the job's latest run. */
function newer(a: MarquezNode, b: MarquezNode): boolean {
  const started = (n: MarquezNode): string => (n.data.latestRun as { startedAt?: string } | undefined)?.startedAt ?? '';
  return started(a) > started(b);
}

function project(node: LineageNodeView, settings: OpenLineageSettings): MarquezNode {
  const d = node.data;
  if (node.type === 'run' || node.type === 'job') {
    const namespace = String(d.namespace);
    const name = String(node.type === 'run' ? d.job : d.name);
    const data: Record<string, unknown> = { id: { namespace, name }, type: 'BATCH', name, simpleName: name, namespace, description: null, location: null, facets: d.facets ?? {} };
    if (node.type === 'run') data.latestRun = { id: node.key.slice('run:'.length), state: RUN_STATE[typeof d.status === 'string' ? d.status : 'running'] ?? 'RUNNING', startedAt: d.startedAt, endedAt: d.endedAt };
    return { id: `job:${namespace}:${name}`, type: 'JOB', data, inEdges: [], outEdges: [] };
  }
  const dataset = datasetOf(node, settings);
  const data = { id: { namespace: dataset.namespace, name: dataset.name }, type: 'DB_TABLE', name: dataset.name, physicalName: dataset.name, namespace: dataset.namespace, sourceName: dataset.namespace, fields: fieldsOf(dataset.facets), tags: [], description: null, facets: dataset.facets ?? {}, currentVersion: node.key };
  return { id: `dataset:${dataset.namespace}:${dataset.name}`, type: 'DATASET', data, inEdges: [], outEdges: [] };
}

/**
 * Marquez's dataset `fields`, from the OpenLineage schema facet as producers send it: each
 * field's name, type and description (nested `fields` of a struct are not flattened).
 */
function fieldsOf(facets: Record<string, unknown> | undefined): Array<{ name: string; type: string | null; tags: string[]; description: string | null }> {
  const fields = (facets?.schema as { fields?: unknown } | undefined)?.fields;
  if (!Array.isArray(fields)) return [];
  return fields.flatMap((field: unknown) => {
    const f = field as { name?: unknown; type?: unknown; description?: unknown };
    if (typeof f.name !== 'string') return [];
    return [{ name: f.name, type: typeof f.type === 'string' ? f.type : null, tags: [], description: typeof f.description === 'string' ? f.description : null }];
  });
}
