import cluster, { type Worker } from 'node:cluster';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { AggregatorRegistry, Registry } from 'prom-client';
import { openStrata } from '../../app/open-strata.ts';
import type { Config } from '../../config/config.ts';
import type { S3Logger } from '../../http/s3/server.ts';
import { STRATA_VERSION } from '../version.ts';

/**
 * The S3 gateway on several processes (`STRATA_S3_WORKERS`): one event loop was the limit of
 * small GETs (bench/RESULTS.md). node:cluster shares one listening port among the workers; each
 * worker opens the data folder as any second server on it would (the stores are multi-process
 * safe, and point reads are cached only while the database is unchanged: ChangeTokenCache), so
 * a write acknowledged by one worker is read back by every other.
 */
export interface S3Workers {
  /** The gateway's address, as the workers listen on it. */
  address: string;
  /** The workers' Prometheus metrics, summed, as exposition text. */
  metrics(): Promise<string>;
  stop(): Promise<void>;
}

/** In the server's process: forks `count` workers and resolves once all of them listen. */
export async function startS3Workers(config: Config, log: S3Logger): Promise<S3Workers> {
  const aggregator = new AggregatorRegistry();
  let stopping = false;
  const fork = (): Worker => {
    const worker = cluster.fork({ STRATA_S3_WORKER: '1' });
    worker.on('exit', (code, signal) => {
      if (stopping) return;
      // A worker that died is replaced; its connections were cut (clients retry), no write it acknowledged is lost.
      log.error({ pid: worker.process.pid, code, signal }, 'an S3 worker exited: starting another');
      setTimeout(fork, 1000).unref();
    });
    return worker;
  };
  const listening = Array.from({ length: config.s3Workers }, () => {
    const worker = fork();
    return new Promise<AddressInfo>((resolve, reject) => {
      worker.once('listening', (address: AddressInfo) => {
        resolve(address);
      });
      worker.once('exit', (code) => {
        reject(new Error(`an S3 worker exited with ${String(code)} before it listened`));
      });
    });
  });
  const [first] = await Promise.all(listening);
  return {
    address: `http://${config.host}:${String(first?.port)}`,
    metrics: () => aggregator.clusterMetrics(),
    stop: async () => {
      stopping = true;
      await Promise.all(
        Object.values(cluster.workers ?? {}).map(async (worker) => {
          if (!worker || worker.isDead()) return;
          const exited = new Promise((resolve) => worker.once('exit', resolve));
          worker.process.kill('SIGTERM');
          await exited;
        }),
      );
    },
  };
}

/** In a worker: serves the S3 gateway until told to stop (SIGTERM, or the server's process went away). */
export async function serveS3Worker(config: Config): Promise<void> {
  const core = await openStrata(config, { create: false, version: STRATA_VERSION });
  const registry = new Registry();
  AggregatorRegistry.setRegistries([registry]);
  // Constructed for its side effect: the worker answers the server's requests for its metrics.
  new AggregatorRegistry();
  const logger = pino({ level: config.logLevel, base: { pid: process.pid, worker: cluster.worker?.id } });
  const { buildS3Server } = await import('../../http/s3/server.ts');
  const s3 = buildS3Server({ core, region: config.s3Region, domain: config.s3Domain, allowedHosts: config.allowedHosts, maxUploadBytes: config.maxUploadBytes, logger, registry });
  await new Promise<void>((resolve, reject) => {
    s3.once('error', reject);
    s3.listen(config.s3Port, config.host, resolve);
  });
  let stopped = false;
  const stop = (): void => {
    if (stopped) return;
    stopped = true;
    s3.close();
    s3.closeAllConnections();
    void core.close().finally(() => process.exit(0));
  };
  process.once('SIGTERM', stop);
  process.once('disconnect', stop);
  // Ctrl-C reaches the whole process group: the server's process stops the workers in order.
  process.on('SIGINT', () => undefined);
}
