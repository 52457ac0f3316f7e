import { createHash } from 'node:crypto';
import { StrataError, invalidArgument } from '../errors.ts';
import type { BlobRange, BlobStore } from '../ports/blob-store.ts';
import { DEFAULT_CHUNKING, FastCdc, StreamChunker, type ChunkingOptions } from './fastcdc.ts';
import { readManifest, writeManifest, type ChunkRef } from './manifest.ts';
import { mapConcurrent } from '../concurrency.ts';

export interface ObjectStoreOptions {
  chunking: ChunkingOptions;
  /** Contents larger than this are stored as chunks; smaller ones whole. Default 4 MiB. */
  chunkThreshold: number;
  /** Chunk writes in flight at once while ingesting one object. Default 4. */
  writeConcurrency: number;
}

export const DEFAULT_OBJECT_STORE_OPTIONS: ObjectStoreOptions = {
  chunking: DEFAULT_CHUNKING,
  chunkThreshold: 4 * 1024 * 1024,
  writeConcurrency: 4,
};

/** Where a content lives and what identifies it. */
export interface StoredContent {
  sha256: string;
  md5: string;
  size: number;
  /** Set when the content was stored as chunks. */
  manifest?: string;
}

export interface WriteContentOptions {
  signal?: AbortSignal;
  /** Reject with PayloadTooLarge past this many bytes. */
  maxBytes?: number;
  /** Leave durability to a later `BlobStore.flush()` (batch writers). */
  deferSync?: boolean;
}

/**
 * Contents on top of the blob store: small contents stored whole, large ones split by FastCDC
 * into chunks stored once. SHA-256 and MD5 of the whole content come from the same pass.
 */
export class ObjectStore {
  private readonly cdc: FastCdc;
  private readonly small = new SmallContentCache(64 * 1024 * 1024);

  constructor(
    private readonly blobs: BlobStore,
    private readonly options: ObjectStoreOptions = DEFAULT_OBJECT_STORE_OPTIONS,
  ) {
    this.cdc = new FastCdc(options.chunking);
  }

  async write(body: AsyncIterable<Uint8Array>, options: WriteContentOptions = {}): Promise<StoredContent> {
    const started = Date.now();
    const content = await this.writeOnce(body, options);
    // The collection protocol needs a reference recorded soon after its blobs were written:
    // a long upload's first chunks are freshened again before the caller stages it.
    if (Date.now() - started > LONG_WRITE_MS) await this.retain(content);
    return content;
  }

  private async writeOnce(body: AsyncIterable<Uint8Array>, options: WriteContentOptions): Promise<StoredContent> {
    const sha256 = createHash('sha256');
    const md5 = createHash('md5');
    const whole: Uint8Array[] = [];
    let size = 0;
    let chunker: StreamChunker | undefined;
    const chunks = new ChunkWriter(this.blobs, { concurrency: this.options.writeConcurrency, deferSync: options.deferSync === true });
    for await (const part of body) {
      options.signal?.throwIfAborted();
      size += part.length;
      if (options.maxBytes !== undefined && size > options.maxBytes) {
        throw new StrataError('PayloadTooLarge', `content is larger than the limit of ${options.maxBytes} bytes`);
      }
      sha256.update(part);
      md5.update(part);
      if (chunker) {
        for (const chunk of chunker.push(part)) await chunks.add(chunk);
        continue;
      }
      whole.push(part);
      if (size > this.options.chunkThreshold) {
        chunker = new StreamChunker(this.cdc);
        for (const held of whole.splice(0)) for (const chunk of chunker.push(held)) await chunks.add(chunk);
      }
    }
    const content = { sha256: sha256.digest('hex'), md5: md5.digest('hex'), size };
    if (!chunker) {
      await this.blobs.put(Buffer.concat(whole), { sha256: content.sha256, signal: options.signal, deferSync: options.deferSync });
      return content;
    }
    for (const chunk of chunker.finish()) await chunks.add(chunk);
    const refs = await chunks.done();
    // Chunks first, durable, then the manifest that names them.
    if (options.deferSync !== true) await this.blobs.flush();
    const manifest = await writeManifest(this.blobs, { size, chunks: refs }, { deferSync: options.deferSync === true });
    return { ...content, manifest };
  }

