import { createHash } from 'node:crypto';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { invalidArgument } from '../errors.ts';
import type { AnyStepInstance, DatasetStepInstance } from './record.ts';
import { DedupExactParams, dedupExactStep } from './steps/dedup-exact.ts';
import { DedupNearParams, dedupNearStep } from './steps/dedup-near.ts';
import { NormalizeParams, normalizeStep } from './steps/normalize.ts';
import { PiiParams, piiStep } from './steps/pii.ts';
import { QualityParams, qualityStep } from './steps/quality.ts';
import { TokenizeParams, tokenizeStep } from './steps/tokenize.ts';
import { LabelParams, labelStep } from './steps/label.ts';
import { LanguageParams, languageStep } from './steps/language.ts';
import type { DocumentTextExtractor } from '../ports/document-text.ts';
import type { ModuleCompiler } from '../ports/module-compiler.ts';
import type { LanguageDetector } from '../ports/language-detector.ts';
import { SHARD_FORMATS, type ShardEncoder } from '../ports/shard-encoder.ts';
import { ValidateParams, validateStep } from './steps/validate.ts';
import { CustomParams, customStep } from './steps/custom.ts';
import type { StepSandbox } from '../ports/step-sandbox.ts';

/** What steps may need from the process they run in. */
export interface StepEnvironment {
  language?: LanguageDetector;
  /** Shard formats other than JSON Lines. */
  shards?: ShardEncoder;
  /** PDF, DOCX and HTML main-content text for the extract step. */
  documents?: DocumentTextExtractor;
  /** TypeScript custom steps. */
  compiler?: ModuleCompiler;
  /** Where custom steps run (none: they are refused). */
  sandbox?: StepSandbox;
}

/** A built-in step: its version (part of every run's record), parameters and constructor. */
interface StepDefinition {
  version: string;
  params: z.ZodType;
  create(params: unknown, env: StepEnvironment): AnyStepInstance | Promise<AnyStepInstance>;
  /** Works on one text at a time with no state across records: usable on live inference inputs. */
  textLevel: boolean;
}

const define = <S extends z.ZodType>(step: { version: string; params: S; create: (p: z.infer<S>, env: StepEnvironment) => AnyStepInstance | Promise<AnyStepInstance>; textLevel: boolean }): StepDefinition => ({
  ...step,
  create: (p, env) => step.create(p as z.infer<S>, env),
});

/** Record steps; `extract-text` (the source) and `shard` (the sink) are configured on the recipe itself. */
export const STEPS: Record<string, StepDefinition> = {
  normalize: define({ version: '1', params: NormalizeParams, create: normalizeStep, textLevel: true }),
  language: define({ version: '1', params: LanguageParams, create: (p, env) => languageStep(p, env.language), textLevel: true }),
  quality: define({ version: '1', params: QualityParams, create: qualityStep, textLevel: true }),
  'dedup-exact': define({ version: '1', params: DedupExactParams, create: dedupExactStep, textLevel: false }),
  'dedup-near': define({ version: '1', params: DedupNearParams, create: dedupNearStep, textLevel: false }),
  pii: define({ version: '1', params: PiiParams, create: piiStep, textLevel: true }),
  label: define({ version: '1', params: LabelParams, create: labelStep, textLevel: true }),
  validate: define({ version: '1', params: ValidateParams, create: validateStep, textLevel: true }),
  tokenize: define({ version: '1', params: TokenizeParams, create: tokenizeStep, textLevel: true }),
  /** A user's module kept in Strata; its version is its code's digest once loaded. */
  custom: define({ version: 'unloaded', params: CustomParams, create: (p, env) => customStep(p, env), textLevel: true }),
};

const ShardParams = z.strictObject({
  /** jsonl, jsonl.zst (zstd), parquet (zstd pages) or webdataset (tar: `<key>.txt` + `<key>.json`). */
  format: z.enum(SHARD_FORMATS).default('jsonl'),
  /** Bytes of JSONL per shard before a new one starts. */
  target_bytes: z.number().int().min(1024).default(64 * 1024 * 1024),
});

/** What a recipe reads unless it says otherwise: text formats and documents (PDF, DOCX). */
const DEFAULT_TYPES = ['text/plain', 'text/markdown', 'text/html', 'application/json', 'application/x-ndjson', 'application/pdf', 'application/vnd.openxmlformats-officedocument.wordprocessingml.document'] as const;

const ExtractParams = z.strictObject({
  /** Content types (or top-level types) read as text; others are skipped and counted. */
  types: z.array(z.string()).default([...DEFAULT_TYPES]),
});

