import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { openSqliteStore } from '../../src/adapters/db/sqlite/open-sqlite-store.ts';
import type { KyselyMetadataStore } from '../../src/adapters/db/kysely-metadata-store.ts';

// The SQLite store keeps point reads (repository, branch, staged row, access key) while the
// database is unchanged (ChangeTokenCache): these check that no write, from this connection,
// another one in this process or another process, is ever hidden by it.
const CHILD = join(import.meta.dirname, '..', 'support', 'stage-in-sqlite.ts');
const T = '2026-01-01T00:00:00.000Z';
const ROOT = 'a'.repeat(64);
let dir: string;
let file: string;
let store: KyselyMetadataStore;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'strata-read-cache-'));
  file = join(dir, 'strata.db');
  store = await openSqliteStore(file);
  await store.createRepository({ name: 'repo', defaultBranch: 'main', createdAt: T, createdBy: 'ada', s3Layout: 'ref', publicRead: false, auditReads: false }, { id: ROOT, repository: 'repo', treeId: null, parents: [], generation: 0, author: 'ada', message: 'root', createdAt: T, metadata: {} });
});
afterEach(async () => {
  await store.close();
  await rm(dir, { recursive: true, force: true });
});

const entry = { sha256: 'b'.repeat(64), size: 1, md5: 'x', contentType: 'text/plain', mtime: T };

it("a read after this connection's own write sees it, in the same turn of the event loop", async () => {
  expect(await store.getStaged('repo', 'main', 'x.txt')).toBeUndefined();
  expect((await store.getRepository('repo'))?.publicRead).toBe(false);
  await store.stage('repo', 'main', [{ path: 'x.txt', entry }]);
  await store.updateRepository('repo', { publicRead: true });
  expect((await store.getStaged('repo', 'main', 'x.txt'))?.entry).toEqual(entry);
  expect((await store.getRepository('repo'))?.publicRead).toBe(true);
});

it("a read sees another store's write in this process at once (same file, another connection)", async () => {
  const other = await openSqliteStore(file);
  try {
    expect(await store.getStaged('repo', 'main', 'y.txt')).toBeUndefined();
    await other.stage('repo', 'main', [{ path: 'y.txt', entry }]);
    expect((await store.getStaged('repo', 'main', 'y.txt'))?.entry).toEqual(entry);
    await other.resetStaged('repo', 'main');
    expect(await store.getStaged('repo', 'main', 'y.txt')).toBeUndefined();
  } finally {
    await other.close();
  }
});

it("a read after another process's acknowledged write sees it: the staged row and the moved head", async () => {
  expect(await store.getStaged('repo', 'main', 'z.txt')).toBeUndefined();
  expect((await store.getBranch('repo', 'main'))?.head).toBe(ROOT);
  const head = 'd'.repeat(64);
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, file, 'z.txt', head], { stdio: ['ignore', 'ignore', 'inherit'] });
  const [code] = (await once(child, 'exit')) as [number | null];
  expect(code).toBe(0);
  expect((await store.getStaged('repo', 'main', 'z.txt'))?.entry?.sha256).toBe('c'.repeat(64));
  expect((await store.getBranch('repo', 'main'))?.head).toBe(head);
}, 30_000);

it('values handed out are frozen: a caller cannot change what the next one reads', async () => {
  const repository = await store.getRepository('repo');
  expect(Object.isFrozen(repository)).toBe(true);
  expect((await store.getRepository('repo'))?.defaultBranch).toBe('main');
});
