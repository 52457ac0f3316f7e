/** A record an erasure removed from a shard: what the certificate lists, and its text (to find quotes of it). */
export interface RemovedRecord {
  id: string;
  text: string;
}

export interface FilteredShard {
  /** The shard without the removed records; every other line byte for byte as it was, but a `tokens` offset that moved. */
  jsonl: Buffer;
  /** The token file without the removed records' ids, when the shard had one. */
  tokens?: Buffer;
  kept: number;
  removed: RemovedRecord[];
}

interface ShardLine {
  id?: unknown;
  text?: unknown;
  source?: { sha256?: unknown };
  tokens?: [number, number];
}

/**
 * Drops from a JSON Lines shard (as `ShardWriter` writes it: `{"id","text","meta","source"
 * [,"tokens"]}` per line) every record whose source content is erased. With a token file the
 * kept records' ids are copied in order into a new one and their `[offset, count]` renumbered;
 * JSON.stringify of a parsed line gives back the same bytes (same key order, same numbers),
 * so only the offset changes in such a line.
 */
export function filterShard(jsonl: Buffer, erased: ReadonlySet<string>, tokens?: Buffer): FilteredShard {
  const keptLines: Buffer[] = [];
  const keptTokens: Buffer[] = [];
  const removed: RemovedRecord[] = [];
  let offset = 0;
  let start = 0;
  while (start < jsonl.length) {
    let end = jsonl.indexOf(0x0a, start);
    if (end < 0) end = jsonl.length;
    const raw = jsonl.subarray(start, end);
    start = end + 1;
    if (raw.length === 0) continue;
    const line = JSON.parse(raw.toString('utf8')) as ShardLine;
    const source = typeof line.source?.sha256 === 'string' ? line.source.sha256 : '';
    if (erased.has(source)) {
      removed.push({ id: String(line.id), text: typeof line.text === 'string' ? line.text : '' });
      continue;
    }
    if (tokens !== undefined && Array.isArray(line.tokens)) {
      const [at, count] = line.tokens;
      keptTokens.push(tokens.subarray(at * 4, (at + count) * 4));
      if (at !== offset) {
        line.tokens = [offset, count];
        keptLines.push(Buffer.from(`${JSON.stringify(line)}\n`));
      } else keptLines.push(Buffer.concat([raw, Buffer.from('\n')]));
      offset += count;
      continue;
    }
    keptLines.push(Buffer.concat([raw, Buffer.from('\n')]));
  }
  return { jsonl: Buffer.concat(keptLines), ...(tokens !== undefined ? { tokens: Buffer.concat(keptTokens) } : {}), kept: keptLines.length, removed };
}

/** The token file beside a shard (`shard-00003.jsonl` → `shard-00003.tokens.bin`). */
export function tokensPathOf(shardPath: string): string {
  return shardPath.replace(/\.(jsonl|jsonl\.zst|parquet|tar)$/, '') + '.tokens.bin';
}

/** The folder a shard was written to (its manifest and quarantine live there). */
export function shardFolder(shardPath: string): string {
  const slash = shardPath.lastIndexOf('/');
  return slash < 0 ? '' : shardPath.slice(0, slash + 1);
}

/** One shard's line in a manifest: what `updateManifest` writes for a rewritten shard. */
export interface ManifestShard {
  path: string;
  records: number;
  size: number;
  sha256: string;
  tokens?: { path: string; count: number; size: number; sha256: string };
}

/** The manifest with the rewritten shards' counts and hashes, in the writer's layout. */
export function updateManifest(manifest: Buffer, rewritten: Map<string, ManifestShard>): Buffer {
  const parsed = JSON.parse(manifest.toString('utf8')) as { shards?: ManifestShard[] };
  parsed.shards = (parsed.shards ?? []).map((shard) => rewritten.get(shard.path) ?? shard);
  return Buffer.from(`${JSON.stringify(parsed, null, 2)}\n`);
}
