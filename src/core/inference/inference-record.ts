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

/** A stored record: the input, with what Strata derived (ids, token counts, cost). Column names as in SQL. */
export interface InferenceRecord {
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
export const RECORD_COLUMNS: Array<[keyof InferenceRecord, 'VARCHAR' | 'BIGINT' | 'DOUBLE']> = [
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
