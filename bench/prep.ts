import { availableParallelism } from 'node:os';
import { ctx, openBenchCore } from './open-core.ts';
import { fmt, freshDir, report, SCALE, time, random } from './support.ts';
import { extractRecords } from '../src/core/prep/extract-text.ts';
import { instantiate, parseRecipe } from '../src/core/prep/recipe.ts';
import type { PrepRecord } from '../src/core/prep/record.ts';
import { ShardWriter } from '../src/core/prep/shard-writer.ts';
import { EldLanguageDetector } from '../src/adapters/extract/eld-language-detector.ts';
import { QuickJsSandbox } from '../src/adapters/prep/quickjs-sandbox.ts';

const DOCS = Math.max(500, Math.round(20_000 * SCALE));
const STANDARD = `
name: standard
steps:
  - normalize
  - language
  - quality
  - dedup-exact
  - dedup-near
  - pii
  - tokenize
shard: { target_bytes: 67108864 }
`;


async function* once(bytes: Buffer): AsyncGenerator<Uint8Array> {
  await Promise.resolve();
  yield bytes;
}

/** English-like documents of ~5 KB: sentences from a word list, some exact and near copies, some PII. */
function corpus(): string[] {
  const rnd = random(9);
  const words = 'the of and to in data model training set river quality report water north committee annual results people system market city school research value growth energy health policy history music science team game'.split(' ');
  const sentence = (): string => {
    const n = 8 + Math.floor(rnd() * 12);
    const out = Array.from({ length: n }, () => words[Math.floor(rnd() * words.length)] as string);
    return `${out.join(' ').replace(/^./, (c) => c.toUpperCase())}.`;
  };
  const docs: string[] = [];
  for (let d = 0; d < DOCS; d++) {
    if (d % 20 === 7 && d > 0) {
      docs.push(docs[d - 1] as string);
      continue;
    }
    const lines = Array.from({ length: 30 }, () => Array.from({ length: 2 }, sentence).join(' '));
    if (d % 10 === 3) lines.push(`Contact jane.doe${d}@example.com or (415) 555-${String(1000 + (d % 9000)).padStart(4, '0')}.`);
    docs.push(lines.join('\n'));
  }
  return docs;
}

