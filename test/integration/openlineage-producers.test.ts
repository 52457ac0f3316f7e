import type { FastifyInstance, InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer } from '../../src/http/build-server.ts';
import { createTestCore, ctx, injectAs, type TestCore } from '../support/core.ts';
import { airflowEvents, dbtEvents, flinkEvents, javaClientEvents, pythonClientEvents, sparkEvents, type ProducerEvents } from '../support/openlineage-producers.ts';

type Accepted = { accepted: number; keys: string[][]; warnings: Array<{ event: number; warnings: string[] }> };
type Run = { status: string; kind: string; parentId?: string; facets: { run: Record<string, unknown>; job: Record<string, unknown> } };

/** Events as the dbt, Spark, Airflow and Flink integrations and the Python and Java clients send them. */
describe('OpenLineage intake of what real producers send', () => {
  let t: TestCore;
  let server: FastifyInstance;
  const producers: Record<string, ProducerEvents> = {
    dbt: dbtEvents(3, 6),
    spark: sparkEvents(4, 4),
    airflow: airflowEvents(4, 5),
    flink: flinkEvents(3, 4),
    python: pythonClientEvents(20),
    java: javaClientEvents(10),
  };
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
  const event = (name: string, i: number) => producers[name]?.events[i] as { run: { runId: string; facets: Record<string, unknown> }; job: { facets: Record<string, unknown> }; outputs: Array<{ namespace: string; name: string; facets: Record<string, unknown> }> };

  it('accepts every event (more than 200), each deviating one with exactly its warnings, and lists them', async () => {
    const total = Object.values(producers).reduce((n, p) => n + p.events.length, 0);
    expect(total).toBeGreaterThanOrEqual(200);
    let deviating = 0;
    for (const [name, { events, deviations }] of Object.entries(producers)) {
      const response = await post('/lineage/batch', events);
      expect(response.statusCode, `${name}: ${response.body.slice(0, 300)}`).toBe(201);
      const body = response.json<Accepted>();
      expect(body.accepted, name).toBe(events.length);
      expect(body.warnings, name).toEqual([...deviations].sort((a, b) => a[0] - b[0]).map(([i, warnings]) => ({ event: i, warnings: [...warnings].sort() })));
      deviating += deviations.size;
    }
    // Spark: one `_deleted: null` per application; Airflow: a bare company facet on two events per DAG;
    // Python: a facet producer named by name on every fifth run; Java: a relative event producer on every third.
    expect(deviating).toBe(4 + 8 + 4 + 4);
    const listed = (await get('/lineage/warnings?limit=1000')).json<{ warnings: Array<{ subject: string; producer: string; kind: string; warnings: string[] }> }>().warnings;
    expect(listed).toHaveLength(deviating);
    const sla = event('airflow', 2);
    const forRun = (await get(`/lineage/warnings?subject=run:${sla.run.runId}`)).json<{ warnings: Array<{ kind: string; producer: string; eventType: string; warnings: string[] }> }>().warnings;
    expect(forRun.map((w) => w.eventType).sort()).toEqual(['COMPLETE', 'START']);
    for (const w of forRun) expect(w).toMatchObject({ kind: 'run', producer: producers.airflow?.producer, warnings: ["/run/facets/acme_sla must have required property '_producer'", "/run/facets/acme_sla must have required property '_schemaURL'"] });
  });

  it('keeps the facets as sent and reads runs, parents, states and job types from them', async () => {
    // dbt: the first model's COMPLETE (events 0–1 are the `dbt run` parent's).
    const model = event('dbt', 3);
    const run = (await get(`/runs/${model.run.runId}`)).json<Run>();
    expect(run).toMatchObject({ status: 'completed', kind: 'model', parentId: (model.run.facets.parent as { run: { runId: string } }).run.runId });
    expect(run.facets.run.dbt_version).toEqual(model.run.facets.dbt_version);
    expect(run.facets.job.sql).toEqual(model.job.facets.sql);
    const output = model.outputs[0];
    const node = await t.core.lineage.node(ctx, `external:${output?.namespace}:${output?.name}`);
    expect((node.data.facets as Record<string, unknown>).columnLineage).toEqual(output?.facets.columnLineage);
    // Spark: the logical plan (a facet the spec does not define) kept whole; the SQL job type.
    const spark = event('spark', 2);
    const sparkRun = (await get(`/runs/${spark.run.runId}`)).json<Run>();
    expect(sparkRun).toMatchObject({ status: 'completed', kind: 'sql_job' });
    expect(sparkRun.facets.run['spark.logicalPlan']).toEqual(spark.run.facets['spark.logicalPlan']);
    // Airflow's company facet without base fields, kept as sent.
    expect((await get(`/runs/${event('airflow', 2).run.runId}`)).json<Run>().facets.run.acme_sla).toEqual({ breached: false, minutes: 12 });
    // Python client: FAIL with the error facet; Flink: ABORT of a streaming job.
    const failed = event('python', 7);
    const pythonRun = (await get(`/runs/${failed.run.runId}`)).json<Run>();
    expect(pythonRun.status).toBe('failed');
    expect((pythonRun.facets.run.errorMessage as { message: string }).message).toBe('KeyError: user_id');
    expect((await get(`/runs/${event('flink', 11).run.runId}`)).json<Run>().status).toBe('aborted');
  });

  it('fills Marquez dataset fields from the schema facet, and names a dataset event\'s owner facet on its node', async () => {
    const output = event('dbt', 3).outputs[0];
    const graph = (await get(`/lineage?nodeId=${encodeURIComponent(`dataset:${output?.namespace}:${output?.name}`)}&depth=1`)).json<{ graph: Array<{ id: string; data: { fields?: unknown } }> }>().graph;
    expect(graph.find((n) => n.id === `dataset:${output?.namespace}:${output?.name}`)?.data.fields).toEqual([
      { name: 'id', type: 'integer', tags: [], description: 'id column' },
      { name: 'customer', type: 'text', tags: [], description: 'customer column' },
      { name: 'amount', type: 'numeric', tags: [], description: 'amount column' },
    ]);
    const base = await t.core.lineage.node(ctx, 'external:trino://trino:8080:hive.base.base_0');
    expect((base.data.facets as { ownership: { owners: unknown[] } }).ownership.owners).toEqual([{ name: 'platform', type: 'team' }]);
  });

  it('still refuses events whose core is invalid, naming the JSON pointer', async () => {
    const good = event('dbt', 2);
    const cases: Array<[unknown, string, string]> = [
      [{ ...good, run: { runId: 'not-a-uuid' } }, '/run/runId', 'event is not a valid OpenLineage 2-0-2 event: /run/runId must match format "uuid"'],
      [{ ...good, job: { namespace: 'dbt' } }, '/job', "event is not a valid OpenLineage 2-0-2 event: /job must have required property 'name'"],
      [{ ...good, eventTime: '02/11/2026' }, '/eventTime', 'event is not a valid OpenLineage 2-0-2 event: /eventTime must match format "date-time"'],
      [{ ...good, producer: '' }, '/producer', 'event is not a valid OpenLineage 2-0-2 event: /producer must NOT have fewer than 1 characters'],
      [{ ...good, outputs: [{ namespace: 'x' }] }, '/outputs/0', "event is not a valid OpenLineage 2-0-2 event: /outputs/0 must have required property 'name'"],
      [{ ...good, run: { runId: good.run.runId, facets: { parent: 'p' } } }, '/run/facets/parent', 'event is not a valid OpenLineage 2-0-2 event: /run/facets/parent must be object'],
    ];
    for (const [body, path, message] of cases) {
      const response = await post('/lineage', body);
      expect(response.statusCode, message).toBe(400);
      expect(response.json()).toMatchObject({ code: 'InvalidArgument', message, details: { path } });
    }
  });
});
