import pg from 'pg';
import { openPostgresStore } from '../src/adapters/db/postgres/open-postgres-store.ts';
import type { KyselyMetadataStore } from '../src/adapters/db/kysely-metadata-store.ts';
import { ctx, openBenchCore } from './open-core.ts';
import { fmt, freshDir, random, report, SCALE, time, withBenchPostgres } from './support.ts';

/** The largest tables' size here; 10⁷ at scale 1 (docs/scaling.md rests on these figures). */
const ROWS = Math.max(100_000, Math.round(10_000_000 * SCALE));
/** The size the same queries are timed at first: the ratio is how much 100× more rows cost. */
const SMALL = ROWS / 100;
const FILL_CHUNK = 1_000_000;
const QUERIES = 200;
const LOG_BATCHES = 20;
const BATCH = 1000;

/** Generated sequence numbers and node ids start here, clear of the rows Strata itself writes while logging. */
const GENERATED_BASE = 1_000_000_000;

interface Table {
  name: 'inference_records' | 'audit_entries' | 'lineage_edges';
  /** One INSERT … SELECT over generate_series($1, $2): rows shaped like the benchmarks' own. */
  fill: string;
}

const TABLES: Table[] = [
  {
    name: 'inference_records',
    fill: `insert into inference_records (id, time, application, model, provider, operation, input_text, output_text, params, input_tokens, output_tokens, cached_tokens, cost_computed, currency, latency_ms, user_id, session_id, attributes, ingested_via)
      select 'r' || lpad(i::text, 12, '0'), to_char(timestamp '2026-01-01' + i * interval '10 ms', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'), 'app-' || (i % 8), 'model-' || (i % 5), 'openai', 'chat',
        'Question ' || i || ': how do I rotate the credentials of service ' || (i % 97) || ' without downtime? Please answer briefly and cite the runbook.',
        'Rotate them in two steps: add the new key, deploy, then revoke the old one (runbook RB-' || (i % 13) || '). Expect no downtime when clients reload keys on SIGHUP; check the dashboard for auth errors for ten minutes.',
        '{"temperature":0.2,"max_tokens":512}', 40 + i % 50, 60 + i % 40, (i % 3 = 0)::int * 20, 0.0004, 'USD', 300 + i % 700, 'user-' || (i % 5000), 'session-' || (i % 20000), '{}', 'api'
      from generate_series($1::bigint, $2::bigint) as i`,
  },
  {
    name: 'audit_entries',
    fill: `insert into audit_entries (seq, time, actor, action, resource, outcome, request_id, source, details_digest, details, leaf_hash)
      select ${GENERATED_BASE} + i, to_char(timestamp '2026-01-01' + i * interval '10 ms', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'), 'user-' || (i % 500), 'object:put', 'repo-' || (i % 50) || '/main/data/part-' || i || '.jsonl', 'allowed',
        md5(i::text), 's3', md5((i * 7)::text), '{"bytes":' || (i % 100000) || '}', sha256(int8send(i))
      from generate_series($1::bigint, $2::bigint) as i`,
  },
  {
    // A lineage graph as prep leaves it: each node reads from a few older ones.
    name: 'lineage_edges',
    fill: `insert into lineage_edges (src, dst, type)
      select ${GENERATED_BASE} + i / 4, ${GENERATED_BASE} + i / 4 + 1 + (i % 4) * 997, i % 6 from generate_series($1::bigint, $2::bigint) as i`,
  },
];

/** What one query costs at a table size: p50 and p99 over QUERIES runs with random keys. */
type Probe = (client: pg.Client, rows: number, next: () => number) => Promise<unknown>;

const PROBES: Record<Table['name'], { what: string; run: Probe }> = {
  inference_records: {
    what: "an application's 100 latest records in a time window (the archive's list)",
    run: (client, rows, next) => {
      const at = Math.floor(next() * rows);
      const from = new Date(Date.UTC(2026, 0, 1) + at * 10).toISOString();
      return client.query('select * from inference_records where application = $1 and time >= $2 order by time, id limit 100', [`app-${at % 8}`, from]);
    },
  },
  audit_entries: {
    what: '1,000 audit entries from a sequence number (verification and export read in these pages)',
    run: (client, rows, next) => client.query('select * from audit_entries where seq >= $1 order by seq limit 1000', [GENERATED_BASE + Math.floor(next() * rows)]),
  },
  lineage_edges: {
    what: 'the edges of 1,000 nodes by source (one step of a lineage walk)',
    run: (client, rows, next) => {
      const ids = Array.from({ length: 1000 }, () => GENERATED_BASE + Math.floor((next() * rows) / 4));
      return client.query('select src, dst, type from lineage_edges where src = any($1::bigint[])', [ids]);
    },
  },
};

