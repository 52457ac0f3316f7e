import { objectVersion } from '../lineage/data-address.ts';
import type { ObjectService } from '../versioning/object-service.ts';
import type { CallContext, ObjectInfo } from '../versioning/types.ts';
import type { DocumentTextExtractor } from '../ports/document-text.ts';
import { accepts, type SourceText } from './extract-text.ts';
import { mapSource, type MappedRecord } from './map-records.ts';
import { cacheKey } from './prep-cache.ts';
import type { Recipe } from './recipe.ts';
import type { AnyStepInstance } from './record.ts';

/** The data a run reads: a dataset version (a prefix at a commit) or one object at a commit. */
export interface SourceSet {
  repository: string;
  commit: string;
  /** The prefix, or the object's path when `single`. */
  prefix: string;
  single: boolean;
}

/** One object a recipe reads, with its lineage key and its cache key under the recipe. */
export interface Source {
  object: ObjectInfo;
  /** Lineage key of the object version. */
  key: string;
  cacheKey: string;
}

const LIST_PAGE = 1000;

/**
 * The sources of a run in path order, a listing page at a time; objects of types the recipe does
 * not read are counted in `skipped` by content type instead.
 */
export async function* sourcePages(
  scope: { objects: ObjectService; ctx: CallContext },
  input: { recipe: Pick<Recipe, 'extract' | 'mapHash'>; set: SourceSet; skipped: Record<string, number> },
): AsyncGenerator<Source[]> {
  const { objects, ctx } = scope;
  const { set } = input;
  for (let after: string | undefined; ; ) {
    const page = set.single
      ? { objects: [await objects.stat(ctx, { repository: set.repository, ref: set.commit, path: set.prefix })], truncated: false, nextAfter: undefined }
      : await objects.list(ctx, { repository: set.repository, ref: set.commit, prefix: set.prefix, after, limit: LIST_PAGE, hidden: 'refuse' });
    const sources: Source[] = [];
    for (const object of page.objects) {
      // An erased entry of an old commit: its bytes are gone; a run over that commit goes without it.
      if (object.erased !== undefined) {
        input.skipped.erased = (input.skipped.erased ?? 0) + 1;
        continue;
      }
      if (!accepts(input.recipe, object.contentType)) {
        input.skipped[object.contentType] = (input.skipped[object.contentType] ?? 0) + 1;
        continue;
      }
      const key = objectVersion({ repository: set.repository, path: object.path, entry: object }).key;
      sources.push({ object, key, cacheKey: cacheKey(input.recipe.mapHash, { key, contentType: object.contentType }) });
    }
    yield sources;
    if (!page.truncated) break;
    after = page.nextAfter;
  }
}

/** Reads one source's text, with what its records need to name it. */
export async function readSource(scope: { objects: ObjectService; ctx: CallContext }, input: { repository: string; source: Source }): Promise<SourceText> {
  const { object } = input.source;
  // The listing's entry is the object: read it without resolving the ref again.
  const body = await scope.objects.read(scope.ctx, object);
  const chunks: Uint8Array[] = [];
  for await (const chunk of body) chunks.push(chunk);
  const title = object.extracted?.title;
  return {
    key: input.source.key,
    repository: input.repository,
    path: object.path,
    sha256: object.sha256,
    contentType: object.contentType,
    bytes: Buffer.concat(chunks),
    ...(typeof title === 'string' ? { title } : {}),
  };
}

/** Reads one source, extracts its records and runs them through the steps' per-record half. */
export async function readAndMap(scope: { objects: ObjectService; ctx: CallContext }, input: { repository: string; source: Source; steps: AnyStepInstance[]; documents?: DocumentTextExtractor }): Promise<MappedRecord[]> {
  return mapSource(await readSource(scope, input), input.steps, input.documents);
}
