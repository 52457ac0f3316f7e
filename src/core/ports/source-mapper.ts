import type { SourceText } from '../prep/extract-text.ts';
import type { Recipe } from '../prep/recipe.ts';

/**
 * Runs the per-record half of a recipe (extraction and every step's per-record work) off the
 * calling thread. Adapter: a worker-thread pool. Results come back encoded as cache entries
 * (`prep-cache.ts`), which is both what the cache stores and cheap to move between threads.
 */
export interface SourceMapper {
  /** For each source, in order, its mapped records as one encoded cache entry. */
  map(input: { recipe: Pick<Recipe, 'extract' | 'steps' | 'mapHash'>; sources: SourceText[] }): Promise<Uint8Array[]>;
  close(): Promise<void>;
}
