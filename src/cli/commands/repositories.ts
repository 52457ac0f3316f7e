import { mkdir, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { openStrata } from '../../app/open-strata.ts';
import { CONFIG_FILE_NAME, DATA_DIR_NAME, loadConfig } from '../../config/config.ts';
import { invalidArgument } from '../../core/errors.ts';
import { S3_LAYOUTS, type S3Layout } from '../../core/ports/metadata-store.ts';
import { parseAddress, requireRef } from '../address.ts';
import { adminName, withContext, type GlobalOptions } from '../context.ts';
import { createOutput } from '../output.ts';
import { registerProtectionCommands } from './protection.ts';

export function registerRepositoryCommands(program: Command): void {
  program
    .command('init')
    .description(`create a Strata data folder (${DATA_DIR_NAME}) here or in <dir>`)
    .argument('[dir]', `where to create it (default: --data-dir, else STRATA_DATA_DIR, else ./${DATA_DIR_NAME})`)
    .action(async (dir: string | undefined, _opts: unknown, command: Command) => {
      const global = command.optsWithGlobals<GlobalOptions>();
      // The folder every other command would use (flag, then STRATA_DATA_DIR), never a parent's.
      const given = dir === undefined ? global.dataDir : join(dir, DATA_DIR_NAME);
      const dataDir = loadConfig({ env: process.env, cwd: process.cwd(), searchParents: false, overrides: { dataDir: given } }).dataDir;
      const existed = existsSync(join(dataDir, CONFIG_FILE_NAME));
      await mkdir(dataDir, { recursive: true, mode: 0o700 });
      if (!existed) await writeFile(join(dataDir, CONFIG_FILE_NAME), '{}\n', { mode: 0o600 });
      const config = loadConfig({ env: process.env, cwd: process.cwd(), overrides: { dataDir } });
      const core = await openStrata(config, { create: true });
      let bootstrap: Awaited<ReturnType<typeof core.identity.bootstrap>>;
      try {
        bootstrap = await core.identity.bootstrap(adminName());
      } finally {
        await core.close();
      }
      const { admin, token } = bootstrap;
      createOutput(global.json === true).print({ dataDir, created: !existed, admin, ...(token === undefined ? {} : { token: token.token }) }, () =>
        [
          existed ? `Strata data folder already initialized at ${dataDir}` : `Initialized empty Strata data folder in ${dataDir}`,
          ...(token === undefined
            ? []
            : [
                `Administrator: ${admin} (commands run here, without --endpoint, act as ${admin}).`,
                `API token for ${admin}, shown once — for \`strata serve\` clients: export STRATA_TOKEN=${token.token}`,
              ]),
        ].join('\n'),
      );
    });

  const repo = program.command('repo').description('create, list and delete repositories');
  repo
    .command('create')
    .argument('<name>', 'repository name (S3 bucket rules)')
    .option('--default-branch <name>', 'name of the default branch', 'main')
    .action(async (name: string, opts: { defaultBranch: string }, command: Command) => {
      await withContext(command, async ({ api, out }) => {
        const created = await api.createRepository({ name, defaultBranch: opts.defaultBranch });
        out.print(created, () => `created repository ${created.name} (default branch ${created.defaultBranch})`);
      });
    });
  repo.command('list').action(async (_opts: unknown, command: Command) => {
    await withContext(command, async ({ api, out }) => {
      const repositories = await api.listRepositories();
      out.print(repositories, () =>
        repositories.length === 0 ? '(no repositories)' : repositories.map((r) => `${r.name.padEnd(24)} ${r.defaultBranch.padEnd(12)} ${r.createdAt}  ${r.createdBy}`).join('\n'),
      );
    });
  });
  repo
    .command('set')
    .description("change a repository's settings")
    .argument('<name>')
    .option('--s3-layout <layout>', "S3 keys: 'ref' (<ref>/<path>) or 'plain' (paths on the default branch)")
    .option('--public-read', 'allow anonymous S3 reads')
    .option('--no-public-read', 'refuse anonymous S3 reads')
    .option('--audit-reads', 'append every data read (API and S3) to the audit log')
    .option('--no-audit-reads', 'audit changes only')
    .action(async (name: string, opts: { s3Layout?: string; publicRead?: boolean; auditReads?: boolean }, command: Command) => {
      if (opts.s3Layout === undefined && opts.publicRead === undefined && opts.auditReads === undefined) throw invalidArgument('nothing to change: give --s3-layout, --[no-]public-read or --[no-]audit-reads');
      if (opts.s3Layout !== undefined && !S3_LAYOUTS.includes(opts.s3Layout as S3Layout)) throw invalidArgument(`invalid --s3-layout '${opts.s3Layout}': use ref or plain`);
      await withContext(command, async ({ api, out }) => {
        const updated = await api.updateRepository(name, { s3Layout: opts.s3Layout as S3Layout | undefined, publicRead: opts.publicRead, auditReads: opts.auditReads });
        out.print(updated, () => `${updated.name}: S3 layout ${updated.s3Layout}, public read ${updated.publicRead ? 'on' : 'off'}, audited reads ${updated.auditReads ? 'on' : 'off'}`);
      });
    });
  repo
    .command('delete')
    .argument('<name>')
    .option('--yes', 'confirm: deletes every branch, tag, commit and staged change')
    .action(async (name: string, opts: { yes?: boolean }, command: Command) => {
      if (opts.yes !== true) throw invalidArgument(`deleting '${name}' removes all its history; add --yes to confirm`);
      await withContext(command, async ({ api, out }) => {
        await api.deleteRepository(name);
        out.print({ deleted: name }, () => `deleted repository ${name}`);
      });
    });

  const branch = program.command('branch').description('create, list, delete and protect branches');
  branch
    .command('create')
    .argument('<branch>', 'repo@name')
    .option('--from <ref>', 'branch, tag or commit to start from (default: the default branch)')
    .action(async (target: string, opts: { from?: string }, command: Command) => {
      const address = requireRef(target, 'branch');
      await withContext(command, async ({ api, out }) => {
        const created = await api.createBranch({ repository: address.repository, name: address.ref, from: opts.from });
        out.print(created, () => `created branch ${address.repository}@${created.name} at ${created.head.slice(0, 12)}`);
      });
    });
  branch
    .command('list')
    .argument('<repo>')
    .action(async (repoName: string, _opts: unknown, command: Command) => {
      await withContext(command, async ({ api, out }) => {
        const branches = await api.listBranches(parseAddress(repoName).repository);
        out.print(branches, () => branches.map((b) => `${b.name.padEnd(24)} ${b.head.slice(0, 12)}  ${b.createdAt}`).join('\n'));
      });
    });
  branch
    .command('delete')
    .argument('<branch>', 'repo@name')
    .action(async (target: string, _opts: unknown, command: Command) => {
      const address = requireRef(target, 'branch');
      await withContext(command, async ({ api, out }) => {
        await api.deleteBranch({ repository: address.repository, name: address.ref });
        out.print({ deleted: address.ref }, () => `deleted branch ${address.repository}@${address.ref}`);
      });
    });

  registerProtectionCommands(branch);

  const tag = program.command('tag').description('create, list and delete tags');
  tag
    .command('create')
    .argument('<tag>', 'repo@name')
    .argument('<ref>', 'branch, tag or commit to tag')
    .action(async (target: string, ref: string, _opts: unknown, command: Command) => {
      const address = requireRef(target, 'ref');
      await withContext(command, async ({ api, out }) => {
        const created = await api.createTag({ repository: address.repository, name: address.ref, ref });
        out.print(created, () => `tagged ${created.commitId.slice(0, 12)} as ${address.repository}@${created.name}`);
      });
    });
  tag
    .command('list')
    .argument('<repo>')
    .action(async (repoName: string, _opts: unknown, command: Command) => {
      await withContext(command, async ({ api, out }) => {
        const tags = await api.listTags(parseAddress(repoName).repository);
        out.print(tags, () => (tags.length === 0 ? '(no tags)' : tags.map((t) => `${t.name.padEnd(24)} ${t.commitId.slice(0, 12)}  ${t.createdAt}`).join('\n')));
      });
    });
  tag
    .command('delete')
    .argument('<tag>', 'repo@name')
    .action(async (target: string, _opts: unknown, command: Command) => {
      const address = requireRef(target, 'ref');
      await withContext(command, async ({ api, out }) => {
        await api.deleteTag({ repository: address.repository, name: address.ref });
        out.print({ deleted: address.ref }, () => `deleted tag ${address.repository}@${address.ref}`);
      });
    });
}
