import { createHmac } from 'node:crypto';
import { v7 as uuidv7 } from 'uuid';
import { invalidArgument, isStrataError, notFound, toStrataError } from '../errors.ts';
import type { ArchiveEngine, QueryResult, TokenCounter } from '../ports/archive-engine.ts';
import type { InferenceFilter } from '../ports/inference-store.ts';
import type { ModelRegistryService } from '../models/model-registry-service.ts';
import type { CommitService } from '../versioning/commit-service.ts';
import { authorize, type VersioningDeps } from '../versioning/deps.ts';
import type { ObjectService } from '../versioning/object-service.ts';
import type { RepositoryService } from '../versioning/repository-service.ts';
import type { CallContext, ObjectInfo } from '../versioning/types.ts';
import { ArchiveRepository } from './archive-repository.ts';
import { InferenceLineage } from './inference-lineage.ts';
import type { LineageRecorder } from '../lineage/lineage-recorder.ts';
import { InferenceInputSchema, toInferenceRecord, type InferenceRecord, type InferenceRow, type ParsedInferenceInput } from './inference-record.ts';
import { BUILTIN_PRICES, findPrice, parsePriceTable, priceCall, type PriceEntry, type PriceTable } from './prices.ts';

export interface InferenceOptions {
  /** The repository holding compacted partitions, large payloads and `prices.json`. */
  repository: string;
  /** Text longer than this (UTF-8 bytes) is kept as an object in the archive repository. */
  inlineBytes: number;
  /** HMAC key for user and session ids; absent: they are stored as given. */
  pseudonymKey?: Buffer;
  /** Records older than this many days are compacted by default. */
  recentDays: number;
}

export const MAX_BATCH = 10_000;
const PRICES_PATH = 'prices.json';

/** What became of one record of a batch. */
export type LogResult = { index: number; status: 201; id: string; cost: number | null; costNote: string | null } | { index: number; status: number; error: { code: string; message: string } };

export type ReportDimension = 'application' | 'model' | 'user' | 'day';

/** A price table, its version, and the entries already looked up in it (model, provider, day → entry). */
interface Prices {
  head: string;
  table: PriceTable;
  version: string;
  found: Map<string, PriceEntry | undefined>;
}

const REPORT_KEYS: Record<ReportDimension, string> = { application: 'application', model: 'coalesce(response_model, model)', user: "coalesce(user_id, '(none)')", day: 'substr(time, 1, 10)' };

/**
 * The inference archive: every model call's input, output, usage, cost and context. Recent
 * records live in the metadata database; `compact` moves older days into Parquet partitions
 * committed to the archive repository, and SQL sees both as one view.
 */
export class InferenceService {
  private prices: Prices | undefined;
  private readonly archive: ArchiveRepository;
  private readonly lineage: InferenceLineage | undefined;

  constructor(
    private readonly deps: Pick<VersioningDeps, 'metadata' | 'authorizer' | 'clock'>,
    private readonly env: { objects: ObjectService; commits: CommitService; repositories: RepositoryService; models: ModelRegistryService; engine: ArchiveEngine; tokens?: TokenCounter; recorder?: LineageRecorder; options: InferenceOptions },
  ) {
    this.archive = new ArchiveRepository(env.options.repository, { metadata: deps.metadata, ...env });
    this.lineage = env.recorder ? new InferenceLineage(env.recorder) : undefined;
  }

