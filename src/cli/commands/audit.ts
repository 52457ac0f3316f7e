import type { Command } from 'commander';
import { exportAuditLog, exportSource } from '../../app/audit-export.ts';
import { verifyAuditLog, type AuditVerification } from '../../core/audit/audit-verify.ts';
import { invalidArgument } from '../../core/errors.ts';
import type { AuditEntryView } from '../../sdk/audit-api.ts';
import { withContext } from '../context.ts';
import type { Output } from '../output.ts';

/** Exit code of `strata audit verify` when the log does not verify (errors keep their own codes). */
export const VERIFY_FAILED_EXIT = 9;

const integer = (name: string) => (text: string): number => {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0) throw invalidArgument(`${name} must be a whole number ≥ 0, got '${text}'`);
  return n;
};

function entryLine(e: AuditEntryView): string {
  return `${String(e.seq).padStart(6)}  ${e.time}  ${e.actor.padEnd(12)} ${e.action.padEnd(18)} ${e.outcome.padEnd(8)} ${e.resource}`;
}

/** `strata audit list|show|heads|proof|consistency|sign|verify|export|public-key`. */
export function registerAuditCommands(program: Command): void {
  const audit = program.command('audit').description('read, prove and verify the tamper-evident audit log');
  audit
    .command('list')
    .description('entries in order')
    .option('--from <seq>', 'first entry', integer('--from'))
    .option('--to <seq>', 'stop before this entry', integer('--to'))
    .option('--actor <id>')
    .option('--action <action>', 'e.g. object:write, branch:commit')
    .option('--resource <prefix>', 'entries whose resource starts with this (repo, repo@branch, …)')
    .option('--limit <n>', 'at most this many (≤ 10000)', integer('--limit'), 100)
    .action(async (opts: { from?: number; to?: number; actor?: string; action?: string; resource?: string; limit: number }, command: Command) => {
      await withContext(command, async ({ api, out }) => {
        const entries = await api.audit.entries(opts);
        out.print(entries, () => (entries.length === 0 ? '(no entries)' : entries.map(entryLine).join('\n')));
      });
    });
  audit
    .command('show')
    .argument('<seq>', 'entry number', integer('seq'))
    .description('one entry with its details')
    .action(async (seq: number, _opts: unknown, command: Command) => {
      await withContext(command, async ({ api, out }) => {
        const e = await api.audit.entry(seq);
        out.print(e, () => [entryLine(e), `request ${e.requestId ?? '-'} from ${e.source ?? '-'}`, `leaf hash ${e.leafHash}`, `details ${JSON.stringify(e.details ?? null, null, 2)}`].join('\n'));
      });
    });
  audit
    .command('heads')
    .description('signed tree heads')
    .option('--limit <n>', 'the last n', integer('--limit'))
    .action(async (opts: { limit?: number }, command: Command) => {
      await withContext(command, async ({ api, out }) => {
        const all = await api.audit.heads();
        const heads = opts.limit === undefined ? all : all.slice(-opts.limit);
        out.print(heads, () => (heads.length === 0 ? '(no signed heads yet)' : heads.map((h) => `${String(h.treeSize).padStart(8)}  ${h.timestamp}  ${h.rootHash}`).join('\n')));
      });
    });
  audit
    .command('proof')
    .argument('<seq>', 'entry number', integer('seq'))
    .option('--tree-size <n>', 'prove against the tree of n entries (default: the latest signed head)', integer('--tree-size'))
    .description('RFC 9162 inclusion proof of an entry')
    .action(async (seq: number, opts: { treeSize?: number }, command: Command) => {
      await withContext(command, async ({ api, out }) => {
        const p = await api.audit.inclusionProof(seq, opts.treeSize);
        out.print(p, () => [`entry ${p.seq} in the tree of ${p.treeSize}`, `leaf ${p.leafHash}`, `root ${p.rootHash}`, ...p.proof.map((h, i) => `  ${i}: ${h}`)].join('\n'));
      });
    });
  audit
    .command('consistency')
    .argument('<first>', 'smaller tree size', integer('first'))
    .argument('<second>', 'larger tree size', integer('second'))
    .description('RFC 9162 consistency proof between two tree sizes')
    .action(async (first: number, second: number, _opts: unknown, command: Command) => {
      await withContext(command, async ({ api, out }) => {
        const p = await api.audit.consistencyProof(first, second);
        out.print(p, () => [`${p.first} → ${p.second}`, `first root  ${p.firstRoot}`, `second root ${p.secondRoot}`, ...p.proof.map((h, i) => `  ${i}: ${h}`)].join('\n'));
      });
    });
  audit
    .command('sign')
    .description('sign a tree head over the log as it is now (a server also signs every N entries and seconds)')
    .action(async (_opts: unknown, command: Command) => {
      await withContext(command, async ({ api, out }) => {
        const head = await api.audit.sign();
        out.print(head, () => `signed the tree head of ${head.treeSize} entries: root ${head.rootHash} at ${head.timestamp}`);
      });
    });
  audit
    .command('prune')
    .description('empty entries older than STRATA_AUDIT_RETENTION_DAYS (seq, time and hashes stay, so the log still verifies)')
    .action(async (_opts: unknown, command: Command) => {
      await withContext(command, async ({ api, out }) => {
        const result = await api.audit.prune();
        out.print(result, () => `pruned ${result.pruned} entries older than ${result.before}`);
      });
    });
  audit
    .command('public-key')
    .description('the Ed25519 public key that signs tree heads (PEM)')
    .action(async (_opts: unknown, command: Command) => {
      await withContext(command, async ({ api, out }) => {
        const key = await api.audit.publicKey();
        out.print(key, () => `${key.publicKeyPem.trimEnd()}\n# key id ${key.keyId}`);
      });
    });
  audit
    .command('export')
    .argument('<dir>', 'folder to write entries.jsonl, heads.jsonl, public-key.pem and README.txt into')
    .description('write the log for an external verifier')
    .action(async (dir: string, _opts: unknown, command: Command) => {
      await withContext(command, async ({ api, out }) => {
        const counted = await exportAuditLog(api.audit, dir, (n) => {
          if (process.stderr.isTTY && !out.json) process.stderr.write(`\rexported ${n} entries`);
        });
        if (process.stderr.isTTY && !out.json) process.stderr.write('\n');
        out.print({ dir, ...counted }, () => `exported ${counted.entries} entries and ${counted.heads} signed heads to ${dir}`);
      });
    });
  audit
    .command('verify')
    .option('--export <dir>', 'verify an export instead of the stored log')
    .description('recompute the log and check every signed head; names each changed, moved, deleted or inserted entry')
    .action(async (opts: { export?: string }, command: Command) => {
      const progress = (n: number): void => {
        if (process.stderr.isTTY) process.stderr.write(`\rverified ${n} entries`);
      };
      let report: AuditVerification | undefined;
      if (opts.export !== undefined) {
        const { source, publicKeyPem } = await exportSource(opts.export);
        report = await verifyAuditLog(source, publicKeyPem, { onProgress: progress });
        printReport(report, command.optsWithGlobals<{ json?: boolean }>().json === true);
      } else {
        await withContext(command, async ({ api, out }) => {
          report = await api.audit.verify(progress);
          printReport(report, out.json, out);
        });
      }
      if (report?.ok === false) process.exitCode = VERIFY_FAILED_EXIT;
    });
}

function printReport(report: AuditVerification, json: boolean, out?: Output): void {
  if (process.stderr.isTTY) process.stderr.write('\r');
  const text = json
    ? JSON.stringify(report, null, 2)
    : report.ok
      ? `ok: ${report.entries} entries, ${report.heads} signed heads verified (through ${report.verifiedThrough} entries)`
      : [`FAILED: ${report.problems.length} problem${report.problems.length === 1 ? '' : 's'} in ${report.entries} entries and ${report.heads} signed heads (verified through ${report.verifiedThrough})`, ...report.problems.map((p) => `  ${p.kind}: ${p.message}`)].join('\n');
  if (out !== undefined) out.line(text);
  else process.stdout.write(`${text}\n`);
}
