import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { invalidArgument } from '../../core/errors.ts';
import { parseRecipe, type Recipe } from '../../core/prep/recipe.ts';
import type { CallContext } from '../../core/versioning/types.ts';
import type { RouteDeps } from '../build-server.ts';
import { ERROR_RESPONSES } from '../schemas.ts';

const RecipeSchema = z.object({
  name: z.string(),
  description: z.string(),
  extract: z.object({ types: z.array(z.string()) }),
  steps: z.array(z.object({ name: z.string(), version: z.string(), params: z.record(z.string(), z.unknown()) })),
  shard: z.object({ format: z.string(), target_bytes: z.number() }),
  hash: z.string(),
}).meta({ id: 'Recipe' });
const ShardSchema = z.object({ path: z.string(), records: z.number(), size: z.number(), sha256: z.string(), tokens: z.object({ path: z.string(), count: z.number(), size: z.number(), sha256: z.string() }).optional() });
const StepCountSchema = z.object({ name: z.string(), in: z.number(), out: z.number(), dropped: z.record(z.string(), z.number()), counters: z.record(z.string(), z.number()) });
const SummarySchema = z.object({
  runId: z.string(),
  recipeHash: z.string(),
  inputKey: z.string(),
  outputCommit: z.string(),
  sources: z.number(),
  reused: z.number().describe('sources unchanged since an earlier run under the same preparation, whose records were reused'),
  tasks: z.number().describe('tasks queued for `strata worker` processes'),
  dataset: z.object({ name: z.string(), created: z.boolean(), labels: z.array(z.string()), tags: z.array(z.string()) }).describe('the dataset the output is: classification inherited from the input (pii removed when redaction ran) and the labels label steps gave'),
  skipped: z.record(z.string(), z.number()),
  unreadable: z.array(z.object({ path: z.string(), reason: z.string() })).describe('sources that could not be read as their type, with the reason'),
  extracted: z.number(),
  written: z.number(),
  steps: z.array(StepCountSchema),
  shards: z.array(ShardSchema),
  quarantined: z.number(),
  quarantine: z.array(ShardSchema).describe('records a validate step rejected, with their reason'),
}).meta({ id: 'PrepSummary' });
const Which = z.strictObject({
  recipe: z.string().optional().describe('the recipe YAML itself'),
  address: z.string().optional().describe('a recipe kept in Strata: <name>@<version> (recipes@<version>:<name>.yaml) or repo@ref:path.yaml'),
});

/** The recipe given inline or by address; exactly one. */
async function recipeOf(deps: RouteDeps, ctx: CallContext, body: { recipe?: string; address?: string }): Promise<Recipe> {
  if ((body.recipe === undefined) === (body.address === undefined)) throw invalidArgument('give the recipe YAML (recipe) or where it is kept (address), not both');
  return body.recipe === undefined ? deps.core.prep.loadRecipe(ctx, body.address as string) : deps.core.prep.resolve(ctx, parseRecipe(body.recipe));
}

/** Data preparation recipes: validate, run over a dataset version, apply to one inference input. */
export function registerRecipeRoutes(app: FastifyInstance, deps: RouteDeps): void {
  const api = app.withTypeProvider<ZodTypeProvider>();
  const tags = ['recipes'];
  api.post('/recipes/validate', {
    schema: { tags, summary: 'Validate a recipe: every step known, every parameter checked; returns it with defaults filled in and its hash', body: Which, response: { 200: RecipeSchema, ...ERROR_RESPONSES } },
  }, async (request) => recipeOf(deps, deps.context(request), request.body));

  api.post('/recipes/run', {
    schema: {
      tags,
      summary: 'Run a recipe over repo@ref:prefix into repo@branch[:prefix], commit the shards and record the run with per-step counts and record-level lineage',
      body: Which.extend({ input: z.string(), output: z.string(), workers: z.boolean().optional().describe('map the sources on `strata worker` processes through the task queue (PostgreSQL only)'), reuse: z.boolean().optional().describe('reuse what earlier runs prepared from unchanged sources (default true)') }),
      response: { 201: SummarySchema, ...ERROR_RESPONSES },
    },
  }, async (request, reply) => {
    const ctx = deps.context(request);
    const recipe = await recipeOf(deps, ctx, request.body);
    return reply.status(201).send(await deps.core.prep.run(ctx, { recipe, input: request.body.input, output: request.body.output, workers: request.body.workers === true, reuse: request.body.reuse !== false }));
  });

  api.post('/recipes/:recipe/apply', {
    schema: {
      tags,
      summary: "Apply a kept recipe's text-level steps to one inference input (`:recipe` is <name>@<version>, read from recipes@<version>:<name>.yaml)",
      params: z.object({ recipe: z.string() }),
      body: z.strictObject({ text: z.string() }),
      response: {
        200: z.object({
          text: z.string().optional(),
          dropped: z.object({ step: z.string(), reason: z.string() }).optional(),
          counters: z.record(z.string(), z.number()),
          skipped: z.array(z.string()).describe('steps that need the whole dataset'),
          recipe: z.object({ name: z.string(), hash: z.string(), commit: z.string().optional() }),
        }),
        ...ERROR_RESPONSES,
      },
    },
  }, async (request) => {
    const ctx = deps.context(request);
    const recipe = await deps.core.prep.loadRecipe(ctx, request.params.recipe);
    return deps.core.prep.apply(ctx, { recipe, text: request.body.text });
  });
}
