import { createReadStream } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { mapConcurrent } from '../core/concurrency.ts';
import { notFound } from '../core/errors.ts';

export interface LocalFile {
  /** Absolute path on disk. */
  file: string;
  /** Path relative to the folder given, with `/` separators. */
  relative: string;
  size: number;
}

/** Regular files under `root` (or `root` itself), sorted; symbolic links are not followed. */
export async function listLocalFiles(root: string): Promise<{ isFolder: boolean; files: LocalFile[] }> {
  const info = await stat(root).catch(() => {
    throw notFound(`no such file or folder: ${root}`);
  });
  if (info.isFile()) return { isFolder: false, files: [{ file: root, relative: '', size: info.size }] };
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  const paths = entries.filter((entry) => entry.isFile()).map((entry) => join(entry.parentPath, entry.name));
  const files = await mapConcurrent(paths, 32, async (file) => ({
    file,
    relative: relative(root, file).split(sep).join('/'),
    size: (await stat(file)).size,
  }));
  files.sort((a, b) => (a.relative < b.relative ? -1 : a.relative > b.relative ? 1 : 0));
  return { isFolder: true, files };
}

/** A file's bytes, opened only when first read (so thousands of pending uploads hold no descriptors). */
export async function* readLocalFile(file: LocalFile): AsyncGenerator<Uint8Array> {
  if (file.size <= 1024 * 1024) {
    yield await readFile(file.file);
    return;
  }
  yield* createReadStream(file.file, { highWaterMark: 1024 * 1024 });
}
