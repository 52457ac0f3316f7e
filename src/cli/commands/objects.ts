import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Command } from 'commander';
import { lookup } from 'mime-types';
import { notFound } from '../../core/errors.ts';
import { assertPortablePath } from '../../core/names.ts';
import type { ObjectInfo, StrataApi } from '../../sdk/api.ts';
import { resolveObjectAddress, requirePath, requireRef } from '../address.ts';
import { withContext } from '../context.ts';
import { listLocalFiles, readLocalFile } from '../local-files.ts';
import { formatBytes, parsePairs } from '../output.ts';
import { createProgress } from '../progress.ts';

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

/** Content type from the file name; content sniffing comes with ingest. */
function contentTypeOf(file: string): string | undefined {
  const type = lookup(file);
  return type === false ? undefined : type;
}

export function registerObjectCommands(program: Command): void {
  program
    .command('put')
    .description('upload a file or a folder to a branch (staged until you commit)')
    .argument('<local>', 'file or folder')
    .argument('<target>', 'repo@branch[:path]; a folder lands under path/, a file at path')
    .option('--content-type <type>', 'content type of a single file')
    .option('--meta <key=value>', 'user metadata (repeatable)', collect)
    .option('-j, --jobs <n>', 'parallel uploads', '8')
    .action(async (local: string, target: string, opts: { contentType?: string; meta?: string[]; jobs: string }, command: Command) => {
      const address = requireRef(target, 'branch');
      const { isFolder, files } = await listLocalFiles(local);
      const metadata = parsePairs(opts.meta);
      await withContext(command, async ({ api, out }) => {
        const dest = address.path ?? '';
        const pathOf = (relativePath: string): string =>
          isFolder ? (dest === '' ? relativePath : `${dest.replace(/\/$/, '')}/${relativePath}`) : dest === '' || dest.endsWith('/') ? `${dest}${basename(local)}` : dest;
        const totalBytes = files.reduce((sum, f) => sum + f.size, 0);
        const progress = createProgress({ label: 'put', totalFiles: files.length, totalBytes, enabled: !out.json });
        const started = Date.now();
        for (const file of files) assertPortablePath(pathOf(file.relative));
        const uploads = files.map((file) => ({
          repository: address.repository,
          branch: address.ref,
          path: pathOf(file.relative),
          body: readLocalFile(file),
          size: file.size,
          contentType: opts.contentType ?? contentTypeOf(file.file),
          metadata,
        }));
        let infos: ObjectInfo[];
        try {
          infos = await api.putObjects(uploads, { concurrency: Number(opts.jobs), onDone: (info) => { progress.advance(info.size); } });
        } finally {
          progress.stop();
        }
        const seconds = (Date.now() - started) / 1000;
        out.print({ objects: infos.length, bytes: totalBytes, seconds, items: infos }, () =>
          `staged ${infos.length} object(s), ${formatBytes(totalBytes)} in ${seconds.toFixed(2)} s on ${address.repository}@${address.ref}`,
        );
      });
    });

  program
    .command('get')
    .description('download an object, or every object under a prefix, from any ref')
    .argument('<source>', 'repo@ref:path, or model:<name>@<alias> / model:<name>/<n>')
    .argument('[local]', 'destination file or folder (default: the object name, or the current folder)')
    .action(async (source: string, local: string | undefined, _opts: unknown, command: Command) => {
      if (!source.startsWith('model:')) requirePath(source);
      await withContext(command, async ({ api, out }) => {
        const address = await resolveObjectAddress(api, source);
        const single = await api.statObject(address).catch((error: unknown) => {
          if ((error as { code?: string }).code === 'NotFound') return undefined;
          throw error;
        });
        if (single) {
          const file = local ?? basename(single.path);
          await download(api, { ...address, info: single }, file);
          out.print({ objects: 1, bytes: single.size }, () => `wrote ${file} (${formatBytes(single.size)})`);
          return;
        }
        const objects = await listAll(api, { ...address, prefix: address.path.endsWith('/') ? address.path : `${address.path}/` });
        if (objects.length === 0) throw notFound(`no object or prefix '${address.path}' at ${address.repository}@${address.ref}`);
        const folder = local ?? '.';
        const base = address.path.endsWith('/') ? address.path : `${address.path}/`;
        const total = objects.reduce((sum, o) => sum + o.size, 0);
        const progress = createProgress({ label: 'get', totalFiles: objects.length, totalBytes: total, enabled: !out.json });
        try {
          for (const info of objects) assertPortablePath(info.path.slice(base.length));
          for (const info of objects) {
            await download(api, { ...address, path: info.path, info }, join(folder, info.path.slice(base.length)));
            progress.advance(info.size);
          }
        } finally {
          progress.stop();
        }
        out.print({ objects: objects.length, bytes: total }, () => `wrote ${objects.length} file(s), ${formatBytes(total)} under ${folder}`);
      });
    });

  program
    .command('cat')
    .description("write an object's bytes to stdout")
    .argument('<source>', 'repo@ref:path, or model:<name>@<alias> / model:<name>/<n>')
    .action(async (source: string, _opts: unknown, command: Command) => {
      if (!source.startsWith('model:')) requirePath(source);
      await withContext(command, async ({ api }) => {
        const address = await resolveObjectAddress(api, source);
        const { body } = await api.getObject(address);
        for await (const chunk of body) {
          if (!process.stdout.write(chunk)) await new Promise((resolve) => process.stdout.once('drain', resolve));
        }
      });
    });

  program
    .command('ls')
    .description('list objects at a ref')
    .argument('<location>', 'repo@ref[:prefix]')
    .option('-l, --long', 'show size, hash, type and time')
    .option('-r, --recursive', 'list every object under the prefix instead of one level')
    .action(async (location: string, opts: { long?: boolean; recursive?: boolean }, command: Command) => {
      const address = requireRef(location, 'ref');
      await withContext(command, async ({ api, out }) => {
        const prefix = address.path ?? '';
        const result = { objects: [] as ObjectInfo[], commonPrefixes: [] as string[] };
        let after: string | undefined;
        for (;;) {
          const page = await api.listObjects({ repository: address.repository, ref: address.ref, prefix, delimiter: opts.recursive === true ? undefined : '/', after, limit: 1000 });
          result.objects.push(...page.objects);
          result.commonPrefixes.push(...page.commonPrefixes);
          if (!page.truncated) break;
          after = page.nextAfter;
        }
        out.print(result, () => formatListing(result, opts.long === true));
      });
    });

  program
    .command('rm')
    .description('stage the deletion of an object (or, with -r, of everything under a prefix)')
    .argument('<target>', 'repo@branch:path')
    .option('-r, --recursive', 'delete everything under the prefix')
    .action(async (target: string, opts: { recursive?: boolean }, command: Command) => {
      const address = requirePath(target);
      await withContext(command, async ({ api, out }) => {
        const input = { repository: address.repository, branch: address.ref };
        if (opts.recursive === true) {
          const deleted = await api.deletePrefix({ ...input, prefix: address.path });
          if (deleted === 0) throw notFound(`nothing under '${address.path}' at ${address.repository}@${address.ref}`);
          out.print({ deleted }, () => `staged deletion of ${deleted} object(s)`);
        } else {
          await api.deleteObject({ ...input, path: address.path });
          out.print({ deleted: 1 }, () => `staged deletion of ${address.path}`);
        }
      });
    });

  program
    .command('stat')
    .description("show an object's entry; for repo@ref or repo@ref:prefix/, the objects' logical and stored bytes")
    .argument('<source>', 'repo@ref:path, or repo@ref[:prefix/]')
    .action(async (source: string, _opts: unknown, command: Command) => {
      const where = requireRef(source, 'ref');
      if (where.path === undefined || where.path.endsWith('/')) {
        await withContext(command, async ({ api, out }) => {
          const usage = await api.usage({ repository: where.repository, ref: where.ref, prefix: where.path });
          const saved = usage.logicalBytes === 0 ? 0 : 1 - usage.storedBytes / usage.logicalBytes;
          out.print(usage, () =>
            [
              `objects  ${usage.objects}`,
              `logical  ${formatBytes(usage.logicalBytes)} (${usage.logicalBytes} B)`,
              `distinct ${formatBytes(usage.distinctBytes)} (${usage.distinctBytes} B, identical files once)`,
              `stored   ${formatBytes(usage.storedBytes)} (${usage.storedBytes} B in ${usage.chunks} chunk(s); ${(saved * 100).toFixed(1)}% saved by deduplication)`,
            ].join('\n'),
          );
        });
        return;
      }
      const address = requirePath(source);
      await withContext(command, async ({ api, out }) => {
        const info = await api.statObject(address);
        out.print(info, () => Object.entries(info).map(([k, v]) => `${k.padEnd(12)} ${typeof v === 'object' ? JSON.stringify(v) : String(v)}`).join('\n'));
      });
    });
}

