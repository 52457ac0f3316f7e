import type { Command } from 'commander';
import { invalidArgument } from '../../core/errors.ts';
import type { ErasureCertificate, ErasureVerification } from '../../sdk/erasure-api.ts';
import { withContext } from '../context.ts';
import { createStatusLine } from '../progress.ts';
import { VERIFY_FAILED_EXIT } from './audit.ts';

const PHASES = { scan: 'finding every copy', lineage: 'following lineage', shards: 'reading derived shards', inference: 'searching the inference archive', commit: 'committing the heads', purge: 'deleting blobs', certify: 'signing the certificate' } as const;

const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;
const short = (sha: string): string => sha.slice(0, 12);

/**
 * What an erasure reached, one line per thing, so a dry run can be read before anything
 * happens. Content hashes only: nothing of the erased bytes is printed.
 */
export function certificateLines(c: ErasureCertificate): string[] {
  const lines = [c.dryRun ? `dry run: nothing changed; erasing ${c.target} would reach:` : `erased ${c.target} (erasure ${c.id})`];
  if (c.reason !== null) lines.push(`  reason: ${c.reason}`);
  lines.push(`  contents destroyed: ${c.destroyed.length} (reads of them answer Erased)`);
  lines.push(`  object versions: ${c.objectVersions.length}`);
  for (const v of c.objectVersions) lines.push(`    ${v.repository}:${v.path}  ${short(v.sha256)}`);
  const removed = c.shards.reduce((sum, s) => sum + s.removed, 0);
  lines.push(`  shards: ${c.shards.length}, ${plural(removed, 'record')} removed (${plural(c.records.length, 'record id')})`);
  for (const s of c.shards) lines.push(`    ${s.repository}:${s.path}  ${short(s.sha256)}  -${s.removed} / ${s.kept} kept${s.branches.length > 0 ? `  rewritten on ${s.branches.join(', ')}` : ''}`);
  if (c.tokenFiles.length > 0) lines.push(`  token files and quarantine shards: ${c.tokenFiles.length}`);
  lines.push(`  inference records: ${c.inference.records.length}${c.inference.records.length > 0 ? ` (${c.inference.records.join(', ')})` : ''} in ${plural(c.inference.partitions.length, 'partition version')}, ${plural(c.inference.payloads.length, 'payload')}`);
  lines.push(`  recipe cache: ${plural(c.prepCache.entries, 'entry', 'entries')}, ${plural(c.prepCache.segments.length, 'segment')}`);
  if (c.staged.length > 0) lines.push(`  staged changes put back: ${c.staged.map((s) => `${s.repository}@${s.branch}:${s.path}`).join(', ')}`);
  if (c.uploads.length > 0) lines.push(`  multipart uploads aborted: ${c.uploads.length}`);
  lines.push(`  marked: ${c.marked.length === 0 ? 'nothing' : c.marked.map((m) => `${m.subject} (${m.mark})`).join(', ')}`);
  if (!c.dryRun) {
    for (const commit of c.commits) lines.push(`  commit ${commit.repository}@${commit.branch} ${short(commit.commit)}`);
    const absent = c.checks.filter((check) => check.absent).length;
    lines.push(`  blobs deleted: ${c.blobs.length} (checked absent: ${absent}/${c.checks.length})${c.shared.length > 0 ? `; ${plural(c.shared.length, 'chunk')} kept, shared with content not erased` : ''}`);
    lines.push(`certificate: strata erase show ${c.id} · check: strata erase verify ${c.id}`);
  }
  return lines;
}

function verificationLine(v: ErasureVerification): string {
  if (v.valid) return `erasure ${v.id} verifies: signature valid, none of ${plural(v.checked, 'blob')} is stored`;
  const why = [v.signature === 'valid' ? '' : `signature ${v.signature}`, v.present.length === 0 ? '' : `${plural(v.present.length, 'blob')} stored again: ${v.present.join(', ')}`].filter((s) => s !== '');
  return `erasure ${v.id} does NOT verify: ${why.join('; ')}`;
}

/** `strata erase <target>`, `strata erase show|list|verify`. */
export function registerEraseCommands(program: Command): void {
  const erase = program
    .command('erase')
    .argument('[target]', 'repo@ref:path (the content at that ref), source:<uri>, sha256:<hex> or dataset:<name>')
    .description('destroy a content, every copy of it and every record recipes derived from it, and sign a certificate (needs erasure:run)')
    .option('--dry-run', 'list everything the erasure would reach; change nothing')
    .option('--reason <text>', 'why (a request number, a licence withdrawn): goes into the certificate')
    .action(async (target: string | undefined, opts: { dryRun?: boolean; reason?: string }, command: Command) => {
      if (target === undefined) throw invalidArgument('name what to erase: strata erase <repo@ref:path | source:<uri> | sha256:<hex> | dataset:<name>> [--dry-run]');
      await withContext(command, async ({ api, out }) => {
        const status = createStatusLine({ label: 'erase', enabled: !out.json });
        const certificate = await api.erasure.erase({ target, dryRun: opts.dryRun === true, ...(opts.reason === undefined ? {} : { reason: opts.reason }) }, (phase) => {
          status.update(PHASES[phase]);
        });
        status.stop();
        out.print(certificate, () => certificateLines(certificate).join('\n'));
      });
    });
  erase
    .command('show')
    .argument('<id>')
    .description('an erasure certificate (--json: the certificate, its exact signed text, the signature and key id)')
    .action(async (id: string, _opts: unknown, command: Command) => {
      await withContext(command, async ({ api, out }) => {
        const record = await api.erasure.show(id);
        out.print(record, () => [...certificateLines(record.certificate), `signed by key ${record.keyId || '(none)'}: ${record.signature || '(unsigned)'}`].join('\n'));
      });
    });
  erase
    .command('list')
    .description('erasures done, newest first')
    .option('--limit <n>', 'at most this many', '50')
    .action(async (opts: { limit: string }, command: Command) => {
      const limit = Number(opts.limit);
      if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw invalidArgument(`--limit must be a whole number from 1 to 1000, got '${opts.limit}'`);
      await withContext(command, async ({ api, out }) => {
        const erasures = await api.erasure.list(limit);
        out.print(erasures, () => (erasures.length === 0 ? '(no erasures)' : erasures.map((e) => `${e.id}  ${e.createdAt}  ${e.actor}  ${e.target}`).join('\n')));
      });
    });
  erase
    .command('verify')
    .argument('<id>')
    .description(`check the certificate's signature and that none of its blobs is stored again (exit ${VERIFY_FAILED_EXIT} when it does not verify)`)
    .action(async (id: string, _opts: unknown, command: Command) => {
      let result: ErasureVerification | undefined;
      await withContext(command, async ({ api, out }) => {
        result = await api.erasure.verify(id);
        out.print(result, () => verificationLine(result as ErasureVerification));
      });
      if (result?.valid === false) process.exitCode = VERIFY_FAILED_EXIT;
    });
}