const StepEntry = z.union([z.string(), z.record(z.string(), z.unknown())]);
const RecipeSchema = z.strictObject({
  name: z.string().regex(/^[a-z0-9][a-z0-9._-]{0,63}$/, 'lowercase letters, digits, ., _ and -'),
  description: z.string().default(''),
  extract: ExtractParams.default({ types: [...DEFAULT_TYPES] }),
  steps: z.array(StepEntry).default([]),
  shard: ShardParams.default({ format: 'jsonl', target_bytes: 64 * 1024 * 1024 }),
});

export interface RecipeStep {
  name: string;
  version: string;
  /** With defaults filled in: what the step actually ran with. */
  params: Record<string, unknown>;
}

/** A validated recipe: every step known, every parameter checked, defaults filled in. */
export interface Recipe {
  name: string;
  description: string;
  extract: z.infer<typeof ExtractParams>;
  steps: RecipeStep[];
  shard: z.infer<typeof ShardParams>;
  /** SHA-256 of the canonical (validated, defaults filled) recipe: equal hashes, equal preparation. */
  hash: string;
  /**
   * SHA-256 of what the per-source work depends on (extraction and steps, not sharding): the key
   * of a run's cache, so a rerun reuses a source's records only under the same preparation.
   */
  mapHash: string;
}

/** Parses and validates recipe YAML; InvalidArgument names the first problem and where it is. */
export function parseRecipe(text: string): Recipe {
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (error) {
    throw invalidArgument(`recipe is not valid YAML: ${(error as Error).message.split('\n')[0] ?? ''}`);
  }
  const parsed = RecipeSchema.safeParse(raw);
  if (!parsed.success) throw invalidArgument(`recipe: ${describeIssue(parsed.error.issues[0])}`);
  const steps = parsed.data.steps.map((entry, i) => checkStep(entry, i));
  return withHashes({ name: parsed.data.name, description: parsed.data.description, extract: parsed.data.extract, steps, shard: parsed.data.shard });
}

/** The recipe with its hashes computed from what it now holds (after custom steps are loaded, say). */
export function withHashes(recipe: Omit<Recipe, 'hash' | 'mapHash'>): Recipe {
  const canonical = { name: recipe.name, description: recipe.description, extract: recipe.extract, steps: recipe.steps, shard: recipe.shard };
  const digest = (value: unknown): string => createHash('sha256').update(JSON.stringify(value)).digest('hex');
  return { ...canonical, hash: digest(canonical), mapHash: digest({ extract: canonical.extract, steps: canonical.steps }) };
}

function checkStep(entry: string | Record<string, unknown>, index: number): RecipeStep {
  const [name, given] = typeof entry === 'string' ? [entry, {}] : (Object.entries(entry)[0] ?? ['', {}]);
  if (typeof entry !== 'string' && Object.keys(entry).length !== 1) throw invalidArgument(`recipe: steps[${index}] must name one step, as '- <step>: {params}'`);
  const definition = STEPS[name];
  if (!definition) throw invalidArgument(`recipe: steps[${index}]: unknown step '${name}' (known: ${Object.keys(STEPS).join(', ')})`);
  const parsed = definition.params.safeParse(given ?? {});
  if (!parsed.success) throw invalidArgument(`recipe: steps[${index}] (${name}): ${describeIssue(parsed.error.issues[0])}`);
  return { name, version: definition.version, params: parsed.data as Record<string, unknown> };
}

function describeIssue(issue: z.core.$ZodIssue | undefined): string {
  if (!issue) return 'invalid';
  const where = issue.path.length === 0 ? '' : `${issue.path.join('.')}: `;
  return `${where}${issue.message}`;
}

/** Fresh step instances for one run (steps like dedup keep state across records). */
export function instantiate(recipe: Pick<Recipe, 'steps'>, env: StepEnvironment = {}): Promise<AnyStepInstance[]> {
  return Promise.all(recipe.steps.map(async (s) => (STEPS[s.name] as StepDefinition).create(s.params, env)));
}

/**
 * Only the dataset steps (by index; record steps are undefined): the in-order half of a run
 * needs nothing else, and record steps can be costly to build (the tokenizer's tables).
 */
export async function instantiateDatasetSteps(recipe: Pick<Recipe, 'steps'>, env: StepEnvironment = {}): Promise<Array<DatasetStepInstance | undefined>> {
  return Promise.all(
    recipe.steps.map(async (s) => {
      if (isTextLevel(s)) return undefined;
      const instance = await (STEPS[s.name] as StepDefinition).create(s.params, env);
      return instance.kind === 'dataset' ? instance : undefined;
    }),
  );
}

/** Whether every step works on single texts (the online path refuses recipes that do not). */
export function isTextLevel(step: RecipeStep): boolean {
  return STEPS[step.name]?.textLevel ?? false;
}
