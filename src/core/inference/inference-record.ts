import { z } from 'zod';

const Count = z.number().int().min(0);
/** Text, or chat messages (kept as their JSON). */
const Content = z.union([z.string(), z.array(z.unknown()), z.record(z.string(), z.unknown())]);

/** One model call as an application reports it (`POST /api/v1/inference`, `strata inference log`, or mapped from an OTLP span). */
export const InferenceInputSchema = z.strictObject({
  /** The application that made the call (OTLP: the resource's `service.name`). */
  application: z.string().min(1).max(200),
  /** The model as called; `model:<name>/<version>` or `model:<name>@<alias>` also links the registry's version. */
  model: z.string().min(1).max(200),
  /** The model that answered, when it differs (`gen_ai.response.model`). */
  responseModel: z.string().max(200).optional(),
  provider: z.string().max(100).optional(),
  /** `chat`, `text_completion`, `embeddings`, … (`gen_ai.operation.name`). */
  operation: z.string().max(100).optional(),
  /** When the call started (ISO 8601); default: when Strata received it. */
  time: z.iso.datetime({ offset: true }).optional(),
  input: Content.optional(),
  output: Content.optional(),
  /** Request parameters: temperature, max_tokens, top_p, … */
  params: z.record(z.string(), z.unknown()).optional(),
  usage: z
    .strictObject({ inputTokens: Count.optional(), outputTokens: Count.optional(), cachedTokens: Count.optional(), reasoningTokens: Count.optional() })
    .optional(),
  /** What the client was billed, when it knows; it wins over the computed cost (both are kept). */
  cost: z.strictObject({ amount: z.number().min(0), currency: z.string().regex(/^[A-Z]{3}$/).default('USD') }).optional(),
  latencyMs: z.number().min(0).optional(),
  ttftMs: z.number().min(0).optional(),
  /** The prep recipe applied to the input, `<name>@<version>`. */
  recipe: z.string().max(300).optional(),
  /** End user and session (conversation) ids; stored pseudonymized unless configured otherwise. */
  user: z.string().max(500).optional(),
  session: z.string().max(500).optional(),
  responseId: z.string().max(300).optional(),
  finishReasons: z.array(z.string()).optional(),
  attributes: z.record(z.string(), z.unknown()).optional(),
  /** Decision and explanation notes. */
  notes: z.string().max(100_000).optional(),
  traceId: z.string().max(64).optional(),
  spanId: z.string().max(32).optional(),
});

export type InferenceInput = z.input<typeof InferenceInputSchema>;
export type ParsedInferenceInput = z.output<typeof InferenceInputSchema>;

/** A stored row: the input, with what Strata derived (ids, token counts, cost). Column names as in SQL and Parquet; the API answers with `InferenceRecord`. */
export interface InferenceRow {
  id: string;
  time: string;
  application: string;
  model: string;
  response_model: string | null;
  /** The registry's model version the call used (`name/3`), when `model` named one. */
  model_version: string | null;
  provider: string | null;
  operation: string | null;
  input_text: string | null;
  /** Where the input is kept when too large to inline: `repo@branch:path`. */
  input_ref: string | null;
  output_text: string | null;
  output_ref: string | null;
  /** JSON object. */
  params: string;
  input_tokens: number | null;
  output_tokens: number | null;
  cached_tokens: number | null;
  reasoning_tokens: number | null;
  /** Counted by Strata's tokenizer when the client gave no usage. */
  counted_input_tokens: number | null;
  counted_output_tokens: number | null;
  cost_provided: number | null;
  cost_computed: number | null;
  currency: string | null;
  /** The price entry the computed cost used. */
  price_entry: string | null;
  /** Why there is no computed cost, when there is none. */
  cost_note: string | null;
  latency_ms: number | null;
  ttft_ms: number | null;
  recipe: string | null;
  user_id: string | null;
  session_id: string | null;
  response_id: string | null;
  /** JSON array. */
  finish_reasons: string | null;
  /** JSON object. */
  attributes: string;
  notes: string | null;
  trace_id: string | null;
  span_id: string | null;
  /** `api` or `otlp`. */
  ingested_via: string;
}

