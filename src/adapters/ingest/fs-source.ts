import { createReadStream } from 'node:fs';
import { lstat, readdir, stat } from 'node:fs/promises';
import { basename, join, relative, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { IngestSource, SourceItem } from '../../core/ports/ingest-source.ts';

/** A local folder (walked in byte order) or a single file. Symbolic links are skipped unless followed. */
export class FsSource implements IngestSource {
  readonly uri: string;

  constructor(
    private readonly root: string,
    private readonly options: { followSymlinks?: boolean } = {},
  ) {
    this.uri = pathToFileURL(root).href;
  }

  async *list(): AsyncIterable<SourceItem> {
    const info = await stat(this.root);
    if (info.isFile()) {
      yield { path: basename(this.root), location: this.uri, size: info.size, modified: info.mtime.toISOString() };
      return;
    }
    yield* this.walk(this.root);
  }

  open(item: SourceItem): Promise<AsyncIterable<Uint8Array>> {
    return Promise.resolve(createReadStream(new URL(item.location), { highWaterMark: 1024 * 1024 }));
  }

  private async *walk(dir: string): AsyncGenerator<SourceItem> {
    const entries = (await readdir(dir, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      const path = join(dir, entry.name);
      let isDirectory = entry.isDirectory();
      let isFile = entry.isFile();
      if (entry.isSymbolicLink()) {
        if (this.options.followSymlinks !== true) continue;
        const target = await stat(path).catch(() => undefined);
        isDirectory = target?.isDirectory() ?? false;
        isFile = target?.isFile() ?? false;
      }
      if (isDirectory) {
        yield* this.walk(path);
      } else if (isFile) {
        const info = this.options.followSymlinks === true ? await stat(path) : await lstat(path);
        yield { path: relative(this.root, path).split(sep).join('/'), location: pathToFileURL(path).href, size: info.size, modified: info.mtime.toISOString() };
      }
    }
  }
}