/** Documents/s per core of the standard recipe and of each step alone; pipeline overhead vs the steps called in a loop. */
export async function benchPrep(): Promise<void> {
  const dir = await freshDir('prep');
  const docs = corpus();
  // Mapping on the main thread first: the overhead figure compares like with like (one core).
  const core = await openBenchCore(dir, { STRATA_PREP_THREADS: '0' });
  try {
    await core.repositories.create(ctx, { name: 'raw' });
    await core.repositories.create(ctx, { name: 'prepared' });
    const bytes = docs.reduce((sum, d) => sum + Buffer.byteLength(d), 0);
    for (let i = 0; i < docs.length; i += 1000) {
      const contents = await Promise.all(docs.slice(i, i + 1000).map((d) => core.objects.writeContent(ctx, { repository: 'raw', branch: 'main', body: once(Buffer.from(d)) })));
      await core.objects.stage(ctx, { repository: 'raw', branch: 'main', objects: contents.map((content, k) => ({ path: `docs/${String(i + k).padStart(7, '0')}.txt`, content, contentType: 'text/plain' })) });
    }
    await core.commits.commit(ctx, { repository: 'raw', branch: 'main', message: 'corpus' });
    const recipe = parseRecipe(STANDARD);
    await new EldLanguageDetector().load();

    // The steps called directly in a loop, each over the previous step's output, timed one by one.
    const perStep: Array<{ name: string; seconds: number; in: number }> = [];
    const listing = await time(async () => {
      const records: PrepRecord[] = [];
      for (let after: string | undefined; ; ) {
        const page = await core.objects.list(ctx, { repository: 'raw', ref: 'main', prefix: 'docs/', after, limit: 1000 });
        for (const o of page.objects) {
          const { body } = await core.objects.get(ctx, { repository: 'raw', ref: 'main', path: o.path });
          const chunks: Uint8Array[] = [];
          for await (const c of body) chunks.push(c);
          records.push(...(await extractRecords({ key: o.path, repository: 'raw', path: o.path, sha256: o.sha256, contentType: o.contentType, bytes: Buffer.concat(chunks) })));
        }
        if (!page.truncated) break;
        after = page.nextAfter;
      }
      return records;
    });
    perStep.push({ name: 'read + extract-text', seconds: listing.seconds, in: DOCS });
    let records = listing.value;
    const steps = await instantiate(recipe, { language: new EldLanguageDetector() });
    for (const [i, step] of steps.entries()) {
      const input = records;
      const out = await time(() => input.flatMap((r) => {
        if (step.kind === 'dataset') {
          const { keep, feature } = step.feature(r);
          return step.decide(feature) === undefined ? [keep] : [];
        }
        const result = step.process(r);
        return 'keep' in result ? [result.keep] : [];
      }));
      perStep.push({ name: recipe.steps[i]?.name ?? '?', seconds: out.seconds, in: input.length });
      records = out.value;
    }
    const writing = await time(async () => {
      const writer = new ShardWriter({ objects: core.objects, ctx, repository: 'prepared', branch: 'main', prefix: 'direct/', targetBytes: recipe.shard.target_bytes });
      for (const r of records) await writer.add(r);
      await writer.finish({ recipe: 'direct', recipeHash: '', input: '' });
    });
    perStep.push({ name: 'shard', seconds: writing.seconds, in: records.length });
    const sum = perStep.reduce((s, p) => s + p.seconds, 0);

    const pipeline = await time(() => core.prep.run(ctx, { recipe, input: 'raw@main:docs/', output: 'prepared@main:pipeline/', reuse: false }));
    console.log(`prep: ${DOCS} documents, ${fmt(bytes / 2 ** 20, 1)} MiB; ${pipeline.value.written} written`);
    for (const p of perStep) console.log(`  ${p.name.padEnd(20)} ${fmt(p.in / p.seconds, 0).padStart(9)} docs/s  (${fmt(p.seconds)} s)`);
    const overhead = pipeline.seconds / sum - 1;
    report({
      name: `standard recipe (normalize → language → quality → dedup-exact → dedup-near → pii → tokenize → JSONL shards) on ${DOCS.toLocaleString('en-US')} documents, ${fmt(bytes / 2 ** 20, 0)} MiB, one core`,
      strata: `${fmt(pipeline.seconds)} s (${fmt(DOCS / pipeline.seconds, 0)} docs/s)`,
      baseline: `the same steps called directly in a loop: ${fmt(sum)} s`,
      ratio: `overhead ${fmt(overhead * 100, 1)}%`,
      goal: 'overhead ≤ 15%',
      met: overhead <= 0.15,
    });
  } finally {
    await core.close();
  }
  // The same run on the thread pool (every core), then an incremental rerun after 1% changed.
  const pooled = await openBenchCore(dir);
  try {
    const recipe = parseRecipe(STANDARD);
    const single = await time(() => pooled.prep.run(ctx, { recipe, input: 'raw@main:docs/', output: 'prepared@main:pipeline/', reuse: false }));
    const cores = availableParallelism();
    report({
      name: `the standard recipe on the thread pool (${cores} cores), the same ${DOCS.toLocaleString('en-US')} documents`,
      strata: `${fmt(single.seconds)} s (${fmt(DOCS / single.seconds, 0)} docs/s, ${fmt(DOCS / single.seconds / cores, 0)} docs/s per core)`,
      baseline: 'the one-core run above',
      ratio: 'see the one-core figure',
      goal: 'every core used',
      met: true,
    });
    const changed = Math.max(1, Math.round(DOCS / 100));
    const rnd = random(11);
    const contents = await Promise.all(Array.from({ length: changed }, (_, i) => pooled.objects.writeContent(ctx, { repository: 'raw', branch: 'main', body: once(Buffer.from(`A new first line number ${i} ${rnd()}.\n${docs[(i * 97) % DOCS] ?? ''}`)) })));
    await pooled.objects.stage(ctx, { repository: 'raw', branch: 'main', objects: contents.map((content, i) => ({ path: `docs/${String((i * 97) % DOCS).padStart(7, '0')}.txt`, content, contentType: 'text/plain' })) });
    await pooled.commits.commit(ctx, { repository: 'raw', branch: 'main', message: '1% changed' });
    const rerun = await time(() => pooled.prep.run(ctx, { recipe, input: 'raw@main:docs/', output: 'prepared@main:pipeline/' }));
    const share = rerun.seconds / single.seconds;
    report({
      name: `incremental rerun after changing ${changed} of ${DOCS.toLocaleString('en-US')} inputs (1%): ${rerun.value.reused.toLocaleString('en-US')} reused`,
      strata: `${fmt(rerun.seconds)} s`,
      baseline: `the full run on the pool: ${fmt(single.seconds)} s`,
      ratio: `${fmt(share * 100, 1)}% of the full run`,
      goal: '≤ 5%',
      met: share <= 0.05,
    });
  } finally {
    await pooled.close();
  }
}