  /** Stores a batch; each record succeeds or fails alone (the HTTP answer is 207 with these results). */
  async log(ctx: CallContext, inputs: unknown[], via: 'api' | 'otlp' = 'api'): Promise<LogResult[]> {
    await authorize(this.deps, ctx, { action: 'inference:write', resource: this.env.options.repository });
    if (inputs.length > MAX_BATCH) throw invalidArgument(`a batch holds at most ${MAX_BATCH} records, got ${inputs.length}`);
    const prices = await this.priceTable(ctx);
    const results: LogResult[] = [];
    const records: InferenceRow[] = [];
    for (const [index, raw] of inputs.entries()) {
      const parsed = InferenceInputSchema.safeParse(raw);
      if (!parsed.success) {
        results.push({ index, status: 400, error: { code: 'InvalidArgument', message: parsed.error.issues.map((i) => `${i.path.join('.') || 'record'}: ${i.message}`).join('; ') } });
        continue;
      }
      try {
        const record = await this.toRecord(ctx, parsed.data, { prices, via });
        records.push(record);
        results.push({ index, status: 201, id: record.id, cost: record.cost_provided ?? record.cost_computed, costNote: record.cost_note });
      } catch (error) {
        const e = toStrataError(error);
        results.push({ index, status: e.code === 'NotFound' ? 404 : 400, error: { code: e.code, message: e.message } });
      }
    }
    await this.deps.metadata.inference.insert(records);
    await this.lineage?.record(records);
    return results;
  }

  async list(ctx: CallContext, filter: Omit<InferenceFilter, 'userId' | 'sessionId'> & { user?: string; session?: string }): Promise<InferenceRecord[]> {
    await authorize(this.deps, ctx, { action: 'inference:read', resource: this.env.options.repository });
    const { user, session, ...rest } = filter;
    const rows = await this.deps.metadata.inference.list({ ...rest, ...(user === undefined ? {} : { userId: this.pseudonym(user) }), ...(session === undefined ? {} : { sessionId: this.pseudonym(session) }) });
    return rows.map(toInferenceRecord);
  }

  /** A record, recent or compacted. */
  async get(ctx: CallContext, id: string): Promise<InferenceRecord> {
    await authorize(this.deps, ctx, { action: 'inference:read', resource: this.env.options.repository });
    const recent = await this.deps.metadata.inference.get(id);
    if (recent !== undefined) return toInferenceRecord(recent);
    if (!/^[0-9a-f-]{36}$/.test(id)) throw notFound(`no inference record ${id}`);
    const found = await this.query(ctx, `SELECT * FROM inference WHERE id = '${id}'`);
    const row = found.rows[0];
    if (row === undefined) throw notFound(`no inference record ${id}`);
    return toInferenceRecord(Object.fromEntries(found.columns.map((c, i) => [c, row[i]])) as unknown as InferenceRow);
  }

  /** One read-only SQL statement over the view `inference` (recent and compacted records). */
  async query(ctx: CallContext, sql: string, options: { signal?: AbortSignal } = {}): Promise<QueryResult> {
    await authorize(this.deps, ctx, { action: 'inference:read', resource: this.env.options.repository });
    return this.env.engine.query(sql, { recent: await this.allRecent(), partitions: await this.archive.partitions(ctx) }, options);
  }

  /** Calls, tokens and cost grouped by one dimension, most expensive first. */
  async report(ctx: CallContext, input: { by: ReportDimension; from?: string; to?: string }): Promise<QueryResult> {
    const key = REPORT_KEYS[input.by] as string | undefined;
    if (key === undefined) throw invalidArgument(`cannot report by '${input.by as string}': use application, model, user or day`);
    const where: string[] = [];
    for (const [bound, op] of [[input.from, '>='], [input.to, '<']] as const) {
      if (bound === undefined) continue;
      if (!/^\d{4}-\d{2}-\d{2}(T[\d:.]+Z)?$/.test(bound)) throw invalidArgument(`invalid time '${bound}': use YYYY-MM-DD or an ISO time in UTC`);
      where.push(`time ${op} '${bound}'`);
    }
    return this.query(
      ctx,
      `SELECT ${key} AS ${input.by}, count(*) AS calls,
        sum(coalesce(input_tokens, counted_input_tokens)) AS input_tokens, sum(coalesce(output_tokens, counted_output_tokens)) AS output_tokens,
        sum(cached_tokens) AS cached_tokens, sum(reasoning_tokens) AS reasoning_tokens,
        round(sum(coalesce(cost_provided, cost_computed)), 6) AS cost, count(*) FILTER (WHERE coalesce(cost_provided, cost_computed) IS NULL) AS unpriced_calls
       FROM inference ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''} GROUP BY 1 ORDER BY cost DESC NULLS LAST, 1`,
    );
  }

