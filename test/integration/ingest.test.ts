import { CreateBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { mkdir, mkdtemp, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FsSource } from '../../src/adapters/ingest/fs-source.ts';
import { S3Source } from '../../src/adapters/ingest/s3-source.ts';
import { openIngestSource } from '../../src/app/ingest-source.ts';
import { StrataError } from '../../src/core/errors.ts';
import { ingestFilter } from '../../src/core/ingest/filter.ts';
import type { IngestSource, SourceItem } from '../../src/core/ports/ingest-source.ts';
import { ctx, injectAs } from '../support/core.ts';
import { png } from '../support/media.ts';
import { startGateway, type TestGateway } from '../support/s3.ts';

/** A whole 3×2 PNG (a header alone is now flagged as truncated). */
const PNG = png(3, 2);

let gw: TestGateway;
let dir: string;
let folder: string;
const T1 = new Date('2026-01-02T03:04:05.000Z');

beforeAll(async () => {
  gw = await startGateway();
  dir = await mkdtemp(join(tmpdir(), 'strata-ingest-'));
  folder = join(dir, 'corpus');
  await mkdir(join(folder, 'sub'), { recursive: true });
  const files: Record<string, string | Buffer> = {
    'hello.md': '# Hello corpus\n\nThree words here.\n',
    'page.html': '<!DOCTYPE html><html><head><title> A  page </title></head><body>x</body></html>',
    'notes.txt': 'grüße\nzwei Zeilen',
    'data.csv': 'a,b\n1,2\n',
    'image.png': PNG,
    'utf16.txt': Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('hi', 'utf16le')]),
    'blob.bin': Buffer.from([0, 159, 146, 150, 255, 0, 1]),
    'sub/deep.jsonl': '{"a":1}\n{"a":2}\n',
    '.hidden': 'dot',
  };
  for (const [name, content] of Object.entries(files)) {
    await writeFile(join(folder, name), content);
    await utimes(join(folder, name), T1, T1);
  }
  await symlink(join(folder, 'hello.md'), join(folder, 'link.md'));
});
afterAll(async () => {
  await gw.close();
  await rm(dir, { recursive: true, force: true });
});

const run = (source: IngestSource, repository: string, options: { prefix?: string; include?: string[]; exclude?: string[] } = {}) =>
  gw.core.ingest.run(ctx, { source, repository, branch: 'main', prefix: options.prefix ?? '', accept: ingestFilter(options.include, options.exclude), provenance: { 'ingest.user': 'ada' } });

