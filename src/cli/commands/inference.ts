import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { invalidArgument } from '../../core/errors.ts';
import type { InferenceRecord, QueryResult, ReportDimension } from '../../sdk/inference-api.ts';
import { withContext } from '../context.ts';
import { readText } from '../input.ts';

const integer = (name: string) => (text: string): number => {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw invalidArgument(`${name} must be a whole number ≥ 1, got '${text}'`);
  return n;
};

/** A query result as aligned text columns. */
export function formatTable(result: QueryResult): string {
  const cells = [result.columns, ...result.rows.map((row) => row.map((v) => (v === null || v === undefined ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v as string | number | boolean))))];
  const widths = result.columns.map((_, i) => Math.max(...cells.map((row) => (row[i] ?? '').length)));
  const line = (row: string[]): string => row.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join('  ').trimEnd();
  return [line(cells[0] as string[]), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.slice(1).map(line), `(${result.rows.length} row${result.rows.length === 1 ? '' : 's'})`].join('\n');
}

/** Records from a file or stdin: one JSON record, a JSON array, `{ records: [...] }`, or JSON Lines. */
async function readRecords(file: string): Promise<unknown[]> {
  const text = await readText(file);
  const trimmed = text.trim();
  if (trimmed === '') throw invalidArgument(`no records in ${file === '-' ? 'standard input' : file}`);
  try {
    const parsed = JSON.parse(trimmed) as unknown;
    if (Array.isArray(parsed)) return parsed as unknown[];
    if (typeof parsed === 'object' && parsed !== null && Array.isArray((parsed as { records?: unknown }).records)) return (parsed as { records: unknown[] }).records;
    return [parsed];
  } catch {
    return trimmed.split('\n').filter((l) => l.trim() !== '').map((line, i) => {
      try {
        return JSON.parse(line) as unknown;
      } catch (error) {
        throw invalidArgument(`line ${i + 1} is not JSON: ${(error as Error).message}`);
      }
    });
  }
}


function recordLine(r: InferenceRecord): string {
  const { usage, cost } = r;
  const tokens = `${usage.inputTokens ?? usage.countedInputTokens ?? '-'}→${usage.outputTokens ?? usage.countedOutputTokens ?? '-'}`;
  return `${r.id}  ${r.time}  ${r.application.padEnd(14)} ${(r.responseModel ?? r.model).padEnd(22)} ${tokens.padEnd(12)} ${cost.amount === null ? 'cost ?' : `$${cost.amount.toFixed(6)}`}`;
}

/** One line per set field; `usage` and `cost` spelled out (`cost.amount`), other objects as JSON. */
function recordFields(record: InferenceRecord): Array<[string, string]> {
  const fields: Array<[string, string]> = [];
  for (const [key, value] of Object.entries(record)) {
    if (key === 'usage' || key === 'cost') {
      for (const [inner, v] of Object.entries(value as Record<string, string | number | null>)) if (v !== null) fields.push([`${key}.${inner}`, String(v)]);
    } else if (value !== null && !(typeof value === 'object' && Object.keys(value as object).length === 0)) {
      fields.push([key, typeof value === 'object' ? JSON.stringify(value) : String(value as string | number)]);
    }
  }
  return fields;
}

async function runQuery(sql: string, _opts: unknown, command: Command): Promise<void> {
  await withContext(command, async ({ api, out }) => {
    const result = await api.inference.query(sql);
    out.print(result, () => formatTable(result));
  });
}

