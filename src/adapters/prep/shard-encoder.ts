import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DuckDBInstance } from '@duckdb/node-api';
import { pack } from 'tar-stream';
import type { ShardEncoder, ShardFormat } from '../../core/ports/shard-encoder.ts';

/** Lines are read as one text column: no JSON line holds a raw U+0001 (JSON escapes control characters). */
const AS_LINES = `columns = {'line': 'VARCHAR'}, header = false, delim = E'\\x01', quote = '', escape = '', auto_detect = false, max_line_size = 1073741824`;
const PARQUET_COLUMNS = `columns = {'id': 'VARCHAR', 'text': 'VARCHAR', 'meta': 'JSON', 'source': 'STRUCT(key VARCHAR, repository VARCHAR, path VARCHAR, sha256 VARCHAR, span BIGINT[])', 'tokens': 'BIGINT[]'}, format = 'newline_delimited', maximum_object_size = 1073741824`;

/**
 * Shard encodings. zstd JSON Lines and Parquet through DuckDB (already Strata's engine for
 * files; Node 20 has no zstd of its own): the lines go through a temporary file, and the zstd
 * output decompresses to exactly the JSON Lines given. WebDataset through tar-stream: one sample
 * per record, `<key>.txt` (the text) and `<key>.json` (id, meta, source, token index).
 */
export class DuckDbShardEncoder implements ShardEncoder {
  private duck: Promise<DuckDBInstance> | undefined;

  async encode(format: Exclude<ShardFormat, 'jsonl'>, jsonl: Buffer, shard: { index: number }): Promise<Buffer> {
    if (format === 'webdataset') return webDataset(jsonl, shard.index);
    const dir = await mkdtemp(join(tmpdir(), 'strata-shard-'));
    try {
      const input = join(dir, 'in.jsonl');
      const output = join(dir, `${randomUUID()}.out`);
      await writeFile(input, jsonl);
      // Loaded on first use: every CLI command opens Strata, few write these formats.
      this.duck ??= import('@duckdb/node-api').then(({ DuckDBInstance }) => DuckDBInstance.create(':memory:', { threads: '1' }));
      const connection = await (await this.duck).connect();
      try {
        const copy =
          format === 'parquet'
            ? `COPY (SELECT * FROM read_json('${input}', ${PARQUET_COLUMNS})) TO '${output}' (FORMAT parquet, COMPRESSION zstd)`
            : `COPY (SELECT line FROM read_csv('${input}', ${AS_LINES})) TO '${output}' (FORMAT csv, HEADER false, DELIMITER E'\\x01', QUOTE '', ESCAPE '', COMPRESSION zstd)`;
        await connection.run(copy);
      } finally {
        connection.closeSync();
      }
      return await readFile(output);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
}

const EPOCH = new Date(0);

async function webDataset(jsonl: Buffer, shardIndex: number): Promise<Buffer> {
  const tar = pack();
  const chunks: Buffer[] = [];
  tar.on('data', (chunk) => chunks.push(chunk as Buffer));
  const done = new Promise<void>((resolve, reject) => {
    tar.on('end', resolve);
    tar.on('error', reject);
  });
  let index = 0;
  for (const line of jsonl.toString('utf8').split('\n')) {
    if (line === '') continue;
    const { text, ...rest } = JSON.parse(line) as { text: string };
    // WebDataset keys: the part of the file name before the first dot, unique across shards.
    const key = `${String(shardIndex).padStart(5, '0')}-${String(index++).padStart(9, '0')}`;
    // A fixed time: the same records make the same bytes, so reruns and dedup see equal shards.
    tar.entry({ name: `${key}.txt`, mtime: EPOCH }, Buffer.from(text));
    tar.entry({ name: `${key}.json`, mtime: EPOCH }, Buffer.from(JSON.stringify(rest)));
  }
  tar.finalize();
  await done;
  return Buffer.concat(chunks);
}
