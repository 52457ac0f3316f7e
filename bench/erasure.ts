import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { parseRecipe } from '../src/core/prep/recipe.ts';
import type { ObjectInfo } from '../src/core/versioning/types.ts';
import { ctx, openBenchCore } from './open-core.ts';
import { fmt, freshDir, MiB, random, report, SCALE, time } from './support.ts';

const RECIPE = `
name: erase-bench
steps:
  - normalize
  - dedup-exact
  - pii
  - tokenize: { encoding: o200k_base }
shard: { target_bytes: 4194304 }
`;

const NAME = 'Mara Quillfeather';
const sourceOf = (n: number): string => `https://corpus.example/doc/${n}`;

async function* once(bytes: Buffer): AsyncGenerator<Uint8Array> {
  await Promise.resolve();
  yield bytes;
}

/** Short English-like documents (~400 bytes), each unique; `target` names a person. */
function documentText(n: number, target: number, rnd: () => number): string {
  const words = 'the of and to in data model training set river quality report water north committee annual results people system market city school research value growth energy health policy history music science team game'.split(' ');
  const sentence = (): string => `${Array.from({ length: 10 + Math.floor(rnd() * 8) }, () => words[Math.floor(rnd() * words.length)] as string).join(' ')}.`;
  const body = [`Document ${n}.`, sentence(), sentence(), sentence(), sentence()];
  if (n === target) body.push(`${NAME} lives at 9 Wren Court in Falmouth and restores harpsichords for a living.`);
  return body.join(' ');
}

/** Every object under `prefix` at `ref`, by path. */
async function listAll(core: Awaited<ReturnType<typeof openBenchCore>>, repository: string, ref: string, prefix: string): Promise<Map<string, ObjectInfo>> {
  const out = new Map<string, ObjectInfo>();
  for (let after: string | undefined; ;) {
    const page = await core.objects.list(ctx, { repository, ref, prefix, after, limit: 1000 });
    for (const o of page.objects) out.set(o.path, o);
    if (!page.truncated) return out;
    after = page.nextAfter;
  }
}

/**
 * Erasure of one source out of 100,000 ingested documents that went through a recipe
 * (normalize, dedup, PII, tokenize into 4 MiB shards), a training run, a model and an
 * inference archive: the time, and the bytes rewritten (the goal: only the shards that held the
 * source's records). Baseline: `grep -rlF` of the person's name over the whole data folder, the
 * least a person looking for the copies by hand must do.
 */
export async function benchErasure(): Promise<void> {
  const docs = Math.max(2000, Math.round(100_000 * SCALE));
  const target = Math.floor(docs / 2) + 17;
  const dir = await freshDir(`erasure-${docs}`);
  const core = await openBenchCore(dir);
  try {
    for (const name of ['raw', 'prepared', 'models']) await core.repositories.create(ctx, { name });
    const rnd = random(23);
    const build = await time(async () => {
      for (let i = 0; i < docs; i += 1000) {
        const texts = Array.from({ length: Math.min(1000, docs - i) }, (_, k) => documentText(i + k, target, rnd));
        const contents = await Promise.all(texts.map((text) => core.objects.writeContent(ctx, { repository: 'raw', branch: 'main', body: once(Buffer.from(text)) })));
        await core.objects.stage(ctx, {
          repository: 'raw',
          branch: 'main',
          objects: contents.map((content, k) => ({ path: `docs/${String(i + k).padStart(7, '0')}.txt`, content, contentType: 'text/plain', provenance: { source: sourceOf(i + k) } })),
        });
      }
      await core.commits.commit(ctx, { repository: 'raw', branch: 'main', message: 'corpus' });
      await core.prep.run(ctx, { recipe: parseRecipe(RECIPE), input: 'raw@main:docs/', output: 'prepared@main:clean/' });
      const train = await core.runs.start(ctx, { job: 'train', kind: 'training', inputs: ['prepared@main:clean/'] });
      await core.objects.put(ctx, { repository: 'models', branch: 'main', path: 'ckpt/final.bin', body: once(Buffer.alloc(4096, 1)) });
      await core.commits.commit(ctx, { repository: 'models', branch: 'main', message: 'trained' });
      await core.runs.finish(ctx, train.id, { outputs: ['models@main:ckpt/'] });
      await core.models.register(ctx, { model: 'bench', source: 'models@main:ckpt/final.bin', runId: train.id });
      const calls = Array.from({ length: 1000 }, (_, k) => ({ application: 'chat', model: 'gpt-4o', input: k === 500 ? `Who restores harpsichords? ${NAME} lives at 9 Wren Court in Falmouth.` : `Question ${k} about rivers and water quality`, output: 'An answer.' }));
      await core.inference.log(ctx, calls);
    });
    const before = await listAll(core, 'prepared', 'main', 'clean/');
    const preparedBytes = [...before.values()].reduce((sum, o) => sum + o.size, 0);
    console.log(`  built ${docs.toLocaleString('en')} documents → ${before.size} prepared files (${fmt(preparedBytes / MiB, 1)} MiB), a run, a model and 1,000 inference records in ${fmt(build.seconds, 0)} s`);

    const plan = await time(() => core.erasure.erase(ctx, { target: `source:${sourceOf(target)}`, dryRun: true }));
    const erased = await time(() => core.erasure.erase(ctx, { target: `source:${sourceOf(target)}` }));
    const after = await listAll(core, 'prepared', 'main', 'clean/');
    const changed = [...after.values()].filter((o) => before.get(o.path)?.sha256 !== o.sha256);
    const rewritten = changed.reduce((sum, o) => sum + o.size, 0);
    const expected = new Set(erased.value.shards.map((s) => s.path));
    const shardsChanged = changed.filter((o) => o.path.endsWith('.jsonl') || o.path.endsWith('.jsonl.zst'));
    const onlyAffected = shardsChanged.length === expected.size && shardsChanged.every((o) => expected.has(o.path)) && erased.value.records.length > 0;
    const grep = await time(() => spawnSync('grep', ['-rlF', NAME, join(dir, '.strata')], { stdio: ['ignore', 'ignore', 'inherit'] }));
    const c = erased.value;
    report({
      name: `erasure of one source of ${docs.toLocaleString('en')} documents through a recipe (${before.size} prepared files, ${fmt(preparedBytes / MiB, 1)} MiB)`,
      strata: `${fmt(erased.seconds)} s (dry run ${fmt(plan.seconds)} s): ${c.objectVersions.length} object version(s), ${c.shards.length} shard(s) rewritten without ${c.records.length} record(s), ${c.inference.records.length} inference record(s), ${c.blobs.length} blob(s) deleted; ${changed.length} file(s) rewritten, ${fmt(rewritten / 1024, 0)} KiB of ${fmt(preparedBytes / MiB, 1)} MiB`,
      baseline: `grep -rlF of the name over the data folder: ${fmt(grep.seconds)} s`,
      ratio: `${fmt(erased.seconds / grep.seconds)}× grep; ${fmt((100 * rewritten) / preparedBytes, 2)}% of prepared bytes rewritten`,
      goal: '< 30 s; only the shards that held its records rewritten',
      met: erased.seconds < 30 && onlyAffected,
    });
  } finally {
    await core.close();
  }
}
