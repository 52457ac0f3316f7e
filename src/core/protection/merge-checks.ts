import type { ValidateFunction } from 'ajv/dist/2020.js';
import { compileSchema } from '../prep/steps/validate.ts';
import type { Entry } from '../objects/entry.ts';
import type { AuditSigner } from '../ports/audit-signer.ts';
import type { TableReader, WebhookSender } from '../ports/merge-check-io.ts';
import type { TreeChange } from '../versioning/tree/tree-diff.ts';
import type { CallContext } from '../versioning/types.ts';
import type { MergeCheck } from './protection-rules.ts';

/** One check's verdict, as recorded on the merge commit and in the audit log. */
export interface CheckOutcome {
  check: string;
  passed: boolean;
  message: string;
}

/** What a merge hands its checks: the destination's changes, as the merge would make them. */
export interface MergeUnderCheck {
  repository: string;
  source: string;
  destination: string;
  /** The commit the destination's head is at, and the merge result's tree. */
  head: string;
  changes: readonly TreeChange[];
  /** Who merges: recipes a check names are read as this principal. */
  ctx: CallContext;
}

/** A record's verdict under a recipe's validate steps: undefined when it passes, else why not. */
export type RecordValidator = (record: unknown) => string | undefined;

export interface MergeCheckDeps {
  read(entry: Entry): Promise<AsyncIterable<Uint8Array>>;
  labelsOf(repository: string, path: string): Promise<string[]>;
  tables?: TableReader;
  webhooks?: WebhookSender;
  /** Signs webhook bodies (the audit key: receivers verify with `strata audit public-key`). */
  signer?: AuditSigner;
  /** The validate steps of a kept recipe (`<name>@<version>`), as one function. */
  recipeValidator?(ctx: CallContext, recipe: string): Promise<RecordValidator>;
}

const JSON_LINES = new Set(['application/x-ndjson', 'application/jsonl', 'application/json-lines']);
/** How many changed paths a webhook's payload lists. */
const PAYLOAD_PATHS = 1000;

/**
 * Runs the checks of a protected branch on a merge's result. Each check runs to its verdict
 * (every check runs, so the merge's author sees every reason at once); the merge moves the head
 * only when all pass.
 */
export class MergeChecks {
  constructor(private readonly deps: MergeCheckDeps) {}

  async run(checks: readonly MergeCheck[], merge: MergeUnderCheck): Promise<CheckOutcome[]> {
    const outcomes: CheckOutcome[] = [];
    for (const check of checks) outcomes.push(await this.one(check, merge));
    return outcomes;
  }

  private async one(check: MergeCheck, merge: MergeUnderCheck): Promise<CheckOutcome> {
    const written = merge.changes.filter((c) => c.right !== undefined);
    switch (check.type) {
      case 'max-size': {
        const large = written.find((c) => c.path.startsWith(check.prefix) && (c.right?.size ?? 0) > check.bytes);
        const name = `max-size ${check.bytes}${check.prefix === '' ? '' : ` under ${check.prefix}`}`;
        return large === undefined
          ? { check: name, passed: true, message: `no object is larger than ${check.bytes} bytes` }
          : { check: name, passed: false, message: `${large.path} is ${large.right?.size ?? 0} bytes, more than ${check.bytes}` };
      }
      case 'forbidden-label': {
        for (const change of written) {
          if ((await this.deps.labelsOf(merge.repository, change.path)).includes(check.label)) {
            return { check: `forbidden-label ${check.label}`, passed: false, message: `${change.path} lies in a dataset labelled '${check.label}'` };
          }
        }
        return { check: `forbidden-label ${check.label}`, passed: true, message: `no object lies in a dataset labelled '${check.label}'` };
      }
      case 'schema':
        return this.schema(check, written);
      case 'recipe':
        return this.recipe(check, merge, written);
      case 'webhook':
        return this.webhook(check, merge);
    }
  }

  private async schema(check: Extract<MergeCheck, { type: 'schema' }>, written: readonly TreeChange[]): Promise<CheckOutcome> {
    const name = `schema${check.prefix === '' ? '' : ` under ${check.prefix}`}`;
    const validate = compileSchema(check.schema);
    const failure = await this.firstFailure(written, check.prefix, (row) => (validate(row) ? undefined : schemaError(validate)));
    return typeof failure === 'string' ? { check: name, passed: false, message: failure } : { check: name, passed: true, message: `${failure.records} record(s) match the schema` };
  }

  private async recipe(check: Extract<MergeCheck, { type: 'recipe' }>, merge: MergeUnderCheck, written: readonly TreeChange[]): Promise<CheckOutcome> {
    const name = `recipe ${check.recipe}${check.prefix === '' ? '' : ` under ${check.prefix}`}`;
    if (this.deps.recipeValidator === undefined) return { check: name, passed: false, message: 'this process cannot load recipes' };
    let validate: RecordValidator;
    try {
      validate = await this.deps.recipeValidator(merge.ctx, check.recipe);
    } catch (error) {
      return { check: name, passed: false, message: `cannot load the recipe: ${(error as Error).message}` };
    }
    const failure = await this.firstFailure(written, check.prefix, validate);
    return typeof failure === 'string' ? { check: name, passed: false, message: failure } : { check: name, passed: true, message: `${failure.records} record(s) pass its validate steps` };
  }

