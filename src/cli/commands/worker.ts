import { availableParallelism } from 'node:os';
import type { Command } from 'commander';
import { openStrata } from '../../app/open-strata.ts';
import { describeDatabase, loadConfig } from '../../config/config.ts';
import { invalidArgument } from '../../core/errors.ts';
import type { GlobalOptions } from '../context.ts';
import { STRATA_VERSION } from '../version.ts';

/**
 * `strata worker`: takes recipe tasks from the queue in PostgreSQL until SIGINT/SIGTERM, on any
 * machine that reaches the same database and blob store.
 */
export function registerWorkerCommand(program: Command): void {
  program
    .command('worker')
    .description('run recipe and garbage-collection tasks from the shared queue (PostgreSQL + a shared blob store) until stopped')
    .option('--concurrency <n>', 'tasks at once (default: the number of cores)')
    .action(async (opts: { concurrency?: string }, command: Command) => {
      const global = command.optsWithGlobals<GlobalOptions>();
      const concurrency = opts.concurrency === undefined ? availableParallelism() : Number(opts.concurrency);
      if (!Number.isInteger(concurrency) || concurrency < 1) throw invalidArgument(`--concurrency must be a positive integer, not '${opts.concurrency ?? ''}'`);
      const config = loadConfig({ env: process.env, cwd: process.cwd(), overrides: { dataDir: global.dataDir } });
      const core = await openStrata(config, { create: false, version: STRATA_VERSION });
      let done = 0;
      await core.prep.serveTasks({
        concurrency,
        onTask: ({ paths, ms }) => {
          done++;
          process.stderr.write(`task ${done}: ${paths} source(s) in ${ms} ms\n`);
        },
      });
      // Garbage collections queued with `strata gc --on-worker`, one at a time.
      await core.gc.serveTasks();
      process.stderr.write(`strata worker ${STRATA_VERSION}: ${concurrency} task(s) at once from ${describeDatabase(config)}\n`);
      const stop = (): void => {
        void core.close().then(() => process.exit(0));
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
}
