import { createHash } from 'node:crypto';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { openStrata } from '../src/app/open-strata.ts';
import { searchWords } from '../src/core/catalog/search-text.ts';
import { loadConfig } from '../src/config/config.ts';
import type { SearchInput } from '../src/core/catalog/search-service.ts';
import type { StrataCore } from '../src/core/strata.ts';
import { ctx } from './open-core.ts';
import { fmt, freshDir, report, SCALE, time, withBenchPostgres, random } from './support.ts';

const OBJECTS = Math.max(2000, Math.round(100_000 * SCALE));
const QUERIES = 300;


/** 5,000 made-up words drawn with a Zipf-like skew (a few common, most rare), as in real titles. */
function vocabulary(): { words: string[]; pick: (r: number) => string } {
  const syllables = ['ka', 'lo', 'mi', 'ter', 'sun', 'ra', 'vel', 'do', 'an', 'qui', 'bor', 'ex', 'pha', 'zen', 'tri', 'mo'];
  const words: string[] = [];
  for (let i = 0; words.length < 5000; i++) {
    const a = syllables[i % 16] ?? '';
    const b = syllables[Math.floor(i / 16) % 16] ?? '';
    const c = syllables[Math.floor(i / 256) % 16] ?? '';
    words.push(`${a}${b}${c}`);
  }
  return { words, pick: (r) => words[Math.floor(words.length * r ** 3)] ?? 'ka' };
}

const TYPES = ['application/pdf', 'text/markdown', 'text/html', 'text/csv', 'image/jpeg', 'audio/mpeg', 'application/vnd.apache.parquet'];

async function fillCatalog(core: StrataCore): Promise<void> {
  const rnd = random(42);
  const vocab = vocabulary();
  const BATCH = 5000;
  await core.repositories.create(ctx, { name: 'lake' });
  for (let start = 0; start < OBJECTS; start += BATCH) {
    const objects = [];
    for (let n = start; n < Math.min(start + BATCH, OBJECTS); n++) {
      const type = TYPES[n % TYPES.length] ?? 'text/plain';
      const title = Array.from({ length: 3 + Math.floor(rnd() * 5) }, () => vocab.pick(rnd())).join(' ');
      const sha256 = createHash('sha256').update(String(n)).digest('hex');
      const extracted: Record<string, string> = { title, author: vocab.pick(rnd()) };
      if (type === 'text/csv' || type.endsWith('parquet')) extracted.columns = `${vocab.pick(rnd())}_id BIGINT, ${vocab.pick(rnd())} VARCHAR, score DOUBLE`;
      objects.push({ path: `set-${String(n % 40).padStart(2, '0')}/${vocab.pick(rnd())}/${vocab.pick(rnd())}-${n}.${type.split('/')[1] ?? 'bin'}`, content: { sha256, md5: sha256.slice(0, 32), size: 1000 + n }, contentType: type, extracted });
    }
    await core.objects.stage(ctx, { repository: 'lake', branch: 'main', objects });
  }
  await core.commits.commit(ctx, { repository: 'lake', branch: 'main', message: `fill ${OBJECTS}` });
  for (let d = 0; d < 40; d++) {
    await core.datasets.create(ctx, {
      name: `set-${String(d).padStart(2, '0')}`,
      repository: 'lake',
      prefix: `set-${String(d).padStart(2, '0')}/`,
      owner: d % 4 === 0 ? 'grace' : 'ada',
      license: d % 3 === 0 ? 'CC-BY-4.0' : 'MIT',
      description: Array.from({ length: 8 }, () => vocab.pick(rnd())).join(' '),
      tags: [d % 2 === 0 ? 'text' : 'vision', `batch-${d % 5}`],
    });
  }
}

/** A mix of what people type: one or two words (common and rare, some partial), some with filters. */
function queries(): SearchInput[] {
  const rnd = random(7);
  const vocab = vocabulary();
  const out: SearchInput[] = [];
  for (let i = 0; i < QUERIES; i++) {
    const words = Array.from({ length: 1 + (i % 2) }, () => vocab.pick(rnd()));
    const text = i % 5 === 4 ? (words[0] ?? '').slice(0, 4) : words.join(' ');
    const query: SearchInput = { text, limit: 20 };
    if (i % 6 === 1) query.type = 'application/pdf';
    if (i % 6 === 3) query.tag = 'vision';
    if (i % 6 === 5) query.owner = 'grace';
    out.push(query);
  }
  return out;
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? 0;
}

