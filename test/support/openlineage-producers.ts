/**
 * OpenLineage events in the shapes real producers send them: the dbt, Spark, Airflow and Flink
 * integrations and the Python and Java clients (facet names, nesting and producer URIs as those
 * integrations write them; written for these tests from their published events, not copied).
 * Some carry the deviations real producers make (a custom facet without `_producer`, a
 * `_deleted: null`, a relative producer): `deviations` lists, per event index, what the
 * intake must warn about.
 */
export interface ProducerEvents {
  producer: string;
  events: Array<Record<string, unknown>>;
  /** Event index → the warnings the intake must record for it, exactly. */
  deviations: Map<number, string[]>;
}

let counter = 0;
/** A fresh UUID (version 4 layout), deterministic per test run. */
export function uuid(): string {
  counter += 1;
  return `0190${counter.toString(16).padStart(4, '0')}-0000-4000-8000-${counter.toString(16).padStart(12, '0')}`;
}

const SPEC = 'https://openlineage.io/spec';
const RUN_EVENT = `${SPEC}/2-0-2/OpenLineage.json#/$defs/RunEvent`;
const facet = (producer: string, schema: string, body: Record<string, unknown>): Record<string, unknown> => ({ _producer: producer, _schemaURL: `${SPEC}/facets/${schema}`, ...body });
const time = (minute: number): string => new Date(Date.UTC(2026, 10, 2, 8, minute, 0, 0)).toISOString();

function schemaFacet(producer: string, columns: Array<[string, string]>): Record<string, unknown> {
  return facet(producer, '1-1-1/SchemaDatasetFacet.json#/$defs/SchemaDatasetFacet', { fields: columns.map(([name, type]) => ({ name, type, description: `${name} column` })) });
}

function columnLineage(producer: string, input: { namespace: string; name: string }, columns: string[]): Record<string, unknown> {
  const fields: Record<string, unknown> = {};
  for (const c of columns) fields[c] = { inputFields: [{ namespace: input.namespace, name: input.name, field: c, transformations: [{ type: 'DIRECT', subtype: 'IDENTITY', description: '', masking: false }] }] };
  return facet(producer, '1-2-0/ColumnLineageDatasetFacet.json#/$defs/ColumnLineageDatasetFacet', { fields, dataset: [] });
}

/** dbt-ol: one parent run per `dbt run`, a START and COMPLETE per model, SQL and column lineage. */
export function dbtEvents(projects: number, models: number): ProducerEvents {
  const producer = 'https://github.com/OpenLineage/OpenLineage/tree/1.39.0/integration/dbt';
  const events: Array<Record<string, unknown>> = [];
  const ns = 'postgres://warehouse.internal:5432';
  for (let p = 0; p < projects; p++) {
    const parent = { run: { runId: uuid() }, job: { namespace: 'dbt', name: `dbt-run-jaffle_${p}` } };
    const invocation = { invocation_id: uuid(), project_name: `jaffle_${p}`, project_version: '1.0.0', profile_name: 'warehouse', dbt_runtime: 'core' };
    const common = {
      dbt_version: facet(producer, '1-0-0/DbtVersionRunFacet.json', { version: '1.10.15' }),
      processing_engine: facet(producer, '1-1-1/ProcessingEngineRunFacet.json#/$defs/ProcessingEngineRunFacet', { version: '1.10.15', name: 'dbt', openlineageAdapterVersion: '1.39.0' }),
      dbt_run: facet(producer, '1-0-0/DbtRunRunFacet.json', invocation),
    };
    for (const [type, minute] of [['START', 0], ['COMPLETE', 30]] as const) {
      events.push({ eventType: type, eventTime: time(minute + p), run: { runId: parent.run.runId, facets: common }, job: { ...parent.job, facets: { jobType: facet(producer, '2-0-3/JobTypeJobFacet.json#/$defs/JobTypeJobFacet', { processingType: 'BATCH', integration: 'DBT', jobType: 'JOB' }) } }, inputs: [], outputs: [], producer, schemaURL: RUN_EVENT });
    }
    for (let m = 0; m < models; m++) {
      const runId = uuid();
      const input = { namespace: ns, name: `analytics.raw.source_${m}` };
      const output = { namespace: ns, name: `analytics.marts.model_${p}_${m}` };
      const columns: Array<[string, string]> = [['id', 'integer'], ['customer', 'text'], ['amount', 'numeric']];
      const job = {
        namespace: 'dbt',
        name: `analytics.marts.jaffle_${p}.model_${m}`,
        facets: {
          jobType: facet(producer, '2-0-3/JobTypeJobFacet.json#/$defs/JobTypeJobFacet', { processingType: 'BATCH', integration: 'DBT', jobType: 'MODEL' }),
          sql: facet(producer, '1-1-0/SQLJobFacet.json#/$defs/SQLJobFacet', { query: `select id, customer, amount from ${input.name}`, dialect: 'postgres' }),
        },
      };
      const runFacets = { parent: facet(producer, '1-1-0/ParentRunFacet.json#/$defs/ParentRunFacet', parent), ...common };
      const datasource = facet(producer, '1-0-1/DatasourceDatasetFacet.json#/$defs/DatasourceDatasetFacet', { name: ns, uri: ns });
      events.push({ eventType: 'START', eventTime: time(1 + m), run: { runId, facets: runFacets }, job, inputs: [{ ...input, facets: { dataSource: datasource, schema: schemaFacet(producer, columns) } }], outputs: [{ ...output, facets: { dataSource: datasource } }], producer, schemaURL: RUN_EVENT });
      events.push({
        eventType: 'COMPLETE',
        eventTime: time(2 + m),
        run: { runId, facets: runFacets },
        job,
        inputs: [{ ...input, facets: { dataSource: datasource, schema: schemaFacet(producer, columns) } }],
        outputs: [{ ...output, facets: { dataSource: datasource, schema: schemaFacet(producer, columns), columnLineage: columnLineage(producer, input, columns.map(([c]) => c)), documentation: facet(producer, '1-1-0/DocumentationDatasetFacet.json#/$defs/DocumentationDatasetFacet', { description: `model ${m}` }) }, outputFacets: { outputStatistics: facet(producer, '1-0-2/OutputStatisticsOutputDatasetFacet.json#/$defs/OutputStatisticsOutputDatasetFacet', { rowCount: 1000 + m, size: 64_000 }) } }],
        producer,
        schemaURL: RUN_EVENT,
      });
    }
  }
  return { producer, events, deviations: new Map() };
}

