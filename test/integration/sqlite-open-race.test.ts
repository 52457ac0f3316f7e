import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { openSqliteStore } from '../../src/adapters/db/sqlite/open-sqlite-store.ts';

const CHILD = join(import.meta.dirname, '..', 'support', 'open-sqlite.ts');
let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'strata-open-race-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function open(file: string): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, file], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code) => {
      resolve({ code, stderr: stderr.split('\n').find((line) => line.includes('migration')) ?? stderr.slice(-300) });
    });
  });
}

it('8 processes opening one new SQLite database at once all succeed (the migrations run once)', async () => {
  const file = join(dir, 'strata.db');
  const runs = await Promise.all(Array.from({ length: 8 }, () => open(file)));
  expect(runs).toEqual(Array.from({ length: 8 }, () => ({ code: 0, stderr: '' })));
  const store = await openSqliteStore(file);
  try {
    expect(await store.listRepositories()).toEqual([]);
  } finally {
    await store.close();
  }
});

it('a process opening a database another process holds locked waits for the lock (longer than the 5 s better-sqlite3 default) instead of failing', async () => {
  const file = join(dir, 'strata.db');
  const holder = new Database(file);
  holder.exec('create table held (x)');
  holder.exec('BEGIN EXCLUSIVE');
  holder.exec('insert into held values (1)');
  const opening = open(file);
  await new Promise((resolve) => setTimeout(resolve, 6500));
  holder.exec('COMMIT');
  holder.close();
  expect(await opening).toEqual({ code: 0, stderr: '' });
}, 20_000);