/** The columns, in order, for SQL and Parquet. */
export const RECORD_COLUMNS: Array<[keyof InferenceRow, 'VARCHAR' | 'BIGINT' | 'DOUBLE']> = [
  ['id', 'VARCHAR'],
  ['time', 'VARCHAR'],
  ['application', 'VARCHAR'],
  ['model', 'VARCHAR'],
  ['response_model', 'VARCHAR'],
  ['model_version', 'VARCHAR'],
  ['provider', 'VARCHAR'],
  ['operation', 'VARCHAR'],
  ['input_text', 'VARCHAR'],
  ['input_ref', 'VARCHAR'],
  ['output_text', 'VARCHAR'],
  ['output_ref', 'VARCHAR'],
  ['params', 'VARCHAR'],
  ['input_tokens', 'BIGINT'],
  ['output_tokens', 'BIGINT'],
  ['cached_tokens', 'BIGINT'],
  ['reasoning_tokens', 'BIGINT'],
  ['counted_input_tokens', 'BIGINT'],
  ['counted_output_tokens', 'BIGINT'],
  ['cost_provided', 'DOUBLE'],
  ['cost_computed', 'DOUBLE'],
  ['currency', 'VARCHAR'],
  ['price_entry', 'VARCHAR'],
  ['cost_note', 'VARCHAR'],
  ['latency_ms', 'DOUBLE'],
  ['ttft_ms', 'DOUBLE'],
  ['recipe', 'VARCHAR'],
  ['user_id', 'VARCHAR'],
  ['session_id', 'VARCHAR'],
  ['response_id', 'VARCHAR'],
  ['finish_reasons', 'VARCHAR'],
  ['attributes', 'VARCHAR'],
  ['notes', 'VARCHAR'],
  ['trace_id', 'VARCHAR'],
  ['span_id', 'VARCHAR'],
  ['ingested_via', 'VARCHAR'],
];

/**
 * A record as the API, SDK and CLI show it: camelCase like the input, JSON values as values.
 * `inputText`/`outputText` are the text as stored (chat messages as their JSON text), or null
 * when the payload is kept in the archive repository at `inputRef`/`outputRef`.
 */
export interface InferenceRecord {
  id: string;
  time: string;
  application: string;
  model: string;
  responseModel: string | null;
  modelVersion: string | null;
  provider: string | null;
  operation: string | null;
  inputText: string | null;
  inputRef: string | null;
  outputText: string | null;
  outputRef: string | null;
  params: Record<string, unknown>;
  usage: { inputTokens: number | null; outputTokens: number | null; cachedTokens: number | null; reasoningTokens: number | null; countedInputTokens: number | null; countedOutputTokens: number | null };
  /** `amount` is what the call cost: the client's figure when it gave one, else the computed one. */
  cost: { amount: number | null; provided: number | null; computed: number | null; currency: string | null; priceEntry: string | null; note: string | null };
  latencyMs: number | null;
  ttftMs: number | null;
  recipe: string | null;
  /** Pseudonymized (`p:…`) unless the server keeps ids as given. */
  user: string | null;
  session: string | null;
  responseId: string | null;
  finishReasons: string[] | null;
  attributes: Record<string, unknown>;
  notes: string | null;
  traceId: string | null;
  spanId: string | null;
  ingestedVia: string;
}

export function toInferenceRecord(row: InferenceRow): InferenceRecord {
  return {
    id: row.id,
    time: row.time,
    application: row.application,
    model: row.model,
    responseModel: row.response_model,
    modelVersion: row.model_version,
    provider: row.provider,
    operation: row.operation,
    inputText: row.input_text,
    inputRef: row.input_ref,
    outputText: row.output_text,
    outputRef: row.output_ref,
    params: jsonValue(row.params, {}) as Record<string, unknown>,
    usage: {
      inputTokens: row.input_tokens,
      outputTokens: row.output_tokens,
      cachedTokens: row.cached_tokens,
      reasoningTokens: row.reasoning_tokens,
      countedInputTokens: row.counted_input_tokens,
      countedOutputTokens: row.counted_output_tokens,
    },
    cost: { amount: row.cost_provided ?? row.cost_computed, provided: row.cost_provided, computed: row.cost_computed, currency: row.currency, priceEntry: row.price_entry, note: row.cost_note },
    latencyMs: row.latency_ms,
    ttftMs: row.ttft_ms,
    recipe: row.recipe,
    user: row.user_id,
    session: row.session_id,
    responseId: row.response_id,
    finishReasons: row.finish_reasons === null ? null : (jsonValue(row.finish_reasons, []) as string[]),
    attributes: jsonValue(row.attributes, {}) as Record<string, unknown>,
    notes: row.notes,
    traceId: row.trace_id,
    spanId: row.span_id,
    ingestedVia: row.ingested_via,
  };
}

/** Strata wrote these columns with JSON.stringify; a value that does not parse comes back as given. */
function jsonValue(text: string | null, empty: unknown): unknown {
  if (text === null || text === '') return empty;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}
