import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { DuckDBInstance } from '@duckdb/node-api';
import { extract } from 'tar-stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DuckDbShardEncoder } from '../../src/adapters/prep/shard-encoder.ts';
import { parseRecipe } from '../../src/core/prep/recipe.ts';
import { bytesOf, createTestCore, ctx, readAll, type TestCore } from '../support/core.ts';

const recipe = (format: string): string => `
name: formats
steps:
  - normalize
  - tokenize: { encoding: cl100k_base }
shard: { format: ${format}, target_bytes: 2048 }
`;

describe('recipe shard formats', () => {
  let t: TestCore;
  let dir: string;
  beforeEach(async () => {
    t = await createTestCore('sqlite', { shardEncoder: new DuckDbShardEncoder() });
    dir = await mkdtemp(join(tmpdir(), 'strata-formats-'));
    for (const name of ['raw', 'prepared']) await t.core.repositories.create(ctx, { name });
    for (let i = 0; i < 12; i++) {
      const text = `Document ${i}: "quoted", commas, tabs\tand ünïcødé — ${'words '.repeat(40 + i)}`;
      await t.core.objects.put(ctx, { repository: 'raw', branch: 'main', path: `docs/${String(i).padStart(2, '0')}.txt`, body: bytesOf(text), contentType: 'text/plain' });
    }
    await t.core.commits.commit(ctx, { repository: 'raw', branch: 'main', message: 'docs' });
  });
  afterEach(async () => {
    await t.dispose();
    await rm(dir, { recursive: true, force: true });
  });

  const read = async (commit: string, path: string): Promise<Buffer> => readAll((await t.core.objects.get(ctx, { repository: 'prepared', ref: commit, path })).body);

  it('writes zstd JSON Lines, Parquet and WebDataset shards holding exactly the JSON Lines records', async () => {
    const plain = await t.core.prep.run(ctx, { recipe: parseRecipe(recipe('jsonl')), input: 'raw@main:docs/', output: 'prepared@main:jsonl/' });
    expect(plain.shards.length).toBeGreaterThan(2);
    const lines: Buffer[] = [];
    for (const shard of plain.shards) lines.push(await read(plain.outputCommit, shard.path));
    const records = lines.flatMap((b) => b.toString('utf8').trim().split('\n').map((l) => JSON.parse(l) as { id: string; text: string; meta: unknown; source: { path: string }; tokens: [number, number] }));

    const zst = await t.core.prep.run(ctx, { recipe: parseRecipe(recipe('jsonl.zst')), input: 'raw@main:docs/', output: 'prepared@main:zst/' });
    expect(zst.shards.map((s) => [s.path, s.records])).toEqual(plain.shards.map((s) => [s.path.replace('jsonl/', 'zst/').replace('.jsonl', '.jsonl.zst'), s.records]));
    for (const [i, shard] of zst.shards.entries()) {
      const file = join(dir, `s${i}.zst`);
      await writeFile(file, await read(zst.outputCommit, shard.path));
      // The reference decoder: the zstd command-line tool.
      const decoded = spawnSync('zstd', ['-d', '-c', file]);
      expect(decoded.status).toBe(0);
      expect(decoded.stdout.equals(lines[i] as Buffer)).toBe(true);
      expect(shard.tokens?.sha256).toBe(plain.shards[i]?.tokens?.sha256);
    }

    const parquet = await t.core.prep.run(ctx, { recipe: parseRecipe(recipe('parquet')), input: 'raw@main:docs/', output: 'prepared@main:parquet/' });
    const duck = await (await DuckDBInstance.create(':memory:')).connect();
    const rows: Array<Record<string, unknown>> = [];
    for (const [i, shard] of parquet.shards.entries()) {
      const file = join(dir, `s${i}.parquet`);
      await writeFile(file, await read(parquet.outputCommit, shard.path));
      const result = await duck.runAndReadAll(`SELECT id, text, meta, source.path AS path, tokens FROM read_parquet('${file}')`);
      rows.push(...result.getRowObjectsJson());
    }
    duck.closeSync();
    expect(rows.map((r) => [r.id, r.text, JSON.parse(r.meta as string), r.path, (r.tokens as string[]).map(Number)])).toEqual(records.map((r) => [r.id, r.text, r.meta, r.source.path, r.tokens]));

    const tar = await t.core.prep.run(ctx, { recipe: parseRecipe(recipe('webdataset')), input: 'raw@main:docs/', output: 'prepared@main:wds/' });
    const samples = new Map<string, Record<string, string>>();
    for (const shard of tar.shards) {
      const entries = extract();
      Readable.from([await read(tar.outputCommit, shard.path)]).pipe(entries);
      for await (const entry of entries) {
        const [key = '', ...ext] = entry.header.name.split('.');
        const body = (await readAll(entry as AsyncIterable<Uint8Array>)).toString('utf8');
        samples.set(key, { ...samples.get(key), [ext.join('.')]: body });
      }
    }
    expect([...samples.keys()][0]).toBe('00000-000000000');
    expect([...samples.values()].map((s) => [s.txt, JSON.parse(s.json ?? '{}') as unknown])).toEqual(records.map(({ text, ...rest }) => [text, rest]));

    const manifest = JSON.parse((await read(tar.outputCommit, 'wds/manifest.json')).toString('utf8')) as { format: string; shards: unknown[] };
    expect(manifest.format).toBe('webdataset');
    expect(manifest.shards).toEqual(tar.shards);
  });
});
