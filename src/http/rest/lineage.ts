import { createGunzip } from 'node:zlib';
import type { FastifyInstance } from 'fastify';
import { Counter } from 'prom-client';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { invalidArgument } from '../../core/errors.ts';
import { LINEAGE_NODE_TYPES, type LineageNodeType } from '../../core/ports/lineage-store.ts';
import type { RouteDeps } from '../build-server.ts';
import { toMarquez } from '../openlineage/marquez-graph.ts';
import { resolveMarquezNodeId } from '../openlineage/marquez-node-id.ts';
import { checkOpenLineageEvent, type CheckedEvent } from '../openlineage/validate-event.ts';
import { ERROR_RESPONSES } from '../schemas.ts';

const NodeSchema = z.object({ key: z.string(), type: z.enum(LINEAGE_NODE_TYPES), label: z.string(), data: z.record(z.string(), z.unknown()), depth: z.number() }).meta({ id: 'LineageNode' });
const GraphSchema = z.object({
  root: NodeSchema.optional(),
  key: z.string(),
  direction: z.enum(['upstream', 'downstream', 'both']),
  nodes: z.array(NodeSchema),
  edges: z.array(z.object({ from: z.string(), to: z.string(), type: z.string() })),
  truncated: z.boolean(),
}).meta({ id: 'LineageGraph' });
const ProvenanceSchema = GraphSchema.extend({
  sources: z.array(NodeSchema).describe('what went in (the same as nodes)'),
  excluded: z.array(z.object({ key: z.string(), path: z.string().optional(), records: z.number().optional(), reasons: z.record(z.string(), z.number()).describe("'step: reason' → records dropped so"), run: z.string() })).describe('read by a recipe upstream; none of their records went into its output'),
  unreadable: z.array(z.object({ key: z.string(), reason: z.string(), run: z.string() })).describe('read by a recipe upstream, but not readable as their type'),
}).meta({ id: 'Provenance' });
const Origin = z.object({ dataset: z.string().describe('the catalog dataset that carries the label'), node: z.string().describe('the version in the graph that lies in it') });
const LabelsSchema = z.object({
  key: z.string(),
  labels: z.array(z.object({ label: z.string(), from: z.array(Origin), origins: z.number() })),
  removed: z.array(z.object({ label: z.string(), run: z.string(), from: z.array(Origin) })).describe('labels a recipe run upstream provably removed'),
  licences: z.array(z.object({ licence: z.string(), sources: z.number() })).describe("licences of the sources whose data went in, with how many carry each ('unknown': none declared)"),
}).meta({ id: 'NodeLabels' });
const Types = z.string().optional().describe('comma-separated node types: object, dataset, run, model, job, external');
const Node = z.string().describe('repo@ref:path, model:<name>@<alias>, model:<name>/<n>, or a node key (run:<id>, dataset:…, object:…)');
const Accepted = z.object({
  accepted: z.number(),
  keys: z.array(z.array(z.string())),
  warnings: z.array(z.object({ event: z.number(), warnings: z.array(z.string()) })).describe('events accepted although their facets deviate from their schema (kept as sent): each deviation, by JSON pointer'),
});
const IntakeWarningSchema = z.object({
  id: z.string(),
  receivedAt: z.string(),
  actor: z.string(),
  kind: z.enum(['run', 'dataset', 'job']),
  eventType: z.string().nullable(),
  eventTime: z.string(),
  producer: z.string(),
  subject: z.string().describe('run:<id>, job:<namespace>:<name> or dataset:<namespace>:<name>'),
  warnings: z.array(z.string()),
}).meta({ id: 'OpenLineageWarning' });

/** The answer to accepted events: their keys, and the warnings of those that had any. */
function accepted(checked: CheckedEvent[], keys: string[][]): z.infer<typeof Accepted> {
  return { accepted: keys.length, keys, warnings: checked.flatMap((c, event) => (c.warnings.length === 0 ? [] : [{ event, warnings: c.warnings }])) };
}

