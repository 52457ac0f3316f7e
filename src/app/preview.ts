import { DuckDBInstance } from '@duckdb/node-api';
import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import type { StrataCore } from '../core/strata.ts';
import type { CallContext, ObjectInfo } from '../core/versioning/types.ts';

export interface PreviewOptions {
  /** Rows of a table. Default 10. */
  rows?: number;
  /** Bytes of a text file. Default 4096. */
  bytes?: number;
}

export type Preview =
  | { path: string; contentType: string; kind: 'table'; columns: string[]; rows: Record<string, unknown>[] }
  | { path: string; contentType: string; kind: 'text'; text: string; truncated: boolean }
  | { path: string; contentType: string; kind: 'metadata'; fields: Record<string, string | number | boolean> };

const TABLE_TYPES: Record<string, (file: string) => string> = {
  'text/csv': (file) => `read_csv_auto('${file}')`,
  'text/tab-separated-values': (file) => `read_csv_auto('${file}', delim = '\\t')`,
  'application/x-ndjson': (file) => `read_json_auto('${file}', format = 'newline_delimited')`,
  'application/vnd.apache.parquet': (file) => `read_parquet('${file}')`,
};

let duck: Promise<DuckDBInstance> | undefined;

/**
 * The first rows of a table (DuckDB), the first bytes of a text, or the extracted metadata of
 * anything else. Tables are copied to a temporary file for DuckDB and removed after.
 */
export async function previewObject(core: StrataCore, ctx: CallContext, input: { repository: string; ref: string; path: string } & PreviewOptions): Promise<Preview> {
  const info = await core.objects.stat(ctx, input);
  const table = TABLE_TYPES[info.contentType];
  if (table) return previewTable(core, ctx, { info, reader: table, rows: input.rows ?? 10 });
  if (info.contentType.startsWith('text/') || info.contentType === 'application/json' || info.contentType === 'application/yaml') {
    const bytes = Math.min(input.bytes ?? 4096, info.size);
    const body = await core.objects.read(ctx, info, { range: { start: 0, end: bytes } });
    const parts: Uint8Array[] = [];
    for await (const piece of body) parts.push(piece);
    // Cutting inside a multi-byte character leaves a replacement character at the end: drop it.
    const text = Buffer.concat(parts).toString('utf8').replace(/\uFFFD$/, '');
    return { path: info.path, contentType: info.contentType, kind: 'text', text, truncated: bytes < info.size };
  }
  return { path: info.path, contentType: info.contentType, kind: 'metadata', fields: info.extracted ?? {} };
}

async function previewTable(core: StrataCore, ctx: CallContext, input: { info: ObjectInfo; reader: (file: string) => string; rows: number }): Promise<Preview> {
  const file = join(tmpdir(), `strata-preview-${randomUUID()}`);
  try {
    await pipeline(Readable.from(await core.objects.read(ctx, input.info)), createWriteStream(file));
    duck ??= DuckDBInstance.create(':memory:', { threads: '1' });
    const connection = await (await duck).connect();
    try {
      const result = await connection.runAndReadAll(`SELECT * FROM ${input.reader(file)} LIMIT ${Math.max(0, Math.floor(input.rows))}`);
      const rows = (result.getRowObjectsJS() as Record<string, unknown>[]).map((row) => Object.fromEntries(Object.entries(row).map(([k, v]) => [k, jsonSafe(v)])));
      return { path: input.info.path, contentType: input.info.contentType, kind: 'table', columns: result.columnNames(), rows };
    } finally {
      connection.closeSync();
    }
  } finally {
    await rm(file, { force: true });
  }
}

/** JSON-safe values: integers as numbers while exact, else as strings; dates as ISO text. */
function jsonSafe(value: unknown): unknown {
  if (typeof value === 'bigint') return value <= BigInt(Number.MAX_SAFE_INTEGER) && value >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(value) : value.toString();
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map(jsonSafe);
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, jsonSafe(v)]));
  return value;
}
