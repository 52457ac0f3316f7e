import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fmt, MiB, report, SCALE } from './support.ts';

type Drain = [number, number];
interface FeedResult {
  records: number;
  shards: number;
  bytes: number;
  cold: Drain;
  warm: Drain;
  local: Drain;
  boto3: Drain | null;
}

/** The first python3 with torch: the training feed is measured as data scientists run it. */
function python(): string {
  for (const candidate of ['python3', '/usr/bin/python3']) if (spawnSync(candidate, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0) return candidate;
  throw new Error('no python3 with torch (Debian: python3-torch)');
}

/**
 * Samples/s through StrataDataset (2 DataLoader workers, batches of 64, shard cache cold then
 * warm) against the same shards read from a local folder by the same decode code in the same
 * DataLoader, and a naive boto3 loop over the S3 gateway; all in one run of bench/python/feed.py.
 */
export function benchFeed(): Promise<void> {
  const records = Math.max(5000, Math.round(200_000 * SCALE));
  const run = spawnSync(python(), [join(import.meta.dirname, 'python', 'feed.py'), String(records)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 24 });
  if (run.status !== 0) throw new Error(`bench/python/feed.py exited ${String(run.status)}`);
  const r = JSON.parse(run.stdout.trim().split('\n').pop() ?? '{}') as FeedResult;
  const rate = ([n, s]: Drain): number => n / s;
  const mb = ([, s]: Drain): string => `${fmt(r.bytes / MiB / s, 0)} MiB/s`;
  const name = `StrataDataset, ${r.records.toLocaleString('en')} records in ${r.shards} JSON Lines shards (${fmt(r.bytes / MiB, 1)} MiB), 2 workers`;
  report({ name: `${name}, cache warm`, strata: `${fmt(rate(r.warm), 0)} samples/s (${mb(r.warm)})`, baseline: `same shards from a local folder, same decode: ${fmt(rate(r.local), 0)} samples/s`, ratio: `${fmt(rate(r.warm) / rate(r.local))}× local`, goal: '≥ 0.9× local', met: rate(r.warm) >= 0.9 * rate(r.local) });
  report({ name: `${name}, cache cold`, strata: `${fmt(rate(r.cold), 0)} samples/s (${mb(r.cold)})`, baseline: `local folder: ${fmt(rate(r.local), 0)} samples/s${r.boto3 ? `; naive boto3 loop over the S3 gateway: ${fmt(rate(r.boto3), 0)} samples/s` : ''}`, ratio: `${fmt(rate(r.cold) / rate(r.local))}× local${r.boto3 ? `, ${fmt(rate(r.cold) / rate(r.boto3))}× boto3` : ''}`, goal: '≥ 0.7× local', met: rate(r.cold) >= 0.7 * rate(r.local) });
  return Promise.resolve();
}
