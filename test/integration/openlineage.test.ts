import { gzipSync } from 'node:zlib';
import type { FastifyInstance, InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer } from '../../src/http/build-server.ts';
import { validateOpenLineageEvent } from '../../src/http/openlineage/validate-event.ts';
import { bytesOf, createTestCore, ctx, type TestCore, injectAs } from '../support/core.ts';

const PRODUCER = 'https://github.com/OpenLineage/OpenLineage/blob/v1-0-0/client';
const RUN_SCHEMA = 'https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent';

/** The shapes of the spec's own examples (openlineage.io object model: run, dataset and job events). */
const startEvent = {
  eventType: 'START',
  eventTime: '2020-12-28T19:52:00.001+10:00',
  run: { runId: 'd46e465b-d358-4d32-83d4-df660ff614dd' },
  job: { namespace: 'my-namespace', name: 'myjob.mytask' },
  inputs: [{ namespace: 'my-namespace', name: 'my-input' }],
  outputs: [{ namespace: 'my-namespace', name: 'my-output' }],
  producer: PRODUCER,
  schemaURL: RUN_SCHEMA,
};
const completeEvent = {
  eventType: 'COMPLETE',
  eventTime: '2020-12-28T20:52:00.001+10:00',
  run: { runId: 'd46e465b-d358-4d32-83d4-df660ff614dd', facets: { acme_cost: { _producer: PRODUCER, _schemaURL: 'https://acme.example/schemas/CostRunFacet.json', dollars: 12.5 } } },
  job: { namespace: 'my-namespace', name: 'myjob.mytask' },
  inputs: [{ namespace: 'my-namespace', name: 'my-input' }],
  outputs: [
    {
      namespace: 'my-namespace',
      name: 'my-output',
      facets: { schema: { _producer: PRODUCER, _schemaURL: 'https://openlineage.io/spec/facets/1-1-1/SchemaDatasetFacet.json#/$defs/SchemaDatasetFacet', fields: [{ name: 'a', type: 'VARCHAR' }] } },
    },
  ],
  producer: PRODUCER,
  schemaURL: RUN_SCHEMA,
};
const datasetEvent = {
  eventTime: '2020-12-28T19:52:00.001+10:00',
  dataset: { namespace: 'my-namespace', name: 'my-input', facets: { documentation: { _producer: PRODUCER, _schemaURL: 'https://openlineage.io/spec/facets/1-0-1/DocumentationDatasetFacet.json#/$defs/DocumentationDatasetFacet', description: 'customers' } } },
  producer: PRODUCER,
  schemaURL: 'https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/DatasetEvent',
};
const jobEvent = {
  eventTime: '2020-12-28T19:52:00.001+10:00',
  job: { namespace: 'my-namespace', name: 'myjob.view' },
  inputs: [{ namespace: 'my-namespace', name: 'my-output' }],
  outputs: [{ namespace: 'my-namespace', name: 'my-view' }],
  producer: PRODUCER,
  schemaURL: 'https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/JobEvent',
};

