import { availableParallelism } from 'node:os';
import { Piscina } from 'piscina';
import type { SourceMapper } from '../../core/ports/source-mapper.ts';
import type { MapRequest } from './map-in-thread.ts';

/**
 * The per-record half of recipe runs on a pool of worker threads, one per core: the main thread
 * reads sources, writes the cache and the shards, and decides dedup in order, while the pool
 * extracts, cleans, fingerprints, redacts and tokenizes. Threads start on first use and exit
 * when idle (unref'd by piscina: a finished CLI is never held open).
 */
export class ThreadPoolMapper implements SourceMapper {
  private pool: Piscina<MapRequest, Uint8Array[]> | undefined;

  constructor(private readonly threads: number = availableParallelism()) {}

  map(request: MapRequest): Promise<Uint8Array[]> {
    this.pool ??= new Piscina({ filename: new URL('./map-worker.mjs', import.meta.url).href, minThreads: 0, maxThreads: this.threads, idleTimeout: 5000 });
    return this.pool.run(request);
  }

  async close(): Promise<void> {
    const pool = this.pool;
    this.pool = undefined;
    await pool?.destroy();
  }
}
