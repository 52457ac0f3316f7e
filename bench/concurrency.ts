import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';
import { StrataClient } from '../src/sdk/client.ts';
import { fmt, freshDir, report, run, SCALE, time, withBenchPostgres } from './support.ts';

const BIN = join(import.meta.dirname, '..', 'bin', 'strata.js');
const SERVERS = 2;
const WRITERS_PER_SERVER = 32;
const COMMITS_PER_WRITER = Math.max(2, Math.round(20 * SCALE));

interface Server {
  api: StrataClient;
  stop(): Promise<void>;
}

/** `strata init` on the data folder and database: the administrator's token, which every server accepts. */
function initialize(dataDir: string, env: Record<string, string>): string {
  const printed = execFileSync('node', [BIN, 'init'], { env: { ...process.env, STRATA_DATA_DIR: dataDir, ...env }, encoding: 'utf8' });
  const token = /STRATA_TOKEN=(\S+)/.exec(printed)?.[1];
  if (token === undefined) throw new Error(`strata init printed no token: ${printed}`);
  return token;
}

/** `strata serve` in its own process (compiled dist/), on a shared data folder and database. */
async function startServer(dataDir: string, env: Record<string, string>, token: string): Promise<Server> {
  const child = spawn('node', [BIN, 'serve', '--port', '0', '--s3-port', '0'], { env: { ...process.env, STRATA_DATA_DIR: dataDir, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  const url = await new Promise<string>((resolve, reject) => {
    child.once('exit', (code) => {
      reject(new Error(`strata serve exited with ${String(code)}`));
    });
    lines.on('line', (line) => {
      const match = /serving at (http:\/\/[\d.]+:\d+)/.exec(line);
      if (match?.[1] !== undefined) resolve(match[1]);
    });
  });
  return { api: new StrataClient({ endpoint: url, token }), stop: () => stop(child) };
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  child.kill('SIGTERM');
  await once(child, 'exit');
}

interface Load {
  commits: number;
  errors: Map<string, number>;
  latencies: number[];
  seconds: number;
}

/** Each writer puts one small object under its own prefix and commits just that, `rounds` times. */
async function writerLoad(apis: StrataClient[], load: { label: string; writersPerServer: number; rounds: number }): Promise<Load> {
  const { writersPerServer, rounds } = load;
  const errors = new Map<string, number>();
  const latencies: number[] = [];
  let commits = 0;
  const writers = apis.flatMap((api, s) => Array.from({ length: writersPerServer }, (_, w) => ({ api, name: `${load.label}-s${s}w${w}` })));
  const { seconds } = await time(() =>
    Promise.all(
      writers.map(async ({ api, name }) => {
        for (let round = 0; round < rounds; round++) {
          try {
            const bytes = Buffer.from(`${name} round ${round}\n`);
            await api.putObject({ repository: 'load', branch: 'main', path: `${name}/r${round}.txt`, body: Readable.from([bytes]), size: bytes.length });
            const started = performance.now();
            await api.commit({ repository: 'load', branch: 'main', message: `${name} round ${round}`, only: [`${name}/`] });
            latencies.push(performance.now() - started);
            commits++;
          } catch (error) {
            const key = error instanceof Error ? error.message.slice(0, 80) : String(error);
            errors.set(key, (errors.get(key) ?? 0) + 1);
          }
        }
      }),
    ),
  );
  return { commits, errors, latencies, seconds };
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

async function measure(label: string, dataDir: string, env: Record<string, string>, servers: number): Promise<void> {
  const token = initialize(dataDir, env);
  const started = await Promise.all(Array.from({ length: servers }, () => startServer(dataDir, env, token)));
  try {
    const apis = started.map((s) => s.api);
    await apis[0]?.createRepository({ name: 'load' });
    // Baseline, same run: one writer alone, no contention (its commits/s is the ceiling of a
    // branch whose commits are serialized).
    const alone = await writerLoad([apis[0] as StrataClient], { label: 'alone', writersPerServer: 1, rounds: WRITERS_PER_SERVER });
    const load = await writerLoad(apis, { label: 'load', writersPerServer: WRITERS_PER_SERVER, rounds: COMMITS_PER_WRITER });
    const errorCount = [...load.errors.values()].reduce((a, b) => a + b, 0);
    const p50 = percentile(load.latencies, 50);
    const p99 = percentile(load.latencies, 99);
    const rate = load.commits / load.seconds;
    const aloneRate = alone.commits / alone.seconds;
    for (const [message, count] of load.errors) console.log(`  ${count} × ${message}`);
    report({
      name: `commits on one branch, ${label}: ${servers} server(s) × ${WRITERS_PER_SERVER} writers × ${COMMITS_PER_WRITER} put+commit --only`,
      strata: `${load.commits} commits, ${errorCount} errors, ${fmt(rate, 1)} commits/s, commit p50 ${fmt(p50, 1)} ms, p99 ${fmt(p99, 1)} ms`,
      baseline: `one writer alone: ${fmt(aloneRate, 1)} commits/s, p50 ${fmt(percentile(alone.latencies, 50), 1)} ms`,
      ratio: `${fmt(rate / aloneRate)}× the lone writer's rate`,
      goal: '0 errors, p99 < 2 s',
      met: errorCount === 0 && p99 < 2000,
    });
  } finally {
    await Promise.all(started.map((s) => s.stop()));
  }
}

/** Concurrent commits on one branch from one and from two servers, on SQLite and PostgreSQL. */
export async function benchConcurrency(): Promise<void> {
  run('npm', ['run', '--silent', 'build']);
  for (const servers of [1, SERVERS]) {
    await measure('SQLite', await freshDir(`concurrency-sqlite-${servers}`), {}, servers);
    await withBenchPostgres(async (url) => {
      await measure('PostgreSQL', await freshDir(`concurrency-pg-${servers}`), { STRATA_DATABASE_URL: url }, servers);
    });
  }
}