  /** The price table in force and its version (`builtin`, or the archive commit that holds it). */
  async getPrices(ctx: CallContext): Promise<{ version: string; table: PriceTable }> {
    await authorize(this.deps, ctx, { action: 'inference:read', resource: this.env.options.repository });
    const { version, table } = await this.priceTable(ctx);
    return { version, table };
  }

  /** Validates and commits a new price table to the archive repository. */
  async setPrices(ctx: CallContext, json: unknown): Promise<{ version: string; table: PriceTable }> {
    const table = parsePriceTable(json);
    await authorize(this.deps, ctx, { action: 'inference:prices', resource: `${this.env.options.repository}@main:${PRICES_PATH}` });
    await this.archive.put(ctx, { path: PRICES_PATH, bytes: Buffer.from(`${JSON.stringify(table, null, 2)}\n`), contentType: 'application/json' });
    const commit = await this.archive.commit(ctx, 'inference price table');
    this.prices = undefined;
    return { version: commit.slice(0, 12), table };
  }

  /**
   * Moves records older than `before` (default: `recentDays` ago, at midnight UTC) into one
   * Parquet partition per day, merged with what the partition already holds, commits them, then
   * deletes the moved rows. A crash between the commit and the delete leaves rows in both places;
   * queries count them once and the next compaction merges them again.
   */
  async compact(ctx: CallContext, input: { before?: string } = {}): Promise<{ records: number; days: string[]; commit: string | null }> {
    await authorize(this.deps, ctx, { action: 'inference:compact', resource: this.env.options.repository });
    const before = input.before ?? this.daysAgo(this.env.options.recentDays);
    const byDay = new Map<string, InferenceRow[]>();
    const moved: string[] = [];
    for await (const record of this.recent({ to: before })) {
      const day = record.time.slice(0, 10);
      byDay.set(day, [...(byDay.get(day) ?? []), record]);
      moved.push(record.id);
    }
    if (moved.length === 0) return { records: 0, days: [], commit: null };
    for (const [day, records] of byDay) await this.archive.mergeDay(ctx, day, records);
    const days = [...byDay.keys()].sort();
    const commit = await this.archive.commit(ctx, `compact ${moved.length} inference records of ${days.length} day(s) before ${before}`);
    await this.deps.metadata.inference.deleteIds(moved);
    return { records: moved.length, days, commit };
  }

  /** Deletes every record of a user or a session, recent and compacted. Audited under the pseudonym, never the id. */
  async deleteSubject(ctx: CallContext, subject: { user?: string; session?: string }): Promise<{ deleted: number; commit: string | null }> {
    if ((subject.user === undefined) === (subject.session === undefined)) throw invalidArgument('give a user or a session, not both');
    const column = subject.user === undefined ? 'session_id' : 'user_id';
    const pseudonym = this.pseudonym((subject.user ?? subject.session) as string);
    await authorize(this.deps, ctx, { action: 'inference:delete', resource: `${this.env.options.repository}/${column === 'user_id' ? 'user' : 'session'}:${pseudonym}` });
    const recent = await this.deps.metadata.inference.deleteSubject(column === 'user_id' ? { userId: pseudonym } : { sessionId: pseudonym });
    const compacted = await this.archive.rewrite(ctx, (r) => r[column] !== pseudonym, `erase the records of ${column === 'user_id' ? 'user' : 'session'} ${pseudonym}`);
    return { deleted: recent + compacted.removed, commit: compacted.commit };
  }

  /** The repository holding compacted partitions and large payloads. */
  get archiveName(): string {
    return this.env.options.repository;
  }

