import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { RECORD_COLUMNS, type InferenceRow } from '../../core/inference/inference-record.ts';
import { invalidArgument } from '../../core/errors.ts';
import type { ArchiveEngine, QueryResult } from '../../core/ports/archive-engine.ts';

const COLUMN_SPEC = `{${RECORD_COLUMNS.map(([name, type]) => `'${name}': '${type}'`).join(', ')}}`;
const SELECT_COLUMNS = RECORD_COLUMNS.map(([name]) => `"${name}"`).join(', ');

/**
 * The inference archive's Parquet and SQL on DuckDB, each call on its own in-memory database in
 * a scratch folder removed afterwards. Queries see only the data handed in: the tables are
 * loaded first, then external access is switched off and the configuration locked, so a query
 * cannot read other files or reach the network.
 */
export class DuckDbArchiveEngine implements ArchiveEngine {
  private readonly limits: { timeoutMs: number; memoryLimit: string };

  /** `timeoutMs` per query (default 30 s); `memoryLimit` per query's database, DuckDB's syntax (default 1GB). */
  constructor(limits: { timeoutMs?: number; memoryLimit?: string } = {}) {
    this.limits = { timeoutMs: limits.timeoutMs ?? 30_000, memoryLimit: limits.memoryLimit ?? '1GB' };
  }

  async toParquet(records: InferenceRow[]): Promise<Buffer> {
    return this.withScratch(async (dir, connection) => {
      const input = join(dir, 'records.jsonl');
      const output = join(dir, 'records.parquet');
      await writeFile(input, records.map((r) => JSON.stringify(r)).join('\n'));
      await connection.run(`COPY (SELECT ${SELECT_COLUMNS} FROM ${readJson(input)} ORDER BY "time", "id") TO '${output}' (FORMAT parquet, COMPRESSION zstd)`);
      return readFile(output);
    });
  }

  async fromParquet(bytes: Uint8Array): Promise<InferenceRow[]> {
    return this.withScratch(async (dir, connection) => {
      const file = join(dir, 'part.parquet');
      await writeFile(file, bytes);
      const reader = await connection.runAndReadAll(`SELECT ${SELECT_COLUMNS} FROM read_parquet('${file}')`);
      return reader.getRowObjectsJS().map((row) => toRecord(row));
    });
  }

  async query(sql: string, data: { recent: InferenceRow[]; partitions: Uint8Array[] }, options: { signal?: AbortSignal } = {}): Promise<QueryResult> {
    if (sql.trim() === '') throw invalidArgument('the query is empty');
    return this.withScratch(async (dir, connection) => {
      const recent = join(dir, 'recent.jsonl');
      await writeFile(recent, data.recent.map((r) => JSON.stringify(r)).join('\n'));
      await connection.run(`CREATE TABLE recent AS SELECT ${SELECT_COLUMNS} FROM ${readJson(recent)}`);
      const files: string[] = [];
      for (const part of data.partitions) {
        const file = join(dir, `${randomUUID()}.parquet`);
        await writeFile(file, part);
        files.push(`'${file}'`);
      }
      const cold = files.length === 0 ? `SELECT * FROM recent WHERE false` : `SELECT ${SELECT_COLUMNS} FROM read_parquet([${files.join(', ')}])`;
      await connection.run(`CREATE TABLE compacted AS ${cold}`);
      await connection.run('CREATE VIEW inference AS SELECT * FROM compacted WHERE id NOT IN (SELECT id FROM recent) UNION ALL SELECT * FROM recent');
      await connection.run('SET enable_external_access = false');
      await connection.run('SET lock_configuration = true');
      let reader;
      let stopped: string | undefined;
      const stop = (why: string): void => {
        stopped ??= why;
        connection.interrupt();
      };
      const timer = setTimeout(() => {
        stop(`it ran longer than the ${this.limits.timeoutMs / 1000} s limit`);
      }, this.limits.timeoutMs);
      const onAbort = (): void => {
        stop('the client went away');
      };
      options.signal?.addEventListener('abort', onAbort, { once: true });
      try {
        if (options.signal?.aborted === true) onAbort();
        reader = await connection.runAndReadAll(sql);
      } catch (error) {
        if (stopped !== undefined) throw invalidArgument(`query cancelled: ${stopped}`);
        throw invalidArgument(`query failed: ${(error as Error).message}`);
      } finally {
        clearTimeout(timer);
        options.signal?.removeEventListener('abort', onAbort);
      }
      return { columns: reader.columnNames(), rows: reader.getRowsJS().map((row) => row.map(jsonValue)) };
    });
  }

  private async withScratch<T>(body: (dir: string, connection: DuckDBConnection) => Promise<T>): Promise<T> {
    const dir = await mkdtemp(join(tmpdir(), 'strata-archive-'));
    // Loaded on first use: most processes never touch the archive.
    const { DuckDBInstance } = await import('@duckdb/node-api');
    const instance = await DuckDBInstance.create(':memory:', { threads: '2', memory_limit: this.limits.memoryLimit });
    const connection = await instance.connect();
    try {
      return await body(dir, connection);
    } finally {
      connection.closeSync();
      instance.closeSync();
      await rm(dir, { recursive: true, force: true });
    }
  }
}

function readJson(file: string): string {
  return `read_json('${file}', format = 'newline_delimited', columns = ${COLUMN_SPEC})`;
}

function jsonValue(value: unknown): unknown {
  if (typeof value === 'bigint') return Number.isSafeInteger(Number(value)) ? Number(value) : value.toString();
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map(jsonValue);
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, jsonValue(v)]));
  return value;
}

function toRecord(row: Record<string, unknown>): InferenceRow {
  const out: Record<string, unknown> = {};
  for (const [name] of RECORD_COLUMNS) out[name] = jsonValue(row[name] ?? null);
  return out as unknown as InferenceRow;
}
