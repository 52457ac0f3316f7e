import type { ApplyResult, PrepSummary } from '../core/prep/prep-service.ts';
import { parseRecipe, type Recipe } from '../core/prep/recipe.ts';
import type { StrataCore } from '../core/strata.ts';
import type { CallContext } from '../core/versioning/types.ts';

export type { ApplyResult, PrepSummary, Recipe };

/** A recipe given as its YAML, or by where it is kept (`<name>@<version>`, `repo@ref:path.yaml`). */
export type RecipeSource = { recipe: string; address?: undefined } | { address: string; recipe?: undefined };

/** Data preparation: `api.recipes.run({ recipe, input, output })`. */
export interface RecipesApi {
  validate(source: RecipeSource): Promise<Recipe>;
  /** Progress is reported by the embedded API only (a remote run reports when it ends). */
  run(input: RecipeSource & { input: string; output: string; workers?: boolean; reuse?: boolean }, progress?: RunProgress): Promise<PrepSummary>;
  /** A kept recipe's text-level steps on one inference input. */
  apply(input: { recipe: string; text: string }): Promise<ApplyResult>;
}

export interface RunProgress {
  onProgress?: (progress: { sources: number; records: number }) => void;
  onTaskProgress?: (progress: { tasks: number; done: number }) => void;
}

export function localRecipesApi(core: StrataCore, ctx: CallContext): RecipesApi {
  const load = (source: RecipeSource): Promise<Recipe> => (source.recipe === undefined ? core.prep.loadRecipe(ctx, source.address) : core.prep.resolve(ctx, parseRecipe(source.recipe)));
  return {
    validate: load,
    run: async (input, progress = {}) => core.prep.run(ctx, { recipe: await load(input), input: input.input, output: input.output, workers: input.workers === true, reuse: input.reuse !== false, ...progress }),
    apply: async (input) => core.prep.apply(ctx, { recipe: await core.prep.loadRecipe(ctx, input.recipe), text: input.text }),
  };
}

type Json = <T>(method: string, path: string, options?: { body?: unknown }) => Promise<T>;

export function httpRecipesApi(json: Json): RecipesApi {
  return {
    validate: (source) => json('POST', '/recipes/validate', { body: source }),
    run: (input) => json('POST', '/recipes/run', { body: input }),
    apply: (input) => json('POST', `/recipes/${encodeURIComponent(input.recipe)}/apply`, { body: { text: input.text } }),
  };
}
