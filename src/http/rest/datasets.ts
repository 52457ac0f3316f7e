import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { RouteDeps } from '../build-server.ts';
import { ERROR_RESPONSES } from '../schemas.ts';

const DatasetSchema = z.object({
  name: z.string(),
  repository: z.string(),
  prefix: z.string(),
  owner: z.string(),
  description: z.string(),
  license: z.string().optional(),
  source: z.string().optional(),
  tags: z.array(z.string()),
  labels: z.array(z.string()).describe('classification labels'),
  properties: z.record(z.string(), z.string()),
  createdAt: z.string(),
  createdBy: z.string(),
  updatedAt: z.string(),
}).meta({ id: 'Dataset' });

const VersionSchema = z.object({
  ref: z.string(),
  commit: z.string(),
  objects: z.number(),
  logicalBytes: z.number(),
  physicalBytes: z.number().describe('bytes of the distinct contents'),
  byType: z.record(z.string(), z.object({ objects: z.number(), bytes: z.number() })),
  schemas: z.record(z.string(), z.string()),
  sources: z.object({ from: z.string(), to: z.string() }).optional(),
  card: z.string().optional().describe('README.md at the prefix (Markdown text)'),
});

const HitSchema = z.object({
  kind: z.enum(['dataset', 'object']),
  repository: z.string(),
  path: z.string().describe("the object's path, or the dataset's prefix"),
  dataset: z.string().optional().describe('the dataset name (dataset hits)'),
  summary: z.string().describe('extracted title or description'),
  contentType: z.string(),
  size: z.number(),
  score: z.number().describe('higher is better; comparable within one response only'),
}).meta({ id: 'SearchHit' });

/** The dataset catalog. */
export function registerDatasetRoutes(app: FastifyInstance, deps: RouteDeps): void {
  const api = app.withTypeProvider<ZodTypeProvider>();
  const tags = ['datasets'];
  api.post('/datasets', {
    schema: {
      tags,
      summary: 'Create a dataset: a named path prefix of a repository',
      body: z.strictObject({
        name: z.string(),
        repository: z.string(),
        prefix: z.string().optional(),
        owner: z.string().optional(),
        description: z.string().optional(),
        license: z.string().optional(),
        source: z.string().optional(),
        tags: z.array(z.string()).optional(),
        labels: z.array(z.string()).optional(),
        properties: z.record(z.string(), z.string()).optional(),
      }),
      response: { 201: DatasetSchema, ...ERROR_RESPONSES },
    },
  }, async (request, reply) => reply.status(201).send(await deps.core.datasets.create(deps.context(request), request.body)));

  api.get('/datasets', {
    schema: {
      tags,
      summary: 'List datasets, filtered by repository, tag, owner or license',
      querystring: z.object({ repository: z.string().optional(), tag: z.string().optional(), owner: z.string().optional(), license: z.string().optional() }),
      response: { 200: z.object({ datasets: z.array(DatasetSchema) }), ...ERROR_RESPONSES },
    },
  }, async (request) => ({ datasets: await deps.core.datasets.list(deps.context(request), request.query) }));

  api.get('/datasets/:name', {
    schema: {
      tags,
      summary: 'A dataset and its contents at a ref: counts, bytes (logical and distinct), types, schemas, source time range, card',
      params: z.object({ name: z.string() }),
      querystring: z.object({ ref: z.string().optional() }),
      response: { 200: z.object({ dataset: DatasetSchema, version: VersionSchema }), ...ERROR_RESPONSES },
    },
  }, async (request) => {
    const ctx = deps.context(request);
    return { dataset: await deps.core.datasets.get(ctx, request.params.name), version: await deps.core.datasets.version(ctx, { name: request.params.name, ref: request.query.ref }) };
  });

  api.post('/datasets/:name/tags', {
    schema: {
      tags,
      summary: 'Add and remove tags (or classification labels)',
      params: z.object({ name: z.string() }),
      body: z.strictObject({ add: z.array(z.string()).optional(), remove: z.array(z.string()).optional(), field: z.enum(['tags', 'labels']).optional() }),
      response: { 200: DatasetSchema, ...ERROR_RESPONSES },
    },
  }, async (request) => deps.core.datasets.tag(deps.context(request), { name: request.params.name, ...request.body }));

  api.get('/search', {
    schema: {
      tags,
      summary: "Full-text search over datasets (name, description, tags, labels, card) and the objects of default branches (path, extracted title and author, column names, tags)",
      querystring: z.object({
        q: z.string().default('').describe('words; each matches whole words and word prefixes; all must match'),
        kind: z.enum(['dataset', 'object']).optional(),
        repository: z.string().optional(),
        type: z.string().optional().describe('application/pdf, image or image/*; datasets match when they hold such an object'),
        tag: z.string().optional(),
        owner: z.string().optional(),
        license: z.string().optional(),
        limit: z.coerce.number().int().min(1).max(1000).optional(),
        offset: z.coerce.number().int().min(0).optional(),
      }),
      response: { 200: z.object({ hits: z.array(HitSchema), total: z.number() }), ...ERROR_RESPONSES },
    },
  }, async (request) => {
    const { q, kind, ...rest } = request.query;
    return deps.core.search.search(deps.context(request), { text: q, ...(kind === undefined ? {} : { kinds: [kind] }), ...rest });
  });
}
