import { z } from 'zod';
import { invalidArgument } from '../errors.ts';

/**
 * The price table: model pattern → price per million tokens, with tiers by context length and
 * effective dates. Kept as `prices.json` in the inference archive repository (so it is versioned
 * like any object and edited with `strata inference prices set`); the table below is used until
 * one is committed there.
 */
const Tier = z.strictObject({
  /** Applies when the request's input (context) exceeds this many tokens. */
  above: z.number().int().min(0),
  input: z.number().min(0),
  output: z.number().min(0),
  cachedInput: z.number().min(0).optional(),
  reasoning: z.number().min(0).optional(),
});

const PriceEntry = z.strictObject({
  /** Glob over the model name (`*` any run of characters), matched case-insensitively. */
  model: z.string().min(1),
  /** When given, the entry applies only to this provider (`gen_ai.provider.name`). */
  provider: z.string().min(1).optional(),
  /** First day (UTC, YYYY-MM-DD) the prices apply. */
  effective: z.iso.date(),
  currency: z.string().regex(/^[A-Z]{3}$/).default('USD'),
  /** Per million input tokens not read from a cache. */
  input: z.number().min(0),
  /** Per million output tokens (reasoning included unless `reasoning` is given). */
  output: z.number().min(0),
  /** Per million input tokens read from a prompt cache; default: the input price. */
  cachedInput: z.number().min(0).optional(),
  /** Per million reasoning tokens when billed apart from output; absent: they are output tokens. */
  reasoning: z.number().min(0).optional(),
  tiers: z.array(Tier).optional(),
});

export const PriceTableSchema = z.strictObject({
  /** Free text naming the table's source and date. */
  description: z.string().optional(),
  prices: z.array(PriceEntry),
});

export type PriceEntry = z.infer<typeof PriceEntry>;
export type PriceTable = z.infer<typeof PriceTableSchema>;

