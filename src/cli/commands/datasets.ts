import type { Command } from 'commander';
import { invalidArgument } from '../../core/errors.ts';
import { withContext } from '../context.ts';
import { formatBytes, parsePairs } from '../output.ts';

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

/** `strata dataset create|list|show|tag|search`. */
export function registerDatasetCommands(program: Command): void {
  const dataset = program.command('dataset').description('the dataset catalog: named prefixes with owner, license, tags and a card');
  dataset
    .command('create')
    .argument('<name>', 'dataset name (lowercase letters, digits, . and -)')
    .argument('<where>', 'repo[:prefix]')
    .option('--owner <owner>', 'who answers for it (default: you)')
    .option('--description <text>')
    .option('--license <spdx>', 'license, e.g. CC-BY-4.0')
    .option('--source <uri>', 'where it comes from')
    .option('--tag <tag>', 'repeatable', collect)
    .option('--label <label>', 'classification label, e.g. pii (repeatable)', collect)
    .option('--set <key=value>', 'free property (repeatable)', collect)
    .action(async (name: string, where: string, opts: { owner?: string; description?: string; license?: string; source?: string; tag?: string[]; label?: string[]; set?: string[] }, command: Command) => {
      const [repository = '', ...rest] = where.split(':');
      if (repository === '') throw invalidArgument(`'${where}' names no repository: write repo[:prefix]`);
      await withContext(command, async ({ api, out }) => {
        const created = await api.createDataset({
          name,
          repository,
          prefix: rest.join(':'),
          owner: opts.owner,
          description: opts.description,
          license: opts.license,
          source: opts.source,
          tags: opts.tag,
          labels: opts.label,
          properties: parsePairs(opts.set),
        });
        out.print(created, () => `created dataset ${created.name} (${created.repository}:${created.prefix})`);
      });
    });
  dataset
    .command('list')
    .option('--tag <tag>')
    .option('--owner <owner>')
    .option('--license <license>')
    .option('--repo <repository>')
    .action(async (opts: { tag?: string; owner?: string; license?: string; repo?: string }, command: Command) => {
      await withContext(command, async ({ api, out }) => {
        const list = await api.listDatasets({ tag: opts.tag, owner: opts.owner, license: opts.license, repository: opts.repo });
        out.print(list, () =>
          list.length === 0 ? '(no datasets)' : list.map((d) => `${d.name.padEnd(24)} ${`${d.repository}:${d.prefix}`.padEnd(32)} ${d.owner.padEnd(12)} ${d.license ?? '-'}  ${d.tags.join(',')}`).join('\n'),
        );
      });
    });
  dataset
    .command('show')
    .argument('<name>')
    .option('--ref <ref>', 'branch, tag or commit (default: the default branch)')
    .action(async (name: string, opts: { ref?: string }, command: Command) => {
      await withContext(command, async ({ api, out }) => {
        const shown = await api.showDataset({ name, ref: opts.ref });
        out.print(shown, () => {
          const { dataset: d, version: v } = shown;
          const lines = [
            `${d.name}: ${d.repository}:${d.prefix} at ${v.ref} (${v.commit.slice(0, 12)})`,
            `owner ${d.owner}; license ${d.license ?? '-'}; source ${d.source ?? '-'}`,
            `tags ${d.tags.join(', ') || '-'}; labels ${d.labels.join(', ') || '-'}`,
            `${v.objects} object(s), ${formatBytes(v.logicalBytes)} (${formatBytes(v.physicalBytes)} distinct)`,
            ...Object.entries(v.byType).map(([type, t]) => `  ${type.padEnd(40)} ${String(t.objects).padStart(8)}  ${formatBytes(t.bytes)}`),
          ];
          if (v.sources) lines.push(`sources modified ${v.sources.from} … ${v.sources.to}`);
          for (const [path, columns] of Object.entries(v.schemas)) lines.push(`schema ${path}: ${columns}`);
          if (d.description !== '') lines.push('', d.description);
          if (v.card !== undefined) lines.push('', v.card.trimEnd());
          return lines.join('\n');
        });
      });
    });
  dataset
    .command('tag')
    .argument('<name>')
    .argument('<tags...>')
    .option('--remove', 'remove these tags instead of adding them')
    .option('--labels', 'work on classification labels instead of tags')
    .action(async (name: string, tags: string[], opts: { remove?: boolean; labels?: boolean }, command: Command) => {
      await withContext(command, async ({ api, out }) => {
        const updated = await api.tagDataset({ name, add: opts.remove === true ? [] : tags, remove: opts.remove === true ? tags : [], field: opts.labels === true ? 'labels' : 'tags' });
        out.print(updated, () => `${updated.name}: tags ${updated.tags.join(', ') || '-'}; labels ${updated.labels.join(', ') || '-'}`);
      });
    });
  dataset
    .command('search')
    .description('full-text search over datasets and the objects of default branches (all words must match; each also as a prefix)')
    .argument('[words...]', 'words to look for; none lists what the filters let through')
    .option('--kind <kind>', 'dataset or object')
    .option('--repo <repository>')
    .option('--type <type>', 'content type: application/pdf, image or image/*')
    .option('--tag <tag>', 'a tag or label (objects: their own, or their dataset\'s)')
    .option('--owner <owner>')
    .option('--license <license>')
    .option('--limit <n>', 'results per page (1-1000)', '20')
    .option('--offset <n>', 'results to skip', '0')
    .action(async (words: string[], opts: SearchOptions, command: Command) => {
      if (opts.kind !== undefined && opts.kind !== 'dataset' && opts.kind !== 'object') throw invalidArgument(`--kind must be 'dataset' or 'object', not '${opts.kind}'`);
      const kind: 'dataset' | 'object' | undefined = opts.kind;
      await withContext(command, async ({ api, out }) => {
        const result = await api.search({
          text: words.join(' '),
          ...(kind === undefined ? {} : { kinds: [kind] }),
          repository: opts.repo,
          type: opts.type,
          tag: opts.tag,
          owner: opts.owner,
          license: opts.license,
          limit: integer('--limit', opts.limit),
          offset: integer('--offset', opts.offset),
        });
        out.print(result, () => {
          const lines = result.hits.map((h) =>
            h.kind === 'dataset'
              ? `dataset  ${(h.dataset ?? '').padEnd(40)} ${`${h.repository}:${h.path}`.padEnd(30)} ${h.summary}`
              : `object   ${`${h.repository}:${h.path}`.padEnd(40)} ${h.contentType.padEnd(30)} ${formatBytes(h.size).padStart(9)}  ${h.summary}`,
          );
          lines.push(result.total === 0 ? '(no matches)' : `${result.hits.length} of ${result.total} match(es)`);
          return lines.join('\n');
        });
      });
    });
}

interface SearchOptions {
  kind?: string;
  repo?: string;
  type?: string;
  tag?: string;
  owner?: string;
  license?: string;
  limit: string;
  offset: string;
}

function integer(flag: string, value: string): number {
  if (!/^\d+$/.test(value)) throw invalidArgument(`${flag} must be a whole number, not '${value}'`);
  return Number(value);
}
