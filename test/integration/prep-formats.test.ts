import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { DuckDBInstance } from '@duckdb/node-api';
import { extract } from 'tar-stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LibraryDocumentText } from '../../src/adapters/extract/document-text.ts';
import { DuckDbShardEncoder } from '../../src/adapters/prep/shard-encoder.ts';
import { parseRecipe } from '../../src/core/prep/recipe.ts';
import { bytesOf, createTestCore, ctx, readAll, type TestCore } from '../support/core.ts';

const recipe = (format: string): string => `
name: formats
steps:
  - normalize
  - tokenize: { encoding: cl100k_base }
shard: { format: ${format}, target_bytes: 2048 }
`;

describe('recipe shard formats', () => {
  let t: TestCore;
  let dir: string;
  beforeEach(async () => {
    t = await createTestCore('sqlite', { shardEncoder: new DuckDbShardEncoder(), documentText: new LibraryDocumentText() });
    dir = await mkdtemp(join(tmpdir(), 'strata-formats-'));
    for (const name of ['raw', 'prepared']) await t.core.repositories.create(ctx, { name });
    for (let i = 0; i < 12; i++) {
      const text = `Document ${i}: "quoted", commas, tabs\tand ünïcødé — ${'words '.repeat(40 + i)}`;
      await t.core.objects.put(ctx, { repository: 'raw', branch: 'main', path: `docs/${String(i).padStart(2, '0')}.txt`, body: bytesOf(text), contentType: 'text/plain' });
    }
    await t.core.commits.commit(ctx, { repository: 'raw', branch: 'main', message: 'docs' });
  });
  afterEach(async () => {
    await t.dispose();
    await rm(dir, { recursive: true, force: true });
  });

  const read = async (commit: string, path: string): Promise<Buffer> => readAll((await t.core.objects.get(ctx, { repository: 'prepared', ref: commit, path })).body);

  it('writes zstd JSON Lines, Parquet and WebDataset shards holding exactly the JSON Lines records', async () => {
    const plain = await t.core.prep.run(ctx, { recipe: parseRecipe(recipe('jsonl')), input: 'raw@main:docs/', output: 'prepared@main:jsonl/' });
    expect(plain.shards.length).toBeGreaterThan(2);
    const lines: Buffer[] = [];
    for (const shard of plain.shards) lines.push(await read(plain.outputCommit, shard.path));
    const records = lines.flatMap((b) => b.toString('utf8').trim().split('\n').map((l) => JSON.parse(l) as { id: string; text: string; meta: unknown; source: { path: string }; tokens: [number, number] }));

    const zst = await t.core.prep.run(ctx, { recipe: parseRecipe(recipe('jsonl.zst')), input: 'raw@main:docs/', output: 'prepared@main:zst/' });
    expect(zst.shards.map((s) => [s.path, s.records])).toEqual(plain.shards.map((s) => [s.path.replace('jsonl/', 'zst/').replace('.jsonl', '.jsonl.zst'), s.records]));
    for (const [i, shard] of zst.shards.entries()) {
      const file = join(dir, `s${i}.zst`);
      await writeFile(file, await read(zst.outputCommit, shard.path));
      // The reference decoder: the zstd command-line tool.
      const decoded = spawnSync('zstd', ['-d', '-c', file]);
      expect(decoded.status).toBe(0);
      expect(decoded.stdout.equals(lines[i] as Buffer)).toBe(true);
      expect(shard.tokens?.sha256).toBe(plain.shards[i]?.tokens?.sha256);
    }

    const parquet = await t.core.prep.run(ctx, { recipe: parseRecipe(recipe('parquet')), input: 'raw@main:docs/', output: 'prepared@main:parquet/' });
    const duck = await (await DuckDBInstance.create(':memory:')).connect();
    const rows: Array<Record<string, unknown>> = [];
    for (const [i, shard] of parquet.shards.entries()) {
      const file = join(dir, `s${i}.parquet`);
      await writeFile(file, await read(parquet.outputCommit, shard.path));
      const result = await duck.runAndReadAll(`SELECT id, text, meta, source.path AS path, tokens FROM read_parquet('${file}')`);
      rows.push(...(result.getRowObjectsJson() as Array<Record<string, unknown>>));
    }
    duck.closeSync();
    expect(rows.map((r) => [r.id, r.text, JSON.parse(r.meta as string) as unknown, r.path, (r.tokens as string[]).map(Number)])).toEqual(records.map((r) => [r.id, r.text, r.meta, r.source.path, r.tokens]));

    const tar = await t.core.prep.run(ctx, { recipe: parseRecipe(recipe('webdataset')), input: 'raw@main:docs/', output: 'prepared@main:wds/' });
    const samples = new Map<string, Record<string, string>>();
    for (const shard of tar.shards) {
      const entries = extract();
      Readable.from([await read(tar.outputCommit, shard.path)]).pipe(entries);
      for await (const entry of entries) {
        const [key = '', ...ext] = entry.header.name.split('.');
        const body = (await readAll(entry as AsyncIterable<Uint8Array>)).toString('utf8');
        samples.set(key, { ...samples.get(key), [ext.join('.')]: body });
      }
    }
    expect([...samples.keys()][0]).toBe('00000-000000000');
    expect([...samples.values()].map((s) => [s.txt, JSON.parse(s.json ?? '{}') as unknown])).toEqual(records.map(({ text, ...rest }) => [text, rest]));

    const manifest = JSON.parse((await read(tar.outputCommit, 'wds/manifest.json')).toString('utf8')) as { format: string; shards: unknown[] };
    expect(manifest.format).toBe('webdataset');
    expect(manifest.shards).toEqual(tar.shards);
  });

  it('extracts PDF pages, DOCX paragraphs and the main content of HTML pages; a broken PDF is reported, not fatal', async () => {
    const { PDFDocument, StandardFonts } = await import('pdf-lib');
    const { zipSync, strToU8 } = await import('fflate');
    const pdf = await PDFDocument.create();
    pdf.setTitle('Quarterly report');
    const font = await pdf.embedFont(StandardFonts.Helvetica);
    pdf.addPage().drawText('Revenue grew in the north.', { x: 50, y: 700, font });
    pdf.addPage().drawText('Costs fell in the south.', { x: 50, y: 700, font });
    const body = ['First paragraph of the notes.', 'Second paragraph, with more.'].map((p) => `<w:p><w:r><w:t>${p}</w:t></w:r></w:p>`).join('');
    const docx = zipSync({
      '[Content_Types].xml': strToU8('<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>'),
      '_rels/.rels': strToU8('<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>'),
      'word/document.xml': strToU8(`<?xml version="1.0"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>${body}</w:body></w:document>`),
    });
    const article = Array.from({ length: 6 }, (_, i) => `<p>Paragraph ${i} of the article explains how rivers carry water, sediment and life from the mountains down to the sea, season after season.</p>`).join('');
    const html = `<html><head><title>Rivers | Example News</title></head><body><nav><a href="/">Home</a> <a href="/about">About us</a> <a href="/login">Log in</a></nav><article><h1>Rivers</h1>${article}</article><footer>Copyright 2026 Example News. All rights reserved. Cookie settings.</footer></body></html>`;
    const files: Array<[string, Uint8Array, string]> = [
      ['in/report.pdf', await pdf.save(), 'application/pdf'],
      ['in/notes.docx', docx, 'application/vnd.openxmlformats-officedocument.wordprocessingml.document'],
      ['in/page.html', Buffer.from(html), 'text/html'],
      ['in/broken.pdf', Buffer.from('%PDF-1.7\nthis is not a PDF body\n'), 'application/pdf'],
    ];
    for (const [path, bytes, contentType] of files) await t.core.objects.put(ctx, { repository: 'raw', branch: 'main', path, body: bytesOf(Buffer.from(bytes)), contentType });
    await t.core.commits.commit(ctx, { repository: 'raw', branch: 'main', message: 'documents' });
    const summary = await t.core.prep.run(ctx, { recipe: parseRecipe('name: documents\n'), input: 'raw@main:in/', output: 'prepared@main' });
    expect(summary).toMatchObject({ sources: 4, extracted: 3, written: 3 });
    expect(summary.unreadable.map((u) => u.path)).toEqual(['in/broken.pdf']);
    expect(summary.unreadable[0]?.reason).not.toBe('');
    const lines = (await read(summary.outputCommit, summary.shards[0]?.path ?? '')).toString('utf8').trim().split('\n').map((l) => JSON.parse(l) as { text: string; meta: Record<string, unknown>; source: { path: string } });
    const byPath = new Map(lines.map((l) => [l.source.path, l]));
    expect(byPath.get('in/report.pdf')).toMatchObject({ text: 'Revenue grew in the north.\n\nCosts fell in the south.', meta: { title: 'Quarterly report', pages: 2 } });
    expect(byPath.get('in/notes.docx')?.text).toBe('First paragraph of the notes.\n\nSecond paragraph, with more.');
    const page = byPath.get('in/page.html');
    expect(page?.text).toContain('Paragraph 5 of the article explains how rivers carry water');
    for (const boilerplate of ['About us', 'Log in', 'Cookie settings']) expect(page?.text).not.toContain(boilerplate);
    // The object's own title (from ingest's extraction) wins over Readability's guess.
    expect(page?.meta.title).toBe('Rivers | Example News');
  });
});
