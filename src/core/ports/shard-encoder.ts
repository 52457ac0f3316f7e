/** Shard formats a recipe can write. JSON Lines is written by the core itself. */
export const SHARD_FORMATS = ['jsonl', 'jsonl.zst', 'parquet', 'webdataset'] as const;
export type ShardFormat = (typeof SHARD_FORMATS)[number];

/**
 * Re-encodes one shard, given as the JSON Lines the shard writer makes (one record per line:
 * `{"id","text","meta","source"[,"tokens"]}`), into another format. Adapter: DuckDB (zstd,
 * Parquet) and tar-stream (WebDataset).
 */
export interface ShardEncoder {
  encode(format: Exclude<ShardFormat, 'jsonl'>, jsonl: Buffer, shard: { index: number }): Promise<Buffer>;
}
