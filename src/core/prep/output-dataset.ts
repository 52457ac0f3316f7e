import type { DatasetService } from '../catalog/dataset-service.ts';
import { conflict, isStrataError } from '../errors.ts';
import type { DatasetRecord } from '../ports/metadata-store.ts';
import type { CallContext } from '../versioning/types.ts';
import type { Recipe } from './recipe.ts';
import { PII_TYPES } from './steps/pii.ts';

/** What a run did to the catalog: the dataset its output is, with the classification it got. */
export interface OutputDataset {
  name: string;
  created: boolean;
  labels: string[];
  tags: string[];
}

/**
 * Catalogs a run's output prefix as a dataset (the existing one at that prefix, else a new one
 * named after the recipe). Classification labels carry over from the datasets the input lies
 * in, except `pii` when a pii step covering every type removed it (redact, hash or drop-record);
 * the labels `label` steps gave to the records written become the dataset's tags.
 */
/**
 * Classification labels a recipe provably removes from what passes through it: `pii` when a pii
 * step covers every type it knows (lineage applies the same rule to everything downstream).
 */
export function labelsRemovedBy(recipe: Pick<Recipe, 'steps'>): string[] {
  return recipe.steps.some((s) => s.name === 'pii' && PII_TYPES.every((type) => (s.params.types as string[]).includes(type))) ? ['pii'] : [];
}

export async function catalogOutput(
  datasets: DatasetService,
  ctx: CallContext,
  run: { recipe: Recipe; input: { repository: string; prefix: string }; output: { repository: string; prefix: string }; labels: string[] },
): Promise<OutputDataset> {
  const all = await datasets.list(ctx, {});
  // The labels of every dataset the input overlaps: those it lies in, and those that lie in it
  // (a recipe over `docs/` reads the `docs/web/` dataset's objects too).
  const overlaps = (d: { repository: string; prefix: string }): boolean => d.repository === run.input.repository && (run.input.prefix.startsWith(d.prefix) || d.prefix.startsWith(run.input.prefix));
  const inherited = new Set(all.filter(overlaps).flatMap((d) => d.labels));
  const remove = labelsRemovedBy(run.recipe);
  const labels = [...inherited].filter((l) => !remove.includes(l));
  const tags = run.labels;
  const existing = all.find((d) => d.repository === run.output.repository && d.prefix === run.output.prefix);
  if (existing) {
    await datasets.tag(ctx, { name: existing.name, field: 'labels', add: labels, remove });
    const updated = await datasets.tag(ctx, { name: existing.name, field: 'tags', add: tags });
    return summary(updated, false);
  }
  for (const name of [run.recipe.name, `${run.output.repository}-${run.recipe.name}`, `${run.output.repository}-${run.recipe.name}-${run.output.prefix.replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '')}`]) {
    try {
      const created = await datasets.create(ctx, { name, repository: run.output.repository, prefix: run.output.prefix, description: `Prepared by recipe ${run.recipe.name} from ${run.input.repository}:${run.input.prefix}`, labels, tags });
      return summary(created, true);
    } catch (error) {
      if (!isStrataError(error) || error.code !== 'Conflict') throw error;
    }
  }
  throw conflict(`no free dataset name for ${run.output.repository}:${run.output.prefix}`);
}

function summary(dataset: DatasetRecord, created: boolean): OutputDataset {
  return { name: dataset.name, created, labels: dataset.labels, tags: dataset.tags };
}
