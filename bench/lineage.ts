import { createHash } from 'node:crypto';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { MemoryBlobStore } from '../src/adapters/blob/memory/memory-blob-store.ts';
import { openPostgresStore } from '../src/adapters/db/postgres/open-postgres-store.ts';
import { openSqliteStore } from '../src/adapters/db/sqlite/open-sqlite-store.ts';
import type { LineageEdge, LineageNodeInput } from '../src/core/ports/lineage-store.ts';
import type { MetadataStore } from '../src/core/ports/metadata-store.ts';
import { createStrataCore, type StrataCore } from '../src/core/strata.ts';
import { ctx } from './open-core.ts';
import { fmt, freshDir, report, SCALE, time, withBenchPostgres, random } from './support.ts';

const DATASETS = Math.max(200, Math.round(2500 * SCALE));
const RAW = Math.round(DATASETS / 25);
const MEMBERS = 380;
const OBJECTS = Math.max(5000, Math.round(100_000 * SCALE));
const WRITTEN = 20;
const QUERIES = 200;
const DEPTH = 10;


const sha = (n: number): string => createHash('sha256').update(String(n)).digest('hex');

/**
 * A lake's lineage: DATASETS dataset versions of MEMBERS objects each, drawn from a sliding
 * window over OBJECTS object versions (successive versions share most files, as real ones do);
 * every dataset version past the first RAW is written by a run that read three earlier ones and
 * wrote WRITTEN of its objects; a model version is registered from each fiftieth run's output.
 * About 1,000,000 edges at scale 1.
 */
export async function fillLineage(metadata: MetadataStore): Promise<{ edges: number; runs: number[]; objects: number[] }> {
  const rnd = random(11);
  const at = '2026-11-22T00:00:00.000Z';
  const objectNodes: LineageNodeInput[] = Array.from({ length: OBJECTS }, (_, i) => ({ key: `object:lake:docs/${String(i).padStart(7, '0')}.txt@${sha(i)}`, type: 'object', label: `lake:docs/${i}.txt`, data: { repository: 'lake', path: `docs/${i}.txt`, sha256: sha(i) } }));
  const objectIds: number[] = [];
  for (let i = 0; i < objectNodes.length; i += 5000) objectIds.push(...(await metadata.lineage.ensureNodes(objectNodes.slice(i, i + 5000), at)).map((n) => n.id));
  const datasetIds = (await metadata.lineage.ensureNodes(Array.from({ length: DATASETS }, (_, d) => ({ key: `dataset:lake@${sha(-d - 1)}:docs/`, type: 'dataset' as const, label: `lake@${d}:docs/`, data: {} })), at)).map((n) => n.id);
  const runIds = (await metadata.lineage.ensureNodes(Array.from({ length: DATASETS - RAW }, (_, r) => ({ key: `run:00000000-0000-4000-8000-${String(r).padStart(12, '0')}`, type: 'run' as const, label: `job-${r % 40}`, data: {} })), at)).map((n) => n.id);
  let edges: LineageEdge[] = [];
  let total = 0;
  const flush = async (force = false): Promise<void> => {
    if (edges.length < 50_000 && !force) return;
    total += await metadata.lineage.addEdges(edges);
    edges = [];
  };
  for (let d = 0; d < DATASETS; d++) {
    const dataset = datasetIds[d] as number;
    const start = Math.floor(((OBJECTS - MEMBERS) * d) / DATASETS);
    for (let m = 0; m < MEMBERS; m++) edges.push({ src: objectIds[start + m] as number, dst: dataset, type: 'part-of' });
    if (d >= RAW) {
      const run = runIds[d - RAW] as number;
      for (let k = 0; k < 3; k++) edges.push({ src: datasetIds[Math.max(0, d - 1 - Math.floor(rnd() * 30))] as number, dst: run, type: 'read' });
      edges.push({ src: run, dst: dataset, type: 'wrote' });
      for (let w = 0; w < WRITTEN; w++) edges.push({ src: run, dst: objectIds[start + Math.floor(rnd() * MEMBERS)] as number, type: 'wrote' });
    }
    await flush();
  }
  const models = await metadata.lineage.ensureNodes(Array.from({ length: Math.floor(runIds.length / 50) }, (_, m) => ({ key: `model:m${m}/1`, type: 'model' as const, label: `m${m}/1`, data: {} })), at);
  models.forEach((model, m) => edges.push({ src: runIds[m * 50] as number, dst: model.id, type: 'wrote' }));
  await flush(true);
  return { edges: total, runs: runIds, objects: objectIds };
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? 0;
}

