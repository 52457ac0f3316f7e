import type { InferenceInput } from '../../core/inference/inference-record.ts';

/** OTLP's AnyValue, as the JSON encoding and protobufjs's `toObject` both give it (camelCase fields). */
export interface AnyValue {
  stringValue?: string;
  boolValue?: boolean;
  intValue?: number | string;
  doubleValue?: number;
  arrayValue?: { values?: AnyValue[] };
  kvlistValue?: { values?: KeyValue[] };
  bytesValue?: string | Uint8Array;
}

export interface KeyValue {
  key: string;
  value?: AnyValue;
}

export interface OtlpSpan {
  traceId?: string | Uint8Array;
  spanId?: string | Uint8Array;
  name?: string;
  startTimeUnixNano?: string | number;
  endTimeUnixNano?: string | number;
  attributes?: KeyValue[];
}

export interface ExportTraceServiceRequest {
  resourceSpans?: Array<{ resource?: { attributes?: KeyValue[] }; scopeSpans?: Array<{ spans?: OtlpSpan[] }> }>;
}

/** A span's GenAI call as an inference record, or why the span is not one. */
export type MappedSpan = { record: InferenceInput } | { skipped: string };

const USAGE = {
  input: ['gen_ai.usage.input_tokens', 'gen_ai.usage.prompt_tokens'],
  output: ['gen_ai.usage.output_tokens', 'gen_ai.usage.completion_tokens'],
  cached: ['gen_ai.usage.cache_read.input_tokens', 'gen_ai.usage.input_tokens.cached', 'gen_ai.usage.cache_read_input_tokens'],
  reasoning: ['gen_ai.usage.reasoning.output_tokens', 'gen_ai.usage.output_tokens.reasoning'],
};

/** Attributes that become fields of the record; the other `gen_ai.*` and all further attributes are kept as attributes. */
const MAPPED = new Set([
  'gen_ai.operation.name',
  'gen_ai.provider.name',
  'gen_ai.system',
  'gen_ai.request.model',
  'gen_ai.response.model',
  'gen_ai.response.id',
  'gen_ai.response.finish_reasons',
  'gen_ai.conversation.id',
  'gen_ai.input.messages',
  'gen_ai.output.messages',
  'gen_ai.system_instructions',
  'user.id',
  'enduser.id',
  ...Object.values(USAGE).flat(),
]);

/**
 * Maps the spans of an export request that follow the OpenTelemetry GenAI semantic conventions
 * (a `gen_ai.operation.name` and a model) to inference records; other spans are skipped with
 * the reason.
 */
export function mapTraces(request: ExportTraceServiceRequest): MappedSpan[] {
  const mapped: MappedSpan[] = [];
  for (const resourceSpans of request.resourceSpans ?? []) {
    const resource = attributesOf(resourceSpans.resource?.attributes);
    const application = typeof resource['service.name'] === 'string' ? resource['service.name'] : 'unknown_service';
    for (const scope of resourceSpans.scopeSpans ?? []) for (const span of scope.spans ?? []) mapped.push(mapSpan(span, application));
  }
  return mapped;
}

