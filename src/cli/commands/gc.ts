import type { Command } from 'commander';
import { invalidArgument } from '../../core/errors.ts';
import { parseRetentionRules, type RetentionRules } from '../../core/gc/retention.ts';
import type { GcReport } from '../../sdk/gc-api.ts';
import { parseAddress } from '../address.ts';
import { withContext } from '../context.ts';
import { readJson } from '../input.ts';
import { formatBytes } from '../output.ts';
import { createStatusLine } from '../progress.ts';

const UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400 };

/** `90`, `90s`, `10m`, `1h`, `2d` → seconds. */
export function parseSeconds(text: string): number {
  const match = /^(\d+)([smhd]?)$/.exec(text.trim());
  if (!match) throw invalidArgument(`'${text}' is not a duration: use seconds or a number with s, m, h or d (90s, 10m, 1h, 2d)`);
  return Number(match[1]) * (UNITS[match[2] || 's'] ?? 1);
}

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

function reportLines(report: GcReport): string {
  const b = report.blobs;
  const verb = report.dryRun ? 'would delete' : 'deleted';
  const lines = [
    `${report.dryRun ? 'dry run: nothing changed' : 'garbage collected'} (${report.repositories} ${report.repositories === 1 ? 'repository' : 'repositories'}, grace ${report.graceMs / 1000} s)`,
    `commits: ${report.commits.kept} kept, ${report.commits.expired} ${report.dryRun ? 'would expire' : 'expired'}, ${report.commits.expiredBefore} expired before`,
    `blobs:   ${b.listed} listed, ${b.reachable} reachable, ${b.young.count} unreferenced but too young (${formatBytes(b.young.bytes)})`,
    `         ${verb} ${b.collected.count} (${formatBytes(b.collected.bytes)})`,
  ];
  if (report.prepCache.pruned > 0) lines.push(`recipe cache: ${report.prepCache.pruned} entr${report.prepCache.pruned === 1 ? 'y' : 'ies'} of sources no longer kept ${report.dryRun ? 'would be ' : ''}dropped`);
  for (const rule of report.rules) {
    const what = rule.kind === 'lifecycle' ? `${rule.objects ?? 0} object(s)${rule.commit === undefined ? '' : ` in commit ${rule.commit.slice(0, 12)}`}` : 'branch deleted';
    lines.push(`rule:    ${rule.repository}@${rule.branch} ${rule.rule}: ${rule.error === undefined ? what : `not applied: ${rule.error}`}`);
  }
  return lines.join('\n');
}

