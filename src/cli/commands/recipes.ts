import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { invalidArgument } from '../../core/errors.ts';
import type { PrepSummary, Recipe, RecipeSource } from '../../sdk/api.ts';
import { withContext } from '../context.ts';
import { readStdin } from '../input.ts';
import { formatBytes } from '../output.ts';
import { createStatusLine } from '../progress.ts';

const RECIPE = 'a recipe file (YAML), or one kept in Strata: <name>@<version> (recipes@<version>:<name>.yaml) or repo@ref:path.yaml';

/** A local file is sent as its YAML; anything else is an address in Strata. */
async function sourceOf(text: string): Promise<RecipeSource> {
  if (existsSync(text)) return { recipe: await readFile(text, 'utf8') };
  if (!text.includes('@')) throw invalidArgument(`no recipe file '${text}', and it is no address (<name>@<version> or repo@ref:path.yaml)`);
  return { address: text };
}

/** `strata recipe validate|show|run|apply`. */
export function registerRecipeCommands(program: Command): void {
  const recipe = program.command('recipe').description('data preparation recipes: validate, run over a dataset version, apply to one input');
  for (const [name, description] of [['validate', 'check a recipe: steps known, parameters valid'], ['show', 'a recipe with every default filled in, and its hash']] as const) {
    recipe
      .command(name)
      .description(description)
      .argument('<recipe>', RECIPE)
      .action(async (text: string, _opts: unknown, command: Command) => {
        const source = await sourceOf(text);
        await withContext(command, async ({ api, out }) => {
          const parsed = await api.recipes.validate(source);
          out.print(parsed, () => (name === 'validate' ? `recipe ${parsed.name} is valid (${parsed.steps.length} step(s), hash ${parsed.hash.slice(0, 12)})` : formatRecipe(parsed)));
        });
      });
  }
  recipe
    .command('run')
    .description('run a recipe over repo@ref:prefix/, write JSONL shards to a branch and commit them, recorded as a run with lineage')
    .argument('<recipe>', RECIPE)
    .requiredOption('--input <address>', 'repo@ref:prefix/ (or one file)')
    .requiredOption('--output <address>', 'repo@branch[:prefix/] (default prefix: <recipe name>/)')
    .option('--workers', 'map the sources on `strata worker` processes (PostgreSQL only)')
    .option('--no-reuse', 'prepare every source again instead of reusing what earlier runs prepared from unchanged ones')
    .action(async (text: string, opts: { input: string; output: string; workers?: boolean; reuse: boolean }, command: Command) => {
      const source = await sourceOf(text);
      await withContext(command, async ({ api, out }) => {
        const status = createStatusLine({ label: 'recipe', enabled: !out.json });
        let summary;
        try {
          summary = await api.recipes.run(
            { ...source, input: opts.input, output: opts.output, ...(opts.workers === true ? { workers: true } : {}), ...(opts.reuse ? {} : { reuse: false }) },
            {
              onProgress: (p) => {
                status.update(`${p.sources} source(s), ${p.records} record(s)`);
              },
              onTaskProgress: (p) => {
                status.update(`workers: ${p.done}/${p.tasks} task(s) done`);
              },
            },
          );
        } finally {
          status.stop();
        }
        out.print(summary, () => formatSummary(summary));
      });
    });
  recipe
    .command('apply')
    .description("apply a kept recipe's text-level steps to one text (stdin when no --text)")
    .argument('<recipe>', '<name>@<version> or repo@ref:path.yaml')
    .option('--text <text>')
    .action(async (address: string, opts: { text?: string }, command: Command) => {
      const text = opts.text ?? (await readStdin());
      await withContext(command, async ({ api, out }) => {
        const result = await api.recipes.apply({ recipe: address, text });
        out.print(result, () => (result.dropped ? `dropped by ${result.dropped.step}: ${result.dropped.reason}` : (result.text ?? '')));
      });
    });
}


function formatRecipe(recipe: Recipe): string {
  const lines = [`recipe ${recipe.name} (hash ${recipe.hash})`, `extract ${recipe.extract.types.join(', ')}`];
  for (const [i, step] of recipe.steps.entries()) {
    // A custom step's code is in the recipe; show where it came from, not the code.
    const { resolved, ...params } = step.params as { resolved?: { address: string } };
    lines.push(`${String(i + 1).padStart(2)}. ${step.name} ${step.version.startsWith('sha256:') ? step.version : `v${step.version}`} ${JSON.stringify(params)}${resolved ? ` from ${resolved.address}` : ''}`);
  }
  lines.push(`shard ${recipe.shard.format}, ${formatBytes(recipe.shard.target_bytes)} each`);
  return lines.join('\n');
}

function formatSummary(s: PrepSummary): string {
  const skipped = Object.entries(s.skipped).map(([type, n]) => `${n} ${type}`).join(', ');
  const workers = s.tasks > 0 ? `mapped by workers in ${s.tasks} task(s)` : '';
  const how = s.reused > 0 ? `, ${s.reused} unchanged since an earlier run${workers === '' ? '' : `, the rest ${workers}`}` : workers === '' ? '' : `, ${workers}`;
  const lines = [`run ${s.runId}: ${s.sources} source(s)${skipped === '' ? '' : ` (skipped: ${skipped})`}${how}, ${s.extracted} record(s) extracted, ${s.written} written`];
  for (const step of s.steps) {
    const dropped = Object.entries(step.dropped).map(([reason, n]) => `${reason} ${n}`).join(', ');
    const counters = Object.entries(step.counters).map(([name, n]) => `${name} ${n}`).join(', ');
    lines.push(`  ${step.name.padEnd(12)} ${String(step.in).padStart(7)} in ${String(step.out).padStart(7)} out${dropped === '' ? '' : `  dropped: ${dropped}`}${counters === '' ? '' : `  ${counters}`}`);
  }
  for (const shard of s.shards) lines.push(`  ${shard.path}  ${shard.records} record(s), ${formatBytes(shard.size)}${shard.tokens ? `, ${shard.tokens.count} token(s)` : ''}`);
  for (const u of s.unreadable) lines.push(`  unreadable: ${u.path}: ${u.reason}`);
  if (s.quarantined > 0) lines.push(`  ${s.quarantined} record(s) quarantined: ${s.quarantine.map((q) => q.path).join(', ')}`);
  const classified = [s.dataset.labels.length > 0 ? `labels ${s.dataset.labels.join(', ')}` : 'no labels', ...(s.dataset.tags.length > 0 ? [`tags ${s.dataset.tags.join(', ')}`] : [])].join('; ');
  lines.push(`dataset ${s.dataset.name} (${s.dataset.created ? 'created' : 'updated'}): ${classified}`);
  lines.push(`commit ${s.outputCommit}`);
  return lines.join('\n');
}
