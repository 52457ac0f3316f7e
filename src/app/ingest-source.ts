import { existsSync, realpathSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { resolve, sep } from 'node:path';
import type { Dispatcher } from 'undici';
import { FsSource } from '../adapters/ingest/fs-source.ts';
import { HttpSource } from '../adapters/ingest/http-source.ts';
import { S3Source } from '../adapters/ingest/s3-source.ts';
import { guardedDispatcher } from '../adapters/ingest/network-guard.ts';
import { invalidArgument, notFound, StrataError } from '../core/errors.ts';
import type { IngestSource, SourceItem } from '../core/ports/ingest-source.ts';

/**
 * What a server may read on a client's behalf (REST ingest). The CLI ingesting on its own machine
 * reads what its user can; a server must not hand its files, its network position or its cloud
 * credentials to whoever can call it.
 */
export interface ServerIngestPolicy {
  /** Folders server-side path sources must lie in (after resolving links); none: no paths at all. */
  roots: readonly string[];
  /** Never read, whatever the roots say: the data folder (database, keys). */
  forbidden: readonly string[];
  /** Let URL sources reach loopback, private and link-local addresses. */
  allowPrivateNetworks: boolean;
  /** Let `s3://` sources be read with the server's own AWS credentials. */
  allowS3: boolean;
}

interface OpenOptions {
  cwd: string;
  followSymlinks?: boolean;
  /** Set when a server opens the source for a client. */
  server?: ServerIngestPolicy;
}

/**
 * Turns an ingest SOURCE into an adapter: `s3://bucket/prefix[?endpoint=…]`, an `http(s)://`
 * URL, a local folder or file, or `@list.txt` — a file of paths and URLs, one per line.
 */
export async function openIngestSource(source: string, options: OpenOptions): Promise<IngestSource> {
  const server = options.server;
  if (server !== undefined && options.followSymlinks === true) throw forbidden('server-side ingest does not follow symbolic links (a link could lead outside the allowed roots)');
  if (source.startsWith('s3://')) {
    if (server !== undefined && !server.allowS3) throw forbidden("server-side ingest from s3:// would use the server's own AWS credentials; the operator allows it with STRATA_INGEST_S3=true");
    return new S3Source(source);
  }
  if (/^https?:\/\//.test(source)) return new HttpSource(source, [source], dispatcherFor(server));
  if (source.startsWith('@')) return listSource(allowedPath(resolve(options.cwd, source.slice(1)), server), options);
  const path = allowedPath(resolve(options.cwd, source), server);
  if (!existsSync(path)) throw notFound(`no such file or folder: ${source}`);
  return new FsSource(path, { followSymlinks: options.followSymlinks });
}

function forbidden(message: string): StrataError {
  return new StrataError('Forbidden', message);
}

function dispatcherFor(server: ServerIngestPolicy | undefined): Dispatcher | undefined {
  return server === undefined || server.allowPrivateNetworks ? undefined : guardedDispatcher();
}

/** `path` itself when a server may read it: under a root, outside the forbidden folders, links resolved. */
function allowedPath(path: string, server: ServerIngestPolicy | undefined): string {
  if (server === undefined) return path;
  const within = (p: string, folder: string): boolean => p === folder || p.startsWith(folder.endsWith(sep) ? folder : folder + sep);
  const real = (p: string): string => (existsSync(p) ? realpathSync(p) : p);
  const roots = server.roots.map((r) => real(resolve(r)));
  // Checked as written first, so a refusal says nothing about whether the path exists.
  const refuse = (): never => {
    throw forbidden(roots.length === 0 ? 'server-side ingest of server paths is off: the operator allows folders with STRATA_INGEST_ROOTS' : `server-side ingest reads only under ${roots.join(', ')} (STRATA_INGEST_ROOTS)`);
  };
  for (const candidate of [path, real(path)]) {
    if (!roots.some((root) => within(candidate, root))) refuse();
    if (server.forbidden.some((f) => within(candidate, real(resolve(f))) || within(real(resolve(f)), candidate))) throw forbidden("server-side ingest never reads Strata's own data folder");
  }
  return path;
}

/** A file of paths (relative to the list's folder) and URLs; blank lines and `#` comments skipped. */
async function listSource(listFile: string, options: OpenOptions): Promise<IngestSource> {
  const text = await readFile(listFile, 'utf8').catch(() => {
    throw notFound(`no such list file: ${listFile}`);
  });
  const lines = text.split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'));
  const urls = lines.filter((l) => /^https?:\/\//.test(l));
  const paths = lines.filter((l) => !/^https?:\/\//.test(l)).map((l) => allowedPath(resolve(listFile, '..', l), options.server));
  for (const path of paths) if (!existsSync(path)) throw notFound(`no such file or folder in ${listFile}: ${path}`);
  const parts: IngestSource[] = [...paths.map((p) => new FsSource(p, { followSymlinks: options.followSymlinks })), ...(urls.length > 0 ? [new HttpSource(listFile, urls, dispatcherFor(options.server))] : [])];
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
