import { invalidArgument } from '../errors.ts';
import { resolveDataAddress } from '../lineage/data-address.ts';
import type { DocumentTextExtractor } from '../ports/document-text.ts';
import type { VersioningDeps } from '../versioning/deps.ts';
import type { ObjectService } from '../versioning/object-service.ts';
import type { CallContext } from '../versioning/types.ts';
import { readAndMap, sourcePages, type SourceSet } from './prep-sources.ts';
import type { Recipe } from './recipe.ts';
import type { DatasetStepInstance } from './record.ts';

/** Content types `dedup-exact`'s `against` datasets are read as. */
const ALL_TEXT = ['text/plain', 'text/markdown', 'text/html', 'application/json', 'application/x-ndjson'];

/**
 * `dedup-exact` with `against`: the other datasets' records, extracted and hashed the way the
 * step hashes this run's, count as seen before the run's first record.
 */
export async function seedAgainst(
  scope: { deps: VersioningDeps; objects: ObjectService; ctx: CallContext; documents?: DocumentTextExtractor },
  input: { recipe: Recipe; steps: Array<DatasetStepInstance | undefined> },
): Promise<void> {
  const { deps, objects, ctx } = scope;
  const { recipe, steps } = input;
  const documents = scope.documents ? { documents: scope.documents } : {};
  for (const [i, step] of recipe.steps.entries()) {
    const instance = steps[i];
    const against = (step.params.against as string[] | undefined) ?? [];
    if (!instance || !('seed' in instance) || typeof instance.seed !== 'function' || against.length === 0) continue;
    const seed = instance.seed as (feature: string) => void;
    for (const address of against) {
      const other = await resolveDataAddress({ deps, objects, ctx }, address);
      if (other.type !== 'dataset' && other.type !== 'object') throw invalidArgument(`dedup-exact: '${address}' is not Strata data (repo@ref:prefix)`);
      const { repository, commit } = other.data as { repository: string; commit: string };
      const set: SourceSet = { repository, commit, prefix: other.type === 'dataset' ? String(other.data.prefix) : String(other.data.path), single: other.type === 'object' };
      for await (const page of sourcePages({ objects, ctx }, { recipe: { ...recipe, extract: { types: ALL_TEXT } }, set, skipped: {} })) {
        for (const source of page) {
          for (const mapped of await readAndMap({ objects, ctx }, { repository, source, steps: [instance], ...documents })) {
            const feature = mapped.features[0];
            if (feature !== undefined) seed(feature);
          }
        }
      }
    }
  }
}
