import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseRecipe } from '../../src/core/prep/recipe.ts';
import type { StrataCore } from '../../src/core/strata.ts';
import { bytesOf, createTestCore, ctx, DIALECTS, type TestCore } from '../support/core.ts';

const text = (topic: string): string => `A long enough report about ${topic}; write to someone@example.com for more.\n`;

/** Labels and licences follow the data: raw datasets → recipes → runs → models → inference. */
describe.each(DIALECTS)('labels and licences along lineage on %s', (dialect) => {
  let t: TestCore;
  let s: StrataCore;
  let scrubRun = '';
  beforeAll(async () => {
    t = await createTestCore(dialect);
    s = t.core;
    for (const name of ['raw', 'prepared', 'models']) await s.repositories.create(ctx, { name });
    const put = (repository: string, path: string, body: string | Buffer) => s.objects.put(ctx, { repository, branch: 'main', path, body: bytesOf(body), contentType: 'text/plain' });
    await put('raw', 'docs/web/a.txt', text('rivers'));
    await put('raw', 'docs/web/b.txt', text('lakes'));
    await put('raw', 'docs/books/c.txt', text('glaciers'));
    await s.commits.commit(ctx, { repository: 'raw', branch: 'main', message: 'docs' });
    await s.datasets.create(ctx, { name: 'web', repository: 'raw', prefix: 'docs/web/', license: 'CC-BY-4.0', labels: ['pii', 'internal'] });
    await s.datasets.create(ctx, { name: 'books', repository: 'raw', prefix: 'docs/books/', license: 'MIT' });
    // One recipe redacts every PII type (it provably removes `pii`); the other does not.
    const scrub = await s.prep.run(ctx, { recipe: parseRecipe('name: scrub\nsteps:\n  - normalize\n  - pii\n'), input: 'raw@main:docs/', output: 'prepared@main:scrub/' });
    scrubRun = scrub.runId;
    await s.prep.run(ctx, { recipe: parseRecipe('name: plain\nsteps:\n  - normalize\n'), input: 'raw@main:docs/', output: 'prepared@main:plain/' });
    for (const [model, input] of [['safe', 'scrub'], ['leaky', 'plain']] as const) {
      const run = await s.runs.start(ctx, { job: `train-${model}`, kind: 'training', inputs: [`prepared@main:${input}/`] });
      await put('models', `${model}/final.bin`, Buffer.alloc(32, model.length));
      await s.commits.commit(ctx, { repository: 'models', branch: 'main', message: model });
      await s.runs.finish(ctx, run.id, { outputs: [`models@main:${model}/`] });
      await s.models.register(ctx, { model, source: `models@main:${model}/final.bin`, runId: run.id });
    }
    await s.inference.log(ctx, [{ application: 'assistant', model: 'model:leaky/1', input: 'Where do rivers go?', output: 'To the sea.' }]);
  });
  afterAll(async () => {
    await t.dispose();
  });

  it('keeps the labels of the training data on the model, minus what a full pii step removed, and counts licences by source', async () => {
    const safe = await s.lineage.labels(ctx, { address: 'model:safe/1' });
    expect(safe.labels.map((l) => l.label)).toEqual(['internal']);
    expect(new Set(safe.labels[0]?.from.map((o) => o.dataset))).toEqual(new Set(['web']));
    expect(safe.removed.map((r) => [r.label, r.run])).toEqual([['pii', `run:${scrubRun}`]]);
    expect(safe.removed[0]?.from.every((o) => o.dataset === 'web')).toBe(true);
    expect(safe.licences).toEqual([{ licence: 'CC-BY-4.0', sources: 2 }, { licence: 'MIT', sources: 1 }]);

    const leaky = await s.lineage.labels(ctx, { address: 'model:leaky/1' });
    expect(leaky.labels.map((l) => l.label)).toEqual(['internal', 'pii']);
    expect(leaky.removed).toEqual([]);
    expect(leaky.licences).toEqual(safe.licences);
  });

  it('carries them to the inference application of the model, and to the run and its output', async () => {
    expect((await s.lineage.labels(ctx, { address: 'application:assistant' })).labels.map((l) => l.label)).toEqual(['internal', 'pii']);
    const shards = await s.objects.list(ctx, { repository: 'prepared', ref: 'main', prefix: 'scrub/shard-' });
    const shard = shards.objects[0];
    const labels = await s.lineage.labels(ctx, { address: `prepared@main:${shard?.path ?? ''}` });
    // The scrubbed shard is derived from the raw documents through the recipe that removed pii.
    expect(labels.labels.map((l) => l.label)).toEqual(['internal']);
    expect(labels.removed.map((r) => r.label)).toEqual(['pii']);
  });
});
