import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openStrata } from '../../src/app/open-strata.ts';
import { loadConfig } from '../../src/config/config.ts';
import type { StrataCore } from '../../src/core/strata.ts';
import { createPostgresDatabase, type TestDatabase } from '../support/databases.ts';
import { readAll } from '../support/core.ts';
import { FsBlobStore } from '../../src/adapters/blob/fs/fs-blob-store.ts';
import type { BlobStore } from '../../src/core/ports/blob-store.ts';
import { ObjectStore } from '../../src/core/objects/object-store.ts';

const WORKER = join(import.meta.dirname, '..', 'support', 'worker.ts');
const ctx = { actor: { id: 'admin' } };

interface Ack {
  commit: string;
  path: string;
  sha256: string;
}

function churn(env: Record<string, string>, worker: string, rounds: number): { acks: Ack[]; exited: Promise<number | null> } {
  const child = spawn(process.execPath, ['--import', 'tsx', WORKER, 'churn', worker, String(rounds)], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const acks: Ack[] = [];
  let buffered = '';
  let stderr = '';
  child.stdout.on('data', (data: Buffer) => {
    buffered += data.toString();
    const lines = buffered.split('\n');
    buffered = lines.pop() ?? '';
    for (const line of lines) {
      const [kind, commit = '', path = '', sha256 = ''] = line.split(' ');
      if (kind === 'ACK') acks.push({ commit, path, sha256 });
    }
  });
  child.stderr.on('data', (data: Buffer) => (stderr += data.toString()));
  const exited = new Promise<number | null>((resolve) =>
    child.on('exit', (code) => {
      if (code !== 0) process.stderr.write(stderr);
      resolve(code);
    }),
  );
  return { acks, exited };
}

async function open(env: Record<string, string>): Promise<StrataCore> {
  const core = await openStrata(loadConfig({ env, cwd: tmpdir() }), { create: true });
  await core.identity.bootstrap('admin');
  return core;
}

const sha = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');

/**
 * An acknowledged version reads back exactly, or its commit expired and says so; nothing else.
 * Every blob of it is looked for in the folder itself: a read could be served from the
 * process's cache of small contents and hide a blob the collector removed.
 */
async function readAck(core: StrataCore, blobs: { store: BlobStore; objects: ObjectStore }, ack: Ack): Promise<'read' | 'expired'> {
  try {
    const { info, body } = await core.objects.get(ctx, { repository: 'data', ref: ack.commit, path: ack.path });
    expect(info.sha256).toBe(ack.sha256);
    expect(sha(await readAll(body))).toBe(ack.sha256);
    const needed = info.manifest === undefined ? [info.sha256] : [info.manifest, ...(await blobs.objects.chunksOf(info)).map((c) => c.sha256)];
    for (const hash of needed) expect(await blobs.store.has(hash), `blob ${hash} of ${ack.path}@${ack.commit}`).toBe(true);
    return 'read';
  } catch (error) {
    if ((error as { code?: string }).code !== 'Gone') throw error;
    return 'expired';
  }
}

describe.each(['sqlite', 'postgres'] as const)('garbage collection beside writers in other processes (%s)', (dialect) => {
  let dir = '';
  let database: TestDatabase | undefined;
  afterEach(async () => {
    await database?.drop();
    await rm(dir, { recursive: true, force: true });
  });

  it('never removes a blob a kept version or a staged write needs', async () => {
    dir = await mkdtemp(join(tmpdir(), 'strata-gc-concurrent-'));
    const env: Record<string, string> = { STRATA_DATA_DIR: dir };
    if (dialect === 'postgres') {
      database = await createPostgresDatabase();
      env.STRATA_DATABASE_URL = database.url;
    }
    const core = await open(env);
    const store = await FsBlobStore.open({ root: join(dir, 'blobs') });
    const blobs = { store, objects: new ObjectStore(store) };
    try {
      await core.repositories.create(ctx, { name: 'data' });
      // Keep nothing replaced: a commit expires once replaced and older than the grace period, so
      // contents keep becoming garbage while writers store the same bytes again.
      await core.repositories.update(ctx, 'data', { retention: { days: 0, branches: [], lifecycle: [], staleBranches: [] } });
      const WORKERS = 3;
      const ROUNDS = 40;
      const GRACE_MS = 1500;
      const workers = Array.from({ length: WORKERS }, (_, w) => churn(env, `w${w}`, ROUNDS));
      const state = { running: true };
      const done = Promise.all(workers.map((w) => w.exited)).finally(() => (state.running = false));
      const totals = { runs: 0, collected: 0, expired: 0, checked: 0 };
      while (state.running) {
        const report = await core.gc.collect(ctx, { graceMs: GRACE_MS });
        totals.runs++;
        totals.collected += report.blobs.collected.count;
        totals.expired += report.commits.expired;
        // While the writers run, the newest acknowledged versions read back exactly, or their
        // commit expired (and says so); a missing blob is any other error and fails the test.
        for (const ack of workers.flatMap((w) => w.acks.slice(-4))) {
          await readAck(core, blobs, ack);
          totals.checked++;
        }
      }
      expect(await done).toEqual(Array(WORKERS).fill(0));
      const final = await core.gc.collect(ctx, { graceMs: GRACE_MS });
      totals.collected += final.blobs.collected.count;
      totals.expired += final.commits.expired;
      // The collector really worked against the writers.
      expect(totals.runs).toBeGreaterThanOrEqual(3);
      expect(totals.collected).toBeGreaterThan(0);
      expect(totals.expired).toBeGreaterThan(0);
      expect(totals.checked).toBeGreaterThan(0);

      // Every acknowledged version, at the commit that acknowledged it: exact bytes, or Gone.
      const acks = workers.flatMap((w) => w.acks);
      expect(acks.length).toBeGreaterThan(WORKERS * ROUNDS);
      const outcomes = { read: 0, expired: 0 };
      for (const ack of acks) outcomes[await readAck(core, blobs, ack)]++;
      expect(outcomes.read).toBeGreaterThan(0);
      // The head holds each path's last acknowledged version, byte for byte.
      const last = new Map<string, Ack>();
      for (const worker of workers) for (const ack of worker.acks) last.set(ack.path, ack);
      for (const ack of last.values()) {
        const { info, body } = await core.objects.get(ctx, { repository: 'data', ref: 'main', path: ack.path });
        expect(info.sha256).toBe(ack.sha256);
        expect(sha(await readAll(body))).toBe(ack.sha256);
        expect(await readAck(core, blobs, { ...ack, commit: 'main' })).toBe('read');
      }
      // Every commit still readable is whole: each of its objects reads back and matches its hash.
      for (const commit of await core.commits.log(ctx, { repository: 'data', ref: 'main', limit: 10_000 })) {
        const listing = await core.objects.list(ctx, { repository: 'data', ref: commit.id, limit: 1000 }).catch((error: unknown) => {
          if ((error as { code?: string }).code === 'Gone') return undefined;
          throw error;
        });
        for (const object of listing?.objects ?? []) expect(await readAck(core, blobs, { commit: commit.id, path: object.path, sha256: object.sha256 })).toBe('read');
      }
    } finally {
      await core.close();
    }
  }, 300_000);
});
