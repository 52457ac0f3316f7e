import type { Command } from 'commander';
import { openStrata } from '../../app/open-strata.ts';
import { describeDatabase, loadConfig } from '../../config/config.ts';
import type { GlobalOptions } from '../context.ts';
import { STRATA_VERSION } from '../version.ts';

export function registerServeCommand(program: Command): void {
  program
    .command('serve')
    .description('run the Strata server (REST API, OpenAPI docs, /metrics)')
    .option('--host <host>', 'address to listen on (STRATA_HOST)')
    .option('--port <port>', 'port to listen on; 0 picks a free one (STRATA_PORT)')
    .action(async (opts: { host?: string; port?: string }, command: Command) => {
      const global = command.optsWithGlobals<GlobalOptions>();
      const config = loadConfig({ env: process.env, cwd: process.cwd(), overrides: { dataDir: global.dataDir, host: opts.host, port: opts.port } });
      const core = await openStrata(config, { create: true });
      // Loaded here, not at start-up: the other commands never need the HTTP stack.
      const { buildServer } = await import('../../http/build-server.ts');
      const server = await buildServer({ core, logLevel: config.logLevel, maxUploadBytes: config.maxUploadBytes, version: STRATA_VERSION });
      const address = await server.listen({ host: config.host, port: config.port });
      server.log.info({ dataDir: config.dataDir, database: describeDatabase(config) }, `Strata ${STRATA_VERSION} serving at ${address} (API docs: ${address}/api/v1/docs)`);
      const stop = (): void => {
        server.log.info('shutting down');
        void server.close().then(() => core.close()).then(() => process.exit(0));
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
}
