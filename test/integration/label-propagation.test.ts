import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseRecipe } from '../../src/core/prep/recipe.ts';
import type { StrataCore } from '../../src/core/strata.ts';
import { modelReportHtml, modelReportMarkdown } from '../../src/core/models/model-report-format.ts';
import { buildServer } from '../../src/http/build-server.ts';
import { bytesOf, createTestCore, ctx, DIALECTS, injectAs, type TestCore } from '../support/core.ts';

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
    // A copy of a: deduplication leaves it out of both outputs (the report lists it as excluded).
    await put('raw', 'docs/web/z.txt', text('rivers'));
    await s.commits.commit(ctx, { repository: 'raw', branch: 'main', message: 'docs' });
    await s.datasets.create(ctx, { name: 'web', repository: 'raw', prefix: 'docs/web/', license: 'CC-BY-4.0', labels: ['pii', 'internal'] });
    await s.datasets.create(ctx, { name: 'books', repository: 'raw', prefix: 'docs/books/', license: 'MIT' });
    // One recipe redacts every PII type (it provably removes `pii`); the other does not.
    const scrub = await s.prep.run(ctx, { recipe: parseRecipe('name: scrub\nsteps:\n  - normalize\n  - dedup-exact\n  - pii\n'), input: 'raw@main:docs/', output: 'prepared@main:scrub/' });
    scrubRun = scrub.runId;
    await s.prep.run(ctx, { recipe: parseRecipe('name: plain\nsteps:\n  - normalize\n  - dedup-exact\n'), input: 'raw@main:docs/', output: 'prepared@main:plain/' });
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
    // From the raw dataset, and from the recipe's output dataset, which inherited it.
    expect(new Set(safe.labels[0]?.from.map((o) => o.dataset))).toEqual(new Set(['scrub', 'web']));
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
    const leaky = (await s.models.get(ctx, 'leaky')).versions[0]?.runId ?? '';
    expect((await s.lineage.labels(ctx, { address: `run:${leaky}` })).labels.map((l) => l.label)).toEqual(['internal', 'pii']);
    // The recipe run itself read the pii data; only what it wrote lost the label.
    expect((await s.lineage.labels(ctx, { address: `run:${scrubRun}` })).labels.map((l) => l.label)).toEqual(['internal', 'pii']);
    expect((await s.lineage.labels(ctx, { address: 'prepared@main:scrub/' })).labels.map((l) => l.label)).toEqual(['internal']);
    const shards = await s.objects.list(ctx, { repository: 'prepared', ref: 'main', prefix: 'scrub/shard-' });
    const shard = shards.objects[0];
    const labels = await s.lineage.labels(ctx, { address: `prepared@main:${shard?.path ?? ''}` });
    // The scrubbed shard is derived from the raw documents through the recipe that removed pii.
    expect(labels.labels.map((l) => l.label)).toEqual(['internal']);
    expect(labels.removed.map((r) => r.label)).toEqual(['pii']);
  });

  it('reports everything an auditor asks about a model version, with exact counts, as JSON, Markdown and HTML', async () => {
    const report = await s.reports.report(ctx, 'model:leaky/1');
    expect(report).toMatchObject({ format: 'strata-model-report/1', generatedBy: 'ada', model: { name: 'leaky', version: 1, artifact: expect.stringMatching(/^models@[0-9a-f]{64}:leaky\/final.bin$/) as string } });
    expect(report.run).toMatchObject({ job: 'train-leaky', kind: 'training', status: 'completed' });
    expect(report.training).toEqual([{ key: expect.stringMatching(/^dataset:prepared@[0-9a-f]{64}:plain\/$/) as string, datasets: [expect.objectContaining({ name: 'plain', labels: ['internal', 'pii'] })] }]);
    expect(report.preparation).toHaveLength(1);
    expect(report.preparation[0]).toMatchObject({ recipe: 'plain', status: 'completed', sources: 4, written: 3, excluded: 1, unreadable: 0 });
    expect(report.preparation[0]?.steps.map((st) => [st.name, st.counts.in, st.counts.out])).toEqual([['normalize', 4, 4], ['dedup-exact', 4, 3]]);
    expect(report.preparation[0]?.steps[1]?.counts['dropped.duplicate']).toBe(1);
    expect(report.sources).toEqual({ count: 3, licences: [{ licence: 'CC-BY-4.0', sources: 2 }, { licence: 'MIT', sources: 1 }], labels: [{ label: 'internal', datasets: ['plain', 'web'] }, { label: 'pii', datasets: ['plain', 'web'] }], removed: [] });
    expect(report.excluded.map((e) => [e.path, e.reasons])).toEqual([['docs/web/z.txt', { 'dedup-exact: duplicate': 1 }]]);
    expect(report.inference).toEqual([{ application: 'assistant', records: 1 }]);
    expect(report.erasures).toEqual([]);
    expect(report.retention.map((r) => [r.repository, r.rules])).toEqual([['models', null], ['raw', null]]);
    expect(report.audit).toMatchObject({ treeSize: expect.any(Number) as number, signature: expect.any(String) as string });

    const markdown = modelReportMarkdown(report);
    for (const title of ['Model version', 'Training run', 'Training data', 'Preparation', 'Sources, licences and labels', 'Excluded and unreadable sources', 'Erasures', 'Inference', 'Retention', 'Audit log']) expect(markdown).toContain(`\n## ${title}\n`);
    expect(markdown).toContain('| CC-BY-4.0 | 2 |');
    expect(markdown).toContain('Reproduce: `strata lineage provenance model:leaky/1 --json`');

    // Over REST, as HTML, for someone who may read models but not the archive: that section is withheld.
    await s.identity.createPrincipal(ctx, { id: 'aud', kind: 'user' });
    await s.identity.attach(ctx, { policy: 'reader', principal: 'aud' });
    const token = (await s.identity.createToken(ctx, { principal: 'aud', name: 'audit' })).token;
    const server = await buildServer({ core: s, logLevel: 'silent' });
    try {
      const html = await injectAs(server, token)({ method: 'GET', url: '/api/v1/models/leaky/versions/1/report?format=html' });
      expect(html.statusCode).toBe(200);
      expect(html.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(html.body).toContain('<h2>Training data</h2>');
      const json = (await injectAs(server, token)({ method: 'GET', url: '/api/v1/models/leaky/versions/1/report' })).json<{ inference: { withheld?: string } }>();
      expect(json.inference.withheld).toMatch(/inference:read/);
      expect(modelReportHtml({ ...report, model: { ...report.model, description: '<script>x</script>' } })).toContain('&#60;script&#62;x&#60;/script&#62;');
      expect((await injectAs(server, token)({ method: 'GET', url: '/api/v1/models/leaky/versions/9/report' })).statusCode).toBe(404);
    } finally {
      await server.close();
    }
  });
});
