import { createHash, randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, rm, stat, unlink, type FileHandle } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { StrataError, notFound } from '../../../core/errors.ts';
import type { BlobBody, BlobStore, GetBlobOptions, PutBlobOptions, PutBlobResult } from '../../../core/ports/blob-store.ts';

export interface FsBlobStoreOptions {
  /** Folder holding `objects/` and `tmp/`. */
  root: string;
  /** fsync each blob before it becomes visible. Default true; off only for throwaway stores. */
  fsync?: boolean;
}

const SHA256 = /^[0-9a-f]{64}$/;
const ABANDONED_AFTER_MS = 24 * 60 * 60 * 1000;

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Blobs as files under `objects/ab/cd/<sha256>`. A blob is written to `tmp/`, fsynced and then
 * renamed into place, so a reader — or a process restarted after a crash — sees a blob whole or
 * not at all. Temp files of writers that died are removed on open.
 */
export class FsBlobStore implements BlobStore {
  private readonly objects: string;
  private readonly tmpRoot: string;
  private readonly tmp: string;
  private readonly fsync: boolean;
  private readonly madeDirs = new Set<string>();

  private constructor(options: FsBlobStoreOptions) {
    this.objects = join(options.root, 'objects');
    this.tmpRoot = join(options.root, 'tmp');
    // Each process writes in its own folder, so cleaning up after a dead one never touches a live one.
    this.tmp = join(this.tmpRoot, `${hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`);
    this.fsync = options.fsync ?? true;
  }

  static async open(options: FsBlobStoreOptions): Promise<FsBlobStore> {
    const store = new FsBlobStore(options);
    await guard(async () => {
      await mkdir(store.objects, { recursive: true });
      await mkdir(store.tmp, { recursive: true });
      await store.removeAbandonedTemp();
    });
    return store;
  }

  /**
   * Removes temp folders of writers that died: same host and no such process, or untouched for a
   * day (another host's writer, which cannot be probed).
   */
  private async removeAbandonedTemp(): Promise<void> {
    for (const name of await readdir(this.tmpRoot)) {
      const path = join(this.tmpRoot, name);
      if (path === this.tmp) continue;
      const match = /^(.*)-(\d+)-[0-9a-f]{8}$/.exec(name);
      const sameHostDead = match !== null && match[1] === hostname() && !isAlive(Number(match[2]));
      const old = Date.now() - (await stat(path)).mtimeMs > ABANDONED_AFTER_MS;
      if (sameHostDead || old) await rm(path, { recursive: true, force: true });
    }
  }

  async put(body: BlobBody, options: PutBlobOptions = {}): Promise<PutBlobResult> {
    if (options.sha256 !== undefined && body instanceof Uint8Array && (await this.has(options.sha256))) {
      return { sha256: options.sha256, size: body.length };
    }
    const temp = join(this.tmp, randomUUID());
    try {
      const written = await guard(() => this.writeTemp(temp, body, options));
      const sha256 = options.sha256 ?? written.sha256;
      const dir = await this.shardDir(sha256);
      await guard(() => rename(temp, join(dir, sha256)));
      return { sha256, size: written.size };
    } catch (error) {
      await rm(temp, { force: true });
      throw error;
    }
  }

  private async writeTemp(temp: string, body: BlobBody, options: PutBlobOptions): Promise<PutBlobResult> {
    const hash = options.sha256 === undefined ? createHash('sha256') : undefined;
    const file = await open(temp, 'wx');
    let size = 0;
    try {
      const parts = body instanceof Uint8Array ? [body] : body;
      for await (const part of parts) {
        options.signal?.throwIfAborted();
        hash?.update(part);
        await writeAll(file, part);
        size += part.length;
      }
      if (this.fsync) await file.sync();
    } finally {
      await file.close();
    }
    return { sha256: hash ? hash.digest('hex') : (options.sha256 as string), size };
  }

  async get(sha256: string, options: GetBlobOptions = {}): Promise<AsyncIterable<Uint8Array>> {
    const path = this.pathOf(sha256);
    const file = await open(path, 'r').catch((error: unknown) => {
      throw isNoEntry(error) ? notFound(`blob ${sha256} not found`) : wrap(error);
    });
    const range = options.range;
    if (range && range.end <= range.start) {
      await file.close();
      return emptyStream();
    }
    return createReadStream('', {
      fd: file,
      start: range?.start,
      end: range ? range.end - 1 : undefined,
      highWaterMark: 1024 * 1024,
      signal: options.signal,
    });
  }

  async read(sha256: string): Promise<Uint8Array> {
    return readFile(this.pathOf(sha256)).catch((error: unknown) => {
      throw isNoEntry(error) ? notFound(`blob ${sha256} not found`) : wrap(error);
    });
  }

  async has(sha256: string): Promise<boolean> {
    try {
      await stat(this.pathOf(sha256));
      return true;
    } catch (error) {
      if (isNoEntry(error)) return false;
      throw wrap(error);
    }
  }

  async delete(sha256: string): Promise<boolean> {
    try {
      await unlink(this.pathOf(sha256));
      return true;
    } catch (error) {
      if (isNoEntry(error)) return false;
      throw wrap(error);
    }
  }

  async *list(): AsyncIterable<string> {
    for (const a of await readdir(this.objects)) {
      for (const b of await readdir(join(this.objects, a))) {
        for (const name of await readdir(join(this.objects, a, b))) if (SHA256.test(name)) yield name;
      }
    }
  }

  private pathOf(sha256: string): string {
    if (!SHA256.test(sha256)) throw notFound(`blob ${sha256} not found`);
    return join(this.objects, sha256.slice(0, 2), sha256.slice(2, 4), sha256);
  }

  private async shardDir(sha256: string): Promise<string> {
    const dir = join(this.objects, sha256.slice(0, 2), sha256.slice(2, 4));
    if (!this.madeDirs.has(dir)) {
      await guard(() => mkdir(dir, { recursive: true }));
      this.madeDirs.add(dir);
    }
    return dir;
  }
}

async function writeAll(file: FileHandle, data: Uint8Array): Promise<void> {
  let offset = 0;
  while (offset < data.length) {
    const { bytesWritten } = await file.write(data, offset, data.length - offset);
    offset += bytesWritten;
  }
}

async function* emptyStream(): AsyncGenerator<Uint8Array> {
  // An empty range yields nothing.
}

function isNoEntry(error: unknown): boolean {
  return (error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
}

/** Maps storage failures a user can act on (full or read-only disk) to clear errors. */
function wrap(error: unknown): StrataError {
  if (error instanceof StrataError) return error;
  const code = (error as NodeJS.ErrnoException | undefined)?.code ?? '';
  switch (code) {
    case 'ENOSPC':
    case 'EDQUOT':
      return new StrataError('Unavailable', 'blob storage is full (no space left on device)', { cause: error });
    case 'EROFS':
      return new StrataError('Unavailable', 'blob storage is read-only', { cause: error });
    case 'EACCES':
    case 'EPERM':
      return new StrataError('Unavailable', 'blob storage is not writable (permission denied)', { cause: error });
    default:
      return new StrataError('Internal', `blob storage failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
}

async function guard<T>(operation: () => Promise<T>): Promise<T> {
  try {
    return await operation();
  } catch (error) {
    if ((error as Error | undefined)?.name === 'AbortError') throw error;
    throw wrap(error);
  }
}