  /**
   * Judges every record of the JSON Lines and Parquet files written under `prefix`: the first
   * failure as `<path> <where>: <why>`, or how many records there were when all passed.
   */
  private async firstFailure(written: readonly TreeChange[], prefix: string, judge: (row: unknown) => string | undefined): Promise<string | { records: number }> {
    let records = 0;
    for (const change of written) {
      if (!change.path.startsWith(prefix)) continue;
      const rows = this.rowsOf(change.path, change.right as Entry);
      if (rows === undefined) continue;
      for await (const [at, row] of rows) {
        records++;
        const why = row === NOT_JSON ? 'is not JSON' : judge(row);
        if (why !== undefined) return `${change.path} ${at}: ${why}`;
      }
    }
    return { records };
  }

  /** Each record with where it is (`line 3`, `row 3`); undefined for files that hold no records. */
  private rowsOf(path: string, entry: Entry): AsyncIterable<[string, unknown]> | undefined {
    if (JSON_LINES.has(entry.contentType) || path.endsWith('.jsonl') || path.endsWith('.ndjson')) return this.jsonLines(entry);
    const tables = this.deps.tables;
    if (tables?.reads(entry.contentType) === true || (tables !== undefined && path.endsWith('.parquet'))) return this.tableRows(tables, entry);
    return undefined;
  }

  private async *jsonLines(entry: Entry): AsyncIterable<[string, unknown]> {
    let line = 0;
    let rest = '';
    const decoder = new TextDecoder();
    const parse = (text: string): [string, unknown] => {
      try {
        return [`line ${line}`, JSON.parse(text)];
      } catch {
        return [`line ${line}`, NOT_JSON];
      }
    };
    for await (const chunk of await this.deps.read(entry)) {
      const lines = (rest + decoder.decode(chunk, { stream: true })).split('\n');
      rest = lines.pop() ?? '';
      for (const text of lines) {
        line++;
        if (text.trim() !== '') yield parse(text);
      }
    }
    rest += decoder.decode();
    line++;
    if (rest.trim() !== '') yield parse(rest);
  }

  private async *tableRows(tables: TableReader, entry: Entry): AsyncIterable<[string, unknown]> {
    let row = 0;
    for await (const batch of tables.rows(await this.deps.read(entry), entry.contentType)) {
      for (const record of batch) yield [`row ${++row}`, record];
    }
  }

  /**
   * `x-strata-timestamp` and `x-strata-signature: ed25519 keyid=<id> sig=<base64>`, the signature
   * over `<timestamp>.<body>` by the audit key, so a receiver can tell Strata's POST (and its
   * age) from anyone else's with the public key alone.
   */
  private signed(body: string): Record<string, string> {
    if (this.deps.signer === undefined) return {};
    const timestamp = new Date().toISOString();
    const signature = this.deps.signer.sign(Buffer.from(`${timestamp}.${body}`, 'utf8')).toString('base64');
    return { 'x-strata-timestamp': timestamp, 'x-strata-signature': `ed25519 keyid=${this.deps.signer.keyId} sig=${signature}` };
  }

  private async webhook(check: Extract<MergeCheck, { type: 'webhook' }>, merge: MergeUnderCheck): Promise<CheckOutcome> {
    const name = `webhook ${new URL(check.url).origin}`;
    if (this.deps.webhooks === undefined) return { check: name, passed: false, message: 'this process cannot send webhooks' };
    const counts = { added: 0, changed: 0, removed: 0 };
    for (const change of merge.changes) counts[change.type]++;
    const payload = {
      repository: merge.repository,
      source: merge.source,
      destination: merge.destination,
      head: merge.head,
      changes: counts,
      paths: merge.changes.slice(0, PAYLOAD_PATHS).map((c) => ({ path: c.path, type: c.type, size: c.right?.size ?? null })),
      truncated: merge.changes.length > PAYLOAD_PATHS,
    };
    const body = JSON.stringify(payload);
    try {
      const answer = await this.deps.webhooks.post(check.url, body, { timeoutMs: check.timeoutSeconds * 1000, headers: this.signed(body) });
      const text = answer.body.trim().slice(0, 500);
      if (answer.status >= 200 && answer.status < 300) return { check: name, passed: true, message: text === '' ? `answered ${answer.status}` : text };
      return { check: name, passed: false, message: text === '' ? `answered ${answer.status}` : `answered ${answer.status}: ${text}` };
    } catch (error) {
      return { check: name, passed: false, message: `could not be reached: ${(error as Error).message}` };
    }
  }
}

const NOT_JSON = Symbol('not JSON');

function schemaError(validate: ValidateFunction): string {
  const error = validate.errors?.[0];
  if (error === undefined) return 'is invalid';
  const at = error.instancePath === '' ? 'record' : error.instancePath;
  return `${at} ${error.message ?? 'is invalid'}`;
}