/** `strata inference …` and `strata query "SELECT …"`. */
export function registerInferenceCommands(program: Command): void {
  const inference = program.command('inference').description('the inference archive: log model calls, list them, cost reports, retention, erasure');
  inference
    .command('log')
    .argument('[file]', "JSON record, array or JSON Lines; '-' for standard input", '-')
    .description('log model calls; prints one result per record (an id and cost, or why it was refused)')
    .action(async (file: string, _opts: unknown, command: Command) => {
      await withContext(command, async ({ api, out }) => {
        const results = await api.inference.log((await readRecords(file)) as never);
        out.print(results, () => results.map((r) => ('error' in r ? `#${r.index}: ${r.error.code}: ${r.error.message}` : `#${r.index}: ${r.id}  ${r.cost === null ? `cost unknown (${r.costNote ?? ''})` : `$${r.cost.toFixed(6)}`}`)).join('\n'));
        if (results.some((r) => 'error' in r)) process.exitCode = 2;
      });
    });
  inference
    .command('list')
    .description('recent records (not yet compacted), oldest first')
    .option('--application <name>')
    .option('--model <name>')
    .option('--user <id>')
    .option('--session <id>')
    .option('--from <time>', 'YYYY-MM-DD or ISO time (inclusive)')
    .option('--to <time>', 'YYYY-MM-DD or ISO time (exclusive)')
    .option('--limit <n>', 'at most this many', integer('--limit'), 100)
    .action(async (opts: { application?: string; model?: string; user?: string; session?: string; from?: string; to?: string; limit: number }, command: Command) => {
      await withContext(command, async ({ api, out }) => {
        const records = await api.inference.list(opts);
        out.print(records, () => (records.length === 0 ? '(no records)' : records.map(recordLine).join('\n')));
      });
    });
  inference
    .command('show')
    .argument('<id>')
    .description('one record, recent or compacted')
    .action(async (id: string, _opts: unknown, command: Command) => {
      await withContext(command, async ({ api, out }) => {
        const record = await api.inference.get(id);
        out.print(record, () => recordFields(record).map(([k, v]) => `${k.padEnd(26)} ${v}`).join('\n'));
      });
    });
  inference
    .command('query')
    .argument('<sql>', 'one SQL statement over the view `inference`')
    .description('SQL (DuckDB) over recent and compacted records alike')
    .action(runQuery);
  inference
    .command('report')
    .description('calls, tokens and cost by application, model, user or day')
    .option('--by <dimension>', 'application, model, user or day', 'application')
    .option('--from <time>')
    .option('--to <time>')
    .action(async (opts: { by: string; from?: string; to?: string }, command: Command) => {
      if (!['application', 'model', 'user', 'day'].includes(opts.by)) throw invalidArgument(`--by must be application, model, user or day, got '${opts.by}'`);
      await withContext(command, async ({ api, out }) => {
        const result = await api.inference.report({ by: opts.by as ReportDimension, ...(opts.from ? { from: opts.from } : {}), ...(opts.to ? { to: opts.to } : {}) });
        out.print(result, () => formatTable(result));
      });
    });
  inference
    .command('prices')
    .description('show the price table in force, or commit a new one')
    .option('--set <file>', 'a JSON price table to validate and commit')
    .action(async (opts: { set?: string }, command: Command) => {
      await withContext(command, async ({ api, out }) => {
        const prices = opts.set === undefined ? await api.inference.prices() : await api.inference.setPrices(JSON.parse(await readFile(opts.set, 'utf8')) as unknown);
        out.print(prices, () => [`price table ${prices.version} (USD unless noted, per million tokens)`, ...prices.table.prices.map((p) => `${p.model.padEnd(24)} from ${p.effective}  in ${p.input}  cached ${p.cachedInput ?? p.input}  out ${p.output}${p.tiers?.length ? `  (+${p.tiers.length} tier${p.tiers.length > 1 ? 's' : ''})` : ''}`)].join('\n'));
      });
    });
  inference
    .command('retention')
    .argument('[application]')
    .argument('[days]', "days to keep, or 'forever'")
    .description("show retention per application, or set one application's")
    .action(async (application: string | undefined, days: string | undefined, _opts: unknown, command: Command) => {
      if ((application === undefined) !== (days === undefined)) throw invalidArgument('give an application and its days (or forever), or nothing to list');
      await withContext(command, async ({ api, out }) => {
        if (application !== undefined && days !== undefined) {
          const value = days === 'forever' ? null : integer('days')(days);
          await api.inference.setRetention(application, value);
          out.print({ application, days: value }, () => `${application}: ${value === null ? 'kept forever' : `kept ${value} days`}`);
          return;
        }
        const list = await api.inference.retention();
        out.print(list, () => (list.length === 0 ? '(every application kept forever)' : list.map((r) => `${r.application}: ${r.days} days`).join('\n')));
      });
    });
  inference
    .command('prune')
    .description('delete records past their application retention')
    .action(async (_opts: unknown, command: Command) => {
      await withContext(command, async ({ api, out }) => {
        const result = await api.inference.prune();
        out.print(result, () => `deleted ${result.deleted} records${result.commit === null ? '' : ` (archive commit ${result.commit.slice(0, 12)})`}`);
      });
    });
  inference
    .command('erase')
    .description('delete every record of a user or a session, recent and compacted')
    .option('--user <id>')
    .option('--session <id>')
    .action(async (opts: { user?: string; session?: string }, command: Command) => {
      await withContext(command, async ({ api, out }) => {
        const result = await api.inference.erase(opts);
        out.print(result, () => `deleted ${result.deleted} records${result.commit === null ? '' : ` (archive commit ${result.commit.slice(0, 12)})`}`);
      });
    });
  inference
    .command('compact')
    .description('move older records into daily Parquet partitions committed to the archive repository')
    .option('--before <time>', 'records before this (default: the configured recent days ago, at midnight UTC)')
    .action(async (opts: { before?: string }, command: Command) => {
      await withContext(command, async ({ api, out }) => {
        const result = await api.inference.compact(opts.before === undefined ? {} : { before: opts.before });
        out.print(result, () => (result.records === 0 ? 'nothing to compact' : `compacted ${result.records} records of ${result.days.length} day(s) (${result.days.join(', ')}) in commit ${(result.commit ?? '').slice(0, 12)}`));
      });
    });
  program
    .command('query')
    .argument('<sql>', 'one SQL statement over the view `inference`')
    .description('SQL (DuckDB) over the inference archive: recent and compacted records')
    .action(runQuery);
}
