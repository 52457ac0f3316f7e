import { createHash } from 'node:crypto';

/**
 * FastCDC content-defined chunking (Xia et al., "FastCDC: a Fast and Efficient Content-Defined
 * Chunking Approach for Data Deduplication", USENIX ATC 2016; normalized chunking, level 2).
 * Written by hand: no maintained npm package chunks at native-like speed without a WASM or
 * native build step, and the algorithm is a 20-line loop.
 *
 * The gear table and masks decide where chunks are cut, and so which chunks already exist:
 * they are frozen. Masks use the high bits of a 32-bit gear hash, which depend on the last 32
 * bytes (the rolling window).
 */
export interface ChunkingOptions {
  /** No cut before this many bytes. Default 256 KiB. */
  minSize: number;
  /** Target average chunk size, a power of two. Default 1 MiB. */
  avgSize: number;
  /** Hard cut at this many bytes. Default 4 MiB. */
  maxSize: number;
}

export const DEFAULT_CHUNKING: ChunkingOptions = { minSize: 256 * 1024, avgSize: 1024 * 1024, maxSize: 4 * 1024 * 1024 };

const GEAR: Int32Array = (() => {
  const table = new Int32Array(256);
  for (let i = 0; i < 256; i++) table[i] = createHash('sha256').update(`strata-fastcdc-gear-${i}`).digest().readInt32LE(0);
  return table;
})();

function highBitsMask(bits: number): number {
  return (((2 ** bits - 1) * 2 ** (32 - bits)) | 0);
}

export class FastCdc {
  private readonly maskSmall: number;
  private readonly maskLarge: number;

  constructor(private readonly options: ChunkingOptions = DEFAULT_CHUNKING) {
    const bits = Math.round(Math.log2(options.avgSize));
    if (2 ** bits !== options.avgSize) throw new RangeError('FastCDC avgSize must be a power of two');
    if (!(options.minSize < options.avgSize && options.avgSize < options.maxSize)) {
      throw new RangeError('FastCDC sizes must satisfy minSize < avgSize < maxSize');
    }
    this.maskSmall = highBitsMask(bits + 2);
    this.maskLarge = highBitsMask(bits - 2);
  }

  get maxSize(): number {
    return this.options.maxSize;
  }

  /** Length of the first chunk of `data` (all of it if shorter than a chunk can be). */
  cut(data: Uint8Array): number {
    const { minSize, avgSize, maxSize } = this.options;
    const n = data.length;
    if (n <= minSize) return n;
    const normal = Math.min(avgSize, n);
    const limit = Math.min(maxSize, n);
    const gear = GEAR;
    let h = 0;
    let i = minSize;
    for (; i < normal; i++) {
      h = ((h << 1) + (gear[data[i] as number] as number)) | 0;
      if ((h & this.maskSmall) === 0) return i + 1;
    }
    for (; i < limit; i++) {
      h = ((h << 1) + (gear[data[i] as number] as number)) | 0;
      if ((h & this.maskLarge) === 0) return i + 1;
    }
    return limit;
  }
}

/**
 * Cuts a stream of buffers into content-defined chunks. Incoming bytes are copied once into a
 * window of two maximum chunk sizes; each chunk is copied out once (it outlives the window while
 * it is hashed and written). Memory: the window, whatever the content size.
 */
export class StreamChunker {
  private readonly window: Buffer;
  private start = 0;
  private end = 0;

  constructor(private readonly cdc: FastCdc) {
    this.window = Buffer.allocUnsafe(2 * cdc.maxSize);
  }

  /** Adds bytes; returns the chunks that are now complete. */
  push(data: Uint8Array): Uint8Array[] {
    const out: Uint8Array[] = [];
    let offset = 0;
    while (offset < data.length) {
      if (this.end === this.window.length) this.compact();
      const n = Math.min(data.length - offset, this.window.length - this.end);
      this.window.set(data.subarray(offset, offset + n), this.end);
      this.end += n;
      offset += n;
      while (this.end - this.start >= this.cdc.maxSize) out.push(this.take());
    }
    return out;
  }

  /** The remaining chunks at end of stream. */
  finish(): Uint8Array[] {
    const out: Uint8Array[] = [];
    while (this.end > this.start) out.push(this.take());
    return out;
  }

  private take(): Uint8Array {
    const length = this.cdc.cut(this.window.subarray(this.start, this.end));
    const chunk = Buffer.from(this.window.subarray(this.start, this.start + length));
    this.start += length;
    return chunk;
  }

  /** Moves the unconsumed bytes (less than one maximum chunk) to the front of the window. */
  private compact(): void {
    this.window.copyWithin(0, this.start, this.end);
    this.end -= this.start;
    this.start = 0;
  }
}