describe('OpenLineage in and out, and the Marquez-compatible graph', () => {
  let t: TestCore;
  let server: FastifyInstance;
  beforeAll(async () => {
    t = await createTestCore('sqlite');
    server = await buildServer({ core: t.core, logLevel: 'silent' });
  });
  afterAll(async () => {
    await server.close();
    await t.dispose();
  });
  const inject = (options: InjectOptions) => injectAs(server, t.token)(options);
  const post = (url: string, payload: unknown) => inject({ method: 'POST', url: `/api/v1${url}`, payload: JSON.stringify(payload), headers: { 'content-type': 'application/json' } });
  const get = (url: string) => inject({ method: 'GET', url: `/api/v1${url}` });

  it('accepts the spec examples with 201 and keeps unknown facets', async () => {
    for (const event of [startEvent, completeEvent, datasetEvent, jobEvent]) expect((await post('/lineage', event)).statusCode).toBe(201);
    const run = (await get('/runs/d46e465b-d358-4d32-83d4-df660ff614dd')).json<{ status: string; namespace: string; job: string; facets: { run: Record<string, unknown> }; inputs: Array<{ key: string }>; outputs: Array<{ key: string; data: { facets?: unknown } }>; startedAt: string; endedAt: string }>();
    expect(run).toMatchObject({ status: 'completed', namespace: 'my-namespace', job: 'myjob.mytask', startedAt: '2020-12-28T09:52:00.001Z', endedAt: '2020-12-28T10:52:00.001Z' });
    expect(run.facets.run.acme_cost).toEqual(completeEvent.run.facets.acme_cost);
    expect(run.inputs.map((i) => i.key)).toEqual(['external:my-namespace:my-input']);
    expect(run.outputs.map((o) => o.key)).toEqual(['external:my-namespace:my-output']);
    const node = await t.core.lineage.node(ctx, 'external:my-namespace:my-input');
    expect((node.data.facets as Record<string, unknown>).documentation).toEqual(datasetEvent.dataset.facets.documentation);
    const view = await t.core.lineage.walk(ctx, { address: 'external:my-namespace:my-output', direction: 'downstream' });
    expect(view.nodes.map((n) => n.key)).toEqual(['job:my-namespace:myjob.view', 'external:my-namespace:my-view']);
  });

  it('rejects invalid events with 400 and the reason, and a batch with one bad event applies none', async () => {
    const cases: Array<[unknown, string]> = [
      [{ ...startEvent, producer: undefined }, "must have required property 'producer'"],
      [{ ...startEvent, eventType: 'DONE' }, '/eventType must be equal to one of the allowed values (START, RUNNING, COMPLETE, ABORT, FAIL, OTHER)'],
      [{ ...startEvent, run: { runId: 'not-a-uuid' } }, '/run/runId must match format "uuid"'],
      [{ ...startEvent, eventTime: 'yesterday' }, '/eventTime must match format "date-time"'],
      [{ ...jobEvent, dataset: datasetEvent.dataset }, 'is not a valid OpenLineage 2-0-2 event'],
      ['hello', 'is not a valid OpenLineage 2-0-2 event'],
    ];
    for (const [event, reason] of cases) {
      const response = await post('/lineage', event);
      expect(response.statusCode, JSON.stringify(event)).toBe(400);
      expect(response.json<{ code: string; message: string }>()).toMatchObject({ code: 'InvalidArgument' });
      expect(response.json<{ message: string }>().message).toContain(reason);
    }
    // A facet without its base fields is no reason to refuse the event: accepted, with warnings.
    const bare = await post('/lineage', { ...startEvent, run: { runId: startEvent.run.runId, facets: { nominalTime: { nominalStartTime: '2020-12-17T03:00:00.000Z' } } } });
    expect(bare.statusCode).toBe(201);
    expect(bare.json()).toMatchObject({ accepted: 1, warnings: [{ event: 0, warnings: ["/run/facets/nominalTime must have required property '_producer'", "/run/facets/nominalTime must have required property '_schemaURL'"] }] });
    const fresh = { ...startEvent, run: { runId: '0f1e2d3c-4b5a-4968-8776-655443322110' }, job: { namespace: 'my-namespace', name: 'myjob.other' } };
    const batch = await post('/lineage/batch', [fresh, { ...startEvent, schemaURL: undefined }]);
    expect(batch.statusCode).toBe(400);
    expect(batch.json<{ message: string }>().message).toContain('event 1 is not a valid OpenLineage 2-0-2 event');
    expect((await get(`/runs/${fresh.run.runId}`)).statusCode).toBe(404);
    const ok = await post('/lineage/batch', { events: [fresh, { ...fresh, eventType: 'FAIL', eventTime: '2020-12-28T19:53:00Z' }] });
    expect(ok.statusCode).toBe(201);
    expect((await get(`/runs/${fresh.run.runId}`)).json<{ status: string }>().status).toBe('failed');
  });

  it('maps s3:// names on Strata and strata:// namespaces onto exact versions, and round-trips Strata runs', async () => {
    await t.core.repositories.create(ctx, { name: 'raw' });
    await t.core.objects.put(ctx, { repository: 'raw', branch: 'main', path: 'docs/a.txt', body: bytesOf('alpha') });
    const commit = await t.core.commits.commit(ctx, { repository: 'raw', branch: 'main', message: 'docs' });
    const spark = { ...startEvent, run: { runId: '11111111-2222-4333-8444-555555555555' }, job: { namespace: 'spark', name: 'read.docs' }, inputs: [{ namespace: 's3://raw', name: 'main/docs' }, { namespace: 'strata://elsewhere', name: 'raw/docs/a.txt' }], outputs: [] };
    const accepted = (await post('/lineage', spark)).json<{ keys: string[][] }>();
    const sha = (await t.core.objects.stat(ctx, { repository: 'raw', ref: 'main', path: 'docs/a.txt' })).sha256;
    expect(accepted.keys[0]).toEqual(['run:11111111-2222-4333-8444-555555555555', `dataset:raw@${commit.id}:docs/`, `object:raw:docs/a.txt@${sha}`]);

    const run = await t.core.runs.start(ctx, { job: 'clean', kind: 'prep', params: { lowercase: 'true' }, inputs: ['raw@main:docs/'], code: { commit: 'abc123', dirty: true } });
    await t.core.runs.logMetrics(ctx, run.id, [{ key: 'docs', value: 1 }]);
    await t.core.objects.put(ctx, { repository: 'raw', branch: 'main', path: 'clean/a.txt', body: bytesOf('alpha') });
    await t.core.commits.commit(ctx, { repository: 'raw', branch: 'main', message: 'clean' });
    const finished = await t.core.runs.finish(ctx, run.id, { outputs: ['raw@main:clean/'] });
    const { events } = (await get(`/runs/${run.id}/openlineage`)).json<{ events: Array<{ eventType: string; run: { runId: string } }> }>();
    expect(events.map((e) => e.eventType)).toEqual(['START', 'COMPLETE']);
    for (const event of events) validateOpenLineageEvent(event);
    const copyId = '22222222-3333-4444-8555-666666666666';
    const copies = events.map((e) => ({ ...e, run: { ...e.run, runId: copyId } }));
    expect((await post('/lineage/batch', copies)).statusCode).toBe(201);
    const copy = await t.core.runs.get(ctx, copyId);
    expect(copy.inputs.map((i) => i.key)).toEqual(finished.inputs.map((i) => i.key));
    expect(copy.outputs.map((o) => o.key)).toEqual(finished.outputs.map((o) => o.key));
    expect({ job: copy.job, kind: copy.kind, status: copy.status, params: copy.params, code: copy.code, startedAt: copy.startedAt, endedAt: copy.endedAt }).toEqual({
      job: 'clean', kind: 'prep', status: 'completed', params: { lowercase: 'true' }, code: { commit: 'abc123', dirty: true }, startedAt: finished.startedAt, endedAt: finished.endedAt,
    });
  });

  it('takes gzip bodies (the OpenLineage HTTP transport with compression) and counts events in /metrics', async () => {
    const event = { ...startEvent, run: { runId: '7c9e6679-7425-40de-944b-e07fc1f90ae7' }, job: { namespace: 'dbt', name: 'models.orders' }, inputs: [{ namespace: 'postgres://warehouse:5432', name: 'raw.orders' }], outputs: [] };
    const response = await inject({ method: 'POST', url: '/api/v1/lineage', payload: gzipSync(JSON.stringify(event)), headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' } });
    expect(response.statusCode).toBe(201);
    expect((await t.core.runs.get(ctx, '7c9e6679-7425-40de-944b-e07fc1f90ae7')).job).toBe('models.orders');
    const metrics = (await server.inject({ method: 'GET', url: '/metrics' })).body;
    expect(metrics).toMatch(/^strata_openlineage_events_total\{outcome="accepted"\} \d+$/m);
    expect(metrics).toMatch(/^strata_openlineage_events_total\{outcome="rejected"\} \d+$/m);
  });

  it('answers Marquez lineage queries', async () => {
    const response = await get('/lineage?nodeId=dataset:my-namespace:my-input&depth=5');
    expect(response.statusCode).toBe(200);
    const graph = response.json<{ graph: Array<{ id: string; type: string; inEdges: Array<{ origin: string; destination: string }>; outEdges: unknown[]; data: { latestRun?: { state: string } } }> }>().graph;
    expect(graph.map((n) => `${n.type} ${n.id}`)).toEqual([
      'DATASET dataset:my-namespace:my-input',
      'DATASET dataset:my-namespace:my-output',
      'DATASET dataset:my-namespace:my-view',
      'JOB job:my-namespace:myjob.mytask',
      'JOB job:my-namespace:myjob.other',
      'JOB job:my-namespace:myjob.view',
    ]);
    const job = graph.find((n) => n.id === 'job:my-namespace:myjob.mytask');
    expect(job?.inEdges).toEqual([{ origin: 'dataset:my-namespace:my-input', destination: 'job:my-namespace:myjob.mytask' }]);
    expect(job?.data.latestRun?.state).toBe('COMPLETED');
    // Marquez's dataset fields come from the schema facet.
    expect((graph.find((n) => n.id === 'dataset:my-namespace:my-output')?.data as { fields?: unknown }).fields).toEqual([{ name: 'a', type: 'VARCHAR', tags: [], description: null }]);
    expect((await get('/lineage?nodeId=job:my-namespace:myjob.mytask&depth=1')).json<{ graph: unknown[] }>().graph).toHaveLength(3);
    expect((await get('/lineage?nodeId=dataset:nowhere:x')).statusCode).toBe(404);
  });
});
