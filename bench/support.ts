import pg from 'pg';
import { execFileSync } from 'node:child_process';
import { randomFillSync } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { once } from 'node:events';

const PG_URL = process.env.BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export const WORK = join(import.meta.dirname, '.work');
/** BENCH_SCALE=0.1 shrinks every data size (for a quick look); 1 is the sizes. */
export const SCALE = Number(process.env.BENCH_SCALE ?? '1');
export const MiB = 1024 * 1024;
export const GiB = 1024 * MiB;

export async function freshDir(name: string): Promise<string> {
  const dir = join(WORK, name);
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  return dir;
}

export async function time<T>(fn: () => Promise<T> | T): Promise<{ seconds: number; value: T }> {
  const start = process.hrtime.bigint();
  const value = await fn();
  return { seconds: Number(process.hrtime.bigint() - start) / 1e9, value };
}

export function run(command: string, args: string[], options: { cwd?: string; env?: Record<string, string> } = {}): void {
  execFileSync(command, args, { cwd: options.cwd, env: { ...process.env, ...options.env }, stdio: ['ignore', 'ignore', 'inherit'] });
}

/** Writes `size` pseudo-random bytes; `fill(offset, buffer)` may override each 4 MiB block. */
export async function writeFile(path: string, size: number, fill?: (offset: number, block: Buffer) => void): Promise<void> {
  const out = createWriteStream(path);
  const block = Buffer.allocUnsafe(4 * MiB);
  for (let offset = 0; offset < size; offset += block.length) {
    const n = Math.min(block.length, size - offset);
    randomFillSync(block, 0, n);
    fill?.(offset, block);
    if (!out.write(Buffer.from(block.subarray(0, n)))) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
}

/** Bytes used by the files under `dir`. */
export async function duBytes(dir: string): Promise<number> {
  let total = 0;
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) total += (await stat(join(entry.parentPath, entry.name))).size;
  }
  return total;
}

export function dropCaches(): void {
  try {
    execFileSync('sh', ['-c', 'sync; echo 3 > /proc/sys/vm/drop_caches'], { stdio: 'ignore' });
  } catch {
    // Not permitted here: both sides then read from the page cache alike.
  }
}

export const fmt = (n: number, digits = 2): string => n.toFixed(digits);
export const mbps = (bytes: number, seconds: number): string => `${fmt(bytes / MiB / seconds, 0)} MiB/s`;

export interface Figure {
  name: string;
  strata: string;
  baseline: string;
  ratio: string;
  goal: string;
  met: boolean;
}

export const figures: Figure[] = [];

export function report(figure: Figure): void {
  figures.push(figure);
  console.log(`${figure.name}\n  strata:   ${figure.strata}\n  baseline: ${figure.baseline}\n  ratio:    ${figure.ratio}   goal: ${figure.goal}   ${figure.met ? 'MET' : 'NOT MET'}`);
}

/**
 * Runs `body` against a fresh PostgreSQL database (dropped after), or says why the figure is
 * left out when no server answers at BENCH_POSTGRES_URL.
 */
export async function withBenchPostgres(body: (url: string) => Promise<void>): Promise<void> {
  const admin = new pg.Client({ connectionString: PG_URL });
  try {
    await admin.connect();
  } catch {
    console.log(`PostgreSQL not reachable at ${PG_URL}: its figure is left out`);
    return;
  }
  const name = `strata_bench_${Date.now()}`;
  await admin.query(`create database ${name}`);
  const url = new URL(PG_URL);
  url.pathname = `/${name}`;
  try {
    await body(url.toString());
  } finally {
    await admin.query(`drop database if exists ${name} with (force)`);
    await admin.end();
  }
}

/** A deterministic pseudo-random sequence in [0, 1), so every run generates the same data. */
export function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s ^ (s >>> 15), 0x2c1b3c6d) + 0x9e3779b9) >>> 0;
    return s / 2 ** 32;
  };
}

export interface CopyTimes {
  /** `cp` alone: the copy may still sit in the page cache when it returns. */
  cp: number;
  /** `cp`, then the copy made durable (`sync FILE` fsyncs a file; `sync -f DIR` syncs its file system). */
  cpSync: number;
}

/**
 * The copy baselines: Strata fsyncs what it stores before it answers, so `cp` followed by an
 * fsync of the copy is the fair one, and both are reported.
 */
export async function timeCopy(source: string, target: string, options: { recursive?: boolean } = {}): Promise<CopyTimes> {
  const cp = await time(() => {
    run('cp', [...(options.recursive === true ? ['-r'] : []), source, target]);
  });
  const sync = await time(() => {
    run('sync', options.recursive === true ? ['-f', target] : [target]);
  });
  return { cp: cp.seconds, cpSync: cp.seconds + sync.seconds };
}

/** "cp 4.68 s (437 MiB/s), cp + fsync 6.10 s (335 MiB/s)" */
export function copyBaseline(times: CopyTimes, rate: (seconds: number) => string, label = 'cp'): string {
  return `${label} ${fmt(times.cp)} s (${rate(times.cp)}), ${label} + fsync ${fmt(times.cpSync)} s (${rate(times.cpSync)})`;
}