export function parsePriceTable(json: unknown): PriceTable {
  const parsed = PriceTableSchema.safeParse(json);
  if (!parsed.success) throw invalidArgument(`invalid price table: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return parsed.data;
}

export interface TokenUsage {
  input: number;
  output: number;
  cached: number;
  reasoning: number;
}

export interface PricedCost {
  amount: number;
  currency: string;
  /** Which entry priced it: `<table version>:<model pattern>@<effective>[>tier]`. */
  entry: string;
}

/** The entry for a model on a day: the most specific matching pattern, then the latest effective date not after the day. */
export function findPrice(table: PriceTable, call: { model: string; provider: string | undefined; day: string }): PriceEntry | undefined {
  const { model, provider, day } = call;
  let best: { entry: PriceEntry; specificity: number } | undefined;
  for (const entry of table.prices) {
    if (entry.effective > day) continue;
    if (entry.provider !== undefined && entry.provider !== provider) continue;
    if (!globMatches(entry.model, model)) continue;
    const specificity = entry.model.replaceAll('*', '').length * 2 + (entry.provider === undefined ? 0 : 1);
    if (best === undefined || specificity > best.specificity || (specificity === best.specificity && entry.effective > best.entry.effective)) best = { entry, specificity };
  }
  return best?.entry;
}

/**
 * Cost of one call: uncached input, cached input, output, and reasoning when billed apart (then
 * subtracted from output, which providers report reasoning inside). The tier is the one with the
 * largest `above` the input tokens exceed.
 */
export function priceCall(entry: PriceEntry, usage: TokenUsage, tableVersion: string): PricedCost {
  const tier = (entry.tiers ?? []).filter((t) => usage.input > t.above).sort((a, b) => b.above - a.above)[0];
  const rates = tier ?? entry;
  const cachedRate = rates.cachedInput ?? entry.cachedInput ?? rates.input;
  const reasoningRate = rates.reasoning ?? entry.reasoning;
  const cached = Math.min(usage.cached, usage.input);
  const separateReasoning = reasoningRate === undefined ? 0 : Math.min(usage.reasoning, usage.output);
  const micro = (usage.input - cached) * rates.input + cached * cachedRate + (usage.output - separateReasoning) * rates.output + separateReasoning * (reasoningRate ?? 0);
  // Rounded to 1e-9 of the currency: sums of float products otherwise differ in the last digits.
  const amount = Math.round((micro / 1_000_000) * 1e9) / 1e9;
  return { amount, currency: entry.currency, entry: `${tableVersion}:${entry.model}@${entry.effective}${tier === undefined ? '' : `>${tier.above}`}` };
}

const globs = new Map<string, RegExp>();

function globMatches(pattern: string, name: string): boolean {
  let regex = globs.get(pattern);
  if (regex === undefined) {
    regex = new RegExp(`^${pattern.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`, 'i');
    globs.set(pattern, regex);
  }
  return regex.test(name);
}

/**
 * List prices in USD per million tokens as the providers published them (OpenAI, Anthropic,
 * Google, Mistral pricing pages, 2025). Prices change: commit your own table.
 */
export const BUILTIN_PRICES: PriceTable = {
  description: 'Strata built-in list prices, USD per million tokens, as published by the providers in 2025',
  prices: [
    { model: 'gpt-5', effective: '2025-08-07', currency: 'USD', input: 1.25, cachedInput: 0.125, output: 10 },
    { model: 'gpt-5-mini*', effective: '2025-08-07', currency: 'USD', input: 0.25, cachedInput: 0.025, output: 2 },
    { model: 'gpt-5-nano*', effective: '2025-08-07', currency: 'USD', input: 0.05, cachedInput: 0.005, output: 0.4 },
    { model: 'gpt-5-20*', effective: '2025-08-07', currency: 'USD', input: 1.25, cachedInput: 0.125, output: 10 },
    { model: 'gpt-4.1', effective: '2025-04-14', currency: 'USD', input: 2, cachedInput: 0.5, output: 8 },
    { model: 'gpt-4.1-20*', effective: '2025-04-14', currency: 'USD', input: 2, cachedInput: 0.5, output: 8 },
    { model: 'gpt-4.1-mini*', effective: '2025-04-14', currency: 'USD', input: 0.4, cachedInput: 0.1, output: 1.6 },
    { model: 'gpt-4.1-nano*', effective: '2025-04-14', currency: 'USD', input: 0.1, cachedInput: 0.025, output: 0.4 },
    { model: 'gpt-4o', effective: '2024-10-01', currency: 'USD', input: 2.5, cachedInput: 1.25, output: 10 },
    { model: 'gpt-4o-20*', effective: '2024-10-01', currency: 'USD', input: 2.5, cachedInput: 1.25, output: 10 },
    { model: 'gpt-4o-mini*', effective: '2024-07-18', currency: 'USD', input: 0.15, cachedInput: 0.075, output: 0.6 },
    { model: 'o3', effective: '2025-06-10', currency: 'USD', input: 2, cachedInput: 0.5, output: 8 },
    { model: 'o3-20*', effective: '2025-06-10', currency: 'USD', input: 2, cachedInput: 0.5, output: 8 },
    { model: 'o4-mini*', effective: '2025-04-16', currency: 'USD', input: 1.1, cachedInput: 0.275, output: 4.4 },
    { model: 'text-embedding-3-small', effective: '2024-01-25', currency: 'USD', input: 0.02, output: 0 },
    { model: 'text-embedding-3-large', effective: '2024-01-25', currency: 'USD', input: 0.13, output: 0 },
    { model: 'claude-opus-4*', effective: '2025-05-22', currency: 'USD', input: 15, cachedInput: 1.5, output: 75 },
    { model: 'claude-opus-4-5*', effective: '2025-11-24', currency: 'USD', input: 5, cachedInput: 0.5, output: 25 },
    { model: 'claude-sonnet-4*', effective: '2025-05-22', currency: 'USD', input: 3, cachedInput: 0.3, output: 15, tiers: [{ above: 200_000, input: 6, cachedInput: 0.6, output: 22.5 }] },
    { model: 'claude-haiku-4-5*', effective: '2025-10-15', currency: 'USD', input: 1, cachedInput: 0.1, output: 5 },
    { model: 'claude-3-5-haiku*', effective: '2024-11-04', currency: 'USD', input: 0.8, cachedInput: 0.08, output: 4 },
    { model: 'gemini-2.5-pro*', effective: '2025-06-17', currency: 'USD', input: 1.25, cachedInput: 0.31, output: 10, tiers: [{ above: 200_000, input: 2.5, cachedInput: 0.625, output: 15 }] },
    { model: 'gemini-2.5-flash', effective: '2025-06-17', currency: 'USD', input: 0.3, cachedInput: 0.075, output: 2.5 },
    { model: 'gemini-2.5-flash-lite*', effective: '2025-07-22', currency: 'USD', input: 0.1, cachedInput: 0.025, output: 0.4 },
    { model: 'mistral-large*', effective: '2024-11-18', currency: 'USD', input: 2, output: 6 },
    { model: 'mistral-small*', effective: '2025-03-17', currency: 'USD', input: 0.1, output: 0.3 },
  ],
};
