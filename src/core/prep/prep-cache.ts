import { createHash } from 'node:crypto';
import type { BlobStore } from '../ports/blob-store.ts';
import type { PrepCacheLocation, PrepCacheStore } from '../ports/prep-cache-store.ts';
import type { MappedRecord } from './map-records.ts';

/** Typed arrays use the machine's byte order; the cache's is little-endian. */
const BIG_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 0;

/** One source's mapped records, under its cache key. */
export interface CacheEntry {
  key: string;
  /** SHA-256 of the source's content: garbage collection prunes entries whose source is gone. */
  source: string;
  mapped: MappedRecord[];
}

/**
 * The key of a source's result: the recipe's map hash (extraction and steps with their
 * parameters and versions), the source object version (repository, path, content) and its type.
 */
export function cacheKey(mapHash: string, source: { key: string; contentType: string }): string {
  return createHash('sha256').update(`${mapHash}\n${source.key}\n${source.contentType}`).digest('hex');
}

/**
 * Per-source results of recipe runs, for incremental reruns: a source whose content and recipe
 * are unchanged is read back instead of prepared again. Results of many sources go into one
 * segment blob (one write and one index batch per page of sources; a blob per source would cost
 * a file and an fsync each); the index maps each key to its byte range. Segments are read whole
 * and the last few kept, since a rerun reads the sources in the order they were written.
 */
export class PrepCache {
  private readonly segments = new Map<string, Promise<Uint8Array>>();

  constructor(
    private readonly index: PrepCacheStore,
    private readonly blobs: BlobStore,
  ) {}

  lookup(keys: string[]): Promise<Map<string, PrepCacheLocation>> {
    return keys.length === 0 ? Promise.resolve(new Map<string, PrepCacheLocation>()) : this.index.lookup(keys);
  }

  async read(location: PrepCacheLocation): Promise<MappedRecord[]> {
    let segment = this.segments.get(location.blob);
    if (!segment) {
      segment = this.blobs.read(location.blob);
      if (this.segments.size >= 4) this.segments.delete(this.segments.keys().next().value as string);
      this.segments.set(location.blob, segment);
    }
    const bytes = await segment;
    return decodeEntry(Buffer.from(bytes.buffer, bytes.byteOffset + location.offset, location.length));
  }

  /** Stores the entries as one segment, durably, then indexes them. */
  write(entries: CacheEntry[]): Promise<void> {
    return this.writeEncoded(entries.map((entry) => ({ key: entry.key, source: entry.source, bytes: encodeEntry(entry.mapped) })));
  }

  /** Like `write`, for entries already encoded (by a mapping thread). */
  async writeEncoded(entries: Array<{ key: string; source: string; bytes: Uint8Array }>): Promise<void> {
    if (entries.length === 0) return;
    const locations: Array<{ key: string; source: string; offset: number; length: number }> = [];
    let offset = 0;
    for (const entry of entries) {
      locations.push({ key: entry.key, source: entry.source, offset, length: entry.bytes.length });
      offset += entry.bytes.length;
    }
    const { sha256 } = await this.blobs.put(Buffer.concat(entries.map((e) => e.bytes)));
    await this.index.record(locations.map((l) => ({ ...l, blob: sha256 })));
  }
}

/**
 * One source's records: a uint32 (LE) length, the JSON of the mapped records, then their token
 * ids as uint32 LE; a record's `tokens` is stored as `[first, count]` into that tail. JSON holds
 * everything else; ids as JSON numbers would be twice the bytes and ten times the parse time.
 */
export function encodeEntry(mapped: MappedRecord[]): Buffer {
  const tokens: ArrayLike<number>[] = [];
  let count = 0;
  const plain = mapped.map((m) => {
    const ids = m.record?.tokens;
    if (m.record === undefined || ids === undefined) return m;
    tokens.push(ids);
    const at = count;
    count += ids.length;
    return { ...m, record: { ...m.record, tokens: [at, ids.length] } };
  });
  const json = Buffer.from(JSON.stringify(plain));
  const out = Buffer.allocUnsafe(4 + json.length + count * 4);
  out.writeUInt32LE(json.length, 0);
  json.copy(out, 4);
  let at = 4 + json.length;
  for (const ids of tokens) {
    for (let i = 0; i < ids.length; i++) out.writeUInt32LE(ids[i] as number, at + i * 4);
    at += ids.length * 4;
  }
  return out;
}

export function decodeEntry(entry: Uint8Array): MappedRecord[] {
  // Entries from a mapping thread arrive as plain Uint8Arrays; a Buffer view adds the readers.
  const bytes = Buffer.isBuffer(entry) ? entry : Buffer.from(entry.buffer, entry.byteOffset, entry.byteLength);
  const length = bytes.readUInt32LE(0);
  const mapped = JSON.parse(bytes.toString('utf8', 4, 4 + length)) as MappedRecord[];
  const tail = 4 + length;
  if (tail === bytes.length) return mapped;
  // Copied so the ids are aligned and outlive the segment buffer.
  const ids = new Uint32Array(new Uint8Array(bytes.subarray(tail)).buffer);
  if (BIG_ENDIAN) for (let i = 0; i < ids.length; i++) ids[i] = bytes.readUInt32LE(tail + i * 4);
  for (const m of mapped) {
    const at = m.record?.tokens as [number, number] | undefined;
    if (m.record !== undefined && at !== undefined) m.record.tokens = ids.subarray(at[0], at[0] + at[1]);
  }
  return mapped;
}
