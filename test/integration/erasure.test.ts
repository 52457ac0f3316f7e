import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseRecipe } from '../../src/core/prep/recipe.ts';
import type { StrataCore } from '../../src/core/strata.ts';
import { bytesOf, createTestCore, ctx, DIALECTS, errorCode, readAll, type TestCore } from '../support/core.ts';

const NAME = 'Zelda Quintavalle';
const JANE = `${NAME} lives at 14 Harbour Lane in Porthleven and works as a marine biologist studying kelp forests along the northern coast every summer.\n`;
/** An answer quoting the document without naming her: found by its words. */
const ANSWER = 'Sure: she works as a marine biologist studying kelp forests along the northern coast.';
const topic = (t: string): string => `A plain paragraph about ${t}, written for the training corpus, with nothing personal in it at all, only facts about ${t}.\n`;

const RECIPE = `
name: erase-me
steps:
  - normalize
  - dedup-exact
  - pii
  - tokenize: { encoding: o200k_base }
shard: { target_bytes: 1024 }
`;

interface Line {
  id: string;
  text: string;
  meta: Record<string, unknown>;
  source: { path: string; sha256: string };
  tokens?: [number, number];
}

/** Every file under a folder, recursively. */
async function files(root: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(root, { withFileTypes: true, recursive: true })) if (entry.isFile()) out.push(join(entry.parentPath, entry.name));
  return out;
}

const sha256 = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');

