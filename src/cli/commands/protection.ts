import type { Command } from 'commander';
import { invalidArgument } from '../../core/errors.ts';
import type { MergeCheck, ProtectionRule } from '../../core/protection/protection-rules.ts';
import { parseAddress, requireRef } from '../address.ts';
import { withContext } from '../context.ts';
import { readJson } from '../input.ts';

interface ProtectOptions {
  allowDirectWrites?: boolean;
  allowDelete?: boolean;
  schema?: string;
  schemaPrefix?: string;
  recipe?: string;
  forbidLabel?: string[];
  maxSize?: string;
  webhook?: string[];
}

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

/** `strata branch protect|unprotect|protection`: a repository's branch protection rules. */
export function registerProtectionCommands(branch: Command): void {
  branch
    .command('protect')
    .argument('<branch>', 'repo@pattern: a branch name, or a pattern with * (repo@release-*)')
    .description('protect branches: changes arrive by merge only, no deletion, and the merge checks given (replaces the rule for the same pattern)')
    .option('--allow-direct-writes', 'let writes and commits reach the branch directly (the checks still guard merges)')
    .option('--allow-delete', 'let the branch be deleted')
    .option('--schema <file>', 'require every record of JSON Lines and Parquet files a merge adds or changes to match this JSON Schema')
    .option('--schema-prefix <prefix>', 'only under this path (with --schema)')
    .option('--recipe <name@version>', "require those records to pass a kept recipe's validate steps (with --schema-prefix: only there)")
    .option('--forbid-label <label>', 'refuse merges that add objects of a dataset with this label (repeatable)', collect)
    .option('--max-size <bytes>', 'refuse merges that add an object larger than this')
    .option('--webhook <url>', 'POST the merge summary here; a non-2xx answer blocks the merge (repeatable)', collect)
    .action(async (target: string, opts: ProtectOptions, command: Command) => {
      const address = requireRef(target, 'branch');
      const rule: ProtectionRule = { branch: address.ref, mergeOnly: opts.allowDirectWrites !== true, noDelete: opts.allowDelete !== true, checks: await checksFrom(opts) };
      await withContext(command, async ({ api, out }) => {
        const current = (await api.getRepository(address.repository)).protection ?? [];
        const rules = [...current.filter((r) => r.branch !== rule.branch), rule];
        const updated = await api.updateRepository(address.repository, { protection: rules });
        out.print(updated.protection ?? [], () => `protected ${address.repository}@${rule.branch}: ${describe(rule)}`);
      });
    });
  branch
    .command('unprotect')
    .argument('<branch>', 'repo@pattern, as given to protect')
    .description('remove the protection rule for a branch pattern')
    .action(async (target: string, _opts: unknown, command: Command) => {
      const address = requireRef(target, 'branch');
      await withContext(command, async ({ api, out }) => {
        const current = (await api.getRepository(address.repository)).protection ?? [];
        if (!current.some((r) => r.branch === address.ref)) throw invalidArgument(`${address.repository} has no protection rule for '${address.ref}'`);
        const updated = await api.updateRepository(address.repository, { protection: current.filter((r) => r.branch !== address.ref) });
        out.print(updated.protection ?? [], () => `unprotected ${address.repository}@${address.ref}`);
      });
    });
  branch
    .command('protection')
    .argument('<repo>')
    .description("list a repository's branch protection rules")
    .action(async (name: string, _opts: unknown, command: Command) => {
      await withContext(command, async ({ api, out }) => {
        const rules = (await api.getRepository(parseAddress(name).repository)).protection ?? [];
        out.print(rules, () => (rules.length === 0 ? '(no protected branches)' : rules.map((r) => `${r.branch.padEnd(20)} ${describe(r)}`).join('\n')));
      });
    });
}

async function checksFrom(opts: ProtectOptions): Promise<MergeCheck[]> {
  const checks: MergeCheck[] = [];
  if (opts.schema !== undefined) {
    const schema = await readJson(opts.schema);
    if (typeof schema !== 'object' || schema === null || Array.isArray(schema)) throw invalidArgument(`${opts.schema} is not a JSON Schema object`);
    checks.push({ type: 'schema', prefix: opts.schemaPrefix ?? '', schema: schema as Record<string, unknown> });
  }
  if (opts.recipe !== undefined) checks.push({ type: 'recipe', prefix: opts.schemaPrefix ?? '', recipe: opts.recipe });
  if (opts.schemaPrefix !== undefined && opts.schema === undefined && opts.recipe === undefined) throw invalidArgument('--schema-prefix goes with --schema or --recipe');
  for (const label of opts.forbidLabel ?? []) checks.push({ type: 'forbidden-label', label });
  if (opts.maxSize !== undefined) {
    const bytes = Number(opts.maxSize);
    if (!Number.isInteger(bytes) || bytes <= 0) throw invalidArgument(`--max-size must be a whole number of bytes, not '${opts.maxSize}'`);
    checks.push({ type: 'max-size', prefix: '', bytes });
  }
  for (const url of opts.webhook ?? []) checks.push({ type: 'webhook', url, timeoutSeconds: 30 });
  return checks;
}

function describeCheck(check: MergeCheck): string {
  const under = 'prefix' in check && check.prefix !== '' ? ` under ${check.prefix}` : '';
  switch (check.type) {
    case 'schema':
      return `schema${under}`;
    case 'recipe':
      return `recipe ${check.recipe}${under}`;
    case 'forbidden-label':
      return `forbid label ${check.label}`;
    case 'max-size':
      return `max size ${check.bytes}`;
    case 'webhook':
      return `webhook ${check.url}`;
  }
}

function describe(rule: ProtectionRule): string {
  const parts = [rule.mergeOnly ? 'merge only' : 'direct writes allowed', rule.noDelete ? 'no delete' : 'delete allowed'];
  const checks = rule.checks.map(describeCheck);
  return [...parts, ...(checks.length === 0 ? [] : [`checks: ${checks.join(', ')}`])].join('; ');
}