function mapSpan(span: OtlpSpan, application: string): MappedSpan {
  const a = attributesOf(span.attributes);
  const operation = a['gen_ai.operation.name'];
  const model = a['gen_ai.request.model'] ?? a['gen_ai.response.model'];
  if (typeof operation !== 'string') return { skipped: `span '${span.name ?? ''}' has no gen_ai.operation.name` };
  if (typeof model !== 'string') return { skipped: `span '${span.name ?? ''}' names no model (gen_ai.request.model)` };
  const start = nanos(span.startTimeUnixNano);
  const end = nanos(span.endTimeUnixNano);
  const record: InferenceInput = { application, model, operation, attributes: {} };
  const provider = a['gen_ai.provider.name'] ?? a['gen_ai.system'];
  if (typeof provider === 'string') record.provider = provider;
  if (typeof a['gen_ai.response.model'] === 'string' && a['gen_ai.response.model'] !== model) record.responseModel = a['gen_ai.response.model'];
  if (typeof a['gen_ai.response.id'] === 'string') record.responseId = a['gen_ai.response.id'];
  const reasons = a['gen_ai.response.finish_reasons'];
  if (Array.isArray(reasons)) record.finishReasons = reasons.map(String);
  if (typeof a['gen_ai.conversation.id'] === 'string') record.session = a['gen_ai.conversation.id'];
  const user = a['user.id'] ?? a['enduser.id'];
  if (typeof user === 'string') record.user = user;
  if (start !== undefined) record.time = new Date(Number(start / 1_000_000n)).toISOString();
  if (start !== undefined && end !== undefined && end >= start) record.latencyMs = Number(end - start) / 1e6;
  const input = messages(a['gen_ai.input.messages'], a['gen_ai.system_instructions']);
  if (input !== undefined) record.input = input;
  const output = messages(a['gen_ai.output.messages'], undefined);
  if (output !== undefined) record.output = output;
  const usage: NonNullable<InferenceInput['usage']> = {};
  for (const [field, keys] of [['inputTokens', USAGE.input], ['outputTokens', USAGE.output], ['cachedTokens', USAGE.cached], ['reasoningTokens', USAGE.reasoning]] as const) {
    const value = keys.map((k) => a[k]).find((v) => typeof v === 'number');
    if (typeof value === 'number') usage[field] = value;
  }
  if (Object.keys(usage).length > 0) record.usage = usage;
  const params: Record<string, unknown> = {};
  const attributes: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(a)) {
    if (key.startsWith('gen_ai.request.') && key !== 'gen_ai.request.model') params[key.slice('gen_ai.request.'.length)] = value;
    else if (!MAPPED.has(key)) attributes[key] = value;
  }
  if (Object.keys(params).length > 0) record.params = params;
  record.attributes = { ...attributes, 'otel.span.name': span.name ?? '' };
  const traceId = hex(span.traceId);
  const spanId = hex(span.spanId);
  if (traceId !== undefined) record.traceId = traceId;
  if (spanId !== undefined) record.spanId = spanId;
  return { record };
}

type Content = NonNullable<InferenceInput['input']>;

/** Messages as the conventions give them (a JSON string, or structured), the system instructions first. */
function messages(value: unknown, system: unknown): Content | undefined {
  const parse = (v: unknown): unknown => {
    if (typeof v !== 'string') return v;
    try {
      return JSON.parse(v) as unknown;
    } catch {
      return v;
    }
  };
  const asContent = (v: unknown): Content | undefined => (v === undefined || v === null ? undefined : typeof v === 'string' || typeof v === 'object' ? (v as Content) : JSON.stringify(v));
  const body = asContent(parse(value));
  const instructions = parse(system);
  if (instructions === undefined) return body;
  return { system_instructions: instructions, messages: body ?? null };
}

function attributesOf(list: KeyValue[] | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const kv of list ?? []) out[kv.key] = valueOf(kv.value);
  return out;
}

function valueOf(value: AnyValue | undefined): unknown {
  if (value === undefined) return undefined;
  if (value.stringValue !== undefined) return value.stringValue;
  if (value.boolValue !== undefined) return value.boolValue;
  if (value.intValue !== undefined) return Number(value.intValue);
  if (value.doubleValue !== undefined) return value.doubleValue;
  if (value.arrayValue !== undefined) return (value.arrayValue.values ?? []).map(valueOf);
  if (value.kvlistValue !== undefined) return attributesOf(value.kvlistValue.values);
  if (value.bytesValue !== undefined) return typeof value.bytesValue === 'string' ? value.bytesValue : Buffer.from(value.bytesValue).toString('base64');
  return undefined;
}

function nanos(value: string | number | undefined): bigint | undefined {
  if (value === undefined || value === '' || value === 0 || value === '0') return undefined;
  try {
    return BigInt(value);
  } catch {
    return undefined;
  }
}

/** Ids are hex in OTLP/JSON and bytes in protobuf. */
function hex(id: string | Uint8Array | undefined): string | undefined {
  if (id === undefined) return undefined;
  const text = typeof id === 'string' ? id.toLowerCase() : Buffer.from(id).toString('hex');
  return text === '' || /^0+$/.test(text) ? undefined : text;
}
