import type { DocumentTextExtractor } from '../ports/document-text.ts';
import type { PrepCacheLocation } from '../ports/prep-cache-store.ts';
import type { SourceMapper } from '../ports/source-mapper.ts';
import type { ObjectService } from '../versioning/object-service.ts';
import type { CallContext } from '../versioning/types.ts';
import type { SourceText } from './extract-text.ts';
import type { MappedRecord } from './map-records.ts';
import { decodeEntry, type PrepCache } from './prep-cache.ts';
import { readAndMap, readSource, type Source } from './prep-sources.ts';
import type { Recipe } from './recipe.ts';
import type { AnyStepInstance } from './record.ts';

/**
 * Fewer fresh sources than this in a page are mapped in place: starting the pool's threads (each
 * loads the tokenizer and language model, ~1-3 s) costs more than mapping a few sources here.
 */
const POOL_MIN_SOURCES = 64;
/** Characters of source text per pool task. */
const POOL_BATCH_BYTES = 1 << 20;

/** A page of sources with their records: cached (by location) or freshly mapped. */
export interface PreparedPage {
  page: Source[];
  hits: Map<string, PrepCacheLocation>;
  fresh: Map<string, MappedRecord[]>;
}

/**
 * A page's records by cache key: those the cache holds are looked up (and read when reduced),
 * the others mapped — on the thread pool when there is one, else here — and cached.
 */
export async function preparePage(
  scope: { objects: ObjectService; ctx: CallContext; cache: PrepCache; mapper?: SourceMapper; documents?: DocumentTextExtractor },
  input: { recipe: Recipe; repository: string; page: Source[]; steps: () => Promise<AnyStepInstance[]>; reuse: boolean },
): Promise<PreparedPage> {
  const { objects, ctx, cache, mapper } = scope;
  const documents = scope.documents ? { documents: scope.documents } : {};
  const hits = input.reuse ? await cache.lookup(input.page.map((s) => s.cacheKey)) : new Map<string, PrepCacheLocation>();
  const misses = input.page.filter((s) => !hits.has(s.cacheKey));
  const fresh = new Map<string, MappedRecord[]>();
  if (!mapper || misses.length < POOL_MIN_SOURCES) {
    for (const source of misses) fresh.set(source.cacheKey, await readAndMap({ objects, ctx }, { repository: input.repository, source, steps: await input.steps(), ...documents }));
    await cache.write(misses.map((source) => ({ key: source.cacheKey, source: source.object.sha256, mapped: fresh.get(source.cacheKey) ?? [] })));
    return { page: input.page, hits, fresh };
  }
  const texts = [];
  for (const source of misses) texts.push(await readSource({ objects, ctx }, { repository: input.repository, source }));
  // Batches of about POOL_BATCH_BYTES: few enough messages, enough of them to keep every thread busy.
  const batches: SourceText[][] = [[]];
  let bytes = 0;
  for (const text of texts) {
    if (bytes >= POOL_BATCH_BYTES) {
      batches.push([]);
      bytes = 0;
    }
    (batches[batches.length - 1] as SourceText[]).push(text);
    bytes += text.bytes.length;
  }
  const recipe = { extract: input.recipe.extract, steps: input.recipe.steps, mapHash: input.recipe.mapHash };
  const encoded = (await Promise.all(batches.map((sources) => mapper.map({ recipe, sources })))).flat();
  const entries = misses.map((source, i) => ({ key: source.cacheKey, source: source.object.sha256, bytes: encoded[i] as Uint8Array }));
  await cache.writeEncoded(entries);
  for (const entry of entries) fresh.set(entry.key, decodeEntry(entry.bytes));
  return { page: input.page, hits, fresh };
}
