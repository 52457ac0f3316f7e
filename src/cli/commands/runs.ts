import { execFileSync, spawn } from 'node:child_process';
import { hostname } from 'node:os';
import type { Command } from 'commander';
import { invalidArgument } from '../../core/errors.ts';
import type { RunView, StrataApi } from '../../sdk/api.ts';
import { withContext } from '../context.ts';
import { parsePairs } from '../output.ts';

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

/** Environment variables recorded with every run, besides those named with --env. */
const ENV_ALLOW = ['CUDA_VISIBLE_DEVICES', 'NVIDIA_VISIBLE_DEVICES', 'PYTHONHASHSEED', 'WORLD_SIZE', 'RANK', 'LOCAL_RANK', 'SLURM_JOB_ID', 'CONDA_DEFAULT_ENV', 'VIRTUAL_ENV'];

interface StartOptions {
  job: string;
  kind?: string;
  input?: string[];
  param?: string[];
  tag?: string[];
  env?: string[];
  parent?: string;
}

/** `strata run start|log-param|log-metric|input|output|finish|show|list|exec`. */
export function registerRunCommands(program: Command): void {
  const run = program.command('run').description('record runs: parameters, metrics, code version and the exact data they read and wrote');
  const startOptions = (command: Command): Command =>
    command
      .requiredOption('--job <name>', 'the job this run executes')
      .option('--kind <kind>', 'prep, training, fine-tuning, evaluation or external', 'external')
      .option('--input <address>', 'data read: repo@ref:path (resolved to its commit now); repeatable', collect)
      .option('--param <key=value>', 'repeatable', collect)
      .option('--tag <tag>', 'repeatable', collect)
      .option('--env <name>', `record this environment variable too (always: ${ENV_ALLOW.join(', ')}); repeatable`, collect)
      .option('--parent <run>', 'the run this one belongs to');

  startOptions(run.command('start').description('start a run and print its id (export it as STRATA_RUN_ID for the other run commands)')).action(async (opts: StartOptions, command: Command) => {
    await withContext(command, async ({ api, out }) => {
      const started = await api.runs.start(startInput(opts));
      out.print(started, () => started.id);
    });
  });

  const runOption = (command: Command): Command => command.option('--run <id>', 'the run (default: $STRATA_RUN_ID)');
  runOption(run.command('log-param').description('log parameters (a logged parameter cannot change)').argument('<key=value...>')).action(async (pairs: string[], opts: { run?: string }, command: Command) => {
    await withContext(command, async ({ api, out }) => {
      const shown = await api.runs.logParams(runId(opts), parsePairs(pairs) ?? {});
      out.print(shown, () => `${Object.keys(shown.params).length} parameter(s) on run ${shown.id}`);
    });
  });

  runOption(run.command('log-metric').description('log metric values').argument('<key=value...>').option('--step <n>', 'training step (a series); default 0')).action(
    async (pairs: string[], opts: { run?: string; step?: string }, command: Command) => {
      const step = opts.step === undefined ? undefined : Number(opts.step);
      if (step !== undefined && (!Number.isSafeInteger(step) || step < 0)) throw invalidArgument(`--step must be a whole number ≥ 0, not '${opts.step ?? ''}'`);
      const metrics = Object.entries(parsePairs(pairs) ?? {}).map(([key, text]) => {
        const value = Number(text);
        if (text.trim() === '' || !Number.isFinite(value)) throw invalidArgument(`metric ${key}: '${text}' is not a number`);
        return { key, value, step };
      });
      await withContext(command, async ({ api, out }) => {
        await api.runs.logMetrics(runId(opts), metrics);
        out.print({ logged: metrics.length }, () => `logged ${metrics.length} metric value(s)`);
      });
    },
  );

  for (const [name, description] of [['input', 'declare data the run read (resolved to exact versions now)'], ['output', 'declare data the run wrote (a file, or a branch/prefix it committed to)']] as const) {
    runOption(run.command(name).description(description).argument('<address...>', 'repo@ref:path, repo@ref, s3://… or a URI')).action(async (addresses: string[], opts: { run?: string }, command: Command) => {
      await withContext(command, async ({ api, out }) => {
        const shown = name === 'input' ? await api.runs.addInputs(runId(opts), addresses) : await api.runs.addOutputs(runId(opts), addresses);
        out.print(shown, () => (name === 'input' ? shown.inputs : shown.outputs).map((io) => io.key).join('\n'));
      });
    });
  }

  runOption(run.command('finish').description('finish a run').option('--status <status>', 'completed, failed or aborted (default: from --exit-code, else completed)').option('--exit-code <n>').option('--output <address>', 'repeatable', collect)).action(
    async (opts: { run?: string; status?: string; exitCode?: string; output?: string[] }, command: Command) => {
      const status = opts.status as 'completed' | 'failed' | 'aborted' | undefined;
      if (status !== undefined && !['completed', 'failed', 'aborted'].includes(status)) throw invalidArgument(`--status must be completed, failed or aborted, not '${status}'`);
      const exitCode = opts.exitCode === undefined ? undefined : Number(opts.exitCode);
      if (exitCode !== undefined && !Number.isInteger(exitCode)) throw invalidArgument(`--exit-code must be a whole number, not '${opts.exitCode ?? ''}'`);
      await withContext(command, async ({ api, out }) => {
        const shown = await api.runs.finish(runId(opts), { status, exitCode, outputs: opts.output });
        out.print(shown, () => `run ${shown.id} ${shown.status}`);
      });
    },
  );

  run.command('show').argument('[id]', 'default: $STRATA_RUN_ID').action(async (id: string | undefined, _opts: unknown, command: Command) => {
    await withContext(command, async ({ api, out }) => {
      const shown = await api.runs.get(runId({ run: id }));
      out.print(shown, () => formatRun(shown));
    });
  });

  run
    .command('list')
    .option('--job <name>')
    .option('--status <status>', 'running, completed, failed or aborted')
    .option('--limit <n>', 'default 100')
    .action(async (opts: { job?: string; status?: string; limit?: string }, command: Command) => {
      await withContext(command, async ({ api, out }) => {
        const runs = await api.runs.list({ job: opts.job, status: opts.status as 'running' | undefined, limit: opts.limit === undefined ? undefined : Number(opts.limit) });
        out.print(runs, () => (runs.length === 0 ? '(no runs)' : runs.map((r) => `${r.id}  ${r.status.padEnd(9)} ${r.startedAt}  ${r.kind.padEnd(10)} ${r.job}`).join('\n')));
      });
    });

  startOptions(run.command('exec').description('run a command as a recorded run: exit code 0 → completed, else failed; a signal → aborted').option('--output <address>', 'declared when the command ends; repeatable', collect).argument('<command...>'))
    .action(async (argv: string[], opts: StartOptions & { output?: string[] }, command: Command) => {
      await withContext(command, async ({ api, out }) => {
        process.exitCode = await exec(api, { argv, opts, print: (view) => {
          out.print(view, () => `strata: run ${view.id} ${view.status}`);
        } });
      });
    });
}

