import type { Command } from 'commander';
import { withContext } from '../context.ts';

/** `strata keys create|list|revoke`: S3 access keys per principal. */
export function registerKeyCommands(program: Command): void {
  const keys = program.command('keys').description('issue, list and revoke S3 access keys');
  keys
    .command('create')
    .description('issue a key; the secret is shown only now')
    .option('--principal <name>', 'who requests signed with the key act as (default: you)')
    .option('--id <id>', 'keep an existing access key id (with --secret), e.g. when moving tools from another S3 service')
    .option('--secret <secret>', 'the existing secret for --id')
    .action(async (opts: { principal?: string; id?: string; secret?: string }, command: Command) => {
      await withContext(command, async ({ api, out }) => {
        const key = await api.createAccessKey({ ...(opts.principal === undefined ? {} : { principal: opts.principal }), ...(opts.id === undefined ? {} : { id: opts.id }), ...(opts.secret === undefined ? {} : { secret: opts.secret }) });
        out.print(key, () => [`access key id:     ${key.id}`, `secret access key: ${key.secret}`, `principal:         ${key.principal}`, 'Store the secret now: it cannot be shown again.'].join('\n'));
      });
    });
  keys
    .command('list')
    .description('list keys (never their secrets): every key, or one principal\'s')
    .option('--principal <name>', 'only this principal\'s keys (needed unless you may see every key)')
    .action(async (opts: { principal?: string }, command: Command) => {
      await withContext(command, async ({ api, out }) => {
        const list = await api.listAccessKeys(opts.principal === undefined ? {} : { principal: opts.principal });
        out.print(list, () =>
          list.length === 0 ? '(no access keys)' : list.map((k) => `${k.id}  ${k.principal.padEnd(20)} ${k.createdAt}  ${k.revokedAt === undefined ? 'active' : `revoked ${k.revokedAt}`}`).join('\n'),
        );
      });
    });
  keys
    .command('revoke')
    .argument('<id>', 'access key id')
    .description('revoke a key; requests signed with it fail at once')
    .action(async (id: string, _opts: unknown, command: Command) => {
      await withContext(command, async ({ api, out }) => {
        await api.revokeAccessKey(id);
        out.print({ revoked: id }, () => `revoked access key ${id}`);
      });
    });
}
