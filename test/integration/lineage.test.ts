import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { StrataCore } from '../../src/core/strata.ts';
import { randomBytes } from 'node:crypto';
import { bytesOf, createTestCore, ctx, DIALECTS, errorCode, type TestCore } from '../support/core.ts';
import { safetensorsFile } from '../support/safetensors.ts';

describe.each(DIALECTS)('runs, registry and lineage on %s', (dialect) => {
  let t: TestCore;
  let s: StrataCore;
  beforeEach(async () => {
    t = await createTestCore(dialect);
    s = t.core;
    for (const name of ['raw', 'clean', 'models']) await s.repositories.create(ctx, { name });
  });
  afterEach(async () => {
    await t.dispose();
  });

  const put = (repository: string, path: string, data: string | Buffer) => s.objects.put(ctx, { repository, branch: 'main', path, body: bytesOf(data) });
  const commit = (repository: string, message: string) => s.commits.commit(ctx, { repository, branch: 'main', message });

  /** raw docs → prep run → cleaned dataset → training run → two checkpoints → model bert@production. */
  async function scenario(): Promise<{ rawCommit: string; cleanCommit: string; prep: string; train: string }> {
    for (const name of ['a', 'b', 'c']) await put('raw', `docs/${name}.txt`, `  Raw document ${name}  `);
    await put('raw', 'README.md', 'not read by anyone');
    const rawCommit = (await commit('raw', 'ingest')).id;
    const prep = await s.runs.start(ctx, { job: 'clean-docs', kind: 'prep', inputs: ['raw@main:docs/'], params: { lowercase: 'true' } });
    expect(prep.inputs.map((i) => i.key)).toEqual([`dataset:raw@${rawCommit}:docs/`]);
    for (const name of ['a', 'b', 'c']) await put('clean', `docs/${name}.txt`, `raw document ${name}`);
    const cleanCommit = (await commit('clean', 'cleaned')).id;
    await s.runs.finish(ctx, prep.id, { outputs: ['clean@main:'] });

    const train = await s.runs.start(ctx, { job: 'train-bert', kind: 'training', inputs: [`clean@${cleanCommit}:docs/`], params: { lr: '3e-4' } });
    await s.runs.logMetrics(ctx, train.id, [{ key: 'loss', value: 2.5, step: 1 }, { key: 'loss', value: 1.25, step: 2 }]);
    await put('models', 'ckpt/step-1.bin', Buffer.alloc(1000, 1));
    await commit('models', 'step 1');
    await put('models', 'ckpt/step-2.bin', Buffer.alloc(1000, 2));
    await commit('models', 'step 2');
    await s.runs.finish(ctx, train.id, { outputs: ['models@main:ckpt/'] });
    const version = await s.models.register(ctx, { model: 'bert', source: 'models@main:ckpt/step-2.bin', runId: train.id });
    expect(version.version).toBe(1);
    await s.models.setAlias(ctx, { model: 'bert', alias: 'production', version: 1 });
    return { rawCommit, cleanCommit, prep: prep.id, train: train.id };
  }

  it('answers what made a model and what a raw document affects', async () => {
    const { cleanCommit, prep, train } = await scenario();
    const provenance = await s.lineage.provenance(ctx, { address: 'model:bert@production' });
    expect(provenance.key).toBe('model:bert/1');
    expect(provenance.nodes.map((n) => n.label)).toEqual(['raw:docs/a.txt', 'raw:docs/b.txt', 'raw:docs/c.txt']);

    const impact = await s.lineage.impact(ctx, { address: 'raw@main:docs/a.txt', types: ['run', 'dataset', 'model'] });
    const head = async (repository: string): Promise<string> => (await s.commits.show(ctx, { repository, ref: 'main' })).id;
    expect(impact.nodes.map((n) => n.key).sort()).toEqual(
      [`dataset:clean@${cleanCommit}:`, `dataset:clean@${cleanCommit}:docs/`, `dataset:models@${await head('models')}:ckpt/`, `dataset:raw@${await head('raw')}:docs/`, 'model:bert/1', `run:${prep}`, `run:${train}`].sort(),
    );
    // A walk stopped by its node limit says so, and returns no edge to a node it does not hold.
    const limited = await s.lineage.walk(ctx, { address: 'model:bert@production', direction: 'upstream', depth: 10, limit: 3 });
    expect(limited.truncated).toBe(true);
    expect(limited.nodes).toHaveLength(2);
    const held = new Set([limited.key, ...limited.nodes.map((n) => n.key)]);
    expect(limited.edges.length).toBeGreaterThan(0);
    expect(limited.edges.every((e) => held.has(e.from) && held.has(e.to))).toBe(true);
    // The README was never read: it affects nothing.
    expect((await s.lineage.impact(ctx, { address: 'raw@main:README.md' })).nodes).toEqual([]);
  });

  it('records runs with exact inputs, outputs written, metrics and immutable parameters', async () => {
    const { cleanCommit, prep, train } = await scenario();
    const shown = await s.runs.get(ctx, train);
    expect(shown.status).toBe('completed');
    expect(shown.inputs.map((i) => i.key)).toEqual([`dataset:clean@${cleanCommit}:docs/`]);
    expect(shown.metrics).toEqual({ loss: { value: 1.25, step: 2, points: 2 } });
    expect(shown.params).toEqual({ lr: '3e-4' });
    // The prep run wrote exactly the three cleaned files (found by diff since its start).
    const written = await s.lineage.walk(ctx, { address: `run:${prep}`, direction: 'downstream', depth: 1, types: ['object'] });
    expect(written.nodes.map((n) => n.label)).toEqual(['clean:docs/a.txt', 'clean:docs/b.txt', 'clean:docs/c.txt']);
    expect(await errorCode(s.runs.finish(ctx, train))).toBe('Conflict');
    const another = await s.runs.start(ctx, { job: 'eval', params: { k: '1' } });
    expect(await errorCode(s.runs.logParams(ctx, another.id, { k: '2' }))).toBe('Conflict');
    expect((await s.runs.logParams(ctx, another.id, { k: '1', j: '2' })).params).toEqual({ k: '1', j: '2' });
    expect(await errorCode(s.runs.start(ctx, { job: 'x', inputs: ['raw@main:missing.txt'] }))).toBe('NotFound');
    expect((await s.runs.list(ctx, { job: 'train-bert' })).map((r) => r.id)).toEqual([train]);
  });

  it('resolves model aliases and versions, and records every alias move', async () => {
    const { train } = await scenario();
    const evaluation = await s.runs.start(ctx, { job: 'eval-bert', kind: 'evaluation', inputs: ['model:bert@production'] });
    expect(evaluation.inputs.map((i) => i.key)).toEqual(['model:bert/1']);
    expect((await s.lineage.impact(ctx, { address: 'model:bert@production' })).nodes.map((n) => n.key)).toEqual([`run:${evaluation.id}`]);
    await put('models', 'ckpt/step-3.bin', Buffer.alloc(1000, 3));
    await commit('models', 'step 3');
    const v2 = await s.models.register(ctx, { model: 'bert', source: 'models@main:ckpt/step-3.bin', runId: train });
    expect(v2.version).toBe(2);
    await s.models.setAlias(ctx, { model: 'bert', alias: 'production', version: 2 });
    await s.models.setAlias(ctx, { model: 'bert', alias: 'production' });
    expect((await s.models.aliasHistory(ctx, 'bert')).map((e) => [e.alias, e.from, e.to])).toEqual([
      ['production', undefined, 1],
      ['production', 1, 2],
      ['production', 2, undefined],
    ]);
    expect(await errorCode(s.models.resolve(ctx, 'model:bert@production'))).toBe('NotFound');
    const resolved = await s.models.resolve(ctx, 'model:bert/1');
    expect(resolved.object.path).toBe('ckpt/step-2.bin');
    expect((await s.models.resolve(ctx, 'model:bert')).version.version).toBe(2);
    expect(await errorCode(s.models.setAlias(ctx, { model: 'bert', alias: 'staging', version: 9 }))).toBe('NotFound');
  });

  it('stores a checkpoint series deduplicated: the second checkpoint adds only what changed', async () => {
    const MiB = 1024 * 1024;
    const layers = Array.from({ length: 24 }, (_, i) => ({ name: `layers.${i}.weight`, shape: [256, 1024], fill: randomBytes(MiB) }));
    const first = safetensorsFile(layers);
    const second = safetensorsFile(layers.map((l, i) => (i === 12 ? { ...l, fill: randomBytes(MiB) } : l)));
    await put('models', 'run-1/step-1000.safetensors', first);
    await commit('models', 'step 1000');
    await put('models', 'run-1/step-2000.safetensors', second);
    await commit('models', 'step 2000');
    const usage = await s.objects.usage(ctx, { repository: 'models', ref: 'main', prefix: 'run-1/' });
    expect(usage.objects).toBe(2);
    expect(usage.logicalBytes).toBe(first.length + second.length);
    expect(usage.distinctBytes).toBe(first.length + second.length);
    // One changed tensor (1 MiB) touches the chunks that overlap it and the one where chunking
    // falls back into step (each at most 4 MiB): the second checkpoint adds between 1 and 12 MiB,
    // not its 24 MiB.
    expect(usage.storedBytes - first.length).toBeGreaterThanOrEqual(MiB);
    expect(usage.storedBytes - first.length).toBeLessThanOrEqual(12 * MiB);
  });
});