describe('ingest from a folder', () => {
  it('stores every file with its sniffed type, extracted fields and provenance, in one commit', async () => {
    await gw.core.repositories.create(ctx, { name: 'corpus' });
    const summary = await run(new FsSource(folder), 'corpus', { prefix: 'raw' });
    expect(summary).toMatchObject({ items: 9, stored: 9, unchanged: 0, failed: [], extractionErrors: [], prefix: 'raw/' });
    const stat = (path: string) => gw.core.objects.stat(ctx, { repository: 'corpus', ref: 'main', path: `raw/${path}` });
    expect(await stat('hello.md')).toMatchObject({
      contentType: 'text/markdown',
      extracted: { encoding: 'utf-8', title: 'Hello corpus', characters: 34, words: 6, lines: 3 },
      provenance: { source: pathToFileURL(join(folder, 'hello.md')).href, modified: T1.toISOString() },
    });
    expect((await stat('page.html')).contentType).toBe('text/html');
    expect((await stat('page.html')).extracted?.title).toBe('A page');
    expect(await stat('notes.txt')).toMatchObject({ contentType: 'text/plain', extracted: { encoding: 'utf-8', characters: 17, words: 3, lines: 2 } });
    expect((await stat('data.csv')).contentType).toBe('text/csv');
    expect(await stat('image.png')).toMatchObject({ contentType: 'image/png', extracted: { format: 'png' } });
    expect(await stat('utf16.txt')).toMatchObject({ contentType: 'text/plain', extracted: { encoding: 'utf-16le' } });
    const blob = await stat('blob.bin');
    expect([blob.contentType, blob.extracted]).toEqual(['application/octet-stream', undefined]);
    expect((await stat('sub/deep.jsonl')).contentType).toBe('application/x-ndjson');
    await expect(stat('link.md')).rejects.toMatchObject({ code: 'NotFound' });
    expect(summary.commit?.metadata).toMatchObject({
      'ingest.source': pathToFileURL(folder).href,
      'ingest.user': 'ada',
      'ingest.items': '9',
      'ingest.stored': '9',
      'ingest.failed': '0',
    });
    expect(summary.commit?.message).toBe(`Ingest ${pathToFileURL(folder).href}`);
    const { previewObject } = await import('../../src/app/preview.ts');
    expect(await previewObject(gw.core, ctx, { repository: 'corpus', ref: 'main', path: 'raw/notes.txt', bytes: 4 })).toEqual({
      path: 'raw/notes.txt',
      contentType: 'text/plain',
      kind: 'text',
      text: 'grü',
      truncated: true,
    });
  });

  it('re-running stores nothing and makes no commit; a changed file is the only thing stored', async () => {
    const head = await gw.core.commits.show(ctx, { repository: 'corpus', ref: 'main' });
    const again = await run(new FsSource(folder), 'corpus', { prefix: 'raw' });
    expect(again).toMatchObject({ items: 9, stored: 0, unchanged: 9 });
    expect(again.commit).toBeUndefined();
    expect((await gw.core.commits.show(ctx, { repository: 'corpus', ref: 'main' })).id).toBe(head.id);
    await writeFile(join(folder, 'notes.txt'), 'changed');
    const changed = await run(new FsSource(folder), 'corpus', { prefix: 'raw' });
    expect(changed).toMatchObject({ stored: 1, unchanged: 8 });
    expect(changed.commit?.parents).toEqual([head.id]);
  });

  it('follows symbolic links only when asked, and filters with include/exclude globs', async () => {
    await gw.core.repositories.create(ctx, { name: 'filtered' });
    const summary = await run(new FsSource(folder, { followSymlinks: true }), 'filtered', { include: ['**/*.md', '**/*.jsonl'], exclude: ['link.*'] });
    expect(summary.items).toBe(2);
    const listed = await gw.core.objects.list(ctx, { repository: 'filtered', ref: 'main' });
    expect(listed.objects.map((o) => o.path)).toEqual(['hello.md', 'sub/deep.jsonl']);
    const linked = await run(new FsSource(folder, { followSymlinks: true }), 'filtered', { include: ['link.md'] });
    expect(linked.stored).toBe(1);
  });

  it('continues an interrupted ingest from what it had staged', async () => {
    const many = join(dir, 'many');
    await mkdir(many);
    for (let i = 0; i < 1200; i++) await writeFile(join(many, `f${String(i).padStart(4, '0')}.txt`), `file ${i}`);
    await gw.core.repositories.create(ctx, { name: 'resumed' });
    const real = new FsSource(many);
    let opened = 0;
    const failing: IngestSource = {
      uri: real.uri,
      list: () => real.list(),
      open: (item: SourceItem) => {
        // Strata's own failures stop an ingest (here: the 1,101st item), like a crash would.
        if (++opened > 1100) return Promise.reject(new StrataError('Unavailable', 'disk went away'));
        return real.open(item);
      },
    };
    await expect(gw.core.ingest.run(ctx, { source: failing, repository: 'resumed', branch: 'main', prefix: '', concurrency: 1 })).rejects.toMatchObject({ code: 'Unavailable' });
    const staged = (await gw.core.commits.status(ctx, { repository: 'resumed', branch: 'main' })).length;
    expect(staged).toBe(1000);
    const resumed = await run(real, 'resumed');
    expect(resumed).toMatchObject({ items: 1200, unchanged: 1000, stored: 200 });
    const page = await gw.core.objects.list(ctx, { repository: 'resumed', ref: 'main', limit: 2000 });
    expect(page.objects.length).toBe(1200);
    expect((await gw.core.commits.log(ctx, { repository: 'resumed', ref: 'main' })).length).toBe(2);
  });
});

/** A JPEG with an EXIF block (Make, Model, DateTime in IFD0) and a 640×480 SOF0 header. */
function jpegWithExif(): Buffer {
  const strings = ['Strata\0', 'TestCam 1\0', '2024:05:06 07:08:09\0'];
  const entries = [0x010f, 0x0110, 0x0132];
  const dataStart = 8 + 2 + entries.length * 12 + 4;
  const tiff = Buffer.alloc(dataStart + strings.reduce((n, v) => n + v.length, 0));
  tiff.write('II', 0, 'latin1');
  tiff.writeUInt16LE(42, 2);
  tiff.writeUInt32LE(8, 4);
  tiff.writeUInt16LE(entries.length, 8);
  let offset = dataStart;
  entries.forEach((tag, i) => {
    const at = 10 + i * 12;
    const value = strings[i] ?? '';
    tiff.writeUInt16LE(tag, at);
    tiff.writeUInt16LE(2, at + 2); // ASCII
    tiff.writeUInt32LE(value.length, at + 4);
    tiff.writeUInt32LE(offset, at + 8);
    tiff.write(value, offset, 'latin1');
    offset += value.length;
  });
  const app1Body = Buffer.concat([Buffer.from('Exif\0\0', 'latin1'), tiff]);
  const app1 = Buffer.concat([Buffer.from([0xff, 0xe1, (app1Body.length + 2) >> 8, (app1Body.length + 2) & 0xff]), app1Body]);
  const sof0 = Buffer.from([0xff, 0xc0, 0, 17, 8, 480 >> 8, 480 & 0xff, 640 >> 8, 640 & 0xff, 3, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1]);
  return Buffer.concat([Buffer.from([0xff, 0xd8]), app1, sof0, Buffer.from([0xff, 0xd9])]);
}