  /**
   * For an erasure (authorized there): finds every record `matches` accepts — recent rows, the
   * current partitions and every earlier version of a partition (`history`, the partition
   * contents of all readable commits) — and, unless `dryRun`, deletes the rows, rewrites the
   * current partitions without them, removes their large payloads from main, and commits once.
   * Returns the ids and the archive contents that held any of them (to be destroyed).
   */
  async eraseMatching(
    ctx: CallContext,
    input: { matches: (row: InferenceRow, texts: string[]) => boolean; history: ObjectInfo[]; message: string; dryRun: boolean },
  ): Promise<{ ids: string[]; contents: string[]; payloads: string[]; commit: string | null }> {
    const ids = new Set<string>();
    const payloads = new Set<string>();
    const consider = async (row: InferenceRow): Promise<boolean> => {
      const texts = [row.input_text ?? '', row.output_text ?? '', row.params, row.attributes, row.notes ?? ''];
      for (const ref of [row.input_ref, row.output_ref]) if (ref !== null) texts.push((await this.payloadText(ctx, ref)) ?? '');
      if (!input.matches(row, texts)) return false;
      ids.add(row.id);
      for (const ref of [row.input_ref, row.output_ref]) if (ref !== null) payloads.add(ref);
      return true;
    };
    const recent: string[] = [];
    for await (const row of this.recent()) if (await consider(row)) recent.push(row.id);
    const contents = new Set<string>();
    for (const version of input.history) {
      const rows = await this.env.engine.fromParquet(await readAll(await this.env.objects.read(ctx, version)));
      let held = false;
      for (const row of rows) if (await consider(row)) held = true;
      if (held) contents.add(version.sha256);
    }
    const payloadContents: string[] = [];
    const archive = this.env.options.repository;
    for (const ref of payloads) {
      const path = ref.slice(ref.indexOf(':') + 1);
      const info = await this.env.objects.stat(ctx, { repository: archive, ref: 'main', path }).catch(() => undefined);
      if (info) payloadContents.push(info.sha256);
    }
    if (input.dryRun || ids.size === 0) return { ids: [...ids].sort(), contents: [...contents].sort(), payloads: payloadContents, commit: null };
    await this.deps.metadata.inference.deleteIds(recent);
    for (const ref of payloads) await this.env.objects.delete(ctx, { repository: archive, branch: 'main', path: ref.slice(ref.indexOf(':') + 1), ifExists: true });
    const rewritten = await this.archive.rewrite(ctx, (r) => !ids.has(r.id), input.message);
    const commit = rewritten.commit ?? (payloads.size > 0 ? await this.archive.commit(ctx, input.message) : null);
    return { ids: [...ids].sort(), contents: [...contents].sort(), payloads: payloadContents, commit };
  }

  /** The text of a large payload (`repo@branch:path`), or undefined when it is gone. */
  private async payloadText(ctx: CallContext, ref: string): Promise<string | undefined> {
    const path = ref.slice(ref.indexOf(':') + 1);
    try {
      const { body } = await this.env.objects.get(ctx, { repository: this.env.options.repository, ref: 'main', path });
      return (await readAll(body)).toString('utf8');
    } catch {
      return undefined;
    }
  }

  async retention(ctx: CallContext): Promise<Array<{ application: string; days: number }>> {
    await authorize(this.deps, ctx, { action: 'inference:read', resource: this.env.options.repository });
    return [...(await this.deps.metadata.inference.retention())].map(([application, days]) => ({ application, days })).sort((a, b) => a.application.localeCompare(b.application));
  }

  /** Keeps an application's records `days` days (null: forever, the default). */
  async setRetention(ctx: CallContext, application: string, days: number | null): Promise<void> {
    if (days !== null && !(Number.isInteger(days) && days >= 1)) throw invalidArgument(`retention must be a whole number of days ≥ 1, got ${days}`);
    await authorize(this.deps, ctx, { action: 'inference:retention', resource: `${this.env.options.repository}/application:${application}` });
    await this.deps.metadata.inference.setRetention(application, days);
  }