async function timeAll(run: (q: SearchInput) => Promise<unknown>): Promise<number[]> {
  const qs = queries();
  for (const q of qs.slice(0, 20)) await run(q); // warm-up
  const ms: number[] = [];
  for (const q of qs) ms.push((await time(() => run(q))).seconds * 1000);
  return ms;
}

/** The same word match, as bare SQL with no Strata layer: the floor for the engine. */
function rawSqliteQuery(file: string): (q: SearchInput) => Promise<unknown> {
  const db = new Database(file, { readonly: true });
  const statement = db.prepare('select rowid from search_fts where search_fts match ? order by rank limit 20');
  const all = db.prepare('select id from search_documents order by id limit 20');
  return (q) => {
    const words = searchWords(q.text);
    return Promise.resolve(words.length === 0 ? all.all() : statement.all(words.map((w) => `"${w}"*`).join(' ')));
  };
}

async function benchDialect(input: { name: string; env: Record<string, string>; dir: string; raw: (core: StrataCore) => Promise<{ run: (q: SearchInput) => Promise<unknown>; close: () => Promise<void> }> }): Promise<void> {
  const core = await openStrata(loadConfig({ env: { STRATA_DATA_DIR: join(input.dir, '.strata'), ...input.env }, cwd: input.dir }), { create: true });
  try {
    const filled = await time(() => fillCatalog(core));
    const indexed = await time(() => core.search.refresh('lake'));
    console.log(`${input.name}: ${OBJECTS} objects staged and committed in ${fmt(filled.seconds)} s; indexed in ${fmt(indexed.seconds)} s (${fmt(OBJECTS / indexed.seconds, 0)} objects/s)`);
    const sample = await core.search.search(ctx, { text: queries()[0]?.text ?? '', limit: 20 });
    console.log(`  sample: '${queries()[0]?.text ?? ''}' → ${sample.total} match(es)`);
    const strata = await timeAll((q) => core.search.search(ctx, q));
    const raw = await input.raw(core);
    const baseline = await timeAll(raw.run);
    await raw.close();
    const p50 = percentile(strata, 0.5);
    report({
      name: `catalog search over ${OBJECTS.toLocaleString('en-US')} objects + 40 datasets (${input.name}, ${QUERIES} queries, 20 hits + total)`,
      strata: `p50 ${fmt(p50)} ms, p99 ${fmt(percentile(strata, 0.99))} ms`,
      baseline: `bare ${input.name} word match p50 ${fmt(percentile(baseline, 0.5))} ms`,
      ratio: `${fmt(p50 / Math.max(percentile(baseline, 0.5), 0.001), 1)}× bare`,
      goal: 'p50 < 50 ms',
      met: p50 < 50,
    });
  } finally {
    await core.close();
  }
}

/** Catalog search p50 on 100,000 objects (issue 4), on SQLite and, when reachable, PostgreSQL. */
export async function benchSearch(): Promise<void> {
  const dir = await freshDir('search-sqlite');
  await benchDialect({
    name: 'SQLite FTS5',
    env: {},
    dir,
    raw: () => {
      const run = rawSqliteQuery(join(dir, '.strata', 'strata.db'));
      return Promise.resolve({ run, close: () => Promise.resolve() });
    },
  });
  await withBenchPostgres(async (url) => {
    await benchDialect({
      name: 'PostgreSQL',
      env: { STRATA_DATABASE_URL: url },
      dir: await freshDir('search-postgres'),
      raw: async () => {
        const client = new pg.Client({ connectionString: url });
        await client.connect();
        return {
          run: (q) => {
            const words = searchWords(q.text);
            return words.length === 0
              ? client.query('select id from search_documents order by id limit 20')
              : client.query(`select id from search_documents where document @@ to_tsquery('simple', $1) order by ts_rank(document, to_tsquery('simple', $1)) desc limit 20`, [words.map((w) => `${w}:*`).join(' & ')]);
          },
          close: () => client.end(),
        };
      },
    });
  });
}
