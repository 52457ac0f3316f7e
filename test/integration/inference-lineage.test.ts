import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LibraryDocumentText } from '../../src/adapters/extract/document-text.ts';
import { parseRecipe } from '../../src/core/prep/recipe.ts';
import type { StrataCore } from '../../src/core/strata.ts';
import { bytesOf, createTestCore, ctx, DIALECTS, errorCode, type TestCore } from '../support/core.ts';

const RECIPE = `
name: clean
steps:
  - normalize
  - dedup-exact
`;

const text = (topic: string): string => `A report about ${topic}, long enough to be kept by every step of the recipe.\n`;

/** Inference in the lineage graph: raw documents → recipe → training run → model → inference → application. */
describe.each(DIALECTS)('inference in the lineage graph on %s', (dialect) => {
  let t: TestCore;
  let s: StrataCore;
  let records: string[] = [];
  let day = '';
  beforeAll(async () => {
    t = await createTestCore(dialect, { documentText: new LibraryDocumentText() });
    s = t.core;
    for (const name of ['raw', 'prepared', 'models']) await s.repositories.create(ctx, { name });
    // a and b go into training; z-copy is a's duplicate (dedup drops it); broken.pdf cannot be read.
    for (const [path, body] of [['docs/a.txt', text('rivers')], ['docs/b.txt', text('lakes')], ['docs/z-copy.txt', text('rivers')]]) await s.objects.put(ctx, { repository: 'raw', branch: 'main', path: path as string, body: bytesOf(body as string), contentType: 'text/plain' });
    await s.objects.put(ctx, { repository: 'raw', branch: 'main', path: 'docs/broken.pdf', body: bytesOf('%PDF-1.7\nthis is not a PDF body\n'), contentType: 'application/pdf' });
    await s.commits.commit(ctx, { repository: 'raw', branch: 'main', message: 'docs' });
    await s.prep.run(ctx, { recipe: parseRecipe(RECIPE), input: 'raw@main:docs/', output: 'prepared@main:clean/' });
    const train = await s.runs.start(ctx, { job: 'train', kind: 'training', inputs: ['prepared@main:clean/'] });
    await s.objects.put(ctx, { repository: 'models', branch: 'main', path: 'ckpt/final.bin', body: bytesOf(Buffer.alloc(64, 1)) });
    await s.commits.commit(ctx, { repository: 'models', branch: 'main', message: 'trained' });
    await s.runs.finish(ctx, train.id, { outputs: ['models@main:ckpt/'] });
    await s.models.register(ctx, { model: 'kelp', source: 'models@main:ckpt/final.bin', runId: train.id });
    await s.models.setAlias(ctx, { model: 'kelp', alias: 'prod', version: 1 });
    const results = await s.inference.log(ctx, [
      { application: 'chat', model: 'model:kelp@prod', time: '2026-11-01T10:00:00Z', input: 'Where do rivers go?', output: 'To the sea.', recipe: 'clean@v1' },
      { application: 'chat', model: 'model:kelp@prod', time: '2026-11-01T11:00:00Z', input: 'And lakes?', output: 'They stay.', recipe: 'clean@v1' },
      { application: 'chat', model: 'gpt-4o', time: '2026-11-01T12:00:00Z', input: 'Hello', output: 'Hi.' },
      { application: 'search', model: 'model:kelp/1', time: '2026-11-02T09:00:00Z', input: 'rivers', output: 'Rivers.' },
    ]);
    records = results.map((r) => ('id' in r ? r.id : ''));
    day = '2026-11-01';
  });
  afterAll(async () => {
    await t.dispose();
  });

  it('puts inference aggregates and applications downstream of the raw documents', async () => {
    const impact = await s.lineage.impact(ctx, { address: 'raw@main:docs/a.txt', types: ['inference', 'application'] });
    expect(impact.nodes.map((n) => n.key).sort()).toEqual(['application:chat', 'application:search', `inference:chat/${day}/model:kelp/1`, 'inference:search/2026-11-02/model:kelp/1']);
    // The call to a model outside the registry is in the graph too, linked to its application only.
    const other = await s.lineage.walk(ctx, { address: `inference:chat/${day}/gpt-4o`, direction: 'both' });
    expect(other.nodes.map((n) => n.key)).toEqual(['application:chat']);
  });

  it('answers "which raw documents stand behind this answer?" for one record, through its id', async () => {
    const byRecord = await s.lineage.provenance(ctx, { address: `inference:${records[0] ?? ''}` });
    expect(byRecord.key).toBe(`inference:chat/${day}/model:kelp/1`);
    const byModel = await s.lineage.provenance(ctx, { address: 'model:kelp@prod' });
    expect(byRecord.nodes.map((n) => n.key).sort()).toEqual(byModel.nodes.map((n) => n.key).sort());
    // Exactly what went into training; the duplicate and the unreadable file are listed apart.
    expect(byRecord.nodes.map((n) => n.data.path).sort()).toEqual(['docs/a.txt', 'docs/b.txt']);
    expect(byRecord.sources).toEqual(byRecord.nodes);
    expect(byRecord.excluded).toEqual([expect.objectContaining({ path: 'docs/z-copy.txt', records: 1, reasons: { 'dedup-exact: duplicate': 1 }, run: expect.stringMatching(/^run:/) as string })]);
    expect(byRecord.unreadable.map((u) => [u.key.split('@')[0], u.run.startsWith('run:')])).toEqual([['object:raw:docs/broken.pdf', true]]);
    expect(byRecord.unreadable[0]?.reason).not.toBe('');
    // The recipe applied to the inputs is upstream of the aggregate, not a source.
    const upstream = await s.lineage.walk(ctx, { address: `inference:${records[1] ?? ''}`, direction: 'upstream', depth: 1 });
    expect(upstream.nodes.map((n) => n.key).sort()).toEqual(['job:strata-recipes:clean@v1', 'model:kelp/1']);
    expect(await errorCode(s.lineage.provenance(ctx, { address: 'inference:00000000-0000-4000-8000-000000000000' }))).toBe('NotFound');
  });

  it('writes each aggregate once, and resolves records only for those who may read the archive', async () => {
    const before = await t.metadata.lineage.countEdges();
    await s.inference.log(ctx, [{ application: 'chat', model: 'model:kelp@prod', time: '2026-11-01T13:00:00Z', input: 'Again', output: 'Yes.', recipe: 'clean@v1' }]);
    expect(await t.metadata.lineage.countEdges()).toBe(before);
    await s.identity.createPrincipal(ctx, { id: 'rita', kind: 'user' });
    await s.identity.attach(ctx, { policy: 'reader', principal: 'rita' });
    const rita = { actor: { id: 'rita' } };
    expect(await errorCode(s.lineage.provenance(rita, { address: `inference:${records[0] ?? ''}` }))).toBe('Forbidden');
  });
});