  /** Deletes what each application's retention no longer covers, recent and compacted. */
  async prune(ctx: CallContext): Promise<{ deleted: number; commit: string | null }> {
    await authorize(this.deps, ctx, { action: 'inference:prune', resource: this.env.options.repository });
    const retention = await this.deps.metadata.inference.retention();
    let deleted = 0;
    const cutoffs = new Map<string, string>();
    for (const [application, days] of retention) {
      const cutoff = this.daysAgo(days);
      cutoffs.set(application, cutoff);
      deleted += await this.deps.metadata.inference.deleteOlder(application, cutoff);
    }
    if (cutoffs.size === 0) return { deleted, commit: null };
    const compacted = await this.archive.rewrite(ctx, (r) => !(cutoffs.has(r.application) && r.time < (cutoffs.get(r.application) as string)), 'retention: remove records past their application\'s retention');
    return { deleted: deleted + compacted.removed, commit: compacted.commit };
  }

  private async toRecord(ctx: CallContext, input: ParsedInferenceInput, how: { prices: Prices; via: 'api' | 'otlp' }): Promise<InferenceRow> {
    const { prices, via } = how;
    // Time-ordered (UUIDv7): new rows land at the end of the primary key's index instead of all
    // over it, so a batch dirties a few pages, not one per record (3× slower ingest at 60k rows).
    const id = uuidv7();
    const time = input.time === undefined ? this.deps.clock.now().toISOString() : new Date(input.time).toISOString();
    const inputText = textOf(input.input);
    const outputText = textOf(input.output);
    const inputKept = await this.keep(ctx, { id, part: 'input', text: inputText, time });
    const outputKept = await this.keep(ctx, { id, part: 'output', text: outputText, time });
    const usage = input.usage ?? {};
    const countedInput = usage.inputTokens === undefined && inputText !== null ? await this.env.tokens?.count(inputText) : undefined;
    const countedOutput = usage.outputTokens === undefined && outputText !== null ? await this.env.tokens?.count(outputText) : undefined;
    const modelVersion = input.model.startsWith('model:') ? await this.registryVersion(ctx, input.model) : null;
    const record: InferenceRow = {
      id,
      time,
      application: input.application,
      model: input.model,
      response_model: input.responseModel ?? null,
      model_version: modelVersion,
      provider: input.provider ?? null,
      operation: input.operation ?? null,
      input_text: inputKept.text,
      input_ref: inputKept.ref,
      output_text: outputKept.text,
      output_ref: outputKept.ref,
      params: JSON.stringify(input.params ?? {}),
      input_tokens: usage.inputTokens ?? null,
      output_tokens: usage.outputTokens ?? null,
      cached_tokens: usage.cachedTokens ?? null,
      reasoning_tokens: usage.reasoningTokens ?? null,
      counted_input_tokens: countedInput ?? null,
      counted_output_tokens: countedOutput ?? null,
      cost_provided: input.cost?.amount ?? null,
      cost_computed: null,
      currency: input.cost?.currency ?? null,
      price_entry: null,
      cost_note: null,
      latency_ms: input.latencyMs ?? null,
      ttft_ms: input.ttftMs ?? null,
      recipe: input.recipe ?? null,
      user_id: input.user === undefined ? null : this.pseudonym(input.user),
      session_id: input.session === undefined ? null : this.pseudonym(input.session),
      response_id: input.responseId ?? null,
      finish_reasons: input.finishReasons === undefined ? null : JSON.stringify(input.finishReasons),
      attributes: JSON.stringify(input.attributes ?? {}),
      notes: input.notes ?? null,
      trace_id: input.traceId ?? null,
      span_id: input.spanId ?? null,
      ingested_via: via,
    };
    this.price(record, prices);
    return record;
  }