/** One second of 16-bit mono PCM at 8 kHz. */
function wav(): Buffer {
  const header = Buffer.alloc(44);
  header.write('RIFF', 0, 'latin1');
  header.writeUInt32LE(36 + 16000, 4);
  header.write('WAVEfmt ', 8, 'latin1');
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20);
  header.writeUInt16LE(1, 22);
  header.writeUInt32LE(8000, 24);
  header.writeUInt32LE(16000, 28);
  header.writeUInt16LE(2, 32);
  header.writeUInt16LE(16, 34);
  header.write('data', 36, 'latin1');
  header.writeUInt32LE(16000, 40);
  return Buffer.concat([header, Buffer.alloc(16000)]);
}

describe('format-specific metadata', () => {
  it('reads image dimensions and EXIF, audio duration and format; a corrupt image is stored with its error', async () => {
    const media = join(dir, 'media');
    await mkdir(media);
    await writeFile(join(media, 'photo.jpg'), jpegWithExif());
    await writeFile(join(media, 'tone.wav'), wav());
    await writeFile(join(media, 'broken.jpg'), Buffer.concat([Buffer.from('ffd8ffe000104a464946', 'hex'), Buffer.alloc(30, 0x41)]));
    await gw.core.repositories.create(ctx, { name: 'media' });
    const summary = await run(new FsSource(media), 'media');
    expect(summary).toMatchObject({ items: 3, stored: 3, failed: [] });
    expect(summary.extractionErrors).toEqual([{ path: 'broken.jpg', error: 'cannot read image/jpeg metadata: Corrupt JPG, exceeded buffer limits' }]);
    const stat = (path: string) => gw.core.objects.stat(ctx, { repository: 'media', ref: 'main', path });
    expect(await stat('photo.jpg')).toMatchObject({
      contentType: 'image/jpeg',
      extracted: { format: 'jpg', width: 640, height: 480, exif: true, camera: 'Strata TestCam 1', gps: false },
    });
    expect((await stat('photo.jpg')).extracted?.taken).toMatch(/^2024-05-06T/);
    expect(await stat('tone.wav')).toMatchObject({
      contentType: 'audio/wav',
      extracted: { duration: 1, sampleRate: 8000, channels: 1, bitrate: 128000, codec: 'PCM' },
    });
    const broken = await stat('broken.jpg');
    expect([broken.contentType, broken.size, broken.extracted?.error]).toEqual(['image/jpeg', 40, 'cannot read image/jpeg metadata: Corrupt JPG, exceeded buffer limits']);
  });
});

