import type { Command } from 'commander';
import { invalidArgument } from '../../core/errors.ts';
import { withContext } from '../context.ts';
import { parsePairs } from '../output.ts';

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

/** `strata model create|register|alias|list|show|history`. */
export function registerModelCommands(program: Command): void {
  const model = program.command('model').description('the model registry: versions of exact artifacts, linked to runs, with aliases');
  model
    .command('create')
    .argument('<name>')
    .option('--description <text>')
    .option('--tag <tag>', 'repeatable', collect)
    .action(async (name: string, opts: { description?: string; tag?: string[] }, command: Command) => {
      await withContext(command, async ({ api, out }) => {
        const created = await api.models.create({ name, description: opts.description, tags: opts.tag });
        out.print(created, () => `created model ${created.name}`);
      });
    });
  model
    .command('register')
    .description('register an artifact (a file or folder at a ref, resolved to its commit now) as the next version')
    .argument('<name>')
    .argument('<source>', 'repo@ref:path')
    .option('--run <id>', 'the run that produced it')
    .option('--alias <alias>', 'point this alias at the new version')
    .option('--description <text>')
    .option('--set <key=value>', 'repeatable', collect)
    .action(async (name: string, source: string, opts: { run?: string; alias?: string; description?: string; set?: string[] }, command: Command) => {
      await withContext(command, async ({ api, out }) => {
        const version = await api.models.register({ model: name, source, runId: opts.run, description: opts.description, metadata: parsePairs(opts.set) });
        if (opts.alias !== undefined) await api.models.setAlias({ model: name, alias: opts.alias, version: version.version });
        out.print(version, () => `registered ${name}/${version.version}: ${version.repository}@${version.commit.slice(0, 12)}:${version.path}${opts.alias === undefined ? '' : ` (${opts.alias})`}`);
      });
    });
  model
    .command('alias')
    .description('point an alias at a version, or remove it with --remove')
    .argument('<name>')
    .argument('<alias>')
    .argument('[version]')
    .option('--remove')
    .action(async (name: string, alias: string, versionText: string | undefined, opts: { remove?: boolean }, command: Command) => {
      if ((versionText === undefined) !== (opts.remove === true)) throw invalidArgument('give a version, or --remove');
      const version = versionText === undefined ? undefined : Number(versionText);
      if (version !== undefined && !Number.isInteger(version)) throw invalidArgument(`'${versionText ?? ''}' is not a version number`);
      await withContext(command, async ({ api, out }) => {
        const event = await api.models.setAlias({ model: name, alias, version });
        out.print(event, () => `${name}@${alias}: ${event.from ?? '-'} → ${event.to ?? '-'}`);
      });
    });
  model.command('list').action(async (_opts: unknown, command: Command) => {
    await withContext(command, async ({ api, out }) => {
      const models = await api.models.list();
      out.print(models, () => (models.length === 0 ? '(no models)' : models.map((m) => `${m.name.padEnd(24)} ${m.description}`).join('\n')));
    });
  });
  model
    .command('show')
    .argument('<name>')
    .action(async (name: string, _opts: unknown, command: Command) => {
      await withContext(command, async ({ api, out }) => {
        const shown = await api.models.get(name);
        out.print(shown, () => {
          const aliases = new Map<number, string[]>();
          for (const a of shown.aliases) aliases.set(a.version, [...(aliases.get(a.version) ?? []), a.alias]);
          const lines = [`model ${shown.name}${shown.description === '' ? '' : `: ${shown.description}`}`];
          for (const v of shown.versions) {
            const tags = aliases.get(v.version);
            lines.push(`  ${String(v.version).padStart(3)}  ${v.repository}@${v.commit.slice(0, 12)}:${v.path}${v.runId === undefined ? '' : `  run ${v.runId}`}${tags ? `  [${tags.join(', ')}]` : ''}`);
            for (const m of v.marks) lines.push(`       ! ${m.mark} (erasure ${m.erasureId})`);
          }
          return lines.join('\n');
        });
      });
    });
  model
    .command('history')
    .description('every alias move')
    .argument('<name>')
    .action(async (name: string, _opts: unknown, command: Command) => {
      await withContext(command, async ({ api, out }) => {
        const events = await api.models.aliasHistory(name);
        out.print(events, () => events.map((e) => `${e.at}  ${e.actor.padEnd(12)} ${e.alias}: ${e.from ?? '-'} → ${e.to ?? '-'}`).join('\n') || '(no alias moves)');
      });
    });
}
