import type { Command } from 'commander';
import { invalidArgument } from '../../core/errors.ts';
import { LINEAGE_NODE_TYPES, type LineageNodeType } from '../../core/ports/lineage-store.ts';
import type { LineageGraph, NodeLabels, ProvenanceGraph } from '../../sdk/api.ts';
import { withContext } from '../context.ts';

const NODE = 'repo@ref:path, model:<name>@<alias>, model:<name>/<n>, run:<id>, or a node key';

/** `strata lineage upstream|downstream|provenance|impact|labels|warnings`. */
export function registerLineageCommands(program: Command): void {
  const lineage = program.command('lineage').description('what made a version, and what a version affects');
  for (const direction of ['upstream', 'downstream'] as const) {
    lineage
      .command(direction)
      .argument('<node>', NODE)
      .option('--depth <n>', 'edges to follow (default 10)')
      .option('--type <types>', `only show these node types (${LINEAGE_NODE_TYPES.join(', ')}), comma-separated`)
      .action(async (node: string, opts: { depth?: string; type?: string }, command: Command) => {
        await withContext(command, async ({ api, out }) => {
          const graph = await api.lineage.walk({ node, direction, depth: number(opts.depth, '--depth'), types: types(opts.type) });
          out.print(graph, () => formatGraph(graph, `${direction} of`));
        });
      });
  }
  lineage
    .command('provenance')
    .description('what made this: the raw sources behind it (e.g. a model version)')
    .argument('<node>', NODE)
    .action(async (node: string, _opts: unknown, command: Command) => {
      await withContext(command, async ({ api, out }) => {
        const graph = await api.lineage.provenance({ node });
        out.print(graph, () => formatProvenance(graph));
      });
    });
  lineage
    .command('impact')
    .description('what this affects: every run, dataset, object and model version downstream')
    .argument('<node>', NODE)
    .option('--type <types>', 'only these node types, comma-separated')
    .action(async (node: string, opts: { type?: string }, command: Command) => {
      await withContext(command, async ({ api, out }) => {
        const graph = await api.lineage.impact({ node, types: types(opts.type) });
        out.print(graph, () => formatGraph(graph, 'affected by'));
      });
    });
  lineage
    .command('labels')
    .description('the classification labels and licences that reach a node, and where each came from')
    .argument('<node>', NODE)
    .action(async (node: string, _opts: unknown, command: Command) => {
      await withContext(command, async ({ api, out }) => {
        const labels = await api.lineage.labels({ node });
        out.print(labels, () => formatLabels(labels));
      });
    });
  lineage
    .command('warnings')
    .description('accepted OpenLineage events whose facets deviated from their schema (kept as sent), newest first')
    .option('--subject <key>', 'only those about run:<id>, job:<namespace>:<name> or dataset:<namespace>:<name>')
    .option('--limit <n>', 'at most this many (default 100)')
    .action(async (opts: { subject?: string; limit?: string }, command: Command) => {
      await withContext(command, async ({ api, out }) => {
        const warnings = await api.lineage.warnings({ limit: number(opts.limit, '--limit') ?? 100, ...(opts.subject === undefined ? {} : { subject: opts.subject }) });
        out.print(warnings, () => (warnings.length === 0 ? '(no warnings)' : warnings.map((w) => [`${w.receivedAt}  ${w.eventType ?? w.kind.toUpperCase()}  ${w.subject}  from ${w.producer}`, ...w.warnings.map((text) => `  ${text}`)].join('\n')).join('\n')));
      });
    });
}

function formatGraph(graph: LineageGraph, what: string): string {
  if (!graph.root) return `no lineage recorded for ${graph.key}`;
  const lines = [`${what} ${graph.key}: ${graph.nodes.length} node(s)${graph.truncated ? ' (stopped at the node limit)' : ''}`, ...erasureMarks(graph.root.data)];
  for (const type of LINEAGE_NODE_TYPES) {
    const nodes = graph.nodes.filter((n) => n.type === type);
    if (nodes.length === 0) continue;
    lines.push(`${type} (${nodes.length})`);
    for (const n of nodes) lines.push(`  ${n.key}${n.type === 'run' ? `  ${n.label}` : ''}`, ...erasureMarks(n.data).map((m) => `  ${m}`));
  }
  return lines.join('\n');
}

function formatLabels(l: NodeLabels): string {
  const lines = [`labels of ${l.key}: ${l.labels.length === 0 ? '(none)' : l.labels.map((x) => x.label).join(', ')}`];
  for (const x of l.labels) {
    lines.push(`  ${x.label}  from ${[...new Set(x.from.map((o) => o.dataset))].join(', ')}${x.origins > x.from.length ? ` (${x.origins} origins, ${x.from.length} listed)` : ''}`);
  }
  for (const r of l.removed) lines.push(`  ${r.label}  removed by ${r.run} (from ${[...new Set(r.from.map((o) => o.dataset))].join(', ')})`);
  lines.push(`licences: ${l.licences.length === 0 ? '(no sources)' : l.licences.map((x) => `${x.licence} (${x.sources} source${x.sources === 1 ? '' : 's'})`).join(', ')}`);
  return lines.join('\n');
}

/** The sources, then what recipes upstream excluded (with why) and could not read. */
function formatProvenance(graph: ProvenanceGraph): string {
  const lines = [formatGraph(graph, 'sources behind')];
  if (graph.excluded.length > 0) {
    lines.push(`excluded (${graph.excluded.length}): read by a recipe, none of their records went in`);
    for (const e of graph.excluded) {
      const why = Object.entries(e.reasons).map(([reason, n]) => `${reason} ×${n}`).join(', ');
      lines.push(`  ${e.key}  ${why === '' ? '(not prepared)' : why}`);
    }
  }
  if (graph.unreadable.length > 0) {
    lines.push(`unreadable (${graph.unreadable.length})`);
    for (const u of graph.unreadable) lines.push(`  ${u.key}  ${u.reason}`);
  }
  return lines.join('\n');
}

/** What erasures left on a node (`trained-on-erased-data`, `read-erased-data`), one line each. */
function erasureMarks(data: Record<string, unknown>): string[] {
  const marks = Array.isArray(data.erasures) ? (data.erasures as Array<{ id: string; mark: string }>) : [];
  return marks.map((m) => `  ! ${m.mark} (erasure ${m.id})`);
}

function types(text: string | undefined): LineageNodeType[] | undefined {
  if (text === undefined) return undefined;
  const list = text.split(',').map((t) => t.trim());
  for (const t of list) if (!LINEAGE_NODE_TYPES.includes(t as LineageNodeType)) throw invalidArgument(`unknown node type '${t}': use ${LINEAGE_NODE_TYPES.join(', ')}`);
  return list as LineageNodeType[];
}

function number(text: string | undefined, flag: string): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 0) throw invalidArgument(`${flag} must be a whole number ≥ 0, not '${text}'`);
  return value;
}