/** The Spark integration: an application run and a START, RUNNING and COMPLETE per SQL job, with the logical plan. */
export function sparkEvents(applications: number, jobs: number): ProducerEvents {
  const producer = 'https://github.com/OpenLineage/OpenLineage/tree/1.23.0/integration/spark';
  const events: Array<Record<string, unknown>> = [];
  const deviations = new Map<number, string[]>();
  const runFacet = `${SPEC}/2-0-2/OpenLineage.json#/$defs/RunFacet`;
  for (let a = 0; a < applications; a++) {
    const app = { run: { runId: uuid() }, job: { namespace: 'spark-prod', name: `nightly_etl_${a}` } };
    for (let j = 0; j < jobs; j++) {
      const runId = uuid();
      const input = { namespace: 'gs://lake-raw', name: `/events/day=${a}/part-${j}` };
      const output = { namespace: 'bigquery', name: `project.dataset.events_${a}_${j}` };
      const columns: Array<[string, string]> = [['event_id', 'string'], ['ts', 'timestamp'], ['payload', 'string']];
      const runFacets = {
        parent: facet(producer, '1-0-1/ParentRunFacet.json#/$defs/ParentRunFacet', app),
        spark_properties: { _producer: producer, _schemaURL: runFacet, properties: { 'spark.master': 'yarn', 'spark.app.name': `nightly_etl_${a}` } },
        processing_engine: facet(producer, '1-1-1/ProcessingEngineRunFacet.json#/$defs/ProcessingEngineRunFacet', { version: '3.5.1', name: 'spark', openlineageAdapterVersion: '1.23.0' }),
        spark_applicationDetails: { _producer: producer, _schemaURL: runFacet, master: 'yarn', appName: `nightly_etl_${a}`, applicationId: `application_1729_${a}`, deployMode: 'cluster', driverHost: '10.0.0.4', userName: 'spark' },
        spark_jobDetails: { _producer: producer, _schemaURL: runFacet, jobId: j, jobDescription: `save at Etl.scala:${40 + j}` },
        'spark.logicalPlan': { _producer: producer, _schemaURL: runFacet, plan: [{ class: 'org.apache.spark.sql.execution.datasources.InsertIntoHadoopFsRelationCommand', 'num-children': 1, outputPath: null, partitionColumns: [] }] },
      };
      const job = { namespace: 'spark-prod', name: `nightly_etl_${a}.execute_insert_into_hadoop_fs_relation_command.events_${j}`, facets: { jobType: facet(producer, '2-0-3/JobTypeJobFacet.json#/$defs/JobTypeJobFacet', { processingType: 'BATCH', integration: 'SPARK', jobType: 'SQL_JOB' }), sql: facet(producer, '1-1-0/SQLJobFacet.json#/$defs/SQLJobFacet', { query: `INSERT INTO events_${j} SELECT * FROM raw`, dialect: 'spark' }) } };
      const inputs = [{ ...input, facets: { dataSource: facet(producer, '1-0-1/DatasourceDatasetFacet.json#/$defs/DatasourceDatasetFacet', { name: 'gs://lake-raw', uri: 'gs://lake-raw' }), schema: schemaFacet(producer, columns), symlinks: facet(producer, '1-0-1/SymlinksDatasetFacet.json#/$defs/SymlinksDatasetFacet', { identifiers: [{ namespace: 'hive://metastore:9083', name: `raw.events_${a}`, type: 'TABLE' }] }) }, inputFacets: {} }];
      const outputs = [{ ...output, facets: { schema: schemaFacet(producer, columns), columnLineage: columnLineage(producer, input, columns.map(([c]) => c)), lifecycleStateChange: facet(producer, '1-0-1/LifecycleStateChangeDatasetFacet.json#/$defs/LifecycleStateChangeDatasetFacet', { lifecycleStateChange: 'OVERWRITE' }) }, outputFacets: { outputStatistics: facet(producer, '1-0-2/OutputStatisticsOutputDatasetFacet.json#/$defs/OutputStatisticsOutputDatasetFacet', { rowCount: 10_000 * (j + 1), size: 1_048_576, fileCount: 4 }) } }];
      for (const [k, type] of (['START', 'RUNNING', 'COMPLETE'] as const).entries()) {
        // An older integration serialised unset facet fields as null: `_deleted: null` on RUNNING.
        const withNull = type === 'RUNNING' && j === 0 ? { ...outputs[0], facets: { ...outputs[0]?.facets, lifecycleStateChange: { ...outputs[0]?.facets.lifecycleStateChange, _deleted: null } } } : outputs[0];
        if (withNull !== outputs[0]) deviations.set(events.length, ['/outputs/0/facets/lifecycleStateChange/_deleted must be boolean']);
        events.push({ eventType: type, eventTime: time(a * 10 + j * 3 + k), run: { runId, facets: runFacets }, job, inputs, outputs: [withNull], producer, schemaURL: RUN_EVENT });
      }
    }
  }
  return { producer, events, deviations };
}

