import type { SourceText } from '../../core/prep/extract-text.ts';
import { mapSources } from '../../core/prep/map-records.ts';
import { instantiate, type Recipe } from '../../core/prep/recipe.ts';
import type { AnyStepInstance } from '../../core/prep/record.ts';
import { LibraryDocumentText } from '../extract/document-text.ts';
import { EldLanguageDetector } from '../extract/eld-language-detector.ts';
import { QuickJsSandbox } from './quickjs-sandbox.ts';

export interface MapRequest {
  recipe: Pick<Recipe, 'extract' | 'steps' | 'mapHash'>;
  sources: SourceText[];
}

/** Steps per recipe, kept for the thread's life: the tokenizer and language model load once. */
const instances = new Map<string, Promise<AnyStepInstance[]>>();
const detector = new EldLanguageDetector();
const documents = new LibraryDocumentText();
const sandbox = new QuickJsSandbox();

/** One batch of sources in a pool thread. The entries come back by structured clone: a memcpy, small beside the mapping. */
export default async function mapInThread(request: MapRequest): Promise<Uint8Array[]> {
  let steps = instances.get(request.recipe.mapHash);
  if (!steps) {
    steps = instantiate(request.recipe, { language: detector, documents, sandbox });
    instances.set(request.recipe.mapHash, steps);
  }
  return mapSources(request.sources, await steps, documents);
}
