import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Command } from 'commander';
import { ACTIONS } from '../../core/access/actions.ts';
import { invalidArgument } from '../../core/errors.ts';
import type { PrincipalInfo, PrincipalKind } from '../../sdk/api.ts';
import { StrataClient } from '../../sdk/client.ts';
import { credentialsFile, withContext, type GlobalOptions } from '../context.ts';
import { readJson, readStdin } from '../input.ts';
import { createOutput } from '../output.ts';

function describe(p: PrincipalInfo & { scope?: string[] }): string {
  return [
    `${p.id} (${p.kind}${p.disabledAt === undefined ? '' : `, disabled ${p.disabledAt}`})`,
    `  policies: ${p.policies.length === 0 ? '(none)' : p.policies.join(', ')}`,
    ...(p.kind === 'group' ? [`  members:  ${(p.members ?? []).join(', ') || '(none)'}`] : [`  groups:   ${p.groups.join(', ') || '(none)'}`]),
    ...(p.scope === undefined ? [] : [`  token limited to: ${p.scope.join(', ')}`]),
  ].join('\n');
}

function registerPrincipalKind(program: Command, kind: PrincipalKind, noun: string): Command {
  const command = program.command(kind === 'service' ? 'service' : kind).description(`manage ${noun}s`);
  command
    .command('create')
    .argument('<id>')
    .description(`create a ${noun} (it may do nothing until a policy is attached: strata policy attach)`)
    .action(async (id: string, _opts: unknown, cmd: Command) => {
      await withContext(cmd, async ({ api, out }) => {
        const created = await api.identity.createPrincipal({ id, kind });
        out.print(created, () => `created ${noun} ${created.id}`);
      });
    });
  command
    .command('show')
    .argument('<id>')
    .description(`a ${noun} with its policies and ${kind === 'group' ? 'members' : 'groups'}`)
    .action(async (id: string, _opts: unknown, cmd: Command) => {
      await withContext(cmd, async ({ api, out }) => {
        const found = await api.identity.getPrincipal(id);
        out.print(found, () => describe(found));
      });
    });
  return command;
}