/** The Airflow provider: a START and COMPLETE per task instance, with the DAG run as parent. */
export function airflowEvents(dags: number, tasks: number): ProducerEvents {
  const producer = 'https://github.com/apache/airflow/tree/providers-openlineage/1.14.0';
  const events: Array<Record<string, unknown>> = [];
  const deviations = new Map<number, string[]>();
  for (let d = 0; d < dags; d++) {
    const dag = `reporting_${d}`;
    const dagRun = { run: { runId: uuid() }, job: { namespace: 'airflow-prod', name: dag } };
    for (let t = 0; t < tasks; t++) {
      const runId = uuid();
      const task = `load_${t}`;
      const output = { namespace: 'snowflake://acme-xy12345', name: `ANALYTICS.PUBLIC.REPORT_${d}_${t}` };
      const runFacets: Record<string, unknown> = {
        airflow: facet(producer, '1-0-0/AirflowRunFacet.json#/$defs/AirflowRunFacet', { dag: { dag_id: dag, schedule_interval: '@daily', owner: 'data-eng' }, dagRun: { dag_id: dag, run_id: `scheduled__2026-11-02T00:00:00+00:00` }, task: { task_id: task, operator_class: 'SQLExecuteQueryOperator' }, taskInstance: { try_number: 1, pool: 'default_pool' }, taskUuid: runId }),
        nominalTime: facet(producer, '1-0-1/NominalTimeRunFacet.json#/$defs/NominalTimeRunFacet', { nominalStartTime: '2026-11-02T00:00:00.000000Z', nominalEndTime: '2026-11-03T00:00:00.000000Z' }),
        parent: facet(producer, '1-0-1/ParentRunFacet.json#/$defs/ParentRunFacet', dagRun),
        processing_engine: facet(producer, '1-1-1/ProcessingEngineRunFacet.json#/$defs/ProcessingEngineRunFacet', { version: '2.10.2', name: 'Airflow', openlineageAdapterVersion: '1.14.0' }),
        externalQuery: facet(producer, '1-0-2/ExternalQueryRunFacet.json#/$defs/ExternalQueryRunFacet', { externalQueryId: `01b8-${d}-${t}`, source: 'snowflake://acme-xy12345' }),
      };
      // A few tasks carry a facet a company added without the base fields.
      if (t === 1) runFacets.acme_sla = { breached: false, minutes: 12 };
      const job = { namespace: 'airflow-prod', name: `${dag}.${task}`, facets: { jobType: facet(producer, '2-0-3/JobTypeJobFacet.json#/$defs/JobTypeJobFacet', { processingType: 'BATCH', integration: 'AIRFLOW', jobType: 'TASK' }), ownership: facet(producer, '1-0-1/OwnershipJobFacet.json#/$defs/OwnershipJobFacet', { owners: [{ name: 'data-eng', type: 'team' }] }), sourceCode: facet(producer, '1-0-1/SourceCodeJobFacet.json#/$defs/SourceCodeJobFacet', { language: 'sql', sourceCode: `INSERT INTO REPORT_${d}_${t} SELECT 1` }) } };
      for (const [type, minute] of [['START', t], ['COMPLETE', t + 1]] as const) {
        if (t === 1) deviations.set(events.length, ["/run/facets/acme_sla must have required property '_producer'", "/run/facets/acme_sla must have required property '_schemaURL'"]);
        events.push({ eventType: type, eventTime: time(d * 5 + minute), run: { runId, facets: runFacets }, job, inputs: [], outputs: [{ ...output, facets: { schema: schemaFacet(producer, [['DAY', 'DATE'], ['TOTAL', 'NUMBER']]) } }], producer, schemaURL: RUN_EVENT });
      }
    }
  }
  return { producer, events, deviations };
}

