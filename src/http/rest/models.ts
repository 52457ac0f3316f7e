import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { RouteDeps } from '../build-server.ts';
import { modelReportHtml, modelReportMarkdown } from '../../core/models/model-report-format.ts';
import { ERROR_RESPONSES } from '../schemas.ts';

const ModelSchema = z.object({ name: z.string(), description: z.string(), tags: z.array(z.string()), createdAt: z.string(), createdBy: z.string() }).meta({ id: 'Model' });
const VersionSchema = z.object({
  model: z.string(),
  version: z.number(),
  repository: z.string(),
  commit: z.string(),
  path: z.string().describe("a file, or a folder ending in '/'"),
  runId: z.string().optional(),
  description: z.string(),
  metadata: z.record(z.string(), z.string()),
  createdAt: z.string(),
  createdBy: z.string(),
}).meta({ id: 'ModelVersion' });
const AliasSchema = z.object({ model: z.string(), alias: z.string(), version: z.number(), updatedAt: z.string(), updatedBy: z.string() });
const AliasEventSchema = z.object({ model: z.string(), alias: z.string(), from: z.number().optional(), to: z.number().optional(), at: z.string(), actor: z.string() }).meta({ id: 'AliasEvent' });
const Name = { params: z.object({ name: z.string() }) };

/** The model registry. */
export function registerModelRoutes(app: FastifyInstance, deps: RouteDeps): void {
  const api = app.withTypeProvider<ZodTypeProvider>();
  const tags = ['models'];
  api.post('/models', {
    schema: { tags, summary: 'Create a registered model', body: z.strictObject({ name: z.string(), description: z.string().optional(), tags: z.array(z.string()).optional() }), response: { 201: ModelSchema, ...ERROR_RESPONSES } },
  }, async (request, reply) => reply.status(201).send(await deps.core.models.create(deps.context(request), request.body)));

  api.get('/models', { schema: { tags, summary: 'Registered models', response: { 200: z.object({ models: z.array(ModelSchema) }), ...ERROR_RESPONSES } } }, async (request) => ({
    models: await deps.core.models.list(deps.context(request)),
  }));

  api.get('/models/resolve', {
    schema: {
      tags,
      summary: 'Resolve model:<name>@<alias>, model:<name>/<version> or model:<name> (latest), optionally followed by /<path inside>',
      querystring: z.object({ address: z.string() }),
      response: { 200: z.object({ version: VersionSchema, object: z.object({ repository: z.string(), ref: z.string(), path: z.string() }) }), ...ERROR_RESPONSES },
    },
  }, async (request) => deps.core.models.resolve(deps.context(request), request.query.address));

  api.get('/models/:name', {
    schema: { tags, summary: 'A model with its versions and aliases', ...Name, response: { 200: ModelSchema.extend({ versions: z.array(VersionSchema.extend({ marks: z.array(z.object({ erasureId: z.string(), mark: z.string() })).describe("left by erasures: 'trained-on-erased-data' when data it was trained on was erased") })), aliases: z.array(AliasSchema) }), ...ERROR_RESPONSES } },
  }, async (request) => deps.core.models.get(deps.context(request), request.params.name));

  api.post('/models/:name/versions', {
    schema: {
      tags,
      summary: 'Register an artifact (repo@ref:path, resolved to its commit now) as the next version; creates the model on first use',
      ...Name,
      body: z.strictObject({ source: z.string(), runId: z.string().optional(), description: z.string().optional(), metadata: z.record(z.string(), z.string()).optional() }),
      response: { 201: VersionSchema, ...ERROR_RESPONSES },
    },
  }, async (request, reply) => reply.status(201).send(await deps.core.models.register(deps.context(request), { model: request.params.name, ...request.body })));

  api.put('/models/:name/aliases/:alias', {
    schema: { tags, summary: 'Point an alias at a version (the move is recorded)', params: z.object({ name: z.string(), alias: z.string() }), body: z.strictObject({ version: z.number().int().min(1) }), response: { 200: AliasEventSchema, ...ERROR_RESPONSES } },
  }, async (request) => deps.core.models.setAlias(deps.context(request), { model: request.params.name, alias: request.params.alias, version: request.body.version }));

  api.delete('/models/:name/aliases/:alias', {
    schema: { tags, summary: 'Remove an alias (recorded)', params: z.object({ name: z.string(), alias: z.string() }), response: { 200: AliasEventSchema, ...ERROR_RESPONSES } },
  }, async (request) => deps.core.models.setAlias(deps.context(request), { model: request.params.name, alias: request.params.alias }));

  api.get('/models/:name/versions/:version/report', {
    schema: {
      tags,
      summary: "The model report an auditor asks for: run, training data, preparation, sources with licences and labels, exclusions, erasures, inference use, retention, the audit log's signed head",
      params: z.object({ name: z.string(), version: z.coerce.number().int().min(1) }),
      querystring: z.strictObject({ format: z.enum(['json', 'markdown', 'html']).default('json') }),
      response: { 200: z.record(z.string(), z.unknown()).describe('format=json: the report (strata-model-report/1); markdown and html answer text/markdown and text/html'), ...ERROR_RESPONSES },
    },
  }, async (request, reply) => {
    const report = await deps.core.reports.report(deps.context(request), `model:${request.params.name}/${request.params.version}`);
    if (request.query.format === 'json') return report as unknown as Record<string, unknown>;
    const text = request.query.format === 'html' ? modelReportHtml(report) : modelReportMarkdown(report);
    return reply.type(request.query.format === 'html' ? 'text/html; charset=utf-8' : 'text/markdown; charset=utf-8').serializer((payload: unknown) => payload as string).send(text as unknown as Record<string, unknown>);
  });

  api.get('/models/:name/alias-history', {
    schema: { tags, summary: 'Every alias move, oldest first', ...Name, response: { 200: z.object({ events: z.array(AliasEventSchema) }), ...ERROR_RESPONSES } },
  }, async (request) => ({ events: await deps.core.models.aliasHistory(deps.context(request), request.params.name) }));
}