describe('tabular metadata (DuckDB)', () => {
  it('records schema, row count and per-column nulls, min and max for CSV, JSONL and Parquet', async () => {
    const tables = join(dir, 'tables');
    await mkdir(tables);
    await writeFile(join(tables, 'people.csv'), 'name,age,score\nada,36,\nbob,,2.5\ncy,41,3\n');
    await writeFile(join(tables, 'events.jsonl'), '{"id":1,"kind":"a"}\n{"id":2,"kind":null}\n');
    const { DuckDBInstance } = await import('@duckdb/node-api');
    const duck = await (await DuckDBInstance.create(':memory:')).connect();
    await duck.run(`COPY (SELECT range AS n, range * 2 AS twice FROM range(5)) TO '${join(tables, 'numbers.parquet')}' (FORMAT parquet)`);
    duck.closeSync();
    await writeFile(join(tables, 'broken.parquet'), Buffer.concat([Buffer.from('PAR1'), Buffer.alloc(64, 7), Buffer.from('PAR1')]));
    await gw.core.repositories.create(ctx, { name: 'tables' });
    const summary = await run(new FsSource(tables), 'tables');
    expect(summary).toMatchObject({ items: 4, stored: 4 });
    expect(summary.extractionErrors.map((e) => e.path)).toEqual(['broken.parquet']);
    const stat = (path: string) => gw.core.objects.stat(ctx, { repository: 'tables', ref: 'main', path });
    expect((await stat('people.csv')).extracted).toMatchObject({
      rows: 3,
      columns: 'name VARCHAR, age BIGINT, score DOUBLE',
      'column.name.nulls': 0,
      'column.age.nulls': 1,
      'column.age.min': '36',
      'column.age.max': '41',
      'column.score.nulls': 1,
      'column.score.type': 'DOUBLE',
    });
    const byColumn = await gw.core.search.search(ctx, { text: 'twice', repository: 'tables' });
    expect(byColumn.hits.map((h) => h.path)).toEqual(['numbers.parquet']);
    expect((await stat('events.jsonl')).extracted).toMatchObject({ rows: 2, columns: 'id BIGINT, kind VARCHAR', 'column.kind.nulls': 1 });
    expect(await stat('numbers.parquet')).toMatchObject({
      contentType: 'application/vnd.apache.parquet',
      extracted: { rows: 5, columns: 'n BIGINT, twice BIGINT', 'column.twice.max': '8', 'column.n.nulls': 0 },
    });
    const broken = await stat('broken.parquet');
    expect(broken.contentType).toBe('application/vnd.apache.parquet');
    expect(broken.extracted?.error).toMatch(/^cannot read the parquet table: /);
    const { previewObject } = await import('../../src/app/preview.ts');
    expect(await previewObject(gw.core, ctx, { repository: 'tables', ref: 'main', path: 'people.csv', rows: 2 })).toEqual({
      path: 'people.csv',
      contentType: 'text/csv',
      kind: 'table',
      columns: ['name', 'age', 'score'],
      rows: [
        { name: 'ada', age: 36, score: null },
        { name: 'bob', age: null, score: 2.5 },
      ],
    });
    const parquet = await previewObject(gw.core, ctx, { repository: 'tables', ref: 'main', path: 'numbers.parquet', rows: 3 });
    expect(parquet).toMatchObject({ kind: 'table', columns: ['n', 'twice'], rows: [{ n: 0, twice: 0 }, { n: 1, twice: 2 }, { n: 2, twice: 4 }] });
    const leftovers = (await import('node:fs/promises')).readdir(tmpdir());
    expect((await leftovers).filter((f) => f.startsWith('strata-extract-'))).toEqual([]);
  });
});