/** The Flink integration: a streaming job reporting RUNNING at each checkpoint, from Kafka topics. */
export function flinkEvents(jobs: number, checkpoints: number): ProducerEvents {
  const producer = 'https://github.com/OpenLineage/OpenLineage/tree/1.23.0/integration/flink';
  const events: Array<Record<string, unknown>> = [];
  for (let j = 0; j < jobs; j++) {
    const runId = uuid();
    const job = { namespace: 'flink-jobs', name: `clicks_enrichment_${j}`, facets: { jobType: facet(producer, '2-0-3/JobTypeJobFacet.json#/$defs/JobTypeJobFacet', { processingType: 'STREAMING', integration: 'FLINK', jobType: 'JOB' }) } };
    const inputs = [{ namespace: 'kafka://broker-1:9092', name: `clicks-${j}`, facets: { schema: schemaFacet(producer, [['user', 'STRING'], ['url', 'STRING']]) } }];
    const outputs = [{ namespace: 'kafka://broker-1:9092', name: `clicks-enriched-${j}`, facets: {} }];
    const run = { runId, facets: { processing_engine: facet(producer, '1-1-1/ProcessingEngineRunFacet.json#/$defs/ProcessingEngineRunFacet', { version: '1.19.1', name: 'flink', openlineageAdapterVersion: '1.23.0' }) } };
    events.push({ eventType: 'START', eventTime: time(j), run, job, inputs, outputs, producer, schemaURL: RUN_EVENT });
    for (let c = 1; c <= checkpoints; c++) {
      events.push({ eventType: 'RUNNING', eventTime: time(j + c), run: { runId, facets: { ...run.facets, checkpoints: { _producer: producer, _schemaURL: `${producer}/facets/CheckpointsRunFacet.json`, completed: c, failed: 0, in_progress: 0, total: c } } }, job, inputs, outputs: [{ ...outputs[0], outputFacets: { outputStatistics: facet(producer, '1-0-2/OutputStatisticsOutputDatasetFacet.json#/$defs/OutputStatisticsOutputDatasetFacet', { rowCount: c * 5000 }) } }], producer, schemaURL: RUN_EVENT });
    }
    events.push({ eventType: j % 2 === 0 ? 'COMPLETE' : 'ABORT', eventTime: time(j + checkpoints + 1), run: { runId }, job, inputs, outputs, producer, schemaURL: RUN_EVENT });
  }
  return { producer, events, deviations: new Map() };
}