/** `strata whoami|login|token|user|service|group|policy|access`: identity and access control. */
export function registerIdentityCommands(program: Command): void {
  program
    .command('whoami')
    .description('the principal you act as, its groups and policies')
    .action(async (_opts: unknown, cmd: Command) => {
      await withContext(cmd, async ({ api, out }) => {
        const me = await api.identity.whoami();
        out.print(me, () => describe(me));
      });
    });

  program
    .command('login')
    .description('check a token against --endpoint and save it for that endpoint (in ~/.config/strata/credentials.json, private to you)')
    .addHelpText('after', '\nThe token comes from --token, else STRATA_TOKEN, else standard input (which keeps it out of shell history).')
    .action(async (_opts: unknown, cmd: Command) => {
      const global = cmd.optsWithGlobals<GlobalOptions>();
      const endpoint = (global.endpoint ?? process.env.STRATA_ENDPOINT ?? '').replace(/\/+$/, '');
      if (endpoint === '') throw invalidArgument('strata login needs --endpoint (or STRATA_ENDPOINT): the server to log in to');
      const token = (global.token ?? (process.env.STRATA_TOKEN || undefined) ?? (await readStdin())).trim();
      if (token === '') throw invalidArgument('no token given: --token, STRATA_TOKEN or standard input');
      const me = await new StrataClient({ endpoint, token }).identity.whoami();
      const file = credentialsFile();
      let saved: Record<string, string>;
      try {
        saved = JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>;
      } catch {
        saved = {};
      }
      saved[endpoint] = token;
      mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
      writeFileSync(file, `${JSON.stringify(saved, null, 2)}\n`, { mode: 0o600 });
      createOutput(global.json === true).print({ endpoint, principal: me.id }, () => `logged in to ${endpoint} as ${me.id}`);
    });

  const token = program.command('token').description('API tokens for REST, OTLP and the CLI against a server');
  token
    .command('create')
    .description('issue a token (for you, or with --principal for another); shown only now')
    .requiredOption('--name <name>', 'what the token is for (a laptop, a CI job)')
    .option('--principal <id>', 'issue it to another user or service (needs the right to)')
    .option('--expires-in-days <n>', 'expire after n days (default: never)', (v) => Number(v))
    .option('--role <policy>', 'limit the token to this role of its principal (repeatable)', (v: string, acc: string[]) => [...acc, v], [] as string[])
    .action(async (opts: { name: string; principal?: string; expiresInDays?: number; role: string[] }, cmd: Command) => {
      await withContext(cmd, async ({ api, out }) => {
        const created = await api.identity.createToken({ name: opts.name, ...(opts.principal === undefined ? {} : { principal: opts.principal }), ...(opts.expiresInDays === undefined ? {} : { expiresInDays: opts.expiresInDays }), ...(opts.role.length === 0 ? {} : { roles: opts.role }) });
        out.print(created, () => [`token for ${created.principal} (${created.name}${created.expiresAt === undefined ? '' : `, expires ${created.expiresAt}`}):`, created.token, 'Store it now: it cannot be shown again.'].join('\n'));
      });
    });
  token
    .command('list')
    .description('tokens (never their secrets): yours with --principal <you>, everyone\'s if you may')
    .option('--principal <id>')
    .action(async (opts: { principal?: string }, cmd: Command) => {
      await withContext(cmd, async ({ api, out }) => {
        const tokens = await api.identity.listTokens(opts.principal === undefined ? {} : { principal: opts.principal });
        out.print(tokens, () =>
          tokens.length === 0 ? '(no tokens)' : tokens.map((t) => `${t.id}  ${t.principal.padEnd(16)} ${t.name.padEnd(16)} ${t.revokedAt !== undefined ? `revoked ${t.revokedAt}` : t.expiresAt !== undefined ? `expires ${t.expiresAt}` : 'active'}`).join('\n'),
        );
      });
    });
  token
    .command('revoke')
    .argument('<id>', 'the token id (the part after st_)')
    .description('revoke a token; requests with it fail at once')
    .action(async (id: string, _opts: unknown, cmd: Command) => {
      await withContext(cmd, async ({ api, out }) => {
        await api.identity.revokeToken(id);
        out.print({ revoked: id }, () => `revoked token ${id}`);
      });
    });

  const user = registerPrincipalKind(program, 'user', 'user');
  registerPrincipalKind(program, 'service', 'service account');
  user
    .command('list')
    .description('users, services and groups')
    .action(async (_opts: unknown, cmd: Command) => {
      await withContext(cmd, async ({ api, out }) => {
        const all = await api.identity.listPrincipals();
        out.print(all, () => all.map((p) => `${p.id.padEnd(24)} ${p.kind.padEnd(8)} ${p.disabledAt === undefined ? 'enabled' : `disabled ${p.disabledAt}`}`).join('\n'));
      });
    });
  user
    .command('disable')
    .argument('<id>')
    .description('disable a user or service: its tokens and S3 keys stop working at once')
    .action(async (id: string, _opts: unknown, cmd: Command) => {
      await withContext(cmd, async ({ api, out }) => {
        await api.identity.disablePrincipal(id);
        out.print({ disabled: id }, () => `disabled ${id}`);
      });
    });
  const group = registerPrincipalKind(program, 'group', 'group');
  for (const [verb, what] of [['add', 'add a user or service to a group'], ['remove', 'remove a member from a group']] as const) {
    group
      .command(verb)
      .argument('<group>')
      .argument('<member>')
      .description(what)
      .action(async (name: string, member: string, _opts: unknown, cmd: Command) => {
        await withContext(cmd, async ({ api, out }) => {
          const updated = verb === 'add' ? await api.identity.addMember(name, member) : await api.identity.removeMember(name, member);
          out.print(updated, () => describe(updated));
        });
      });
  }

  const policy = program.command('policy').description('policies: built-in roles (admin, writer, reader, auditor, inference-writer) and your own');
  policy
    .command('list')
    .description('built-in roles and stored policies')
    .action(async (_opts: unknown, cmd: Command) => {
      await withContext(cmd, async ({ api, out }) => {
        const all = await api.identity.listPolicies();
        const width = Math.max(0, ...all.map((p) => p.name.length));
        out.print(all, () => all.map((p) => `${p.name.padEnd(width)}  ${p.builtIn ? 'built-in' : 'stored'}`).join('\n'));
      });
    });
  policy
    .command('actions')
    .description('every action a policy statement may name (patterns: `*`, `object:*`)')
    .action((_opts: unknown, cmd: Command) => {
      createOutput(cmd.optsWithGlobals<GlobalOptions>().json === true).print([...ACTIONS], () => ACTIONS.join('\n'));
    });
  policy
    .command('show')
    .description("a policy's document (JSON)")
    .argument('<name>')
    .action(async (name: string, _opts: unknown, cmd: Command) => {
      await withContext(cmd, async ({ api, out }) => {
        const found = await api.identity.getPolicy(name);
        out.print(found, () => JSON.stringify(found.document, null, 2));
      });
    });
  policy
    .command('put')
    .argument('<name>')
    .argument('<file>', "a JSON policy document ({ \"statements\": [{ \"effect\", \"actions\", \"resources\" }] }); '-' for standard input")
    .description('create or replace a policy')
    .action(async (name: string, file: string, _opts: unknown, cmd: Command) => {
      const document = await readJson(file);
      await withContext(cmd, async ({ api, out }) => {
        const saved = await api.identity.putPolicy(name, document);
        out.print(saved, () => `saved policy ${saved.name}`);
      });
    });
  for (const [verb, what] of [['attach', 'attach a policy or role to a user, service or group'], ['detach', 'detach a policy from a principal']] as const) {
    policy
      .command(verb)
      .argument('<policy>')
      .argument('<principal>', "a user, service or group; 'everyone' for every principal")
      .description(what)
      .action(async (name: string, principal: string, _opts: unknown, cmd: Command) => {
        await withContext(cmd, async ({ api, out }) => {
          const updated = verb === 'attach' ? await api.identity.attach(name, principal) : await api.identity.detach(name, principal);
          out.print(updated, () => describe(updated));
        });
      });
  }

  program
    .command('access')
    .description('explain access decisions')
    .command('check')
    .argument('<principal>')
    .argument('<action>', 'e.g. object:read')
    .argument('[resource]', 'repository:<name>, principal:<id>, …')
    .description('would <principal> be allowed <action> on [resource], and which statement decides')
    .action(async (principal: string, action: string, resource: string | undefined, _opts: unknown, cmd: Command) => {
      await withContext(cmd, async ({ api, out }) => {
        const decision = await api.identity.check({ principal, action, ...(resource === undefined ? {} : { resource }) });
        out.print(decision, () => `${decision.allowed ? 'allowed' : 'denied'}: ${decision.reason}`);
      });
    });
}

