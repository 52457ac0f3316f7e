import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { MAX_BATCH } from '../../core/inference/inference-service.ts';
import type { RouteDeps } from '../build-server.ts';
import { ERROR_RESPONSES } from '../schemas.ts';

const Result = z.union([
  z.object({ index: z.number(), status: z.literal(201), id: z.string(), cost: z.number().nullable(), costNote: z.string().nullable() }),
  z.object({ index: z.number(), status: z.number(), error: z.object({ code: z.string(), message: z.string() }) }),
]);
const text = z.string().nullable();
const count = z.number().nullable();
const RecordSchema = z
  .object({
    id: z.string(),
    time: z.string(),
    application: z.string(),
    model: z.string(),
    responseModel: text,
    modelVersion: text,
    provider: text,
    operation: text,
    inputText: text,
    inputRef: text,
    outputText: text,
    outputRef: text,
    params: z.record(z.string(), z.unknown()),
    usage: z.object({ inputTokens: count, outputTokens: count, cachedTokens: count, reasoningTokens: count, countedInputTokens: count, countedOutputTokens: count }),
    cost: z.object({ amount: count, provided: count, computed: count, currency: text, priceEntry: text, note: text }),
    latencyMs: count,
    ttftMs: count,
    recipe: text,
    user: text,
    session: text,
    responseId: text,
    finishReasons: z.array(z.string()).nullable(),
    attributes: z.record(z.string(), z.unknown()),
    notes: text,
    traceId: text,
    spanId: text,
    ingestedVia: z.string(),
  })
  .meta({ id: 'InferenceRecord', description: 'a stored inference record; SQL over `inference` sees the same fields as snake_case columns' });
const QueryResult = z.object({ columns: z.array(z.string()), rows: z.array(z.array(z.unknown())) });
const Day = z.string().regex(/^\d{4}-\d{2}-\d{2}(T[\d:.]+Z)?$/, 'YYYY-MM-DD or an ISO time in UTC');

/** The inference archive: batch logging (207), listing, SQL, cost reports, prices, retention, erasure, compaction. */
export function registerInferenceRoutes(app: FastifyInstance, deps: RouteDeps & { maxBodyBytes: number }): void {
  const api = app.withTypeProvider<ZodTypeProvider>();
  const tags = ['inference'];
  api.post('/inference', {
    bodyLimit: deps.maxBodyBytes,
    schema: {
      tags,
      summary: `Log a batch of model calls (at most ${MAX_BATCH}); 207 with one result per record, so one bad record never rejects the others`,
      body: z.strictObject({ records: z.array(z.unknown()).min(1).max(MAX_BATCH) }),
      response: { 207: z.object({ results: z.array(Result) }), ...ERROR_RESPONSES },
    },
  }, async (request, reply) => reply.status(207).send({ results: await deps.core.inference.log(deps.context(request), request.body.records) }));

  api.get('/inference', {
    schema: {
      tags,
      summary: 'Recent records (not yet compacted) in time order; use the query route for all of them',
      querystring: z.strictObject({ application: z.string().optional(), model: z.string().optional(), user: z.string().optional(), session: z.string().optional(), from: Day.optional(), to: Day.optional(), limit: z.coerce.number().int().min(1).max(10_000).default(100) }),
      response: { 200: z.object({ records: z.array(RecordSchema) }), ...ERROR_RESPONSES },
    },
  }, async (request) => ({ records: await deps.core.inference.list(deps.context(request), request.query) }));

  api.get('/inference/records/:id', {
    schema: { tags, summary: 'One record, recent or compacted', params: z.object({ id: z.string() }), response: { 200: RecordSchema, ...ERROR_RESPONSES } },
  }, async (request) => deps.core.inference.get(deps.context(request), request.params.id));

  api.post('/inference/query', {
    schema: { tags, summary: 'One read-only SQL statement (DuckDB) over the view `inference`: recent and compacted records', body: z.strictObject({ sql: z.string().min(1) }), response: { 200: QueryResult, ...ERROR_RESPONSES } },
  }, async (request, reply) => {
    // A client that hangs up cancels its query instead of leaving it running.
    const left = new AbortController();
    reply.raw.once('close', () => {
      if (!reply.raw.writableFinished) left.abort();
    });
    return deps.core.inference.query(deps.context(request), request.body.sql, { signal: left.signal });
  });

  api.get('/inference/report', {
    schema: {
      tags,
      summary: 'Calls, tokens and cost by application, model, user or day',
      querystring: z.strictObject({ by: z.enum(['application', 'model', 'user', 'day']), from: Day.optional(), to: Day.optional() }),
      response: { 200: QueryResult, ...ERROR_RESPONSES },
    },
  }, async (request) => deps.core.inference.report(deps.context(request), request.query));

  api.get('/inference/prices', {
    schema: { tags, summary: 'The price table in force and its version', response: { 200: z.object({ version: z.string(), table: z.record(z.string(), z.unknown()) }), ...ERROR_RESPONSES } },
  }, async (request) => deps.core.inference.getPrices(deps.context(request)));

  api.put('/inference/prices', {
    schema: { tags, summary: 'Commit a new price table to the archive repository', body: z.record(z.string(), z.unknown()), response: { 200: z.object({ version: z.string(), table: z.record(z.string(), z.unknown()) }), ...ERROR_RESPONSES } },
  }, async (request) => deps.core.inference.setPrices(deps.context(request), request.body));

  api.get('/inference/retention', {
    schema: { tags, summary: 'Retention per application (absent: kept forever)', response: { 200: z.object({ retention: z.array(z.object({ application: z.string(), days: z.number() })) }), ...ERROR_RESPONSES } },
  }, async (request) => ({ retention: await deps.core.inference.retention(deps.context(request)) }));

  api.put('/inference/retention/:application', {
    schema: { tags, summary: "Set an application's retention in days (null: forever)", params: z.object({ application: z.string() }), body: z.strictObject({ days: z.number().int().min(1).nullable() }), response: { 204: z.null(), ...ERROR_RESPONSES } },
  }, async (request, reply) => {
    await deps.core.inference.setRetention(deps.context(request), request.params.application, request.body.days);
    return reply.status(204).send(null);
  });

  api.post('/inference/prune', {
    schema: { tags, summary: 'Delete records past their application retention (recent and compacted)', response: { 200: z.object({ deleted: z.number(), commit: z.string().nullable() }), ...ERROR_RESPONSES } },
  }, async (request) => deps.core.inference.prune(deps.context(request)));

  api.post('/inference/erase', {
    schema: {
      tags,
      summary: 'Delete every record of a user or a session (ids in the body, never in the URL); audited under the pseudonym',
      body: z.strictObject({ user: z.string().min(1).optional(), session: z.string().min(1).optional() }),
      response: { 200: z.object({ deleted: z.number(), commit: z.string().nullable() }), ...ERROR_RESPONSES },
    },
  }, async (request) => deps.core.inference.deleteSubject(deps.context(request), request.body));

  api.post('/inference/compact', {
    schema: { tags, summary: 'Move records older than `before` (default: the configured recent days) into daily Parquet partitions', body: z.strictObject({ before: Day.optional() }).default({}), response: { 200: z.object({ records: z.number(), days: z.array(z.string()), commit: z.string().nullable() }), ...ERROR_RESPONSES } },
  }, async (request) => deps.core.inference.compact(deps.context(request), request.body.before === undefined ? {} : { before: request.body.before }));
}