async function exec(api: StrataApi, input: { argv: string[]; opts: StartOptions & { output?: string[] }; print: (view: RunView) => void }): Promise<number> {
  const [file, ...args] = input.argv;
  if (file === undefined) throw invalidArgument('no command given: write strata run exec --job <name> -- <command>');
  const started = await api.runs.start(startInput(input.opts));
  process.stderr.write(`strata: run ${started.id} started\n`);
  const child = spawn(file, args, { stdio: 'inherit', env: { ...process.env, STRATA_RUN_ID: started.id } });
  const forward = (signal: NodeJS.Signals): void => {
    child.kill(signal);
  };
  process.on('SIGINT', forward).on('SIGTERM', forward);
  const ended = await new Promise<{ code: number | null; signal: NodeJS.Signals | null; error?: Error }>((resolve) => {
    child.once('error', (error) => {
      resolve({ code: 127, signal: null, error });
    });
    child.once('exit', (code, signal) => {
      resolve({ code, signal });
    });
  });
  process.off('SIGINT', forward).off('SIGTERM', forward);
  if (ended.error) process.stderr.write(`strata: cannot run ${file}: ${ended.error.message}\n`);
  const exitCode = ended.code ?? 128 + 1;
  const finished = await api.runs.finish(started.id, { status: ended.signal !== null ? 'aborted' : exitCode === 0 ? 'completed' : 'failed', exitCode, outputs: exitCode === 0 ? input.opts.output : undefined });
  input.print(finished);
  return exitCode;
}

function startInput(opts: StartOptions): Parameters<StrataApi['runs']['start']>[0] {
  const env: Record<string, string> = {};
  for (const name of [...ENV_ALLOW, ...(opts.env ?? [])]) {
    const value = process.env[name];
    if (value !== undefined) env[name] = value;
  }
  const code = gitVersion();
  return { job: opts.job, kind: opts.kind, inputs: opts.input, params: parsePairs(opts.param), tags: opts.tag, env, host: hostname(), parentId: opts.parent, ...(code ? { code } : {}) };
}

/** The working tree's commit and whether it has uncommitted changes; nothing outside a git work tree. */
function gitVersion(): { commit: string; dirty: boolean; branch?: string; remote?: string } | undefined {
  const git = (...args: string[]): string | undefined => {
    try {
      return execFileSync('git', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    } catch {
      return undefined;
    }
  };
  const commit = git('rev-parse', 'HEAD');
  if (commit === undefined || !/^[0-9a-f]{40,64}$/.test(commit)) return undefined;
  const version: { commit: string; dirty: boolean; branch?: string; remote?: string } = { commit, dirty: (git('status', '--porcelain') ?? '') !== '' };
  const branch = git('rev-parse', '--abbrev-ref', 'HEAD');
  if (branch !== undefined && branch !== 'HEAD') version.branch = branch;
  const remote = git('remote', 'get-url', 'origin');
  if (remote !== undefined && remote !== '') version.remote = remote;
  return version;
}

function runId(opts: { run?: string }): string {
  const id = opts.run ?? process.env.STRATA_RUN_ID;
  if (id === undefined || id === '') throw invalidArgument('no run given: pass --run <id> or set STRATA_RUN_ID');
  return id;
}

function formatRun(run: RunView): string {
  const lines = [
    `run ${run.id}  ${run.status}${run.exitCode === undefined ? '' : ` (exit ${run.exitCode})`}`,
    `job ${run.namespace}/${run.job} (${run.kind}) by ${run.user}${run.host === undefined ? '' : ` on ${run.host}`}`,
    `started ${run.startedAt}${run.endedAt === undefined ? '' : `, ended ${run.endedAt}`}`,
  ];
  if (run.code) lines.push(`code ${run.code.commit}${run.code.dirty ? ' (dirty)' : ''}${run.code.branch === undefined ? '' : ` on ${run.code.branch}`}`);
  for (const [key, value] of Object.entries(run.params)) lines.push(`param  ${key} = ${value}`);
  for (const [key, m] of Object.entries(run.metrics)) lines.push(`metric ${key} = ${m.value}${m.points > 1 ? ` (step ${m.step}, ${m.points} points)` : ''}`);
  for (const io of run.inputs) lines.push(`input  ${io.key}`);
  for (const io of run.outputs) lines.push(`output ${io.key}`);
  if (run.tags.length > 0) lines.push(`tags ${run.tags.join(', ')}`);
  return lines.join('\n');
}
