import type { Command } from 'commander';
import { requirePath, requireRef } from '../address.ts';
import { withContext } from '../context.ts';
import { formatBytes } from '../output.ts';
import { createProgress, type Progress } from '../progress.ts';

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

/** A table as aligned text columns. */
function formatTable(columns: string[], rows: Record<string, unknown>[]): string {
  const cell = (value: unknown): string => {
    if (value === null || value === undefined) return '';
    return typeof value === 'string' ? value : JSON.stringify(value);
  };
  const widths = columns.map((c) => Math.max(c.length, ...rows.map((r) => cell(r[c]).length)));
  const line = (values: string[]): string => values.map((v, i) => v.padEnd(widths[i] ?? 0)).join('  ').trimEnd();
  return [line(columns), ...rows.map((r) => line(columns.map((c) => cell(r[c]))))].join('\n');
}

/** `strata preview repo@ref:path`. */
export function registerPreviewCommand(program: Command): void {
  program
    .command('preview')
    .description('the first rows of a table, the first bytes of a text, or the extracted metadata of an object')
    .argument('<source>', 'repo@ref:path')
    .option('-n, --rows <n>', 'rows of a table', '10')
    .option('--bytes <n>', 'bytes of a text', '4096')
    .action(async (source: string, opts: { rows: string; bytes: string }, command: Command) => {
      const address = requirePath(source);
      await withContext(command, async ({ api, out }) => {
        const preview = await api.preview({ ...address, rows: Number(opts.rows), bytes: Number(opts.bytes) });
        out.print(preview, () => {
          if (preview.kind === 'table') return formatTable(preview.columns, preview.rows);
          if (preview.kind === 'text') return preview.truncated ? `${preview.text}\n…` : preview.text.replace(/\n$/, '');
          const entries = Object.entries(preview.fields);
          return entries.length === 0 ? `(${preview.contentType}: no extracted metadata)` : entries.map(([k, v]) => `${k.padEnd(16)} ${String(v)}`).join('\n');
        });
      });
    });
}

/** `strata ingest SOURCE repo@branch[:prefix]`. */
export function registerIngestCommand(program: Command): void {
  program
    .command('ingest')
    .description('read a folder, a file, @list-of-paths-and-urls, s3://bucket/prefix or http(s):// URL into a branch, with provenance, in one commit')
    .argument('<source>', 'folder, file, @list.txt, s3://bucket/prefix[?endpoint=…&path_style=true], or http(s)://…')
    .argument('<target>', 'repo@branch[:prefix]')
    .option('--include <glob>', 'only paths matching (repeatable; ** crosses folders)', collect)
    .option('--exclude <glob>', 'skip paths matching (repeatable)', collect)
    .option('--follow-symlinks', 'follow symbolic links (off by default)')
    .option('-j, --jobs <n>', 'items read and stored at once', '8')
    .action(async (source: string, target: string, opts: { include?: string[]; exclude?: string[]; followSymlinks?: boolean; jobs: string }, command: Command) => {
      const address = requireRef(target, 'branch');
      await withContext(command, async ({ api, out }) => {
        let progress: Progress | undefined;
        const started = Date.now();
        let summary;
        try {
          summary = await api.ingest(
            { source, repository: address.repository, branch: address.ref, prefix: address.path ?? '', include: opts.include, exclude: opts.exclude, followSymlinks: opts.followSymlinks, concurrency: Number(opts.jobs) },
            {
              onListed: (listed) => {
                progress = createProgress({ label: 'ingest', totalFiles: listed.items, totalBytes: listed.bytes, enabled: !out.json });
              },
              onItem: (event) => progress?.advance(event.bytes),
            },
          );
        } finally {
          progress?.stop();
        }
        const seconds = (Date.now() - started) / 1000;
        out.print({ ...summary, seconds }, () => {
          const lines = [
            `ingested ${summary.items} item(s), ${formatBytes(summary.bytes)} from ${summary.source} in ${seconds.toFixed(2)} s: ${summary.stored} stored, ${summary.unchanged} unchanged, ${summary.failed.length} failed`,
            summary.commit ? `commit ${summary.commit.id} on ${address.repository}@${address.ref}` : 'nothing changed: no commit',
          ];
          for (const f of summary.failed) lines.push(`failed: ${f.path}: ${f.error}`);
          for (const e of summary.extractionErrors) lines.push(`stored, metadata not extracted: ${e.path}: ${e.error}`);
          return lines.join('\n');
        });
      });
    });
}
