import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FsSource } from '../../src/adapters/ingest/fs-source.ts';
import { ingestFilter } from '../../src/core/ingest/filter.ts';
import { parseRecipe } from '../../src/core/prep/recipe.ts';
import { createTestCore, ctx, DIALECTS, type TestCore } from '../support/core.ts';
import { mp3, png, webm } from '../support/media.ts';

const PAGE = (words: string): string => `${words} `.repeat(30).trim();
const FILES: Record<string, string | Buffer> = {
  'logo.svg': '<?xml version="1.0" encoding="UTF-8"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="120" height="80"><rect width="10" height="10"/></svg>',
  'icon.svg': '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 24"><path d="M0 0h16v24z"/></svg>',
  'strict.html': `<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-strict.dtd">\n<html xmlns="http://www.w3.org/1999/xhtml"><head><title>An XHTML page</title></head><body><p>${PAGE('xhtml rivers and lakes')}</p></body></html>`,
  'shout.html': '<!-- generated -->\n<HTML><HEAD>\n<TITLE>\n  Loud\n  Title\n</TITLE></HEAD><BODY>x</BODY></HTML>',
  'entities.html': '<!doctype html><html><head><title>Fish &amp; Chips &eacute;t&eacute; &#8212; &#x41;&lt;3</title></head></html>',
  'feed.xml': '<?xml version="1.0"?>\n<feed><title>t</title></feed>',
  'clip.webm': webm(640, 360),
  'whole.png': png(40, 30),
  'cut.png': png(40, 30).subarray(0, 300),
  'whole.mp3': mp3(40),
  // a 25-byte ID3v2 tag, 20 whole frames of 417 bytes, 100 bytes of the 21st
  'cut.mp3': mp3(40).subarray(0, 25 + 20 * 417 + 100),
};

describe.each(DIALECTS)('ingest typing on %s', (dialect) => {
  let t: TestCore;
  let folder: string;
  beforeAll(async () => {
    t = await createTestCore(dialect);
    folder = await mkdtemp(join(tmpdir(), 'strata-typing-'));
    for (const [name, content] of Object.entries(FILES)) await writeFile(join(folder, name), content);
    await t.core.repositories.create(ctx, { name: 'typed' });
    await t.core.repositories.create(ctx, { name: 'prepared' });
  });
  afterAll(async () => {
    await t.dispose();
    await rm(folder, { recursive: true, force: true });
  });

  it('types SVG, XHTML, HTML after comments and XML by their root element; decodes titles; takes a WebM video codec and size; flags truncated PNG and MP3', async () => {
    const summary = await t.core.ingest.run(ctx, { source: new FsSource(folder), repository: 'typed', branch: 'main', prefix: '', accept: ingestFilter(undefined, undefined), provenance: {} });
    expect(summary.stored).toBe(Object.keys(FILES).length);
    expect([...summary.extractionErrors].sort((a, b) => a.path.localeCompare(b.path))).toEqual([
      { path: 'cut.mp3', error: 'truncated: the file ends inside an MPEG audio frame (317 bytes missing)' },
      { path: 'cut.png', error: 'truncated: the file ends inside a PNG chunk (' + String(png(40, 30).length - 12 - 300) + ' bytes missing)' },
    ]);
    const stat = (path: string) => t.core.objects.stat(ctx, { repository: 'typed', ref: 'main', path });
    expect(await stat('logo.svg')).toMatchObject({ contentType: 'image/svg+xml', extracted: { format: 'svg', width: 120, height: 80 } });
    expect(await stat('icon.svg')).toMatchObject({ contentType: 'image/svg+xml', extracted: { format: 'svg', width: 16, height: 24 } });
    expect(await stat('strict.html')).toMatchObject({ contentType: 'text/html', extracted: { title: 'An XHTML page' } });
    expect(await stat('shout.html')).toMatchObject({ contentType: 'text/html', extracted: { title: 'Loud Title' } });
    expect((await stat('entities.html')).extracted?.title).toBe('Fish & Chips été — A<3');
    expect((await stat('feed.xml')).contentType).toBe('application/xml');
    expect(await stat('clip.webm')).toMatchObject({ contentType: 'video/webm', extracted: { codec: 'VP9', width: 640, height: 360, audioCodec: 'OPUS', duration: 2.5 } });
    expect((await stat('whole.png')).extracted).toEqual({ format: 'png', width: 40, height: 30, exif: false });
    expect((await stat('cut.png')).extracted).toMatchObject({ width: 40, height: 30, error: expect.stringMatching(/^truncated: /) as unknown });
    expect((await stat('whole.mp3')).extracted).toMatchObject({ codec: 'MPEG 1 Layer 3', sampleRate: 44100 });
    expect((await stat('whole.mp3')).extracted?.error).toBeUndefined();

    // The XHTML page is read by recipes as HTML, not skipped as XML.
    const prep = await t.core.prep.run(ctx, { recipe: parseRecipe('name: pages\nsteps:\n  - normalize\n'), input: 'typed@main:', output: 'prepared@main:pages/' });
    expect(prep.skipped).toEqual({ 'application/xml': 1, 'audio/mpeg': 2, 'image/png': 2, 'image/svg+xml': 2, 'video/webm': 1 });
    expect(prep.extracted).toBe(3);
  });
});