async function listAll(api: StrataApi, input: { repository: string; ref: string; prefix: string }): Promise<ObjectInfo[]> {
  const objects: ObjectInfo[] = [];
  let after: string | undefined;
  for (;;) {
    const page = await api.listObjects({ ...input, after, limit: 1000 });
    objects.push(...page.objects);
    if (!page.truncated) return objects;
    after = page.nextAfter;
  }
}

/** Writes to a temporary name and renames, so an interrupted download leaves no partial file. */
async function download(api: StrataApi, input: { repository: string; ref: string; path: string; info: ObjectInfo }, file: string): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  const temp = `${file}.strata-partial`;
  try {
    const { body } = await api.getObject({ repository: input.repository, ref: input.ref, path: input.path });
    await pipeline(body, createWriteStream(temp));
    await rename(temp, file);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}

function formatListing(result: { objects: ObjectInfo[]; commonPrefixes: string[] }, long: boolean): string {
  const lines: string[] = result.commonPrefixes.map((p) => (long ? `${'DIR'.padStart(10)}  ${''.padEnd(12)}  ${''.padEnd(24)}  ${''.padEnd(24)}  ${p}` : p));
  for (const o of result.objects) {
    lines.push(long ? `${String(o.size).padStart(10)}  ${o.sha256.slice(0, 12)}  ${o.contentType.padEnd(24)}  ${o.mtime.padEnd(24)}  ${o.path}` : o.path);
  }
  if (lines.length === 0) return '(empty)';
  return lines.join('\n');
}