/** Lineage: OpenLineage in, Marquez-compatible graph out, and Strata's own walks. */
export function registerLineageRoutes(app: FastifyInstance, deps: RouteDeps): void {
  const api = app.withTypeProvider<ZodTypeProvider>();
  const tags = ['lineage'];
  const events = new Counter({ name: 'strata_openlineage_events_total', help: 'OpenLineage events received, by outcome', labelNames: ['outcome'], registers: [app.metrics.registry] });
  // OpenLineage's HTTP transport may gzip its bodies (`compression: gzip`).
  const gunzip = async (request: { headers: Record<string, unknown> }, _reply: unknown, payload: NodeJS.ReadableStream): Promise<NodeJS.ReadableStream> => {
    if (request.headers['content-encoding'] !== 'gzip') return payload;
    delete request.headers['content-encoding'];
    delete request.headers['content-length'];
    return Promise.resolve(payload.pipe(createGunzip()));
  };
  const count = (outcome: 'accepted' | 'rejected', n: number): void => {
    events.inc({ outcome }, n);
  };
  api.post('/lineage', {
    preParsing: gunzip,
    schema: {
      tags,
      summary: 'Accept one OpenLineage 2-0-2 event (RunEvent, DatasetEvent or JobEvent); 400 with the JSON pointer and reason when its core is invalid, warnings when only its facets deviate',
      body: z.unknown(),
      response: { 201: Accepted, ...ERROR_RESPONSES },
    },
  }, async (request, reply) => {
    let checked;
    try {
      checked = checkOpenLineageEvent(request.body);
    } catch (error) {
      count('rejected', 1);
      throw error;
    }
    const done = await deps.core.openLineage.ingest(deps.context(request), [checked.event], [checked.warnings]);
    count('accepted', 1);
    return reply.status(201).send(accepted([checked], done.map((d) => d.keys)));
  });

  api.post('/lineage/batch', {
    preParsing: gunzip,
    schema: {
      tags,
      summary: 'Accept OpenLineage events as a JSON array (or {events: [...]}); all are validated first and none is applied when one is invalid',
      body: z.unknown(),
      response: { 201: Accepted, ...ERROR_RESPONSES },
    },
  }, async (request, reply) => {
    const list = eventList(request.body);
    if (list === undefined) throw invalidArgument('expected a JSON array of OpenLineage events, or {"events": [...]}');
    let checked;
    try {
      checked = list.map((event, i) => checkOpenLineageEvent(event, `event ${i}`));
    } catch (error) {
      count('rejected', list.length);
      throw error;
    }
    const done = await deps.core.openLineage.ingest(deps.context(request), checked.map((c) => c.event), checked.map((c) => c.warnings));
    count('accepted', done.length);
    return reply.status(201).send(accepted(checked, done.map((d) => d.keys)));
  });

  api.get('/lineage/warnings', {
    schema: {
      tags,
      summary: 'Accepted OpenLineage events whose facets deviated from their schema, newest first',
      querystring: z.strictObject({ limit: z.coerce.number().int().min(1).max(1000).default(100), subject: z.string().optional().describe('run:<id>, job:<namespace>:<name> or dataset:<namespace>:<name>') }),
      response: { 200: z.object({ warnings: z.array(IntakeWarningSchema) }), ...ERROR_RESPONSES },
    },
  }, async (request) => ({ warnings: await deps.core.openLineage.intakeWarnings(deps.context(request), request.query) }));

  api.get('/lineage', {
    schema: {
      tags,
      summary: 'Marquez-compatible lineage graph around a node (dataset:<namespace>:<name>, job:<namespace>:<name>, or a Strata address)',
      querystring: z.object({ nodeId: z.string(), depth: z.coerce.number().int().min(0).max(100).default(20) }),
      response: { 200: z.object({ graph: z.array(z.record(z.string(), z.unknown())) }), ...ERROR_RESPONSES },
    },
  }, async (request) => {
    const ctx = deps.context(request);
    const address = await resolveMarquezNodeId(deps.core, ctx, request.query.nodeId);
    const graph = await deps.core.lineage.walk(ctx, { address, direction: 'both', depth: request.query.depth });
    // Run nodes carry no state (it changes); Marquez shows each job's latest run state.
    for (const node of [graph.root, ...graph.nodes]) {
      if (node?.type !== 'run') continue;
      const run = await deps.core.runs.get(ctx, node.key.slice('run:'.length));
      node.data = { ...node.data, status: run.status, startedAt: run.startedAt, endedAt: run.endedAt };
    }
    return toMarquez(graph, deps.core.openLineageSettings) as unknown as { graph: Array<Record<string, unknown>> };
  });

  api.get('/lineage/graph', {
    schema: {
      tags,
      summary: 'Upstream and/or downstream of a node, to a depth, filtered by node type',
      querystring: z.object({ node: Node, direction: z.enum(['upstream', 'downstream', 'both']).default('both'), depth: z.coerce.number().int().min(0).max(1000).optional(), types: Types, limit: z.coerce.number().int().min(1).max(1_000_000).optional() }),
      response: { 200: GraphSchema, ...ERROR_RESPONSES },
    },
  }, async (request) => {
    const { node, types, ...rest } = request.query;
    return deps.core.lineage.walk(deps.context(request), { address: node, types: parseTypes(types), ...rest });
  });

  api.get('/lineage/provenance', {
    schema: {
      tags,
      summary: 'What made this: the source objects and external datasets whose data went into a node (e.g. a model version), and what recipes upstream read but excluded or could not read',
      querystring: z.object({ node: Node, limit: z.coerce.number().int().min(1).optional() }),
      response: { 200: ProvenanceSchema, ...ERROR_RESPONSES },
    },
  }, async (request) => deps.core.lineage.provenance(deps.context(request), { address: request.query.node, limit: request.query.limit }));

  api.get('/lineage/labels', {
    schema: {
      tags,
      summary: 'The classification labels and licences that reach a node, each with where it came from, and the labels a recipe removed on the way',
      querystring: z.object({ node: Node }),
      response: { 200: LabelsSchema, ...ERROR_RESPONSES },
    },
  }, async (request) => deps.core.lineage.labels(deps.context(request), { address: request.query.node }));

  api.get('/lineage/impact', {
    schema: { tags, summary: 'What this affects: every run, dataset, object and model version downstream', querystring: z.object({ node: Node, types: Types, limit: z.coerce.number().int().min(1).optional() }), response: { 200: GraphSchema, ...ERROR_RESPONSES } },
  }, async (request) => deps.core.lineage.impact(deps.context(request), { address: request.query.node, types: parseTypes(request.query.types), limit: request.query.limit }));
}

/** A batch is a JSON array of events, or an object with an `events` array. */
function eventList(body: unknown): unknown[] | undefined {
  if (Array.isArray(body)) return body as unknown[];
  const events = typeof body === 'object' && body !== null ? (body as { events?: unknown }).events : undefined;
  return Array.isArray(events) ? events : undefined;
}

function parseTypes(text: string | undefined): LineageNodeType[] | undefined {
  if (text === undefined || text === '') return undefined;
  return text.split(',').map((t) => t.trim()) as LineageNodeType[];
}