/** The Python client used by hand: START then COMPLETE or FAIL with the error facet; some hand-written facets. */
export function pythonClientEvents(runs: number): ProducerEvents {
  const producer = 'https://github.com/OpenLineage/OpenLineage/tree/1.39.0/client/python';
  const events: Array<Record<string, unknown>> = [];
  const deviations = new Map<number, string[]>();
  for (let r = 0; r < runs; r++) {
    const runId = uuid();
    const job = { namespace: 'ml-team', name: `feature_build_${r}`, facets: { documentation: facet(producer, '1-0-1/DocumentationJobFacet.json#/$defs/DocumentationJobFacet', { description: 'builds features' }), sourceCodeLocation: facet(producer, '1-0-1/SourceCodeLocationJobFacet.json#/$defs/SourceCodeLocationJobFacet', { type: 'git', url: 'https://git.example.com/ml/features.git', repoUrl: 'https://git.example.com/ml/features', path: 'build.py', version: 'a1b2c3d', branch: 'main' }) } };
    const inputs = [{ namespace: 's3://ml-raw', name: `users/${r}.parquet` }];
    const outputs = [{ namespace: 's3://ml-features', name: `features/${r}.parquet` }];
    // A script that set the facet's producer to the client's name, not a URI.
    const start: Record<string, unknown> = { eventType: 'START', eventTime: time(r), run: { runId, facets: r % 5 === 0 ? { nominalTime: { _producer: 'openlineage-python', _schemaURL: `${SPEC}/facets/1-0-1/NominalTimeRunFacet.json#/$defs/NominalTimeRunFacet`, nominalStartTime: time(r) } } : {} }, job, inputs, outputs, producer, schemaURL: RUN_EVENT };
    if (r % 5 === 0) deviations.set(events.length, ['/run/facets/nominalTime/_producer must match format "uri"']);
    events.push(start);
    const failed = r % 4 === 3;
    const end = failed
      ? { eventType: 'FAIL', eventTime: time(r + 1), run: { runId, facets: { errorMessage: facet(producer, '1-0-1/ErrorMessageRunFacet.json#/$defs/ErrorMessageRunFacet', { message: 'KeyError: user_id', programmingLanguage: 'python', stackTrace: 'Traceback (most recent call last):\n  File "build.py", line 12\nKeyError: user_id' }) } }, job, inputs, outputs, producer, schemaURL: RUN_EVENT }
      : { eventType: 'COMPLETE', eventTime: time(r + 1), run: { runId }, job, inputs, outputs, producer, schemaURL: RUN_EVENT };
    events.push(end);
  }
  return { producer, events, deviations };
}

/** The Java client: job events and dataset events (static lineage, 2-0-x), and runs with a relative producer. */
export function javaClientEvents(count: number): ProducerEvents {
  const producer = 'https://github.com/OpenLineage/OpenLineage/tree/1.39.0/client/java';
  const events: Array<Record<string, unknown>> = [];
  const deviations = new Map<number, string[]>();
  for (let i = 0; i < count; i++) {
    events.push({ eventTime: time(i), job: { namespace: 'catalog', name: `view_${i}`, facets: { sql: facet(producer, '1-1-0/SQLJobFacet.json#/$defs/SQLJobFacet', { query: `create view view_${i} as select * from base_${i}` }) } }, inputs: [{ namespace: 'trino://trino:8080', name: `hive.base.base_${i}` }], outputs: [{ namespace: 'trino://trino:8080', name: `hive.views.view_${i}` }], producer, schemaURL: `${SPEC}/2-0-2/OpenLineage.json#/$defs/JobEvent` });
    events.push({ eventTime: time(i), dataset: { namespace: 'trino://trino:8080', name: `hive.base.base_${i}`, facets: { schema: schemaFacet(producer, [['k', 'bigint'], ['v', 'varchar']]), ownership: facet(producer, '1-0-1/OwnershipDatasetFacet.json#/$defs/OwnershipDatasetFacet', { owners: [{ name: 'platform', type: 'team' }] }) } }, producer, schemaURL: `${SPEC}/2-0-2/OpenLineage.json#/$defs/DatasetEvent` });
    // An application that named itself, not by URI: the event's own producer.
    const relative = i % 3 === 0;
    if (relative) deviations.set(events.length, ['/producer must match format "uri"']);
    events.push({ eventType: 'COMPLETE', eventTime: time(i + 1), run: { runId: uuid() }, job: { namespace: 'catalog', name: `refresh_${i}` }, inputs: [{ namespace: 'trino://trino:8080', name: `hive.base.base_${i}` }], outputs: [], producer: relative ? 'catalog-refresher/2.1' : producer, schemaURL: RUN_EVENT });
  }
  return { producer, events, deviations };
}
