import cluster from 'node:cluster';
import type { AddressInfo } from 'node:net';
import type { Command } from 'commander';
import { openStrata } from '../../app/open-strata.ts';
import { describeDatabase, loadConfig, type Config } from '../../config/config.ts';
import type { StrataCore } from '../../core/strata.ts';
import type { FastifyBaseLogger } from 'fastify';
import type { ServerMetrics } from '../../http/metrics.ts';
import { adminName, type GlobalOptions } from '../context.ts';
import { STRATA_VERSION } from '../version.ts';

export function registerServeCommand(program: Command): void {
  program
    .command('serve')
    .description('run the Strata server: REST API, OpenAPI docs, /metrics, and the S3 gateway')
    .option('--host <host>', 'address to listen on (STRATA_HOST)')
    .option('--port <port>', 'REST API port; 0 picks a free one (STRATA_PORT)')
    .option('--s3-port <port>', 'S3 gateway port; 0 picks a free one (STRATA_S3_PORT)')
    .option('--s3-workers <count>', 'processes serving the S3 gateway on its one port; 0: this process (STRATA_S3_WORKERS)')
    .action(async (opts: { host?: string; port?: string; s3Port?: string; s3Workers?: string }, command: Command) => {
      const global = command.optsWithGlobals<GlobalOptions>();
      const config = loadConfig({ env: process.env, cwd: process.cwd(), overrides: { dataDir: global.dataDir, host: opts.host, port: opts.port, s3Port: opts.s3Port, s3Workers: opts.s3Workers } });
      if (cluster.isWorker && process.env.STRATA_S3_WORKER === '1') {
        const { serveS3Worker } = await import('./s3-workers.ts');
        await serveS3Worker(config);
        return;
      }
      const core = await openStrata(config, { create: true, version: STRATA_VERSION });
      // A data folder made before principals existed (or not by `strata init`) gets its
      // administrator now; the token is printed this once.
      const bootstrap = await core.identity.bootstrap(adminName());
      // Loaded here, not at start-up: the other commands never need the HTTP stack.
      const { buildServer } = await import('../../http/build-server.ts');
      const server = await buildServer({ core, gcGraceSeconds: config.gcGraceSeconds, logLevel: config.logLevel, maxUploadBytes: config.maxUploadBytes, maxInferenceBodyBytes: config.inferenceMaxBodyBytes, version: STRATA_VERSION, allowedHosts: config.allowedHosts, ingest: { roots: config.ingestRoots, forbidden: [config.dataDir], allowPrivateNetworks: config.ingestAllowPrivateNetworks, allowS3: config.ingestS3 } });
      const address = await server.listen({ host: config.host, port: config.port });
      const s3 = await startS3(core, { config, log: server.log, metrics: server.metrics });
      // Heads are signed on a clock as well as every N entries, so a verifier can tell a quiet
      // log from one whose recent entries were cut off.
      const heads = setInterval(() => {
        core.audit.publishHead().catch((error: unknown) => {
          server.log.error({ err: error }, 'could not sign an audit tree head');
        });
      }, config.auditHeadSeconds * 1000);
      const gc = scheduleGc({ core, admin: bootstrap.admin, config, log: server.log });
      server.log.info({ dataDir: config.dataDir, database: describeDatabase(config) }, `Strata ${STRATA_VERSION} serving at ${address} (API docs: ${address}/api/v1/docs); S3 gateway at ${s3.address}${config.s3Workers > 0 ? ` (${String(config.s3Workers)} worker processes)` : ''}`);
      if (bootstrap.token !== undefined) server.log.warn({ admin: bootstrap.admin }, `created the administrator ${bootstrap.admin}; its API token, shown once: ${bootstrap.token.token}`);
      const stop = (): void => {
        server.log.info('shutting down');
        clearInterval(heads);
        clearInterval(gc);
        void s3
          .stop()
          .then(() => server.close())
          .then(() => core.close())
          .then(() => process.exit(0));
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
}

/** The S3 gateway in this process, or on `config.s3Workers` worker processes. */
async function startS3(core: StrataCore, input: { config: Config; log: FastifyBaseLogger; metrics: ServerMetrics }): Promise<{ address: string; stop(): Promise<void> }> {
  const { config } = input;
  if (config.s3Workers > 0) {
    const { startS3Workers } = await import('./s3-workers.ts');
    const workers = await startS3Workers(config, input.log);
    input.metrics.sources.push(() => workers.metrics());
    return workers;
  }
  const { buildS3Server } = await import('../../http/s3/server.ts');
  const s3 = buildS3Server({ core, region: config.s3Region, domain: config.s3Domain, allowedHosts: config.allowedHosts, maxUploadBytes: config.maxUploadBytes, logger: input.log, registry: input.metrics.registry });
  await new Promise<void>((resolve, reject) => {
    s3.once('error', reject);
    s3.listen(config.s3Port, config.host, () => {
      resolve();
    });
  });
  return {
    address: `http://${config.host}:${String((s3.address() as AddressInfo).port)}`,
    stop: () => {
      s3.close();
      s3.closeAllConnections();
      return Promise.resolve();
    },
  };
}

/**
 * Collects garbage every STRATA_GC_INTERVAL_SECONDS as the data folder's administrator. Several
 * servers on one database each keep the schedule, but a server skips its turn when any of them
 * collected within the interval (collections beside each other are safe, only wasted work).
 */
function scheduleGc(input: { core: StrataCore; admin: string; config: Config; log: FastifyBaseLogger }): NodeJS.Timeout | undefined {
  const { core, config, log } = input;
  if (config.gcIntervalSeconds === 0) return undefined;
  const ctx = { actor: { id: input.admin }, source: 'schedule' };
  const intervalMs = config.gcIntervalSeconds * 1000;
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    const run = async (): Promise<void> => {
      const [last] = await core.gc.history(ctx, 1);
      if (last && Date.now() - Date.parse(last.finishedAt) < intervalMs * 0.9) return;
      const report = await core.gc.collect(ctx, { graceMs: config.gcGraceSeconds * 1000 });
      log.info({ collected: report.blobs.collected, expired: report.commits.expired }, 'garbage collected');
    };
    run()
      .catch((error: unknown) => {
        log.error({ err: error }, 'scheduled garbage collection failed');
      })
      .finally(() => {
        running = false;
      });
  }, intervalMs);
  timer.unref();
  return timer;
}
