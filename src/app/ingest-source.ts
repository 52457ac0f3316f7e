import { existsSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { FsSource } from '../adapters/ingest/fs-source.ts';
import { HttpSource } from '../adapters/ingest/http-source.ts';
import { S3Source } from '../adapters/ingest/s3-source.ts';
import { invalidArgument, notFound } from '../core/errors.ts';
import type { IngestSource, SourceItem } from '../core/ports/ingest-source.ts';

/**
 * Turns an ingest SOURCE into an adapter: `s3://bucket/prefix[?endpoint=…]`, an `http(s)://`
 * URL, a local folder or file, or `@list.txt` — a file of paths and URLs, one per line.
 */
export async function openIngestSource(source: string, options: { cwd: string; followSymlinks?: boolean }): Promise<IngestSource> {
  if (source.startsWith('s3://')) return new S3Source(source);
  if (/^https?:\/\//.test(source)) return new HttpSource(source, [source]);
  if (source.startsWith('@')) return listSource(resolve(options.cwd, source.slice(1)), options);
  const path = resolve(options.cwd, source);
  if (!existsSync(path)) throw notFound(`no such file or folder: ${source}`);
  return new FsSource(path, { followSymlinks: options.followSymlinks });
}

/** A file of paths (relative to the list's folder) and URLs; blank lines and `#` comments skipped. */
async function listSource(listFile: string, options: { followSymlinks?: boolean }): Promise<IngestSource> {
  const text = await readFile(listFile, 'utf8').catch(() => {
    throw notFound(`no such list file: ${listFile}`);
  });
  const lines = text.split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'));
  const urls = lines.filter((l) => /^https?:\/\//.test(l));
  const paths = lines.filter((l) => !/^https?:\/\//.test(l)).map((l) => resolve(listFile, '..', l));
  for (const path of paths) if (!existsSync(path)) throw notFound(`no such file or folder in ${listFile}: ${path}`);
  const parts: IngestSource[] = [...paths.map((p) => new FsSource(p, { followSymlinks: options.followSymlinks })), ...(urls.length > 0 ? [new HttpSource(listFile, urls)] : [])];
  return new CombinedSource(`file://${listFile}`, parts, paths.map((p) => statSync(p).isDirectory()));
}

/** Several sources as one; a folder's items keep their paths under the folder's name. */
class CombinedSource implements IngestSource {
  private readonly owner = new Map<string, IngestSource>();

  constructor(
    readonly uri: string,
    private readonly parts: IngestSource[],
    private readonly folders: boolean[],
  ) {}

  async *list(): AsyncIterable<SourceItem> {
    for (const [index, part] of this.parts.entries()) {
      const folderName = this.folders[index] === true ? `${decodeURIComponent(part.uri.replace(/\/$/, '').split('/').pop() ?? '')}/` : '';
      for await (const item of part.list()) {
        const combined = { ...item, path: folderName + item.path };
        this.owner.set(combined.location, part);
        yield combined;
      }
    }
  }

  open(item: SourceItem, signal?: AbortSignal): Promise<AsyncIterable<Uint8Array>> {
    const part = this.owner.get(item.location);
    if (!part) throw invalidArgument(`item ${item.location} was not listed by ${this.uri}`);
    return part.open(item, signal);
  }
}
