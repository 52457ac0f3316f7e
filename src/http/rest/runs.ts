import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { RUN_STATUSES } from '../../core/ports/run-store.ts';
import type { RouteDeps } from '../build-server.ts';
import { ERROR_RESPONSES } from '../schemas.ts';

const IoSchema = z.object({ key: z.string().describe('lineage node key of the exact version'), type: z.string(), label: z.string(), data: z.record(z.string(), z.unknown()) });

export const RunSchema = z.object({
  id: z.string().describe('a UUID (OpenLineage runId)'),
  namespace: z.string(),
  job: z.string(),
  kind: z.string().describe('prep, training, fine-tuning, evaluation, external …'),
  status: z.enum(RUN_STATUSES),
  startedAt: z.string(),
  endedAt: z.string().optional(),
  params: z.record(z.string(), z.string()),
  code: z.object({ commit: z.string(), dirty: z.boolean(), branch: z.string().optional(), remote: z.string().optional() }).optional(),
  env: z.record(z.string(), z.string()),
  host: z.string().optional(),
  user: z.string(),
  tags: z.array(z.string()),
  exitCode: z.number().optional(),
  parentId: z.string().optional(),
  facets: z.record(z.string(), z.unknown()).describe('OpenLineage facets received for this run'),
  inputs: z.array(IoSchema),
  outputs: z.array(IoSchema),
  metrics: z.record(z.string(), z.object({ value: z.number(), step: z.number(), points: z.number() })).describe('last value of each metric'),
}).meta({ id: 'Run' });

const RunListItem = RunSchema.omit({ inputs: true, outputs: true, metrics: true }).extend({ inputs: z.array(z.string()), outputs: z.array(z.string()) });
const Addresses = z.strictObject({ addresses: z.array(z.string()).min(1).describe('repo@ref:path, repo@ref, s3://… or another URI') });
const Params = { params: z.object({ id: z.string() }) };

/** Runs: start, parameters, metrics, inputs and outputs at exact versions, finish. */
export function registerRunRoutes(app: FastifyInstance, deps: RouteDeps): void {
  const api = app.withTypeProvider<ZodTypeProvider>();
  const tags = ['runs'];
  api.post('/runs', {
    schema: {
      tags,
      summary: 'Start a run; inputs are resolved to exact versions now',
      body: z.strictObject({
        job: z.string(),
        kind: z.string().optional(),
        namespace: z.string().optional(),
        id: z.string().optional(),
        params: z.record(z.string(), z.string()).optional(),
        code: z.strictObject({ commit: z.string(), dirty: z.boolean(), branch: z.string().optional(), remote: z.string().optional() }).optional(),
        env: z.record(z.string(), z.string()).optional(),
        host: z.string().optional(),
        tags: z.array(z.string()).optional(),
        parentId: z.string().optional(),
        inputs: z.array(z.string()).optional(),
      }),
      response: { 201: RunSchema, ...ERROR_RESPONSES },
    },
  }, async (request, reply) => reply.status(201).send(await deps.core.runs.start(deps.context(request), request.body)));

  api.get('/runs', {
    schema: {
      tags,
      summary: 'Runs, newest first',
      querystring: z.object({ job: z.string().optional(), namespace: z.string().optional(), status: z.enum(RUN_STATUSES).optional(), before: z.string().optional(), limit: z.coerce.number().int().min(1).max(1000).optional() }),
      response: { 200: z.object({ runs: z.array(RunListItem) }), ...ERROR_RESPONSES },
    },
  }, async (request) => ({ runs: await deps.core.runs.list(deps.context(request), request.query) }));

  api.get('/runs/:id', { schema: { tags, summary: 'A run with its inputs, outputs and latest metrics', ...Params, response: { 200: RunSchema, ...ERROR_RESPONSES } } }, async (request) =>
    deps.core.runs.get(deps.context(request), request.params.id));

  api.post('/runs/:id/params', {
    schema: { tags, summary: 'Log parameters (a logged parameter cannot change)', ...Params, body: z.strictObject({ params: z.record(z.string(), z.string()) }), response: { 200: RunSchema, ...ERROR_RESPONSES } },
  }, async (request) => deps.core.runs.logParams(deps.context(request), request.params.id, request.body.params));

  api.post('/runs/:id/metrics', {
    schema: {
      tags,
      summary: 'Log metric values (scalars, or series by step)',
      ...Params,
      body: z.strictObject({ metrics: z.array(z.strictObject({ key: z.string(), value: z.number(), step: z.number().int().min(0).optional(), at: z.string().optional() })).min(1) }),
      response: { 204: z.null(), ...ERROR_RESPONSES },
    },
  }, async (request, reply) => {
    await deps.core.runs.logMetrics(deps.context(request), request.params.id, request.body.metrics);
    return reply.status(204).send(null);
  });

  api.get('/runs/:id/metrics', {
    schema: { tags, summary: 'Every metric point', ...Params, response: { 200: z.object({ metrics: z.array(z.object({ key: z.string(), value: z.number(), step: z.number(), at: z.string() })) }), ...ERROR_RESPONSES } },
  }, async (request) => ({ metrics: await deps.core.runs.metrics(deps.context(request), request.params.id) }));

  api.post('/runs/:id/inputs', { schema: { tags, summary: 'Declare data the run read (resolved to exact versions now)', ...Params, body: Addresses, response: { 200: RunSchema, ...ERROR_RESPONSES } } }, async (request) =>
    deps.core.runs.addInputs(deps.context(request), request.params.id, request.body.addresses));

  api.post('/runs/:id/outputs', { schema: { tags, summary: 'Declare data the run wrote', ...Params, body: Addresses, response: { 200: RunSchema, ...ERROR_RESPONSES } } }, async (request) =>
    deps.core.runs.addOutputs(deps.context(request), request.params.id, request.body.addresses));

  api.post('/runs/:id/finish', {
    schema: {
      tags,
      summary: 'Finish a run: completed, failed or aborted (default: from the exit code)',
      ...Params,
      body: z.strictObject({ status: z.enum(['completed', 'failed', 'aborted']).optional(), exitCode: z.number().int().optional(), outputs: z.array(z.string()).optional() }),
      response: { 200: RunSchema, ...ERROR_RESPONSES },
    },
  }, async (request) => deps.core.runs.finish(deps.context(request), request.params.id, request.body));

  api.get('/runs/:id/openlineage', {
    schema: { tags, summary: 'The run as OpenLineage 2-0-2 RunEvents (START, then COMPLETE/FAIL/ABORT)', ...Params, response: { 200: z.object({ events: z.array(z.record(z.string(), z.unknown())) }), ...ERROR_RESPONSES } },
  }, async (request) => ({ events: (await deps.core.runs.openLineage(deps.context(request), request.params.id)) as unknown as Array<Record<string, unknown>> }));
}