/** The same walk as one bare recursive CTE, with no Strata layer (what one would write by hand). */
const CTE = (direction: 'upstream' | 'downstream', param: string): string =>
  direction === 'upstream'
    ? `with recursive walk(id, depth) as (select ${param}, 0 union select e.src, w.depth + 1 from lineage_edges e join walk w on e.dst = w.id where w.depth < ${DEPTH}) select distinct id from walk`
    : `with recursive walk(id, depth) as (select ${param}, 0 union select e.dst, w.depth + 1 from lineage_edges e join walk w on e.src = w.id where w.depth < ${DEPTH}) select distinct id from walk`;

async function benchDialect(input: { name: string; metadata: MetadataStore; raw: (direction: 'upstream' | 'downstream', id: number) => Promise<unknown>; afterFill?: () => Promise<void> }): Promise<void> {
  const filled = await time(() => fillLineage(input.metadata));
  await input.afterFill?.();
  const core: StrataCore = createStrataCore({ metadata: input.metadata, blobs: new MemoryBlobStore() });
  await core.identity.bootstrap(ctx.actor.id);
  console.log(`${input.name}: ${filled.value.edges.toLocaleString('en-US')} edges loaded in ${fmt(filled.seconds)} s`);
  const rnd = random(5);
  const { runs, objects } = filled.value;
  // Upstream of late runs ("what made this?"), downstream of early objects ("what does this affect?").
  const cases = Array.from({ length: QUERIES }, (_, i) =>
    i % 2 === 0 ? { direction: 'upstream' as const, id: runs[runs.length - 1 - Math.floor(rnd() * (runs.length / 4))] as number } : { direction: 'downstream' as const, id: objects[Math.floor(rnd() * (objects.length / 4))] as number },
  );
  const keys = new Map((await input.metadata.lineage.getNodesById(cases.map((c) => c.id))).map((n) => [n.id, n.key]));
  const strata: number[] = [];
  const bare: number[] = [];
  let visited = 0;
  for (const c of cases.slice(0, 10)) await core.lineage.walk(ctx, { address: keys.get(c.id) ?? '', direction: c.direction, depth: DEPTH });
  for (const c of cases) {
    const walked = await time(() => core.lineage.walk(ctx, { address: keys.get(c.id) ?? '', direction: c.direction, depth: DEPTH }));
    strata.push(walked.seconds * 1000);
    visited += walked.value.nodes.length;
    bare.push((await time(() => input.raw(c.direction, c.id))).seconds * 1000);
  }
  const p50 = percentile(strata, 0.5);
  report({
    name: `lineage walk, depth ${DEPTH}, ${filled.value.edges.toLocaleString('en-US')} edges (${input.name}; ${QUERIES} queries, half upstream of runs, half downstream of objects; ${fmt(visited / QUERIES, 0)} nodes returned on average)`,
    strata: `p50 ${fmt(p50)} ms, p99 ${fmt(percentile(strata, 0.99))} ms`,
    baseline: `bare recursive CTE p50 ${fmt(percentile(bare, 0.5))} ms, p99 ${fmt(percentile(bare, 0.99))} ms`,
    ratio: `${fmt(p50 / Math.max(percentile(bare, 0.5), 0.001), 2)}× bare`,
    goal: 'p50 < 50 ms',
    met: p50 < 50,
  });
}

/** Lineage queries at depth 10 on ~1,000,000 edges (issue 5), on SQLite and PostgreSQL. */
export async function benchLineage(): Promise<void> {
  const dir = await freshDir('lineage-sqlite');
  const file = join(dir, 'strata.db');
  const sqlite = await openSqliteStore(file);
  const db = new Database(file, { readonly: true });
  const up = db.prepare(CTE('upstream', '?'));
  const down = db.prepare(CTE('downstream', '?'));
  try {
    await benchDialect({ name: 'SQLite', metadata: sqlite, raw: (direction, id) => Promise.resolve((direction === 'upstream' ? up : down).all(id)) });
  } finally {
    db.close();
    await sqlite.close();
  }
  await withBenchPostgres(async (url) => {
    const store = await openPostgresStore(url);
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      await benchDialect({
        name: 'PostgreSQL',
        metadata: store,
        raw: async (direction, id) => {
          await client.query(CTE(direction, '$1::bigint'), [id]);
        },
        // What autovacuum does after a bulk load (PostgreSQL ≥ 13 vacuums insert-only tables too):
        // planner statistics, and the visibility map that lets edge reads be index-only scans.
        afterFill: async () => {
          await client.query('vacuum (analyze) lineage_edges');
          await client.query('vacuum (analyze) lineage_nodes');
        },
      });
    } finally {
      await client.end();
      await store.close();
    }
  });
}
