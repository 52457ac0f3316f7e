import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, mkdtemp, readdir, rename, rm, utimes, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FsBlobStore } from '../../src/adapters/blob/fs/fs-blob-store.ts';

/** Temp folders of other writers: removed only when their writer is surely gone. */
describe('FsBlobStore temp folders', () => {
  let root: string;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'strata-blob-temp-'));
    await mkdir(join(root, 'tmp'), { recursive: true });
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  async function deadPid(): Promise<number> {
    const child = spawn(process.execPath, ['-e', '']);
    await once(child, 'exit');
    return child.pid ?? 0;
  }

  async function folder(name: string, options: { ageMs?: number } = {}): Promise<void> {
    const path = join(root, 'tmp', name);
    await mkdir(path);
    await writeFile(join(path, 'partial'), 'half a blob');
    if (options.ageMs !== undefined) {
      const then = (Date.now() - options.ageMs) / 1000;
      await utimes(path, then, then);
    }
  }

  it("removes dead writers' folders and old ones from other hosts, never a live writer's, however idle", async () => {
    const day = 24 * 60 * 60 * 1000;
    const sleeper = spawn('sleep', ['30']);
    try {
      const dead = await deadPid();
      await folder(`${hostname()}-${dead}-0000dead`);
      await folder(`${hostname()}-${sleeper.pid ?? 0}-00a11ce0`, { ageMs: 3 * day });
      await folder('elsewhere-123-0000beef', { ageMs: 2 * day });
      await folder('elsewhere-456-0000f00d');
      await FsBlobStore.open({ root });
      const left = (await readdir(join(root, 'tmp'))).filter((n) => !n.startsWith(`${hostname()}-${process.pid}-`)).sort();
      expect(left).toEqual(['elsewhere-456-0000f00d', `${hostname()}-${sleeper.pid ?? 0}-00a11ce0`].sort());
    } finally {
      sleeper.kill();
    }
  });

  it('makes its own folder again if something removed it', async () => {
    const store = await FsBlobStore.open({ root });
    await rm(join(root, 'tmp'), { recursive: true });
    const { sha256, size } = await store.put(Buffer.from('still works'));
    expect(size).toBe(11);
    expect(Buffer.from(await store.read(sha256)).toString()).toBe('still works');
  });

  it('collects even when its temp folder was removed, and a killed collector\'s claimed blob is put back on open', async () => {
    const store = await FsBlobStore.open({ root });
    const { sha256 } = await store.put(Buffer.from('garbage'));
    const later = Date.now() + 60_000;
    for (const name of await readdir(join(root, 'tmp'))) await rm(join(root, 'tmp', name), { recursive: true });
    expect(await store.collect(sha256, later)).toEqual({ outcome: 'deleted', size: 7 });
    // A dead process's folder holding a claimed blob: the next open puts it back where it was.
    const kept = await store.put(Buffer.from('claimed, then the collector died'));
    const dead = `${hostname()}-${await deadPid()}-deadbeef`;
    await mkdir(join(root, 'tmp', dead));
    await rename(join(root, 'objects', kept.sha256.slice(0, 2), kept.sha256), join(root, 'tmp', dead, `gc-${kept.sha256}`));
    expect(await store.has(kept.sha256)).toBe(false);
    const reopened = await FsBlobStore.open({ root });
    expect(Buffer.from(await reopened.read(kept.sha256)).toString()).toBe('claimed, then the collector died');
    expect(await readdir(join(root, 'tmp'))).not.toContain(dead);
  });
});
