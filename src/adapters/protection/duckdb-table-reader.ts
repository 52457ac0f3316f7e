import { DuckDBInstance } from '@duckdb/node-api';
import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { TableReader } from '../../core/ports/merge-check-io.ts';

const PARQUET = 'application/vnd.apache.parquet';

let duck: Promise<DuckDBInstance> | undefined;

/**
 * Parquet rows through DuckDB, streamed a chunk at a time (DuckDB reads Parquet from a file, so
 * the object is copied to a private temporary file first and removed after).
 */
export class DuckDbTableReader implements TableReader {
  reads(contentType: string): boolean {
    return contentType === PARQUET;
  }

  async *rows(body: AsyncIterable<Uint8Array>): AsyncIterable<Array<Record<string, unknown>>> {
    const file = join(tmpdir(), `strata-check-${randomUUID()}.parquet`);
    try {
      await pipeline(Readable.from(body), createWriteStream(file, { mode: 0o600 }));
      duck ??= DuckDBInstance.create(':memory:', { threads: '1' });
      const connection = await (await duck).connect();
      try {
        const result = await connection.stream(`SELECT * FROM read_parquet('${file}')`);
        for await (const batch of result.yieldRowObjectJson()) yield batch;
      } finally {
        connection.closeSync();
      }
    } finally {
      await rm(file, { force: true });
    }
  }
}
