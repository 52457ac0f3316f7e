/**
 * Archive SQL runs within limits: a runaway query is cancelled at its time limit, a query whose
 * client hangs up is cancelled at once, and a query needing more memory than allowed fails.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { DuckDbArchiveEngine } from '../../src/adapters/inference/duckdb-archive.ts';
import { TiktokenCounter } from '../../src/adapters/inference/tiktoken-counter.ts';
import type { ArchiveEngine, QueryResult } from '../../src/core/ports/archive-engine.ts';
import { buildServer } from '../../src/http/build-server.ts';
import { createTestCore, type TestCore } from '../support/core.ts';

const RUNAWAY = 'SELECT count(*) FROM range(1000000000000) a, range(1000) b';
const EMPTY = { recent: [], partitions: [] };

describe('archive SQL limits', () => {
  it('cancels a query at its time limit', async () => {
    const engine = new DuckDbArchiveEngine({ timeoutMs: 300 });
    await expect(engine.query(RUNAWAY, EMPTY)).rejects.toMatchObject({ code: 'InvalidArgument', message: 'query cancelled: it ran longer than the 0.3 s limit' });
    // The engine is not left broken: the next query answers.
    expect(await engine.query('SELECT 42 AS answer', EMPTY)).toEqual({ columns: ['answer'], rows: [[42]] });
  });

  it('fails a query that needs more memory than allowed', async () => {
    const engine = new DuckDbArchiveEngine({ memoryLimit: '100MB' });
    await expect(engine.query("SELECT string_agg(md5(i::VARCHAR), ',') FROM range(50000000) t(i)", EMPTY)).rejects.toThrow(/^query failed: Out of Memory Error/);
  });

  describe('over REST', () => {
    let t: TestCore;
    let server: FastifyInstance;
    let base = '';
    const settled: Array<Promise<QueryResult>> = [];
    beforeAll(async () => {
      // An hour's limit: only the client hanging up can end the query within the test.
      const inner = new DuckDbArchiveEngine({ timeoutMs: 3_600_000 });
      const engine: ArchiveEngine = {
        toParquet: (records) => inner.toParquet(records),
        fromParquet: (bytes) => inner.fromParquet(bytes),
        query: (sql, data, options) => {
          const running = inner.query(sql, data, options);
          settled.push(running);
          return running;
        },
      };
      t = await createTestCore('sqlite', { inference: { engine, tokens: new TiktokenCounter(), options: { pseudonymKey: Buffer.alloc(32, 7) } } });
      server = await buildServer({ core: t.core, logLevel: 'silent' });
      base = await server.listen({ host: '127.0.0.1', port: 0 });
    });
    afterAll(async () => {
      await server.close();
      await t.dispose();
    });

    it('cancels the query of a client that hangs up', async () => {
      const client = new AbortController();
      const call = fetch(`${base}/api/v1/inference/query`, { method: 'POST', signal: client.signal, headers: { authorization: `Bearer ${t.token}`, 'content-type': 'application/json' }, body: JSON.stringify({ sql: RUNAWAY }) });
      while (settled.length === 0) await new Promise((resolve) => setTimeout(resolve, 20));
      await new Promise((resolve) => setTimeout(resolve, 200));
      client.abort();
      await expect(call).rejects.toThrow(/aborted/);
      await expect(settled[0]).rejects.toMatchObject({ message: 'query cancelled: the client went away' });
    });
  });
});