/** The online path: p99 of applying a kept recipe to one 2 KB input over HTTP, without the tokenizer. */
export async function benchPrepApply(): Promise<void> {
  const dir = await freshDir('prep-apply');
  const core = await openBenchCore(dir);
  const { buildServer } = await import('../src/http/build-server.ts');
  const server = await buildServer({ core, logLevel: 'silent' });
  try {
    const yaml = 'name: online\nsteps:\n  - normalize\n  - language\n  - quality: { min_words: 20 }\n  - pii\n';
    await core.repositories.create(ctx, { name: 'recipes' });
    await core.objects.put(ctx, { repository: 'recipes', branch: 'main', path: 'online.yaml', body: once(Buffer.from(yaml)) });
    await core.commits.commit(ctx, { repository: 'recipes', branch: 'main', message: 'recipe' });
    const base = corpus()[3] ?? '';
    const input = `${base.slice(0, 1900)} Write to jane@example.com or call (415) 555-2671.`;
    const steps = await instantiate(parseRecipe(yaml), { language: new EldLanguageDetector() });
    const direct = (): void => {
      let record: PrepRecord = { id: 'x', text: input, meta: {}, source: { key: 'x', repository: '', path: '', sha256: '' } };
      for (const step of steps) {
        if (step.kind !== 'record') continue;
        const result = step.process(record);
        if ('drop' in result) return;
        record = result.keep;
      }
    };
    const { token } = await core.identity.createToken(ctx, { name: 'bench' });
    const call = () => server.inject({ method: 'POST', url: '/api/v1/recipes/online@main/apply', headers: { authorization: `Bearer ${token}` }, payload: { text: input } });
    for (let i = 0; i < 50; i++) {
      await call();
      direct();
    }
    const http: number[] = [];
    const bare: number[] = [];
    for (let i = 0; i < 1000; i++) {
      http.push((await time(call)).seconds * 1000);
      bare.push((await time(direct)).seconds * 1000);
    }
    const pct = (values: number[], p: number): number => [...values].sort((a, b) => a - b)[Math.floor(values.length * p)] ?? 0;
    report({
      name: `recipe apply on one ${Buffer.byteLength(input)}-byte input over HTTP (normalize → language → quality → pii, no tokenizer), 1,000 calls`,
      strata: `p50 ${fmt(pct(http, 0.5))} ms, p99 ${fmt(pct(http, 0.99))} ms`,
      baseline: `the same steps called directly: p50 ${fmt(pct(bare, 0.5))} ms, p99 ${fmt(pct(bare, 0.99))} ms`,
      ratio: `${fmt(pct(http, 0.99) / Math.max(pct(bare, 0.99), 0.001), 1)}× at p99`,
      goal: 'p99 < 10 ms',
      met: pct(http, 0.99) < 10,
    });
  } finally {
    await server.close();
    await core.close();
  }
}

/**
 * What the custom-step sandbox costs: one custom step (sentence count + upper-case, the README's
 * kind of step) over the corpus's ~5 KB records, run in QuickJS (WebAssembly) against the same
 * module imported into this process and called directly (what custom steps did before the
 * sandbox), in the same run.
 */
export async function benchSandbox(): Promise<void> {
  const source = `export const types = { input: 'text', output: 'text', meta: { sentences: 'number' } };
export default function (params) {
  return (record) => {
    const n = (record.text.match(/[.!?](\\s|$)/g) ?? []).length;
    return n < params.min ? { drop: 'few' } : { keep: { ...record, text: record.text.toUpperCase(), meta: { ...record.meta, sentences: n } } };
  };
}
`;
  const records: PrepRecord[] = corpus().map((text, i) => ({ id: `doc#${i}`, text, meta: {}, source: { key: `docs/${i}`, repository: 'raw', path: `docs/${i}`, sha256: '' } }));
  const bytes = records.reduce((sum, r) => sum + Buffer.byteLength(r.text), 0);
  const imported = (await import(`data:text/javascript;base64,${Buffer.from(source).toString('base64')}`)) as { default: (p: unknown) => (r: PrepRecord) => unknown };
  const direct = imported.default({ min: 2 });
  const sandboxed = await new QuickJsSandbox().load({ address: 'bench', source }, { min: 2 });
  const run = (fn: (r: PrepRecord) => unknown) => time(() => records.map((r) => fn(r)));
  // One warm-up pass of each (JIT, the engine's caches), then the measured ones.
  await run(direct);
  await run((r) => sandboxed.process(r));
  const inProcess = await run(direct);
  const inSandbox = await run((r) => sandboxed.process(r));
  const perRecord = (seconds: number): number => (seconds / records.length) * 1e6;
  console.log(`sandbox: ${records.length} records, ${fmt(bytes / 2 ** 20, 1)} MiB`);
  report({
    name: `a custom step over ${records.length.toLocaleString('en-US')} records of ~5 KB (${fmt(bytes / 2 ** 20, 0)} MiB), sandboxed in QuickJS vs imported into the process`,
    strata: `${fmt(perRecord(inSandbox.seconds), 1)} µs/record (${fmt(bytes / 2 ** 20 / inSandbox.seconds, 1)} MiB/s)`,
    baseline: `${fmt(perRecord(inProcess.seconds), 1)} µs/record in-process`,
    ratio: `${fmt(inSandbox.seconds / inProcess.seconds, 1)}× the in-process time`,
    goal: 'measured (isolation is the requirement)',
    met: true,
  });
}
