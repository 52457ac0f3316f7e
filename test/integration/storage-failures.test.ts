/**
 * A full or read-only disk under the blob store gives a clear `Unavailable` error and changes
 * nothing. Uses a real tmpfs (mounting needs root, as on the development and CI machines; the
 * test fails, it does not skip, where it cannot mount).
 */
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FsBlobStore } from '../../src/adapters/blob/fs/fs-blob-store.ts';
import { openSqliteStore } from '../../src/adapters/db/sqlite/open-sqlite-store.ts';
import { StrataError } from '../../src/core/errors.ts';
import { createStrataCore, type StrataCore } from '../../src/core/strata.ts';
import { bytesOf, ctx, readAll } from '../support/core.ts';

const KEEP = Buffer.from('acknowledged before the disk failed\n');

describe('blob storage on a full or read-only disk', () => {
  let dir = '';
  let mount = '';
  let mounted = false;
  let core: StrataCore | undefined;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'strata-disk-'));
    mount = join(dir, 'blobs');
    await mkdir(mount);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', mount]);
    mounted = true;
    core = createStrataCore({ metadata: await openSqliteStore(join(dir, 'strata.db')), blobs: await FsBlobStore.open({ root: mount }) });
    await core.identity.bootstrap('ada');
    await core.repositories.create(ctx, { name: 'data' });
    await core.objects.put(ctx, { repository: 'data', branch: 'main', path: 'keep.txt', body: bytesOf(KEEP) });
  });

  afterEach(async () => {
    await core?.close();
    core = undefined;
    // Only what this test mounted: a failed mount must surface as itself, not as a umount error.
    if (mounted) execFileSync('umount', [mount]);
    mounted = false;
    await rm(dir, { recursive: true, force: true });
  });

  async function expectUnchanged(c: StrataCore): Promise<void> {
    const status = await c.commits.status(ctx, { repository: 'data', branch: 'main' });
    expect(status.map((s) => s.path)).toEqual(['keep.txt']);
    const { body } = await c.objects.get(ctx, { repository: 'data', ref: 'main', path: 'keep.txt' });
    expect((await readAll(body)).equals(KEEP)).toBe(true);
    // The failed write left no temp file behind to keep the disk full.
    const temp = (await readdir(join(mount, 'tmp'), { recursive: true, withFileTypes: true })).filter((e) => e.isFile());
    expect(temp).toEqual([]);
  }

  it('a full disk: Unavailable "no space left", no entry staged', async () => {
    const c = core!;
    const error = await c.objects.put(ctx, { repository: 'data', branch: 'main', path: 'big.bin', body: bytesOf(Buffer.alloc(3 * 1024 * 1024, 7)) }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StrataError);
    expect((error as StrataError).code).toBe('Unavailable');
    expect((error as StrataError).message).toBe('blob storage is full (no space left on device)');
    await expectUnchanged(c);
  });

  it('a read-only disk: Unavailable "read-only", no entry staged', async () => {
    const c = core!;
    execFileSync('mount', ['-o', 'remount,ro', mount]);
    try {
      const error = await c.objects.put(ctx, { repository: 'data', branch: 'main', path: 'new.txt', body: bytesOf('new') }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(StrataError);
      expect((error as StrataError).code).toBe('Unavailable');
      expect((error as StrataError).message).toBe('blob storage is read-only');
      await expectUnchanged(c);
    } finally {
      execFileSync('mount', ['-o', 'remount,rw', mount]);
    }
  });
});