/** `strata gc` and `strata retention show|set|clear`. */
export function registerGcCommands(program: Command): void {
  const gc = program
    .command('gc')
    .description('apply lifecycle and stale-branch rules, expire history past retention, and delete every blob nothing kept reaches')
    .option('--dry-run', 'count what would go (commits, blobs, bytes); change nothing')
    .option('--grace <duration>', 'keep blobs and commits younger than this (default STRATA_GC_GRACE_SECONDS, 1h)')
    .option('--on-worker', 'hand the run to a strata worker through the task queue (PostgreSQL) and wait for its report')
    .action(async (opts: { dryRun?: boolean; grace?: string; onWorker?: boolean }, command: Command) => {
      await withContext(command, async ({ api, out }) => {
        const status = createStatusLine({ label: 'gc', enabled: !out.json });
        const report = await api.gc.collect({ dryRun: opts.dryRun === true, onWorker: opts.onWorker === true, ...(opts.grace === undefined ? {} : { graceSeconds: parseSeconds(opts.grace) }) }, (phase, done) => {
          status.update(`${phase} ${done}`);
        });
        status.stop();
        out.print(report, () => reportLines(report));
      });
    });
  gc
    .command('runs')
    .description('past garbage collections, newest first')
    .option('--limit <n>', 'at most this many', '20')
    .action(async (opts: { limit: string }, command: Command) => {
      await withContext(command, async ({ api, out }) => {
        const runs = await api.gc.runs(Number(opts.limit));
        out.print(runs, () => (runs.length === 0 ? '(no runs yet)' : runs.map((r) => `${r.startedAt}  ${r.dryRun ? 'dry run: would delete' : 'deleted'} ${r.blobs.collected.count} blob(s) (${formatBytes(r.blobs.collected.bytes)}), ${r.commits.expired} commit(s) ${r.dryRun ? 'would expire' : 'expired'}`).join('\n')));
      });
    });

  const retention = program.command('retention').description("a repository's retention, lifecycle and stale-branch rules (garbage collection applies them)");
  retention
    .command('show')
    .argument('<repo>')
    .description('the rules (none: everything a branch or tag reaches is kept forever)')
    .action(async (name: string, _opts: unknown, command: Command) => {
      await withContext(command, async ({ api, out }) => {
        const rules = (await api.getRepository(parseAddress(name).repository)).retention;
        out.print(rules ?? null, () => (rules === undefined ? '(no retention rules: history is kept forever)' : describeRules(rules)));
      });
    });
  retention
    .command('set')
    .argument('<repo>')
    .description('replace the rules (needs repository:retention)')
    .option('--days <n>', 'days a version stays readable after it was replaced or deleted on a branch')
    .option('--branch <pattern=days>', "a branch's own period ('forever' keeps its history); repeatable, first match wins", collect)
    .option('--lifecycle <prefix:days:branches>', 'delete objects under prefix older than days on the branches (comma-separated patterns), by a commit; repeatable', collect)
    .option('--stale <pattern:days>', 'delete branches matching pattern without a commit for days; repeatable', collect)
    .option('--file <rules.json>', 'the whole rules as JSON (- for standard input) instead of the flags')
    .action(async (name: string, opts: { days?: string; branch?: string[]; lifecycle?: string[]; stale?: string[]; file?: string }, command: Command) => {
      const rules = opts.file === undefined ? rulesFromFlags(opts) : parseRetentionRules(await readJson(opts.file));
      await withContext(command, async ({ api, out }) => {
        const updated = await api.updateRepository(parseAddress(name).repository, { retention: rules });
        out.print(updated.retention ?? null, () => describeRules(updated.retention ?? rules));
      });
    });
  retention
    .command('clear')
    .argument('<repo>')
    .description('remove the rules: history is kept forever again')
    .action(async (name: string, _opts: unknown, command: Command) => {
      await withContext(command, async ({ api, out }) => {
        await api.updateRepository(parseAddress(name).repository, { retention: null });
        out.print(null, () => 'retention rules removed: history is kept forever');
      });
    });
}

function rulesFromFlags(opts: { days?: string; branch?: string[]; lifecycle?: string[]; stale?: string[] }): RetentionRules {
  const whole = (text: string, what: string): number => {
    if (!/^\d+$/.test(text)) throw invalidArgument(`${what} must be a whole number of days, not '${text}'`);
    return Number(text);
  };
  const branches = (opts.branch ?? []).map((item) => {
    const at = item.lastIndexOf('=');
    if (at <= 0) throw invalidArgument(`--branch takes pattern=days, not '${item}'`);
    const days = item.slice(at + 1);
    return { pattern: item.slice(0, at), days: days === 'forever' ? null : whole(days, '--branch') };
  });
  const lifecycle = (opts.lifecycle ?? []).map((item) => {
    const parts = item.split(':');
    if (parts.length < 3) throw invalidArgument(`--lifecycle takes prefix:days:branches, not '${item}'`);
    const patterns = parts.pop() ?? '';
    const days = parts.pop() ?? '';
    return { prefix: parts.join(':'), days: whole(days, '--lifecycle'), branches: patterns.split(',').filter((p) => p !== '') };
  });
  const staleBranches = (opts.stale ?? []).map((item) => {
    const at = item.lastIndexOf(':');
    if (at <= 0) throw invalidArgument(`--stale takes pattern:days, not '${item}'`);
    return { pattern: item.slice(0, at), days: whole(item.slice(at + 1), '--stale') };
  });
  return parseRetentionRules({ ...(opts.days === undefined ? {} : { days: whole(opts.days, '--days') }), branches, lifecycle, staleBranches });
}

function describeRules(rules: RetentionRules): string {
  const lines = [`replaced versions: ${rules.days === undefined ? 'kept forever' : `kept ${rules.days} day(s)`}`];
  for (const b of rules.branches) lines.push(`branch ${b.pattern}: ${b.days === null ? 'kept forever' : `kept ${b.days} day(s)`}`);
  for (const l of rules.lifecycle) lines.push(`lifecycle: objects under '${l.prefix}' older than ${l.days} day(s) deleted on ${l.branches.join(', ')}`);
  for (const s of rules.staleBranches) lines.push(`stale branches: ${s.pattern} deleted after ${s.days} day(s) without a commit`);
  return lines.join('\n');
}