describe('document metadata', () => {
  it('reads PDF pages, title, author, date and text layer; DOCX and ODT title, author, dates and words', async () => {
    const { PDFDocument, StandardFonts } = await import('pdf-lib');
    const { zipSync, strToU8 } = await import('fflate');
    const docs = join(dir, 'docs');
    await mkdir(docs);
    const withText = await PDFDocument.create();
    withText.setTitle('Quarterly report');
    withText.setAuthor('Ada Lovelace');
    withText.setCreationDate(new Date('2024-01-02T03:04:05Z'));
    withText.addPage().drawText('Revenue grew.', { x: 50, y: 700, font: await withText.embedFont(StandardFonts.Helvetica) });
    withText.addPage();
    await writeFile(join(docs, 'report.pdf'), await withText.save());
    const scanned = await PDFDocument.create();
    scanned.addPage();
    await writeFile(join(docs, 'scan.pdf'), await scanned.save());
    await writeFile(join(docs, 'broken.pdf'), '%PDF-1.7\nthis is not a PDF body\n');
    const core = '<?xml version="1.0"?><cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><dc:title>Design notes</dc:title><dc:creator>Grace</dc:creator><dcterms:created xsi:type="dcterms:W3CDTF">2024-02-03T04:05:06Z</dcterms:created><dcterms:modified xsi:type="dcterms:W3CDTF">2024-02-04T04:05:06Z</dcterms:modified></cp:coreProperties>';
    const app = '<?xml version="1.0"?><Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties"><Words>123</Words></Properties>';
    const types = '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>';
    await writeFile(
      join(docs, 'notes.docx'),
      zipSync({ '[Content_Types].xml': strToU8(types), 'word/document.xml': strToU8('<w:document/>'), 'docProps/core.xml': strToU8(core), 'docProps/app.xml': strToU8(app) }),
    );
    const meta = '<?xml version="1.0"?><office:document-meta xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:meta="urn:oasis:names:tc:opendocument:xmlns:meta:1.0" xmlns:dc="http://purl.org/dc/elements/1.1/"><office:meta><dc:title>Minutes</dc:title><meta:initial-creator>Linus</meta:initial-creator><meta:creation-date>2024-03-04T05:06:07</meta:creation-date><dc:date>2024-03-05T05:06:07</dc:date><meta:document-statistic meta:word-count="42"/></office:meta></office:document-meta>';
    await writeFile(
      join(docs, 'minutes.odt'),
      zipSync({ mimetype: [strToU8('application/vnd.oasis.opendocument.text'), { level: 0 }], 'meta.xml': strToU8(meta), 'content.xml': strToU8('<office:document-content/>') }),
    );
    await gw.core.repositories.create(ctx, { name: 'documents' });
    const summary = await run(new FsSource(docs), 'documents');
    expect(summary).toMatchObject({ items: 5, stored: 5 });
    expect(summary.extractionErrors.map((e) => e.path)).toEqual(['broken.pdf']);
    const stat = (path: string) => gw.core.objects.stat(ctx, { repository: 'documents', ref: 'main', path });
    expect(await stat('report.pdf')).toMatchObject({
      contentType: 'application/pdf',
      extracted: { pages: 2, title: 'Quarterly report', author: 'Ada Lovelace', created: '2024-01-02T03:04:05.000Z', textLayer: true },
    });
    expect((await stat('scan.pdf')).extracted).toMatchObject({ pages: 1, textLayer: false });
    expect((await stat('broken.pdf')).extracted?.error).toMatch(/^cannot read application\/pdf metadata: /);
    expect(await stat('notes.docx')).toMatchObject({
      contentType: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
      extracted: { title: 'Design notes', author: 'Grace', created: '2024-02-03T04:05:06Z', modified: '2024-02-04T04:05:06Z', words: 123 },
    });
    const { previewObject } = await import('../../src/app/preview.ts');
    expect(await previewObject(gw.core, ctx, { repository: 'documents', ref: 'main', path: 'report.pdf' })).toEqual({
      path: 'report.pdf',
      contentType: 'application/pdf',
      kind: 'metadata',
      fields: { format: 'pdf', pages: 2, title: 'Quarterly report', author: 'Ada Lovelace', created: '2024-01-02T03:04:05.000Z', textLayer: true },
    });
    expect(await stat('minutes.odt')).toMatchObject({
      contentType: 'application/vnd.oasis.opendocument.text',
      extracted: { title: 'Minutes', author: 'Linus', created: '2024-03-04T05:06:07', modified: '2024-03-05T05:06:07', words: 42 },
    });
    // The ingest indexed what it extracted: titles and authors are searchable at once.
    const found = async (text: string, type?: string) => (await gw.core.search.search(ctx, { text, type, repository: 'documents' })).hits.map((h) => [h.path, h.summary]);
    expect(await found('quarterly')).toEqual([['report.pdf', 'Quarterly report']]);
    expect(await found('lovelace')).toEqual([['report.pdf', 'Quarterly report']]);
    expect(await found('design grace')).toEqual([['notes.docx', 'Design notes']]);
    expect(await found('', 'application/pdf')).toEqual([['broken.pdf', ''], ['report.pdf', 'Quarterly report'], ['scan.pdf', '']]);
  });
});

describe('the dataset catalog', () => {
  it('describes a prefix: owner, license, tags, labels, and its contents at a ref with the card', async () => {
    const { datasets } = gw.core;
    const created = await datasets.create(ctx, { name: 'fixtures', repository: 'corpus', prefix: 'raw', license: 'CC-BY-4.0', tags: ['text', 'demo'], labels: ['public'], properties: { team: 'data' } });
    expect(created).toMatchObject({ prefix: 'raw/', owner: 'ada', tags: ['demo', 'text'], labels: ['public'], properties: { team: 'data' } });
    await expect(datasets.create(ctx, { name: 'fixtures', repository: 'corpus' })).rejects.toMatchObject({ code: 'Conflict' });
    await expect(datasets.create(ctx, { name: 'other', repository: 'nope' })).rejects.toMatchObject({ code: 'NotFound' });
    await expect(datasets.create(ctx, { name: 'bad', repository: 'corpus', tags: ['has space'] })).rejects.toMatchObject({ code: 'InvalidArgument' });
    await datasets.create(ctx, { name: 'tables-ds', repository: 'tables', owner: 'bob', tags: ['tabular'] });
    expect((await datasets.list(ctx, { tag: 'tabular' })).map((d) => d.name)).toEqual(['tables-ds']);
    expect((await datasets.list(ctx, { license: 'CC-BY-4.0' })).map((d) => d.name)).toEqual(['fixtures']);
    const tagged = await datasets.tag(ctx, { name: 'fixtures', add: ['gold'], remove: ['demo'] });
    expect(tagged.tags).toEqual(['gold', 'text']);

    const version = await datasets.version(ctx, { name: 'fixtures' });
    expect(version).toMatchObject({ ref: 'main', objects: 9, sources: { from: T1.toISOString() } });
    expect(version.byType['text/markdown']).toEqual({ objects: 1, bytes: 34 });
    expect(version.physicalBytes).toBeLessThanOrEqual(version.logicalBytes);
    expect(version.schemas).toEqual({ 'raw/data.csv': 'a BIGINT, b BIGINT', 'raw/sub/deep.jsonl': 'a BIGINT' });
    const tables = await datasets.version(ctx, { name: 'tables-ds' });
    expect(tables.schemas).toEqual({ 'events.jsonl': 'id BIGINT, kind VARCHAR', 'numbers.parquet': 'n BIGINT, twice BIGINT', 'people.csv': 'name VARCHAR, age BIGINT, score DOUBLE' });
    await gw.core.objects.put(ctx, { repository: 'corpus', branch: 'main', path: 'raw/README.md', body: (async function* () { await Promise.resolve(); yield Buffer.from('# Fixtures\n\nFor the tests.\n'); })() });
    const withCard = await datasets.version(ctx, { name: 'fixtures' });
    expect(withCard.card).toBe('# Fixtures\n\nFor the tests.\n');
    const atFirstCommit = await datasets.version(ctx, { name: 'fixtures', ref: (await gw.core.commits.log(ctx, { repository: 'corpus', ref: 'main' })).at(-2)?.id });
    expect(atFirstCommit.card).toBeUndefined();
  });
});