  /**
   * Consulted before every read: throws for a content that must not be served (an erased one).
   * Set once by the composition root.
   */
  erased: { check(sha256: string): Promise<void>; erasureOf(sha256: string): Promise<string | undefined> } | undefined;

  /** Drops a content's bytes from the in-memory cache (after an erasure destroyed them). */
  forget(sha256: string): void {
    this.small.forget(sha256);
  }

  /** Streams a content or a byte range of it; a chunked content reads only the chunks in range. */
  async read(content: StoredContent, options: { range?: BlobRange; signal?: AbortSignal } = {}): Promise<AsyncIterable<Uint8Array>> {
    await this.erased?.check(content.sha256);
    const range = options.range ?? { start: 0, end: content.size };
    if (range.start < 0 || range.end > content.size || range.start > range.end) {
      throw invalidArgument(`byte range ${range.start}-${range.end} is outside the content (size ${content.size})`);
    }
    if (content.manifest === undefined && content.size <= SMALL_CONTENT) {
      const bytes = await this.small.get(content.sha256, () => this.blobs.read(content.sha256));
      return once(bytes.subarray(range.start, range.end));
    }
    if (content.manifest === undefined) return this.blobs.get(content.sha256, { range, signal: options.signal });
    const manifest = await readManifest(this.blobs, content.manifest);
    return this.readChunks(manifest.chunks, { range, signal: options.signal });
  }

  /**
   * A content made of `parts` in order without copying a byte: one manifest naming their chunks.
   * `digests` are the whole content's hashes, which the caller computed.
   */
  async concat(parts: StoredContent[], digests: { sha256: string; md5: string }): Promise<StoredContent> {
    const only = parts.length === 1 ? parts[0] : undefined;
    if (only) return { ...only };
    const chunks: ChunkRef[] = [];
    for (const part of parts) chunks.push(...(await this.chunksOf(part)));
    const size = parts.reduce((sum, part) => sum + part.size, 0);
    const manifest = await writeManifest(this.blobs, { size, chunks }, { deferSync: false });
    return { ...digests, size, manifest };
  }

  /**
   * Freshens every blob of a stored content before a new reference to it is recorded (a copy,
   * a re-tag, an older version made current again): a garbage collection that started earlier
   * then keeps them. Gone when one was already collected (the version is no longer readable).
   */
  async retain(content: StoredContent): Promise<void> {
    const blobs = content.manifest === undefined ? [content.sha256] : [content.manifest, ...(await this.chunksOf(content)).map((c) => c.sha256)];
    const present = await mapConcurrent(blobs, 8, (sha256) => this.blobs.freshen(sha256));
    if (present.includes(false)) {
      throw new StrataError('Gone', `content ${content.sha256} was garbage-collected`, { details: { reason: 'collected-version', sha256: content.sha256 } });
    }
  }

  /** Makes contents written with `deferSync` durable. */
  flush(): Promise<void> {
    return this.blobs.flush();
  }

  /** The chunks a content is made of (one whole blob when not chunked). */
  async chunksOf(content: StoredContent): Promise<ChunkRef[]> {
    if (content.manifest === undefined) return [{ sha256: content.sha256, size: content.size }];
    return (await readManifest(this.blobs, content.manifest)).chunks;
  }

