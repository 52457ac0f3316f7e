import { OTLPTraceExporter as JsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as ProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, SimpleSpanProcessor, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer } from '../../src/http/build-server.ts';
import { createTestCore, ctx, type TestCore, withToken } from '../support/core.ts';

let t: TestCore;
let server: FastifyInstance;
let base: string;
let call: typeof fetch;
beforeAll(async () => {
  t = await createTestCore('sqlite');
  server = await buildServer({ core: t.core, logLevel: 'silent', maxInferenceBodyBytes: 64 * 1024 });
  base = await server.listen({ host: '127.0.0.1', port: 0 });
  call = withToken(t.token);
});
afterAll(async () => {
  await server.close();
  await t.dispose();
});

async function post(path: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; json: Record<string, unknown> }> {
  const response = await call(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) });
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
}

/** Exports two spans through a real OpenTelemetry SDK: one GenAI chat call, one plain HTTP span. */
async function exportSpans(exporter: SpanExporter, service: string): Promise<void> {
  const provider = new BasicTracerProvider({ resource: resourceFromAttributes({ 'service.name': service }), spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const tracer = provider.getTracer('test');
  const started = new Date('2026-11-23T08:00:00.000Z');
  const chat = tracer.startSpan('chat gpt-4o', {
    startTime: started,
    attributes: {
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': 'gpt-4o',
      'gen_ai.request.temperature': 0.2,
      'gen_ai.request.max_tokens': 256,
      'gen_ai.response.id': 'chatcmpl-123',
      'gen_ai.response.model': 'gpt-4o-2024-08-06',
      'gen_ai.response.finish_reasons': ['stop'],
      'gen_ai.usage.input_tokens': 1200,
      'gen_ai.usage.output_tokens': 300,
      'gen_ai.usage.cache_read.input_tokens': 200,
      'gen_ai.usage.reasoning.output_tokens': 0,
      'gen_ai.conversation.id': 'conv-42',
      'gen_ai.input.messages': JSON.stringify([{ role: 'user', parts: [{ type: 'text', content: 'What is Strata?' }] }]),
      'gen_ai.output.messages': JSON.stringify([{ role: 'assistant', parts: [{ type: 'text', content: 'A data system.' }], finish_reason: 'stop' }]),
      'user.id': 'u-7',
      'app.tenant': 'acme',
    },
  });
  chat.end(new Date(started.getTime() + 850));
  tracer.startSpan('GET /health', { attributes: { 'http.request.method': 'GET' } }).end();
  await provider.forceFlush();
  await provider.shutdown();
}

describe('inference over HTTP', () => {
  it('answers a batch with 207 and a result per record; unknown models get no cost and the reason', async () => {
    const response = await post('/api/v1/inference', {
      records: [
        { application: 'search', model: 'gpt-4o-mini', time: '2026-11-23T09:00:00Z', input: 'q', output: 'a', usage: { inputTokens: 2000, outputTokens: 100 }, params: { temperature: 0 }, attributes: { tenant: 'acme' } },
        { application: 'search', model: 'in-house-7b', time: '2026-11-23T09:00:01Z', usage: { inputTokens: 10, outputTokens: 10 } },
        { application: 'search', model: 'gpt-4o', usage: { inputTokens: -5 } },
        { model: 'gpt-4o' },
      ],
    });
    expect(response.status).toBe(207);
    const results = response.json.results as Array<Record<string, unknown>>;
    expect(results.map((r) => [r.index, r.status, r.cost ?? (r.error as { code?: string } | undefined)?.code ?? null, r.costNote ?? null])).toEqual([
      [0, 201, 0.00036, null],
      [1, 201, null, "no price for model 'in-house-7b' on 2026-11-23 in price table builtin"],
      [2, 400, 'InvalidArgument', null],
      [3, 400, 'InvalidArgument', null],
    ]);
    expect((results[2]?.error as { message: string }).message).toBe('usage.inputTokens: Too small: expected number to be >=0');
    const listed = await (await call(`${base}/api/v1/inference?application=search`)).json() as { records: Array<Record<string, unknown>> };
    expect(listed.records.map((r) => r.model)).toEqual(['gpt-4o-mini', 'in-house-7b']);
    // The API's camelCase shapes with JSON values as values, not SQL columns holding JSON text.
    expect(listed.records[0]).toMatchObject({ responseModel: null, params: { temperature: 0 }, attributes: { tenant: 'acme' }, usage: { inputTokens: 2000, outputTokens: 100 }, cost: { amount: 0.00036, currency: 'USD' }, ingestedVia: 'api' });
    expect(Object.keys(listed.records[0] ?? {}).filter((key) => key.includes('_'))).toEqual([]);
    const one = await (await call(`${base}/api/v1/inference/records/${results[0]?.id as string}`)).json() as Record<string, unknown>;
    expect(one).toEqual(listed.records[0]);
  });

  it('refuses a body over the limit with 413 and stores nothing', async () => {
    const before = (await t.core.inference.list(ctx, { limit: 1000 })).length;
    const response = await post('/api/v1/inference', { records: [{ application: 'x', model: 'gpt-4o', input: 'y'.repeat(100 * 1024) }] });
    expect(response.status).toBe(413);
    expect(response.json.code).toBe('PayloadTooLarge');
    expect(typeof response.json.message).toBe('string');
    const otlp = await post('/v1/traces', 'x'.repeat(100 * 1024), { 'content-type': 'application/x-protobuf' });
    expect([otlp.status, otlp.json.code]).toEqual([413, 'PayloadTooLarge']);
    expect((await t.core.inference.list(ctx, { limit: 1000 })).length).toBe(before);
  });

  it.each([
    ['OTLP/JSON', (url: string): SpanExporter => new JsonExporter({ url, headers: { authorization: `Bearer ${t.token}` } }), 'bot-json'],
    ['OTLP/protobuf', (url: string): SpanExporter => new ProtoExporter({ url, headers: { authorization: `Bearer ${t.token}` } }), 'bot-proto'],
  ])('archives GenAI spans sent by the OpenTelemetry SDK over %s, and skips the others', async (_name, exporter, service) => {
    await exportSpans(exporter(`${base}/v1/traces`), service);
    const [record, ...rest] = await t.core.inference.list(ctx, { application: service, limit: 10 });
    expect(rest).toEqual([]);
    expect(record).toMatchObject({
      application: service,
      model: 'gpt-4o',
      responseModel: 'gpt-4o-2024-08-06',
      provider: 'openai',
      operation: 'chat',
      time: '2026-11-23T08:00:00.000Z',
      latencyMs: 850,
      usage: { inputTokens: 1200, outputTokens: 300, cachedTokens: 200, reasoningTokens: 0, countedInputTokens: null, countedOutputTokens: null },
      responseId: 'chatcmpl-123',
      finishReasons: ['stop'],
      params: { temperature: 0.2, max_tokens: 256 },
      inputText: '[{"role":"user","parts":[{"type":"text","content":"What is Strata?"}]}]',
      outputText: '[{"role":"assistant","parts":[{"type":"text","content":"A data system."}],"finish_reason":"stop"}]',
      ingestedVia: 'otlp',
      // 1,000 uncached × $2.50 + 200 cached × $1.25 + 300 × $10 per million
      cost: { amount: 0.00575, provided: null, computed: 0.00575, currency: 'USD', priceEntry: 'builtin:gpt-4o-20*@2024-10-01', note: null },
      attributes: { 'app.tenant': 'acme', 'otel.span.name': 'chat gpt-4o' },
    });
    expect(record?.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(record?.spanId).toMatch(/^[0-9a-f]{16}$/);
    expect(record?.user).toMatch(/^p:[0-9a-f]{32}$/);
    expect(record?.session).toMatch(/^p:[0-9a-f]{32}$/);
  });

  it('answers an OTLP/JSON request with partial success naming what it skipped', async () => {
    const response = await post('/v1/traces', {
      resourceSpans: [{ resource: { attributes: [{ key: 'service.name', value: { stringValue: 'raw' } }] }, scopeSpans: [{ spans: [{ traceId: '5b8efff798038103d269b633813fc60c', spanId: 'eee19b7ec3c1b174', name: 'db query', startTimeUnixNano: '1795000000000000000', endTimeUnixNano: '1795000000100000000', attributes: [{ key: 'db.system', value: { stringValue: 'postgresql' } }] }] }] }],
    });
    expect(response).toEqual({ status: 200, json: { partialSuccess: { rejectedSpans: 1, errorMessage: "1 span(s) not archived: span 'db query' has no gen_ai.operation.name" } } });
    const bad = await post('/v1/traces', 'not json');
    expect([bad.status, bad.json.code]).toEqual([400, 'InvalidArgument']);
  });

  it('reports cost by application and runs SQL over the archive', async () => {
    const report = await post('/api/v1/inference/query', { sql: "SELECT application, count(*) AS calls, round(sum(cost_computed), 6) AS cost FROM inference WHERE application LIKE 'bot-%' GROUP BY 1 ORDER BY 1" });
    expect(report).toEqual({ status: 200, json: { columns: ['application', 'calls', 'cost'], rows: [['bot-json', 1, 0.00575], ['bot-proto', 1, 0.00575]] } });
    const byModel = await (await call(`${base}/api/v1/inference/report?by=model`)).json() as { columns: string[]; rows: unknown[][] };
    expect(byModel.rows.find((r) => r[0] === 'gpt-4o-2024-08-06')?.slice(1)).toEqual([2, 2400, 600, 400, 0, 0.0115, 0]);
  });
});