describe('ingest from S3 and from the web', () => {
  let web: Server;
  let base = '';
  beforeAll(async () => {
    web = createServer((req, res) => {
      if (req.url === '/docs/a.html') {
        res.writeHead(200, { 'content-type': 'text/html', 'last-modified': T1.toUTCString(), 'content-length': '52' });
        res.end(req.method === 'HEAD' ? undefined : '<html><head><title>Web page</title></head></html>\n\n\n');
        return;
      }
      res.writeHead(404);
      res.end();
    });
    await new Promise<void>((resolve) => web.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(web.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    web.closeAllConnections();
    await new Promise((resolve) => web.close(resolve));
  });

  it('ingests an S3 prefix served by the Strata gateway', async () => {
    await gw.client.send(new CreateBucketCommand({ Bucket: 'landing' }));
    for (const key of ['drop/x.md', 'drop/y/z.txt', 'other/no.txt']) await gw.client.send(new PutObjectCommand({ Bucket: 'landing', Key: key, Body: `# ${key}\n` }));
    await gw.core.repositories.create(ctx, { name: 'from-s3' });
    const source = new S3Source(`s3://landing/drop?endpoint=${encodeURIComponent(gw.endpoint)}&path_style=true`, { credentials: { accessKeyId: gw.key.id, secretAccessKey: gw.key.secret } });
    try {
      const summary = await run(source, 'from-s3');
      expect(summary).toMatchObject({ items: 2, stored: 2 });
      const x = await gw.core.objects.stat(ctx, { repository: 'from-s3', ref: 'main', path: 'x.md' });
      expect(x).toMatchObject({ contentType: 'text/markdown', extracted: { title: 'drop/x.md' }, provenance: { source: 's3://landing/drop/x.md' } });
      expect((await run(source, 'from-s3')).commit).toBeUndefined();
    } finally {
      source.close();
    }
  });

  it('ingests URLs (one, or a list with local paths), records a failed one and goes on', async () => {
    await gw.core.repositories.create(ctx, { name: 'from-web' });
    const single = await run(await openIngestSource(`${base}/docs/a.html`, { cwd: dir }), 'from-web');
    expect(single).toMatchObject({ items: 1, stored: 1, failed: [] });
    const host = new URL(base).host;
    expect(await gw.core.objects.stat(ctx, { repository: 'from-web', ref: 'main', path: `${host}/docs/a.html` })).toMatchObject({
      contentType: 'text/html',
      extracted: { title: 'Web page' },
      provenance: { source: `${base}/docs/a.html`, modified: T1.toISOString() },
    });
    await writeFile(join(dir, 'list.txt'), `# sources\n${base}/docs/a.html\n${base}/missing.html\ncorpus/hello.md\n`);
    const listed = await run(await openIngestSource('@list.txt', { cwd: dir }), 'from-web');
    expect(listed.items).toBe(3);
    expect(listed.unchanged).toBe(1);
    expect(listed.stored).toBe(1);
    expect(listed.failed).toEqual([{ path: `${host}/missing.html`, error: `GET ${base}/missing.html answered 404 Not Found` }]);
    expect(listed.commit?.metadata['ingest.failed']).toBe('1');
  });
});

describe('ingest through the REST API', () => {
  it('runs server-side and answers the summary; bad input is a 4xx with {code, message}', async () => {
    const { buildServer } = await import('../../src/http/build-server.ts');
    const server = await buildServer({ core: gw.core, logLevel: 'silent', version: '9.9.9', ingest: { roots: [dir], forbidden: [gw.dir], allowPrivateNetworks: false, allowS3: false } });
    const app = { inject: injectAs(server, gw.token), close: () => server.close() };
    await gw.core.identity.createPrincipal(ctx, { id: 'bob', kind: 'user' });
    await gw.core.identity.attach(ctx, { policy: 'writer', principal: 'bob' });
    const bob = (await gw.core.identity.createToken(ctx, { principal: 'bob', name: 'test' })).token;
    try {
      await gw.core.repositories.create(ctx, { name: 'via-rest' });
      const response = await app.inject({ method: 'POST', url: '/api/v1/repositories/via-rest/ingest', headers: { authorization: `Bearer ${bob}` }, payload: { source: folder, branch: 'main', include: ['*.md'] } });
      expect(response.statusCode).toBe(200);
      const summary = response.json<{ items: number; stored: number; commit: { author: string; metadata: Record<string, string> } }>();
      expect([summary.items, summary.stored]).toEqual([1, 1]);
      expect(summary.commit.author).toBe('bob');
      expect(summary.commit.metadata).toMatchObject({ 'ingest.user': 'bob', 'ingest.strata-version': '9.9.9' });
      const preview = await app.inject({ method: 'GET', url: '/api/v1/repositories/via-rest/refs/main/preview?path=hello.md&bytes=7' });
      expect(preview.json()).toEqual({ path: 'hello.md', contentType: 'text/markdown', kind: 'text', text: '# Hello', truncated: true });
      const stat = await app.inject({ method: 'GET', url: '/api/v1/repositories/via-rest/refs/main/stat?path=hello.md' });
      expect(stat.json<{ provenance: { source: string }; extracted: { title: string } }>()).toMatchObject({ provenance: { source: pathToFileURL(join(folder, 'hello.md')).href }, extracted: { title: 'Hello corpus' } });
      const created = await app.inject({ method: 'POST', url: '/api/v1/datasets', payload: { name: 'rest-ds', repository: 'via-rest', tags: ['md'] } });
      expect(created.statusCode).toBe(201);
      const shown = await app.inject({ method: 'GET', url: '/api/v1/datasets/rest-ds' });
      expect(shown.json<{ version: { objects: number } }>().version.objects).toBe(1);
      const retagged = await app.inject({ method: 'POST', url: '/api/v1/datasets/rest-ds/tags', payload: { add: ['x'], field: 'labels' } });
      expect(retagged.json<{ labels: string[] }>().labels).toEqual(['x']);
      const listed = await app.inject({ method: 'GET', url: '/api/v1/datasets?tag=md' });
      expect(listed.json<{ datasets: { name: string }[] }>().datasets.map((d) => d.name)).toEqual(['rest-ds']);
      expect((await app.inject({ method: 'GET', url: '/api/v1/datasets/nope' })).statusCode).toBe(404);
      const searched = await app.inject({ method: 'GET', url: '/api/v1/search?q=hello&repository=via-rest&kind=object' });
      expect(searched.json()).toEqual({ total: 1, hits: [{ kind: 'object', repository: 'via-rest', path: 'hello.md', summary: 'Hello corpus', contentType: 'text/markdown', size: 34, score: expect.any(Number) as number }] });
      const datasetHit = await app.inject({ method: 'GET', url: '/api/v1/search?q=rest&tag=md' });
      expect(datasetHit.json<{ hits: { kind: string; dataset: string }[] }>().hits.map((h) => [h.kind, h.dataset])).toEqual([['dataset', 'rest-ds']]);
      const badLimit = await app.inject({ method: 'GET', url: '/api/v1/search?q=x&limit=0' });
      expect([badLimit.statusCode, badLimit.json<{ code: string }>().code]).toEqual([400, 'InvalidArgument']);
      const badType = await app.inject({ method: 'GET', url: '/api/v1/search?type=no%20type' });
      expect(badType.json()).toEqual({ code: 'InvalidArgument', message: "invalid type 'no type': use a media type (application/pdf), a top-level type (image) or image/*" });
      const missing = await app.inject({ method: 'POST', url: '/api/v1/repositories/via-rest/ingest', payload: { source: join(dir, 'nope'), branch: 'main' } });
      expect([missing.statusCode, missing.json<{ code: string }>().code]).toEqual([404, 'NotFound']);
      const bad = await app.inject({ method: 'POST', url: '/api/v1/repositories/via-rest/ingest', payload: { branch: 'main' } });
      expect([bad.statusCode, bad.json<{ code: string }>().code]).toEqual([400, 'InvalidArgument']);
      const noBranch = await app.inject({ method: 'POST', url: '/api/v1/repositories/via-rest/ingest', payload: { source: folder, branch: 'nope' } });
      expect([noBranch.statusCode, noBranch.json<{ message: string }>().message]).toEqual([404, "branch 'nope' not found in repository 'via-rest'"]);
    } finally {
      await app.close();
    }
  });
});

describe('what a server refuses to read for a client (REST ingest)', () => {
  it('server paths only under the configured roots, never the data folder or through links; no private addresses; no s3:// with its credentials', async () => {
    const { buildServer } = await import('../../src/http/build-server.ts');
    const closed = await buildServer({ core: gw.core, logLevel: 'silent' });
    // The data folder sits under the root here, as it might in a real deployment.
    const open = await buildServer({ core: gw.core, logLevel: 'silent', ingest: { roots: [dir, tmpdir()], forbidden: [gw.dir], allowPrivateNetworks: false, allowS3: false } });
    const api = await open.listen({ host: '127.0.0.1', port: 0 });
    await gw.core.repositories.create(ctx, { name: 'guarded' });
    await symlink('/etc', join(dir, 'to-etc'));
    const ingest = (server: typeof open, source: string, extra: Record<string, unknown> = {}) => injectAs(server, gw.token)({ method: 'POST', url: '/api/v1/repositories/guarded/ingest', payload: { source, branch: 'main', ...extra } });
    const refusal = async (server: typeof open, source: string, extra: Record<string, unknown> = {}) => {
      const response = await ingest(server, source, extra);
      return [response.statusCode, response.json<{ message: string }>().message];
    };
    try {
      expect(await refusal(closed, folder)).toEqual([403, 'server-side ingest of server paths is off: the operator allows folders with STRATA_INGEST_ROOTS']);
      expect(await refusal(open, '/etc/passwd')).toEqual([403, `server-side ingest reads only under ${dir}, ${tmpdir()} (STRATA_INGEST_ROOTS)`]);
      expect(await refusal(open, '/no/such/place')).toEqual([403, `server-side ingest reads only under ${dir}, ${tmpdir()} (STRATA_INGEST_ROOTS)`]);
      expect(await refusal(open, join(gw.dir, 'audit-signing-key.pem'))).toEqual([403, "server-side ingest never reads Strata's own data folder"]);
      expect(await refusal(open, gw.dir)).toEqual([403, "server-side ingest never reads Strata's own data folder"]);
      expect(await refusal(open, tmpdir())).toEqual([403, "server-side ingest never reads Strata's own data folder"]);
      expect(await refusal(open, join(dir, 'to-etc', 'passwd'))).toEqual([403, `server-side ingest reads only under ${dir}, ${tmpdir()} (STRATA_INGEST_ROOTS)`]);
      expect(await refusal(open, folder, { followSymlinks: true })).toEqual([403, 'server-side ingest does not follow symbolic links (a link could lead outside the allowed roots)']);
      await writeFile(join(dir, 'list.txt'), '/etc/hostname\n');
      expect(await refusal(open, `@${join(dir, 'list.txt')}`)).toEqual([403, `server-side ingest reads only under ${dir}, ${tmpdir()} (STRATA_INGEST_ROOTS)`]);
      expect(await refusal(open, 's3://landing/drop/')).toEqual([403, "server-side ingest from s3:// would use the server's own AWS credentials; the operator allows it with STRATA_INGEST_S3=true"]);
      // Loopback by address and by name (resolved, then refused where the connection is made).
      for (const url of [`${api}/api/v1/whoami`, `${api.replace('127.0.0.1', 'localhost')}/metrics`, 'http://169.254.169.254/latest/meta-data/', 'http://[::1]:8081/']) {
        const response = await ingest(open, url);
        const summary = response.json<{ items: number; stored: number; failed: Array<{ error: string }> }>();
        expect([response.statusCode, summary.stored, summary.failed.length]).toEqual([200, 0, 1]);
        expect(summary.failed[0]?.error).toMatch(/^GET \S+: refusing to fetch \S+: it resolves to (127\.0\.0\.1|::1|169\.254\.169\.254), a loopback, private or link-local address \(STRATA_INGEST_ALLOW_PRIVATE_NETWORKS=true allows it\)$/);
      }
      expect((await gw.core.objects.list(ctx, { repository: 'guarded', ref: 'main' })).objects).toEqual([]);
      // Inside the roots, it works.
      const fine = await ingest(open, folder, { include: ['*.md'] });
      expect([fine.statusCode, fine.json<{ stored: number }>().stored]).toEqual([200, 1]);
    } finally {
      await closed.close();
      await open.close();
    }
  });
});
