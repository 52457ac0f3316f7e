import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildServer } from '../../src/http/build-server.ts';
import { Tiktoken } from 'js-tiktoken/lite';
import o200k from 'js-tiktoken/ranks/o200k_base';
import { parseRecipe, STEPS } from '../../src/core/prep/recipe.ts';
import { ThreadPoolMapper } from '../../src/adapters/prep/thread-pool-mapper.ts';
import { esbuildCompiler } from '../../src/adapters/prep/esbuild-compiler.ts';
import type { StrataCore } from '../../src/core/strata.ts';
import { bytesOf, createTestCore, ctx, DIALECTS, errorCode, injectAs, readAll, type TestCore } from '../support/core.ts';

const LONG = (topic: string): string =>
  `This is a long and useful paragraph about ${topic}. It has enough words to pass the quality rules, with sentences that end properly.\nA second line explains more about ${topic} and why it matters to the reader.\n`;

const RECIPE = `
name: clean-web
steps:
  - normalize
  - quality: { min_words: 20 }
  - dedup-exact
  - pii
shard: { target_bytes: 1024 }
`;

describe.each(DIALECTS)('recipes on %s', (dialect) => {
  let t: TestCore;
  let s: StrataCore;
  beforeEach(async () => {
    t = await createTestCore(dialect);
    s = t.core;
    for (const name of ['raw', 'prepared']) await s.repositories.create(ctx, { name });
  });
  afterEach(async () => {
    await t.dispose();
  });

  const put = (path: string, text: string, contentType = 'text/plain') => s.objects.put(ctx, { repository: 'raw', branch: 'main', path, body: bytesOf(text), contentType });

  it('turns raw documents into deduplicated, redacted JSONL shards with counts and record-level lineage', async () => {
    await put('docs/a.txt', `${LONG('rivers')}Contact ada@example.com for details.\n`);
    await put('docs/b.txt', LONG('mountains'));
    await put('docs/b-copy.txt', `  ${LONG('mountains').toUpperCase()}  `);
    await put('docs/short.txt', 'Too short.');
    await put('docs/page.html', `<html><head><script>var x = 1;</script></head><body><p>${LONG('forests')}</p></body></html>`, 'text/html');
    await put('docs/photo.png', 'not text', 'image/png');
    const rawCommit = (await s.commits.commit(ctx, { repository: 'raw', branch: 'main', message: 'raw' })).id;

    await s.datasets.create(ctx, { name: 'raw-docs', repository: 'raw', prefix: 'docs/', labels: ['internal', 'pii'] });
    const summary = await s.prep.run(ctx, { recipe: parseRecipe(RECIPE), input: 'raw@main:docs/', output: 'prepared@main:clean/' });
    expect(summary).toMatchObject({ sources: 5, skipped: { 'image/png': 1 }, extracted: 5, written: 3 });
    // The output is a dataset, classified like its input but for pii, which the pii step removed.
    expect(summary.dataset).toEqual({ name: 'clean-web', created: true, labels: ['internal'], tags: [] });
    expect(await s.datasets.get(ctx, 'clean-web')).toMatchObject({ repository: 'prepared', prefix: 'clean/', labels: ['internal'] });
    expect(summary.steps.map((step) => [step.name, step.in, step.out, step.dropped])).toEqual([
      ['normalize', 5, 5, {}],
      ['quality', 5, 4, { 'too-few-words': 1 }],
      ['dedup-exact', 4, 3, { duplicate: 1 }],
      ['pii', 3, 3, {}],
    ]);
    expect(summary.steps[3]?.counters).toEqual({ 'pii.email': 1 });

    // Shards of ~1 KiB hold every kept record once, each naming its source object version.
    const lines = [];
    for (const shard of summary.shards) {
      const { body } = await s.objects.get(ctx, { repository: 'prepared', ref: 'main', path: shard.path });
      const text = (await readAll(body)).toString('utf8');
      expect(text.split('\n').filter((l) => l !== '')).toHaveLength(shard.records);
      lines.push(...text.trim().split('\n').map((l) => JSON.parse(l) as { text: string; source: { path: string; key: string } }));
    }
    // Path order: the upper-case copy comes first and is the one kept.
    expect(lines.map((l) => l.source.path).sort()).toEqual(['docs/a.txt', 'docs/b-copy.txt', 'docs/page.html']);
    const a = lines.find((l) => l.source.path === 'docs/a.txt');
    expect(a?.text).toContain('Contact <EMAIL> for details.');
    expect(lines.find((l) => l.source.path === 'docs/page.html')?.text).not.toContain('var x');
    const manifest = JSON.parse((await readAll((await s.objects.get(ctx, { repository: 'prepared', ref: 'main', path: 'clean/manifest.json' })).body)).toString('utf8')) as { recipeHash: string; shards: unknown[] };
    expect(manifest.recipeHash).toBe(summary.recipeHash);
    expect(manifest.shards).toEqual(summary.shards);

    // The run: recipe, input commit, output commit, counts.
    const run = await s.runs.get(ctx, summary.runId);
    expect(run).toMatchObject({ job: 'clean-web', kind: 'prep', status: 'completed' });
    expect(run.params['recipe.hash']).toBe(summary.recipeHash);
    expect(run.inputs.map((i) => i.key)).toEqual([`dataset:raw@${rawCommit}:docs/`]);
    expect(run.outputs.map((o) => o.key)).toEqual([`dataset:prepared@${summary.outputCommit}:clean/`]);
    expect(run.metrics['step.1.quality.dropped.too-few-words']?.value).toBe(1);

    // Which raw documents went into a shard? Where did a document end up?
    const shard = summary.shards[0];
    const shardKey = `object:prepared:${shard?.path ?? ''}@${shard?.sha256 ?? ''}`;
    const upstream = await s.lineage.walk(ctx, { address: shardKey, direction: 'upstream', depth: 1, types: ['object'] });
    expect(upstream.nodes.every((n) => n.key.startsWith('object:raw:docs/'))).toBe(true);
    const impact = await s.lineage.impact(ctx, { address: 'raw@main:docs/a.txt', types: ['object'] });
    expect(impact.nodes.some((n) => n.key.startsWith('object:prepared:clean/shard-'))).toBe(true);

    // A rerun owns the output prefix: shards of the earlier run that the new one does not write are gone.
    await s.objects.delete(ctx, { repository: 'raw', branch: 'main', path: 'docs/a.txt' });
    await s.commits.commit(ctx, { repository: 'raw', branch: 'main', message: 'drop a' });
    const again = await s.prep.run(ctx, { recipe: parseRecipe(RECIPE.replace('target_bytes: 1024', 'target_bytes: 1048576')), input: 'raw@main:docs/', output: 'prepared@main:clean/' });
    expect(again.shards.map((x) => x.path)).toEqual(['clean/shard-00000.jsonl']);
    const listed = await s.objects.list(ctx, { repository: 'prepared', ref: 'main', prefix: 'clean/' });
    expect(listed.objects.map((o) => o.path)).toEqual(['clean/manifest.json', 'clean/shard-00000.jsonl']);
    expect(await s.commits.status(ctx, { repository: 'prepared', branch: 'main' })).toEqual([]);
  });

  it('rejects bad recipes with the step and the reason, and changes nothing', async () => {
    expect(() => parseRecipe('name: x\nsteps:\n  - tokenize-everything\n')).toThrow(`recipe: steps[0]: unknown step 'tokenize-everything' (known: ${Object.keys(STEPS).join(', ')})`);
    expect(() => parseRecipe('name: x\nsteps:\n  - quality: { min_words: -1 }\n')).toThrow('recipe: steps[0] (quality): min_words: Too small: expected number to be >=0');
    expect(() => parseRecipe('name: X!\n')).toThrow('recipe: name: lowercase letters, digits, ., _ and -');
    expect(() => parseRecipe('name: [')).toThrow(/^recipe is not valid YAML/);
    expect(parseRecipe('name: a\nsteps: [normalize]\n').hash).toBe(parseRecipe('name: a\nsteps:\n  - normalize: {}\n').hash);
    expect(await errorCode(s.prep.run(ctx, { recipe: parseRecipe(RECIPE), input: 'raw@main:missing/', output: 'prepared@main' }))).toBe('NotFound');
    expect((await s.runs.list(ctx)).length).toBe(0);
  });

  it('applies a kept recipe version to single inference inputs, online and over HTTP', async () => {
    await s.repositories.create(ctx, { name: 'recipes' });
    await s.objects.put(ctx, { repository: 'recipes', branch: 'main', path: 'clean-web.yaml', body: bytesOf(RECIPE) });
    await s.commits.commit(ctx, { repository: 'recipes', branch: 'main', message: 'recipe v1' });
    await s.repositories.createTag(ctx, { repository: 'recipes', name: 'v1', ref: 'main' });
    const recipe = await s.prep.loadRecipe(ctx, 'clean-web@v1');
    const input = `  ${LONG('support tickets')}Reach me at ada@example.com or 4111 1111 1111 1111.  `;
    const applied = await s.prep.apply(ctx, { recipe, text: input });
    expect(applied.skipped).toEqual(['dedup-exact']);
    expect(applied.counters).toEqual({ 'pii.email': 1, 'pii.credit_card': 1 });
    expect(applied.text).toBe(`${LONG('support tickets').trim()}\nReach me at <EMAIL> or <CREDIT_CARD>.`);
    expect(applied.recipe).toEqual({ name: 'clean-web', hash: parseRecipe(RECIPE).hash, commit: recipe.commit });
    expect(await s.prep.apply(ctx, { recipe, text: 'hi' })).toMatchObject({ dropped: { step: 'quality', reason: 'too-few-words' } });

    const built = await buildServer({ core: s, logLevel: 'silent' });
    const server = { inject: injectAs(built, t.token), close: () => built.close() };
    try {
      const response = await server.inject({ method: 'POST', url: '/api/v1/recipes/clean-web@v1/apply', payload: { text: input } });
      expect(response.statusCode).toBe(200);
      expect(response.json<{ text: string }>().text).toBe(applied.text);
      expect((await server.inject({ method: 'POST', url: '/api/v1/recipes/clean-web@v9/apply', payload: { text: input } })).statusCode).toBe(404);
      const invalid = await server.inject({ method: 'POST', url: '/api/v1/recipes/validate', payload: { recipe: 'name: x\nsteps: [nope]\n' } });
      expect([invalid.statusCode, invalid.json<{ message: string }>().message]).toEqual([400, `recipe: steps[0]: unknown step 'nope' (known: ${Object.keys(STEPS).join(', ')})`]);
    } finally {
      await server.close();
    }
  });

  it('tokenizes with a bundled BPE encoding: counts per record and per run, ids beside each shard', async () => {
    await put('docs/a.txt', 'Strata prepares data for training.');
    await put('docs/b.txt', 'Tokenizers split text into sub-word units: naïve café, 東京.');
    await s.commits.commit(ctx, { repository: 'raw', branch: 'main', message: 'raw' });
    const summary = await s.prep.run(ctx, { recipe: parseRecipe('name: tok\nsteps:\n  - tokenize: { encoding: o200k_base }\n'), input: 'raw@main:docs/', output: 'prepared@main' });
    const bpe = new Tiktoken(o200k);
    const expected = ['Strata prepares data for training.', 'Tokenizers split text into sub-word units: naïve café, 東京.'].map((t) => bpe.encode(t));
    expect(summary.steps[0]?.counters).toEqual({ tokens: expected[0]!.length + expected[1]!.length });
    const shard = summary.shards[0]!;
    expect(shard.tokens?.count).toBe(expected[0]!.length + expected[1]!.length);
    const ids = await readAll((await s.objects.get(ctx, { repository: 'prepared', ref: 'main', path: shard.tokens!.path })).body);
    const lines = (await readAll((await s.objects.get(ctx, { repository: 'prepared', ref: 'main', path: shard.path })).body)).toString('utf8').trim().split('\n').map((l) => JSON.parse(l) as { meta: { tokens: number }; tokens: [number, number] });
    lines.forEach((line, i) => {
      const [offset, count] = line.tokens;
      expect(line.meta.tokens).toBe(expected[i]!.length);
      expect(Array.from({ length: count }, (_, k) => ids.readUInt32LE((offset + k) * 4))).toEqual(expected[i]);
    });
  });

  it('labels by rules and quarantines records that fail a JSON Schema, with the reason', async () => {
    await put('docs/invoice.txt', 'Invoice 42: payment due in 30 days.');
    await put('docs/poem.txt', 'The river sings of mountains.');
    await put('docs/empty.txt', '   ');
    await s.commits.commit(ctx, { repository: 'raw', branch: 'main', message: 'raw' });
    const recipe = parseRecipe(`
name: labelled
steps:
  - normalize
  - label:
      rules:
        - { label: finance, keywords: [invoice, payment] }
        - { label: nature, regex: "river|mountain" }
        - { label: text-file, when: { content_type: text/plain } }
  - validate:
      schema: { type: object, properties: { text: { type: string, minLength: 1 } } }
`);
    const summary = await s.prep.run(ctx, { recipe, input: 'raw@main:docs/', output: 'prepared@main:l/' });
    expect(summary.steps[1]?.counters).toEqual({ 'label.finance': 1, 'label.nature': 1, 'label.text-file': 3 });
    expect(summary).toMatchObject({ written: 2, quarantined: 1 });
    // The labels of the records written (not the quarantined one's) tag the output dataset.
    expect(summary.dataset.tags).toEqual(['finance', 'nature', 'text-file']);
    const read = async (path: string): Promise<Array<{ source: { path: string }; meta: Record<string, unknown> }>> =>
      (await readAll((await s.objects.get(ctx, { repository: 'prepared', ref: 'main', path })).body)).toString('utf8').trim().split('\n').map((l) => JSON.parse(l) as { source: { path: string }; meta: Record<string, unknown> });
    const kept = await read(summary.shards[0]!.path);
    expect(kept.map((r) => [r.source.path, r.meta.labels])).toEqual([['docs/invoice.txt', 'finance,text-file'], ['docs/poem.txt', 'nature,text-file']]);
    const quarantined = await read(summary.quarantine[0]!.path);
    expect(quarantined.map((r) => [r.source.path, r.meta.quarantine_reason])).toEqual([['docs/empty.txt', '/text must NOT have fewer than 1 characters']]);
    expect(() => parseRecipe('name: x\nsteps:\n  - validate: { schema: { type: nonsense } }\n')).toThrow(/^recipe: steps\[0\] \(validate\): schema: does not compile: /);
  });

  it('keeps the languages asked for and counts every language seen', async () => {
    await put('docs/en.txt', 'The committee published its annual report on water quality in the northern rivers yesterday.');
    await put('docs/fr.txt', 'Le comité a publié hier son rapport annuel sur la qualité de l’eau dans les rivières du nord.');
    await put('docs/de.txt', 'Der Ausschuss hat gestern seinen Jahresbericht über die Wasserqualität in den nördlichen Flüssen veröffentlicht.');
    await put('docs/short.txt', 'ok');
    await s.commits.commit(ctx, { repository: 'raw', branch: 'main', message: 'raw' });
    const summary = await s.prep.run(ctx, { recipe: parseRecipe('name: lang\nsteps:\n  - language: { keep: [en, fr] }\n'), input: 'raw@main:docs/', output: 'prepared@main' });
    expect(summary.steps[0]).toMatchObject({ in: 4, out: 2, dropped: { language: 1, 'language-unknown': 1 }, counters: { 'language.en': 1, 'language.fr': 1, 'language.de': 1, 'language.unknown': 1 } });
    const lines = (await readAll((await s.objects.get(ctx, { repository: 'prepared', ref: 'main', path: summary.shards[0]!.path })).body)).toString('utf8').trim().split('\n').map((l) => JSON.parse(l) as { meta: { language: string; language_confidence: number } });
    expect(lines.map((l) => l.meta.language)).toEqual(['en', 'fr']);
    expect(lines.every((l) => l.meta.language_confidence >= 0.5 && l.meta.language_confidence <= 1)).toBe(true);
  });

  it('drops records whose content another dataset holds (dedup-exact against an evaluation set)', async () => {
    await put('docs/a.txt', LONG('rivers'));
    await put('docs/b.txt', LONG('lakes'));
    await put('eval/held-out.txt', `  ${LONG('lakes').toUpperCase()}`);
    await s.commits.commit(ctx, { repository: 'raw', branch: 'main', message: 'raw and eval' });
    const recipe = parseRecipe("name: no-leak\nsteps:\n  - dedup-exact: { against: ['raw@main:eval/'] }\n");
    const summary = await s.prep.run(ctx, { recipe, input: 'raw@main:docs/', output: 'prepared@main' });
    expect(summary.steps[0]).toMatchObject({ in: 2, out: 1, dropped: { 'in-other-dataset': 1 } });
    const text = (await readAll((await s.objects.get(ctx, { repository: 'prepared', ref: 'main', path: summary.shards[0]!.path })).body)).toString('utf8');
    expect(text.trim().split('\n').map((l) => (JSON.parse(l) as { source: { path: string } }).source.path)).toEqual(['docs/a.txt']);
    await expect(s.prep.run(ctx, { recipe: parseRecipe("name: no-leak\nsteps:\n  - dedup-exact: { against: ['https://example.com/eval'] }\n"), input: 'raw@main:docs/', output: 'prepared@main' })).rejects.toMatchObject({
      code: 'InvalidArgument',
      message: "dedup-exact: 'https://example.com/eval' is not Strata data (repo@ref:prefix)",
    });
  });

  describe('custom steps', () => {
    const SHOUT = `export const types = { input: 'text', output: 'text', meta: { shouted: 'boolean', length: 'number' } };
export default function shout(params) {
  return (record) => record.text.includes(params.skip)
    ? { drop: 'skipped' }
    : { keep: { ...record, text: record.text.toUpperCase() + params.suffix, meta: { ...record.meta, shouted: true, length: record.text.length } } };
}
`;
    const RECIPE_WITH = (module: string): string => `name: shouting\nsteps:\n  - custom: { module: '${module}', params: { suffix: '!', skip: quiet } }\n`;
    const keep = async (path: string, code: string): Promise<string> => {
      await s.repositories.create(ctx, { name: 'recipes' }).catch(() => undefined);
      await s.objects.put(ctx, { repository: 'recipes', branch: 'main', path, body: bytesOf(code), contentType: 'text/javascript' });
      return (await s.commits.commit(ctx, { repository: 'recipes', branch: 'main', message: path })).id;
    };

    it('runs a module kept in Strata, on the thread pool and online, with its code digest as its version', async () => {
      const pooled = await createTestCore(dialect, { mapper: new ThreadPoolMapper(1) });
      try {
        s = pooled.core;
        for (const name of ['raw', 'prepared']) await s.repositories.create(ctx, { name });
        for (let i = 0; i < 10; i++) await put(`docs/${i}.txt`, i === 3 ? 'a quiet one' : `text number ${i}`);
        await s.commits.commit(ctx, { repository: 'raw', branch: 'main', message: 'raw' });
        const commit = await keep('steps/shout.mjs', SHOUT);
        const summary = await s.prep.run(ctx, { recipe: parseRecipe(RECIPE_WITH('recipes@main:steps/shout.mjs')), input: 'raw@main:docs/', output: 'prepared@main' });
        expect(summary.steps[0]).toMatchObject({ name: 'custom', in: 10, out: 9, dropped: { skipped: 1 } });
        const lines = (await readAll((await s.objects.get(ctx, { repository: 'prepared', ref: 'main', path: summary.shards[0]!.path })).body)).toString('utf8').trim().split('\n').map((l) => JSON.parse(l) as { text: string; meta: Record<string, unknown> });
        expect(lines[0]).toMatchObject({ text: 'TEXT NUMBER 0!', meta: { shouted: true, length: 13 } });
        const run = await s.runs.get(ctx, summary.runId);
        const { createHash } = await import('node:crypto');
        expect(run.params['step.0.custom']).toMatch(new RegExp(`^vsha256:${createHash('sha256').update(SHOUT).digest('hex').slice(0, 12)} `));
        expect(run.params['step.0.custom']).toContain(`recipes@${commit}:steps/shout.mjs`);

        // Kept beside its module, the recipe applies online too.
        await keep('shouting.yaml', RECIPE_WITH('recipes@main:steps/shout.mjs'));
        expect(await s.prep.apply(ctx, { recipe: await s.prep.loadRecipe(ctx, 'shouting@main'), text: 'hello' })).toMatchObject({ text: 'HELLO!', skipped: [] });

        // New code is a new version: nothing is reused.
        await keep('steps/shout.mjs', SHOUT.replace('toUpperCase()', 'toLowerCase()'));
        const again = await s.prep.run(ctx, { recipe: parseRecipe(RECIPE_WITH('recipes@main:steps/shout.mjs')), input: 'raw@main:docs/', output: 'prepared@main' });
        expect(again).toMatchObject({ reused: 0, written: 9 });
        // The kept recipe names the module by branch: the online path follows it too.
        expect(await s.prep.apply(ctx, { recipe: await s.prep.loadRecipe(ctx, 'shouting@main'), text: 'HeLLo' })).toMatchObject({ text: 'hello!' });
      } finally {
        await pooled.dispose();
        s = t.core;
      }
    });

    it('compiles custom steps written in TypeScript', async () => {
      const typed = await createTestCore(dialect, { moduleCompiler: esbuildCompiler });
      try {
        s = typed.core;
        for (const name of ['raw', 'prepared']) await s.repositories.create(ctx, { name });
        await put('docs/a.txt', 'mixed Case text');
        await s.commits.commit(ctx, { repository: 'raw', branch: 'main', message: 'raw' });
        const ts = SHOUT.replace('export default function shout(params) {', 'interface Params { suffix: string; skip: string }\nexport default function shout(params: Params): (record: { text: string; meta: Record<string, unknown> }) => unknown {');
        await keep('steps/shout.ts', ts);
        const summary = await s.prep.run(ctx, { recipe: parseRecipe(RECIPE_WITH('recipes@main:steps/shout.ts')), input: 'raw@main:docs/', output: 'prepared@main' });
        const line = JSON.parse((await readAll((await s.objects.get(ctx, { repository: 'prepared', ref: 'main', path: summary.shards[0]!.path })).body)).toString('utf8')) as { text: string };
        expect(line.text).toBe('MIXED CASE TEXT!');
        await keep('steps/broken.ts', 'export const x: = 1;');
        await expect(s.prep.run(ctx, { recipe: parseRecipe(RECIPE_WITH('recipes@main:steps/broken.ts')), input: 'raw@main:docs/', output: 'prepared@main' })).rejects.toMatchObject({
          code: 'InvalidArgument',
          message: expect.stringMatching(/^custom step recipes@[0-9a-f]{64}:steps\/broken\.ts does not compile: /) as unknown,
        });
      } finally {
        await typed.dispose();
        s = t.core;
      }
      await put('docs/a.txt', 'text');
      await s.commits.commit(ctx, { repository: 'raw', branch: 'main', message: 'raw' });
      await keep('steps/shout.ts', SHOUT);
      await expect(s.prep.run(ctx, { recipe: parseRecipe(RECIPE_WITH('recipes@main:steps/shout.ts')), input: 'raw@main:docs/', output: 'prepared@main' })).rejects.toMatchObject({
        code: 'InvalidArgument',
        message: expect.stringMatching(/is TypeScript, and this process has no compiler$/) as unknown,
      });
    });

    it('refuses modules that do not declare their types or break them, naming the record, and changes nothing', async () => {
      await put('docs/a.txt', 'some text');
      await s.commits.commit(ctx, { repository: 'raw', branch: 'main', message: 'raw' });
      await keep('steps/untyped.mjs', 'export default () => (record) => ({ keep: record });');
      await expect(s.prep.run(ctx, { recipe: parseRecipe(RECIPE_WITH('recipes@main:steps/untyped.mjs')), input: 'raw@main:docs/', output: 'prepared@main' })).rejects.toMatchObject({
        code: 'InvalidArgument',
        message: expect.stringMatching(/^custom step recipes@[0-9a-f]{64}:steps\/untyped\.mjs must export types = /) as unknown,
      });
      await keep('steps/liar.mjs', SHOUT.replace('length: record.text.length', "length: 'long'"));
      const before = await s.commits.show(ctx, { repository: 'prepared', ref: 'main' });
      await expect(s.prep.run(ctx, { recipe: parseRecipe(RECIPE_WITH('recipes@main:steps/liar.mjs')), input: 'raw@main:docs/', output: 'prepared@main' })).rejects.toMatchObject({
        code: 'InvalidArgument',
        message: expect.stringMatching(/ on record object:raw:docs\/a\.txt@[0-9a-f]+#0: meta\.length must be a number, not string$/) as unknown,
      });
      expect((await s.commits.show(ctx, { repository: 'prepared', ref: 'main' })).id).toBe(before.id);
      expect(await errorCode(s.prep.run(ctx, { recipe: parseRecipe(RECIPE_WITH('recipes@main:steps/none.mjs')), input: 'raw@main:docs/', output: 'prepared@main' }))).toBe('NotFound');
      expect(() => parseRecipe(RECIPE_WITH('steps/shout.mjs'))).toThrow("recipe: steps[0] (custom): module: must be repo@ref:path.mjs or .ts (an ES module kept in Strata)");
    });
  });
});