  /**
   * A whole chunk (at most the chunker's maxSize, 4 MiB) is read in one piece, and the next whole
   * chunk is read while this one is sent: one buffer per chunk and no copy, where a read stream
   * per chunk copied each chunk's partial last read and left the disk idle while the socket
   * drained (bench/RESULTS.md, GET of 1 GiB). Partial chunks at a range's ends are streamed.
   */
  private async *readChunks(chunks: ChunkRef[], options: { range: BlobRange; signal?: AbortSignal }): AsyncGenerator<Uint8Array> {
    const { start, end } = options.range;
    const pieces: Array<{ sha256: string; sub?: BlobRange }> = [];
    let offset = 0;
    for (const chunk of chunks) {
      const chunkEnd = offset + chunk.size;
      if (chunkEnd > start && offset < end) {
        const sub = { start: Math.max(start - offset, 0), end: Math.min(end - offset, chunk.size) };
        pieces.push(sub.start === 0 && sub.end === chunk.size ? { sha256: chunk.sha256 } : { sha256: chunk.sha256, sub });
      }
      offset = chunkEnd;
      if (offset >= end) break;
    }
    const whole = (i: number): Promise<Uint8Array> | undefined => {
      const piece = pieces[i];
      if (piece === undefined || piece.sub !== undefined) return undefined;
      const read = this.blobs.read(piece.sha256);
      // Read ahead: a reader that stops early never awaits it, and its failure is not unhandled.
      read.catch(() => undefined);
      return read;
    };
    let next = whole(0);
    for (let i = 0; i < pieces.length; i++) {
      const piece = pieces[i] as { sha256: string; sub?: BlobRange };
      options.signal?.throwIfAborted();
      if (piece.sub !== undefined) {
        yield* await this.blobs.get(piece.sha256, { range: piece.sub, signal: options.signal });
        next = whole(i + 1);
        continue;
      }
      const bytes = await (next as Promise<Uint8Array>);
      next = whole(i + 1);
      yield bytes;
    }
  }
}

/**
 * A write that took longer freshens its blobs again at its end. Garbage collection's grace
 * period must be well above this plus the time to stage (docs/architecture.md).
 */
export const LONG_WRITE_MS = 60_000;

/** Contents up to this size are read whole and kept in `SmallContentCache`. */
const SMALL_CONTENT = 64 * 1024;

async function* once(bytes: Uint8Array): AsyncGenerator<Uint8Array> {
  await Promise.resolve();
  yield bytes;
}

/**
 * An LRU of small contents by hash, bounded in bytes. Contents are immutable, so entries never
 * go stale; serving hot small files (labels, JSON shards) then costs no disk round trip.
 */
class SmallContentCache {
  private readonly entries = new Map<string, Uint8Array>();
  private bytes = 0;

  constructor(private readonly limit: number) {}

  async get(sha256: string, load: () => Promise<Uint8Array>): Promise<Uint8Array> {
    const hit = this.entries.get(sha256);
    if (hit) {
      this.entries.delete(sha256);
      this.entries.set(sha256, hit);
      return hit;
    }
    const bytes = await load();
    this.entries.set(sha256, bytes);
    this.bytes += bytes.length;
    for (const [key, value] of this.entries) {
      if (this.bytes <= this.limit) break;
      this.entries.delete(key);
      this.bytes -= value.length;
    }
    return bytes;
  }

  forget(sha256: string): void {
    const hit = this.entries.get(sha256);
    if (!hit) return;
    this.entries.delete(sha256);
    this.bytes -= hit.length;
  }
}

/** Hashes and writes chunks with bounded concurrency, keeping their order. */
class ChunkWriter {
  private readonly refs: ChunkRef[] = [];
  private readonly inflight: Promise<unknown>[] = [];

  constructor(
    private readonly blobs: BlobStore,
    private readonly options: { concurrency: number; deferSync: boolean },
  ) {}

  /** Chunks are always written with deferred sync; `write` flushes once before the manifest. */
  async add(chunk: Uint8Array): Promise<void> {
    const sha256 = createHash('sha256').update(chunk).digest('hex');
    this.refs.push({ sha256, size: chunk.length });
    this.inflight.push(this.blobs.put(chunk, { sha256, deferSync: true }));
    if (this.inflight.length >= this.options.concurrency) await this.inflight.shift();
  }

  async done(): Promise<ChunkRef[]> {
    await Promise.all(this.inflight.splice(0));
    return this.refs;
  }
}
