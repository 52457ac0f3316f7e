import type { Command } from 'commander';
import { invalidArgument } from '../../core/errors.ts';
import { MERGE_STRATEGIES, type MergeStrategy } from '../../core/versioning/types.ts';
import type { CommitInfo } from '../../sdk/api.ts';
import { otherRef, requireRef } from '../address.ts';
import { withContext } from '../context.ts';
import { formatChanges, parsePairs } from '../output.ts';

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

function formatCommit(c: CommitInfo): string {
  const lines = [`commit ${c.id}`];
  if (c.parents.length > 1) lines.push(`Merge:  ${c.parents.map((p) => p.slice(0, 12)).join(' ')}`);
  lines.push(`Author: ${c.author}`, `Date:   ${c.createdAt}`);
  for (const [k, v] of Object.entries(c.metadata)) lines.push(`Meta:   ${k}=${v}`);
  lines.push('', ...c.message.split('\n').map((l) => `    ${l}`));
  return lines.join('\n');
}

export function registerHistoryCommands(program: Command): void {
  program
    .command('status')
    .description('uncommitted changes of a branch')
    .argument('<branch>', 'repo@branch[:prefix]')
    .action(async (target: string, _opts: unknown, command: Command) => {
      const address = requireRef(target, 'branch');
      await withContext(command, async ({ api, out }) => {
        const changes = await api.status({ repository: address.repository, branch: address.ref, prefix: address.path });
        out.print(changes, () => `On ${address.repository}@${address.ref}: ${changes.length} uncommitted change(s)\n${formatChanges(changes)}`);
      });
    });

  program
    .command('commit')
    .description("commit a branch's staged changes")
    .argument('<branch>', 'repo@branch')
    .requiredOption('-m, --message <text>', 'commit message')
    .option('--meta <key=value>', 'commit metadata (repeatable)', collect)
    .option('--only <path-or-prefix>', 'commit only this path and what lies under it (repeatable); default: everything staged on the branch', collect)
    .action(async (target: string, opts: { message: string; meta?: string[]; only?: string[] }, command: Command) => {
      const address = requireRef(target, 'branch');
      await withContext(command, async ({ api, out }) => {
        const commit = await api.commit({ repository: address.repository, branch: address.ref, message: opts.message, metadata: parsePairs(opts.meta), only: opts.only });
        out.print(commit, () => `[${address.ref} ${commit.id.slice(0, 12)}] ${commit.message}`);
      });
    });

  program
    .command('log')
    .description('history of a ref, newest first')
    .argument('<ref>', 'repo@ref')
    .option('-n, --max-count <n>', 'how many commits', '20')
    .action(async (target: string, opts: { maxCount: string }, command: Command) => {
      const address = requireRef(target, 'ref');
      await withContext(command, async ({ api, out }) => {
        const commits = await api.log({ repository: address.repository, ref: address.ref, limit: Number(opts.maxCount) });
        out.print(commits, () => commits.map(formatCommit).join('\n\n'));
      });
    });

  program
    .command('show')
    .description('the commit a ref points at')
    .argument('<ref>', 'repo@ref')
    .action(async (target: string, _opts: unknown, command: Command) => {
      const address = requireRef(target, 'ref');
      await withContext(command, async ({ api, out }) => {
        const commit = await api.show({ repository: address.repository, ref: address.ref });
        out.print(commit, () => formatCommit(commit));
      });
    });

  program
    .command('diff')
    .description('changes between two refs; with one branch, its uncommitted changes')
    .argument('<left>', 'repo@ref[:prefix]')
    .argument('[right]', 'ref (or repo@ref) to compare with')
    .action(async (left: string, rightText: string | undefined, _opts: unknown, command: Command) => {
      const address = requireRef(left, 'ref');
      const right = rightText === undefined ? undefined : otherRef(rightText, address.repository);
      await withContext(command, async ({ api, out }) => {
        const changes = right === undefined
          ? await api.status({ repository: address.repository, branch: address.ref, prefix: address.path })
          : await api.diff({ repository: address.repository, left: address.ref, right, prefix: address.path });
        out.print(changes, () => formatChanges(changes));
      });
    });

  program
    .command('merge')
    .description('three-way merge of a ref into a branch')
    .argument('<source>', 'repo@ref to merge from')
    .argument('<destination>', 'branch (or repo@branch) to merge into')
    .option('--strategy <strategy>', `on conflicts: ${MERGE_STRATEGIES.join(', ')}`, 'fail')
    .option('-m, --message <text>', 'merge commit message')
    .action(async (source: string, destinationText: string, opts: { strategy: string; message?: string }, command: Command) => {
      const address = requireRef(source, 'ref');
      const destination = otherRef(destinationText, address.repository);
      if (!MERGE_STRATEGIES.includes(opts.strategy as MergeStrategy)) throw invalidArgument(`unknown strategy '${opts.strategy}': use ${MERGE_STRATEGIES.join(', ')}`);
      await withContext(command, async ({ api, out }) => {
        const result = await api.merge({ repository: address.repository, source: address.ref, destination, strategy: opts.strategy as MergeStrategy, message: opts.message });
        const checks = (result.checks ?? []).map((c) => `\n  check passed: ${c.check}: ${c.message}`).join('');
        out.print(result, () =>
          result.merged
            ? `merged ${address.ref} into ${destination}: ${result.changes} change(s), commit ${result.commit.id.slice(0, 12)}${result.resolvedConflicts.length > 0 ? `, ${result.resolvedConflicts.length} conflict(s) resolved by ${opts.strategy}` : ''}${checks}`
            : `already up to date: ${address.ref} is contained in ${destination}`,
        );
      });
    });

  program
    .command('revert')
    .description('add a commit that undoes another')
    .argument('<branch>', 'repo@branch to add the revert to')
    .argument('<commit>', 'commit (or ref) to revert')
    .option('--parent <n>', 'for a merge commit: the parent (1 or 2) to revert to')
    .action(async (target: string, ref: string, opts: { parent?: string }, command: Command) => {
      const address = requireRef(target, 'branch');
      await withContext(command, async ({ api, out }) => {
        const result = await api.revert({ repository: address.repository, branch: address.ref, ref, parent: opts.parent === undefined ? undefined : Number(opts.parent) });
        out.print(result, () => `[${address.ref} ${result.commit.id.slice(0, 12)}] ${result.commit.message.split('\n')[0] ?? ''}`);
      });
    });

  program
    .command('reset')
    .description("drop a branch's uncommitted changes (all, or under :prefix)")
    .argument('<branch>', 'repo@branch[:prefix]')
    .action(async (target: string, _opts: unknown, command: Command) => {
      const address = requireRef(target, 'branch');
      await withContext(command, async ({ api, out }) => {
        const dropped = await api.reset({ repository: address.repository, branch: address.ref, prefix: address.path });
        out.print({ reset: dropped }, () => `dropped ${dropped} staged change(s)`);
      });
    });
}