describe.each(DIALECTS)('erasure along lineage on %s', (dialect) => {
  let t: TestCore;
  let s: StrataCore;
  beforeEach(async () => {
    t = await createTestCore(dialect);
    s = t.core;
    for (const name of ['raw', 'copies', 'prepared', 'models']) await s.repositories.create(ctx, { name });
  });
  afterEach(async () => {
    await t.dispose();
  });

  const put = (repository: string, path: string, text: string | Buffer) => s.objects.put(ctx, { repository, branch: 'main', path, body: bytesOf(text), contentType: 'text/plain' });
  const commit = async (repository: string, message: string) => (await s.commits.commit(ctx, { repository, branch: 'main', message })).id;
  const text = async (repository: string, ref: string, path: string) => (await readAll((await s.objects.get(ctx, { repository, ref, path })).body)).toString('utf8');

  /** Every record of every shard at prepared@main, with its token ids, by shard. */
  async function shards(): Promise<Map<string, Array<{ line: Omit<Line, 'tokens'>; ids: number[] }>>> {
    const out = new Map<string, Array<{ line: Omit<Line, 'tokens'>; ids: number[] }>>();
    for (const object of (await s.objects.list(ctx, { repository: 'prepared', ref: 'main', prefix: 'clean/shard-' })).objects) {
      if (!object.path.endsWith('.jsonl')) continue;
      const ids = await readAll((await s.objects.get(ctx, { repository: 'prepared', ref: 'main', path: object.path.replace('.jsonl', '.tokens.bin') })).body);
      const lines = (await text('prepared', 'main', object.path)).split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Line);
      out.set(
        object.path,
        lines.map(({ tokens, ...line }) => ({ line, ids: Array.from({ length: tokens?.[1] ?? 0 }, (_, k) => ids.readUInt32LE(((tokens?.[0] ?? 0) + k) * 4)) })),
      );
    }
    return out;
  }

  /** raw docs (one about a named person, copied twice) → recipe → training run → model → inference quoting it. */
  async function scenario(): Promise<{ rawCommit: string; janeSha: string }> {
    await put('raw', 'docs/a.txt', topic('rivers'));
    await put('raw', 'docs/b.txt', topic('mountains'));
    await put('raw', 'docs/b-again.txt', topic('mountains'));
    await put('raw', 'docs/jane.txt', JANE);
    for (const t of ['forests', 'glaciers', 'deserts', 'lakes', 'islands']) await put('raw', `docs/${t}.txt`, topic(t));
    const rawCommit = await commit('raw', 'ingest');
    // The same bytes elsewhere: a copy in another repository (same content hash).
    await put('copies', 'people/zq.txt', JANE);
    await commit('copies', 'copy');
    const summary = await s.prep.run(ctx, { recipe: parseRecipe(RECIPE), input: 'raw@main:docs/', output: 'prepared@main:clean/' });
    expect(summary.written).toBe(8);
    expect(summary.shards.length).toBeGreaterThan(2);
    const train = await s.runs.start(ctx, { job: 'train', kind: 'training', inputs: ['prepared@main:clean/'] });
    await put('models', 'ckpt/final.bin', Buffer.alloc(64, 3));
    await commit('models', 'trained');
    await s.runs.finish(ctx, train.id, { outputs: ['models@main:ckpt/'] });
    await s.models.register(ctx, { model: 'kelp', source: 'models@main:ckpt/final.bin', runId: train.id });
    // Two calls quote the document (one compacted into Parquet, one recent); one does not.
    await s.inference.log(ctx, [
      { application: 'chat', model: 'gpt-4o', time: '2026-11-01T10:00:00Z', input: `Who is this? ${NAME} lives at 14 Harbour Lane in Porthleven and works as a marine biologist.`, output: 'A biologist.' },
      { application: 'chat', model: 'gpt-4o', time: '2026-11-01T11:00:00Z', input: 'What is a river?', output: 'Water that flows.' },
    ]);
    await s.inference.compact(ctx, { before: '2026-11-02T00:00:00Z' });
    await s.inference.log(ctx, [{ application: 'chat', model: 'gpt-4o', input: 'Tell me more', output: ANSWER }]);
    return { rawCommit, janeSha: sha256(Buffer.from(JANE)) };
  }

  it('erases a document, every copy and every record derived from it, and proves it', async () => {
    const { rawCommit, janeSha } = await scenario();
    const before = await shards();
    const janeRecords = [...before.values()].flat().filter((r) => r.line.source.path === 'docs/jane.txt');
    expect(janeRecords).toHaveLength(1);

    // A dry run lists what it would reach and changes nothing.
    const plan = await s.erasure.erase(ctx, { target: 'raw@main:docs/jane.txt', dryRun: true });
    expect(plan.dryRun).toBe(true);
    expect(plan.contents).toEqual([janeSha]);
    expect(plan.objectVersions.map((v) => `${v.repository}:${v.path}`)).toEqual(['copies:people/zq.txt', 'raw:docs/jane.txt']);
    expect(plan.shards).toHaveLength(1);
    expect(plan.shards[0]).toMatchObject({ repository: 'prepared', removed: 1, branches: ['main'] });
    expect(plan.records).toEqual([janeRecords[0]?.line.id]);
    expect(plan.inference.records).toHaveLength(2);
    expect(plan.marked.map((m) => m.mark).sort()).toEqual(['read-erased-data', 'read-erased-data', 'trained-on-erased-data']);
    expect(plan.blobs).toEqual([]);
    expect(await text('raw', rawCommit, 'docs/jane.txt')).toBe(JANE);
    expect((await s.erasure.list(ctx))).toEqual([]);

    // Before: the name is in the blob folder (document, recipe cache, shards, partitions) and in the database (inference rows).
    const holding = async (root: string, only?: (file: string) => boolean): Promise<number> => {
      let n = 0;
      for (const file of await files(root)) {
        if (only?.(file) === false) continue;
        const bytes = await readFile(file);
        if ([NAME, ANSWER].some((q) => bytes.includes(q))) n++;
      }
      return n;
    };
    expect(await holding(join(t.dir, 'blobs'))).toBeGreaterThan(3);
    if (dialect === 'sqlite') expect(await holding(t.dir, (f) => f.includes('strata.db'))).toBeGreaterThan(0);

    const certificate = await s.erasure.erase(ctx, { target: 'raw@main:docs/jane.txt', reason: 'GDPR request 7' });
    const id = certificate.id;
    expect(certificate.destroyed).toContain(janeSha);
    expect(certificate.checks.every((c) => c.absent)).toBe(true);
    expect(certificate.checks).toHaveLength(certificate.blobs.length);

    // The shards no longer hold its record; every other record is as it was, token ids included.
    const after = await shards();
    expect([...after.values()].flat().filter((r) => r.line.source.path === 'docs/jane.txt')).toEqual([]);
    expect([...after.values()].flat()).toEqual([...before.values()].flat().filter((r) => r.line.source.path !== 'docs/jane.txt'));
    const shardPath = plan.shards[0]?.path ?? '';
    for (const [path, records] of before) if (path !== shardPath) expect(after.get(path)).toEqual(records);
    const manifest = JSON.parse(await text('prepared', 'main', 'clean/manifest.json')) as { shards: Array<{ path: string; records: number }> };
    expect(manifest.shards.find((m) => m.path === shardPath)?.records).toBe((before.get(shardPath)?.length ?? 0) - 1);

    // History stays navigable; the erased versions answer Erased, the heads no longer hold them.
    expect(await errorCode(s.objects.get(ctx, { repository: 'raw', ref: rawCommit, path: 'docs/jane.txt' }))).toBe('Erased');
    expect(await errorCode(s.objects.stat(ctx, { repository: 'raw', ref: rawCommit, path: 'docs/jane.txt' }))).toBe('Erased');
    expect(await errorCode(s.objects.stat(ctx, { repository: 'raw', ref: 'main', path: 'docs/jane.txt' }))).toBe('NotFound');
    expect(await errorCode(s.objects.stat(ctx, { repository: 'copies', ref: 'main', path: 'people/zq.txt' }))).toBe('NotFound');
    const listed = (await s.objects.list(ctx, { repository: 'raw', ref: rawCommit, prefix: 'docs/' })).objects;
    expect(listed.filter((o) => o.erased !== undefined).map((o) => [o.path, o.erased])).toEqual([['docs/jane.txt', id]]);
    const log = await s.commits.log(ctx, { repository: 'raw', ref: 'main', limit: 5 });
    expect(log[0]?.message).toBe(`erase ${id}: raw@main:docs/jane.txt; 1 object(s) removed`);
    expect(log.some((c) => c.id === rawCommit)).toBe(true);
    expect(await text('raw', 'main', 'docs/a.txt')).toBe(topic('rivers'));

    // Inference records quoting it are gone, recent and compacted; the other one stays.
    const kept = await s.inference.query(ctx, 'select input_text from inference order by time');
    expect(kept.rows).toEqual([['What is a river?']]);

    // What cannot be undone is marked.
    expect((await s.erasure.marksOf(['model:kelp/1'])).map((m) => [m.mark, m.erasureId])).toEqual([['trained-on-erased-data', id]]);
    const node = (await t.metadata.lineage.getNodes(['model:kelp/1']))[0];
    expect(node?.data.erasures).toEqual([{ id, mark: 'trained-on-erased-data' }]);
    // The registry shows it on the version.
    expect((await s.models.get(ctx, 'kelp')).versions.map((v) => [v.version, v.marks])).toEqual([[1, [{ erasureId: id, mark: 'trained-on-erased-data' }]]]);

    // Nothing of its bytes is left in the blob folder, nor in the database files.
    const destroyed = new Set(certificate.destroyed);
    for (const file of await files(join(t.dir, 'blobs'))) expect(destroyed.has(sha256(await readFile(file))), file).toBe(false);
    expect(await holding(join(t.dir, 'blobs'))).toBe(0);
    if (dialect === 'sqlite') expect(await holding(t.dir, (f) => f.includes('strata.db'))).toBe(0);

    // The certificate is signed and verifies; a blob copied back in makes verification fail.
    const shown = await s.erasure.show(ctx, id);
    expect(shown.certificate).toEqual(certificate);
    expect(shown.signature).not.toBe('');
    expect(await s.erasure.verify(ctx, id)).toEqual({ id, valid: true, signature: 'valid', checked: expect.any(Number) as number, present: [] });
    const back = join(t.dir, 'blobs', 'objects', janeSha.slice(0, 2), janeSha);
    await mkdir(join(back, '..'), { recursive: true });
    await writeFile(back, JANE);
    expect(await s.erasure.verify(ctx, id)).toMatchObject({ valid: false, present: [janeSha] });
    // Garbage collection does not keep an erased content alive: the copied-back blob goes.
    await utimes(back, new Date(Date.now() - 60_000), new Date(Date.now() - 60_000));
    expect((await s.gc.collect(ctx, { graceMs: 1000 })).blobs.collected).toEqual({ count: 1, bytes: JANE.length });
    expect(await s.erasure.verify(ctx, id)).toMatchObject({ valid: true, present: [] });
    expect(await text('raw', 'main', 'docs/a.txt')).toBe(topic('rivers'));
  });
});
