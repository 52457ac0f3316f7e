import type { DatasetRecord } from '../ports/metadata-store.ts';
import { indexGraph } from './exact-provenance.ts';
import type { LineageGraph, LineageNodeView } from './lineage-service.ts';

/** Where a label comes from: a catalog dataset that carries it, and the version in the graph that lies in it. */
export interface LabelOrigin {
  dataset: string;
  node: string;
}

/** A node's classification labels and licences, each explained. */
export interface NodeLabels {
  key: string;
  /** Each label that reaches the node, with (up to ORIGINS_LISTED of) its origins. */
  labels: Array<{ label: string; from: LabelOrigin[]; origins: number }>;
  /** Labels a recipe run upstream provably removed on the way (e.g. `pii` by a full pii step). */
  removed: Array<{ label: string; run: string; from: LabelOrigin[] }>;
  /** SPDX ids of the licences of the sources whose data went in, with how many sources carry each (`unknown`: none declared). */
  licences: Array<{ licence: string; sources: number }>;
}

const ORIGINS_LISTED = 20;

/** The catalog datasets a version lies in (a node of the graph, or a run's input): same repository, its path or prefix under theirs. */
export function datasetsOf(node: Pick<LineageNodeView, 'type' | 'data'>, catalog: DatasetRecord[]): DatasetRecord[] {
  const { repository, path, prefix } = node.data;
  if (typeof repository !== 'string') return [];
  const where = node.type === 'object' ? path : node.type === 'dataset' ? prefix : undefined;
  if (typeof where !== 'string') return [];
  return catalog.filter((d) => d.repository === repository && where.startsWith(d.prefix));
}

type Labels = Map<string, Map<string, LabelOrigin>>;

/**
 * `graph` is the whole upstream walk from the node; `sources` what exact provenance says went in.
 * The rules (docs/architecture.md, "Labels and licences"): a version carries the labels of the
 * catalog datasets it lies in, and every label of what it was made from (read, written,
 * derived, registered, part of), except those a recipe run on the way provably removed from
 * what it wrote (`removesLabels` on its node and on its shards' nodes: `pii` after a pii step
 * covering every type; the run itself read the data and keeps the label). Licences
 * accumulate over the exact sources (what went in, not what was excluded).
 */
export function propagateLabels(graph: LineageGraph, sources: LineageNodeView[], catalog: DatasetRecord[]): NodeLabels {
  const root = graph.root;
  if (!root) return { key: graph.key, labels: [], removed: [], licences: [] };
  const { nodes, into } = indexGraph(graph);
  const removed = new Map<string, { label: string; run: string; from: Map<string, LabelOrigin> }>();
  const memo = new Map<string, Labels>();
  const visiting = new Set<string>();

  const labelsAt = (key: string): Labels => {
    const known = memo.get(key);
    if (known) return known;
    const out: Labels = new Map();
    if (visiting.has(key)) return out;
    visiting.add(key);
    const node = nodes.get(key);
    for (const d of node ? datasetsOf(node, catalog) : []) for (const label of d.labels) add(out, label, [{ dataset: d.name, node: key }]);
    for (const edge of into.get(key) ?? []) {
      // A recipe run read the labelled data (it keeps the label); what it wrote, and its shards
      // through their derived-from edges, lose the labels it provably removed.
      const from = nodes.get(edge.from);
      const by = edge.type === 'derived-from' ? node : edge.type === 'wrote' && from?.type === 'run' ? from : undefined;
      const removes = Array.isArray(by?.data.removesLabels) ? (by.data.removesLabels as string[]) : [];
      const remover = edge.type === 'derived-from' ? (typeof node?.data.madeBy === 'string' ? node.data.madeBy : key) : edge.from;
      for (const [label, origins] of labelsAt(edge.from)) {
        if (removes.includes(label)) {
          const entry = removed.get(`${label}\n${remover}`) ?? { label, run: remover, from: new Map<string, LabelOrigin>() };
          for (const [k, o] of origins) entry.from.set(k, o);
          removed.set(`${label}\n${remover}`, entry);
          continue;
        }
        add(out, label, [...origins.values()]);
      }
    }
    visiting.delete(key);
    memo.set(key, out);
    return out;
  };

  const labels = [...labelsAt(root.key)].map(([label, origins]) => ({ label, from: [...origins.values()].slice(0, ORIGINS_LISTED), origins: origins.size })).sort((a, b) => (a.label < b.label ? -1 : 1));
  const licences = new Map<string, number>();
  for (const source of sources) {
    const declared = [...new Set(datasetsOf(source, catalog).flatMap((d) => (d.license === undefined ? [] : [d.license])))];
    for (const licence of declared.length === 0 ? ['unknown'] : declared) licences.set(licence, (licences.get(licence) ?? 0) + 1);
  }
  return {
    key: root.key,
    labels,
    removed: [...removed.values()].map((r) => ({ label: r.label, run: r.run, from: [...r.from.values()].slice(0, ORIGINS_LISTED) })).sort((a, b) => (a.label + a.run < b.label + b.run ? -1 : 1)),
    licences: [...licences].map(([licence, sources]) => ({ licence, sources })).sort((a, b) => b.sources - a.sources || (a.licence < b.licence ? -1 : 1)),
  };
}

function add(labels: Labels, label: string, origins: LabelOrigin[]): void {
  const at = labels.get(label) ?? new Map<string, LabelOrigin>();
  for (const o of origins) at.set(`${o.dataset}\n${o.node}`, o);
  labels.set(label, at);
}