async function fillTo(client: pg.Client, table: Table, from: number, to: number): Promise<number> {
  const { seconds } = await time(async () => {
    for (let start = from; start < to; start += FILL_CHUNK) {
      await client.query(table.fill, [start + 1, Math.min(start + FILL_CHUNK, to)]);
      process.stdout.write(`\r  ${table.name}: ${Math.min(start + FILL_CHUNK, to).toLocaleString('en')} rows`);
    }
    await client.query(`analyze ${table.name}`);
  });
  process.stdout.write('\n');
  return seconds;
}

async function probe(client: pg.Client, table: Table, rows: number): Promise<{ p50: number; p99: number }> {
  const next = random(rows);
  const times: number[] = [];
  for (let q = 0; q < QUERIES; q++) times.push((await time(() => PROBES[table.name].run(client, rows, next))).seconds * 1000);
  times.sort((a, b) => a - b);
  return { p50: times[Math.floor(QUERIES / 2)] ?? 0, p99: times[Math.floor(QUERIES * 0.99)] ?? 0 };
}

async function bytesPerRow(client: pg.Client, table: Table, rows: number): Promise<{ table: number; indexes: number }> {
  const result = await client.query<{ heap: string; indexes: string }>(`select pg_table_size($1) as heap, pg_indexes_size($1) as indexes`, [table.name]);
  const row = result.rows[0];
  return { table: Number(row?.heap ?? 0) / rows, indexes: Number(row?.indexes ?? 0) / rows };
}

/** Inference records/s through Strata's own path (validation, pricing, audit) on PostgreSQL. */
async function logRate(url: string, offset: number): Promise<number> {
  const core = await openBenchCore(await freshDir(`scale-core-${offset}`), { STRATA_DATABASE_URL: url });
  try {
    const { seconds } = await time(async () => {
      for (let b = 0; b < LOG_BATCHES; b++) {
        const batch = Array.from({ length: BATCH }, (_, j) => {
          const i = offset + b * BATCH + j;
          return { application: `app-${i % 8}`, model: 'in-house-7b', time: new Date(Date.UTC(2027, 0, 1) + i).toISOString(), input: `question ${i}`, output: `answer ${i}`, usage: { inputTokens: 40, outputTokens: 60 }, user: `user-${i % 5000}` };
        });
        const results = await core.inference.log(ctx, batch);
        if (results.some((r) => r.status !== 201)) throw new Error('a bench record was refused');
      }
    });
    return (LOG_BATCHES * BATCH) / seconds;
  } finally {
    await core.close();
  }
}

/**
 * The largest tables on PostgreSQL at 10⁷ rows: fill time, bytes per row (heap and indexes),
 * the hot query of each at 10⁵ and at 10⁷ rows, and inference logging through Strata at both
 * sizes. The basis of docs/scaling.md.
 */
export async function benchScale(): Promise<void> {
  await withBenchPostgres(async (url) => {
    const store: KyselyMetadataStore = await openPostgresStore(url);
    await store.close();
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      const logSmall = await logRate(url, 0);
      for (const table of TABLES) {
        await fillTo(client, table, 0, SMALL);
        const small = await probe(client, table, SMALL);
        const filled = await fillTo(client, table, SMALL, ROWS);
        const large = await probe(client, table, ROWS);
        const bytes = await bytesPerRow(client, table, ROWS);
        console.log(`  ${table.name}: ${ROWS.toLocaleString('en')} rows filled in ${fmt(filled, 1)} s; ${fmt(bytes.table, 0)} B/row heap + ${fmt(bytes.indexes, 0)} B/row indexes`);
        report({
          name: `PostgreSQL ${table.name} at ${ROWS.toLocaleString('en')} rows: ${PROBES[table.name].what}`,
          strata: `p50 ${fmt(large.p50)} ms, p99 ${fmt(large.p99)} ms; ${fmt(bytes.table + bytes.indexes, 0)} B/row (${fmt(bytes.indexes, 0)} of it indexes)`,
          baseline: `same query at ${SMALL.toLocaleString('en')} rows: p50 ${fmt(small.p50)} ms, p99 ${fmt(small.p99)} ms`,
          ratio: `${fmt(large.p50 / small.p50)}× p50`,
          goal: '≤ 2× p50 for 100× the rows',
          met: large.p50 / small.p50 <= 2,
        });
      }
      const logLarge = await logRate(url, 10_000_000);
      report({
        name: `inference records logged on PostgreSQL with ${ROWS.toLocaleString('en')} records stored (${LOG_BATCHES} batches of ${BATCH})`,
        strata: `${Math.round(logLarge).toLocaleString('en')} records/s`,
        baseline: `same on an empty table: ${Math.round(logSmall).toLocaleString('en')} records/s`,
        ratio: `${fmt(logLarge / logSmall)}×`,
        goal: '≥ 0.8× of the empty-table rate',
        met: logLarge / logSmall >= 0.8,
      });
    } finally {
      await client.end();
    }
  });
}