  /** The computed cost and the entry it used, or why there is none. */
  private price(record: InferenceRow, prices: Prices): void {
    const inputTokens = record.input_tokens ?? record.counted_input_tokens;
    const outputTokens = record.output_tokens ?? record.counted_output_tokens;
    if (inputTokens === null && outputTokens === null) {
      record.cost_note = 'no token counts: the record has neither usage nor text';
      return;
    }
    const model = record.response_model ?? record.model;
    const day = record.time.slice(0, 10);
    const key = `${model}\u0000${record.model}\u0000${record.provider ?? ''}\u0000${day}`;
    let entry = prices.found.get(key);
    if (!prices.found.has(key)) {
      const call = { provider: record.provider ?? undefined, day };
      entry = findPrice(prices.table, { ...call, model }) ?? (record.response_model === null ? undefined : findPrice(prices.table, { ...call, model: record.model }));
      if (prices.found.size < 100_000) prices.found.set(key, entry);
    }
    if (entry === undefined) {
      record.cost_note = `no price for model '${model}'${record.provider === null ? '' : ` of ${record.provider}`} on ${record.time.slice(0, 10)} in price table ${prices.version}`;
      return;
    }
    const priced = priceCall(entry, { input: inputTokens ?? 0, output: outputTokens ?? 0, cached: record.cached_tokens ?? 0, reasoning: record.reasoning_tokens ?? 0 }, prices.version);
    record.cost_computed = priced.amount;
    record.currency ??= priced.currency;
    record.price_entry = priced.entry;
  }

  /** Inline text, or an object staged in the archive repository (committed with the next compaction). */
  private async keep(ctx: CallContext, content: { id: string; part: 'input' | 'output'; text: string | null; time: string }): Promise<{ text: string | null; ref: string | null }> {
    const { id, part, text, time } = content;
    if (text === null || Buffer.byteLength(text) <= this.env.options.inlineBytes) return { text, ref: null };
    const path = `payloads/${time.slice(0, 10)}/${id}.${part}.txt`;
    await this.archive.put(ctx, { path, bytes: Buffer.from(text), contentType: 'text/plain; charset=utf-8' });
    return { text: null, ref: `${this.archive.name}@main:${path}` };
  }

  private async registryVersion(ctx: CallContext, address: string): Promise<string> {
    const resolved = await this.env.models.resolve(ctx, address);
    return `${resolved.version.model}/${resolved.version.version}`;
  }

  private pseudonym(value: string): string {
    const key = this.env.options.pseudonymKey;
    return key === undefined ? value : `p:${createHmac('sha256', key).update(value).digest('hex').slice(0, 32)}`;
  }

  /** The table at the archive's head (re-read only when the head moves), else the built-in one. */
  private async priceTable(ctx: CallContext): Promise<Prices> {
    const head = (await this.archive.head()) ?? '';
    if (this.prices?.head === head) return this.prices;
    let table = BUILTIN_PRICES;
    let version = 'builtin';
    if (head !== '') {
      try {
        table = parsePriceTable(JSON.parse((await this.archive.read(ctx, PRICES_PATH, head)).toString('utf8')) as unknown);
        version = head.slice(0, 12);
      } catch (error) {
        if (!(isStrataError(error) && error.code === 'NotFound')) throw error;
      }
    }
    this.prices = { head, table, version, found: new Map() };
    return this.prices;
  }

  private async *recent(filter: { to?: string } = {}): AsyncGenerator<InferenceRow> {
    let after: { time: string; id: string } | undefined;
    for (;;) {
      const page = await this.deps.metadata.inference.list({ ...filter, ...(after ? { after } : {}), limit: 5000 });
      yield* page;
      const last = page.at(-1);
      if (last === undefined || page.length < 5000) return;
      after = { time: last.time, id: last.id };
    }
  }

  private async allRecent(): Promise<InferenceRow[]> {
    const all: InferenceRow[] = [];
    for await (const r of this.recent()) all.push(r);
    return all;
  }

  private daysAgo(days: number): string {
    const now = this.deps.clock.now();
    return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() - days)).toISOString();
  }
}

function textOf(content: unknown): string | null {
  if (content === undefined || content === null) return null;
  return typeof content === 'string' ? content : JSON.stringify(content);
}

async function readAll(body: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for await (const part of body) parts.push(part);
  return Buffer.concat(parts);
}
