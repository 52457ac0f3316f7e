import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openStrata } from '../../src/app/open-strata.ts';
import { loadConfig } from '../../src/config/config.ts';
import type { StrataCore } from '../../src/core/strata.ts';
import { contentFor } from '../support/content.ts';
import { createPostgresDatabase, type TestDatabase } from '../support/databases.ts';
import { readAll } from '../support/core.ts';

const WORKER = join(import.meta.dirname, '..', 'support', 'worker.ts');
/** The data folder's administrator, as every worker acts (test/support/worker.ts). */
const ctx = { actor: { id: 'admin' } };

interface Acks {
  puts: Map<string, string>;
  commits: string[];
}

interface Child {
  acks: Acks;
  ready: Promise<void>;
  exited: Promise<number | null>;
  kill(): void;
}

function startWorker(env: Record<string, string>, args: string[]): Child {
  const child = spawn(process.execPath, ['--import', 'tsx', WORKER, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const acks: Acks = { puts: new Map(), commits: [] };
  let buffered = '';
  let stderr = '';
  let onReady: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => (onReady = resolve));
  child.stdout.on('data', (data: Buffer) => {
    buffered += data.toString();
    const lines = buffered.split('\n');
    buffered = lines.pop() ?? '';
    for (const line of lines) {
      const [kind, a = '', b = ''] = line.split(' ');
      if (kind === 'READY') onReady();
      if (kind === 'PUT') acks.puts.set(a, b);
      if (kind === 'COMMIT') acks.commits.push(a);
    }
  });
  child.stderr.on('data', (data: Buffer) => (stderr += data.toString()));
  const exited = new Promise<number | null>((resolve) =>
    child.on('exit', (code) => {
      if (code !== 0 && code !== null) process.stderr.write(stderr);
      resolve(code);
    }),
  );
  return { acks, ready, exited, kill: () => child.kill('SIGKILL') };
}

/** Every acknowledged put is readable with its exact bytes; every acknowledged commit is in history. */
async function verify(core: StrataCore, acks: Acks): Promise<void> {
  for (const [path, sha256] of acks.puts) {
    const { info, body } = await core.objects.get(ctx, { repository: 'data', ref: 'main', path });
    expect(info.sha256).toBe(sha256);
    const bytes = await readAll(body);
    expect(bytes.equals(contentFor(path))).toBe(true);
  }
  const history = new Set((await core.commits.log(ctx, { repository: 'data', ref: 'main', limit: 100_000 })).map((c) => c.id));
  for (const id of acks.commits) expect(history.has(id)).toBe(true);
  // Nothing half-written is visible: every listed object reads back whole and matches its hash.
  let after: string | undefined;
  for (;;) {
    const page = await core.objects.list(ctx, { repository: 'data', ref: 'main', after, limit: 1000 });
    for (const object of page.objects) {
      const bytes = await readAll((await core.objects.get(ctx, { repository: 'data', ref: 'main', path: object.path })).body);
      expect(createHash('sha256').update(bytes).digest('hex')).toBe(object.sha256);
    }
    if (!page.truncated) break;
    after = page.nextAfter;
  }
}

async function openVerifier(env: Record<string, string>): Promise<StrataCore> {
  const core = await openStrata(loadConfig({ env, cwd: tmpdir() }), { create: true });
  await core.identity.bootstrap('admin');
  return core;
}

describe('crash safety', () => {
  let dir = '';
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('SIGKILL at random moments during put and commit loses no acknowledged write', async () => {
    dir = await mkdtemp(join(tmpdir(), 'strata-crash-'));
    const env = { STRATA_DATA_DIR: dir };
    const setup = await openVerifier(env);
    await setup.repositories.create(ctx, { name: 'data' });
    await setup.close();
    const all: Acks = { puts: new Map(), commits: [] };
    const KILLS = 25;
    for (let round = 0; round < KILLS; round++) {
      const child = startWorker(env, ['crash', `r${round}`]);
      await child.ready;
      await new Promise((resolve) => setTimeout(resolve, 30 + Math.random() * 400));
      child.kill();
      await child.exited;
      for (const [k, v] of child.acks.puts) all.puts.set(k, v);
      all.commits.push(...child.acks.commits);
      const core = await openVerifier(env);
      try {
        await verify(core, child.acks);
      } finally {
        await core.close();
      }
    }
    expect(all.puts.size).toBeGreaterThan(KILLS);
    expect(all.commits.length).toBeGreaterThan(0);
    // After all the kills: everything acknowledged is still there, and the branch still commits.
    const core = await openVerifier(env);
    try {
      await verify(core, all);
      const status = await core.commits.status(ctx, { repository: 'data', branch: 'main' });
      if (status.length > 0) await core.commits.commit(ctx, { repository: 'data', branch: 'main', message: 'after the crashes' });
      await verify(core, all);
    } finally {
      await core.close();
    }
    // Temp files of killed writers are cleaned when a blob store opens; none became an object.
    const leftovers = (await readdir(join(dir, 'blobs', 'tmp'), { recursive: true, withFileTypes: true })).filter((e) => e.isFile());
    expect(leftovers).toEqual([]);
  }, 300_000);
});

describe.each(['sqlite', 'postgres'] as const)('concurrent commits from several processes (%s)', (dialect) => {
  let dir = '';
  let database: TestDatabase | undefined;
  afterEach(async () => {
    await database?.drop();
    await rm(dir, { recursive: true, force: true });
  });

  it('never loses a change: every put and every acknowledged commit ends up on the branch', async () => {
    dir = await mkdtemp(join(tmpdir(), 'strata-concurrent-'));
    const env: Record<string, string> = { STRATA_DATA_DIR: dir };
    if (dialect === 'postgres') {
      database = await createPostgresDatabase();
      env.STRATA_DATABASE_URL = database.url;
    }
    const setup = await openVerifier(env);
    await setup.repositories.create(ctx, { name: 'data' });
    await setup.close();
    const WORKERS = 4;
    const PER_WORKER = 12;
    const children = Array.from({ length: WORKERS }, (_, w) => startWorker(env, ['concurrent', `w${w}`, String(PER_WORKER)]));
    expect(await Promise.all(children.map((c) => c.exited))).toEqual(Array(WORKERS).fill(0));
    const acks: Acks = { puts: new Map(), commits: [] };
    for (const child of children) {
      for (const [k, v] of child.acks.puts) acks.puts.set(k, v);
      acks.commits.push(...child.acks.commits);
    }
    expect(acks.puts.size).toBe(WORKERS * PER_WORKER);
    const core = await openVerifier(env);
    try {
      // Every put was committed by its own worker or by another one that sealed it first.
      expect(await core.commits.status(ctx, { repository: 'data', branch: 'main' })).toEqual([]);
      await verify(core, acks);
      const listed = await core.objects.list(ctx, { repository: 'data', ref: 'main', limit: 10_000 });
      expect(listed.objects.length).toBe(WORKERS * PER_WORKER);
      const log = await core.commits.log(ctx, { repository: 'data', ref: 'main', limit: 10_000 });
      expect(log.length).toBe(acks.commits.length + 1);
    } finally {
      await core.close();
    }
  }, 300_000);
});
