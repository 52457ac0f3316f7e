import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { MetadataStore } from '../../src/core/ports/metadata-store.ts';
import type { RunRecord } from '../../src/core/ports/run-store.ts';
import type { MetadataStoreFixture } from './metadata-store-suite.ts';

const T = '2026-01-01T00:00:00.000Z';

function run(id: string, fields: Partial<RunRecord> = {}): RunRecord {
  return { id, namespace: 'strata', job: 'train', kind: 'training', status: 'running', startedAt: T, params: {}, env: {}, user: 'ada', tags: [], facets: {}, inputs: [], outputs: [], ...fields };
}

/** The lineage graph, runs and model registry stores: one suite, every metadata adapter. */
export function lineageStoreConformance(name: string, open: () => Promise<MetadataStoreFixture>): void {
  describe(`LineageStore, RunStore and ModelStore conformance: ${name}`, () => {
    let fixture: MetadataStoreFixture;
    let store: MetadataStore;
    beforeEach(async () => {
      fixture = await open();
      store = fixture.store;
    });
    afterEach(async () => {
      await fixture.dispose();
    });

    it('creates nodes once by key, in input order, and reports which are new', async () => {
      const first = await store.lineage.ensureNodes([{ key: 'object:r:a@1', type: 'object', label: 'a', data: { n: 1 } }, { key: 'run:x', type: 'run', label: 'x', data: {} }], T);
      expect(first.map((n) => n.created)).toEqual([true, true]);
      const second = await store.lineage.ensureNodes([{ key: 'run:x', type: 'run', label: 'changed', data: { n: 2 } }, { key: 'object:r:b@2', type: 'object', label: 'b', data: {} }, { key: 'run:x', type: 'run', label: 'x', data: {} }], T);
      expect(second.map((n) => n.created)).toEqual([false, true, false]);
      expect(second[0]?.id).toBe(first[1]?.id);
      expect(second[2]?.id).toBe(first[1]?.id);
      const [node] = await store.lineage.getNodes(['run:x']);
      expect(node).toEqual({ id: first[1]?.id, key: 'run:x', type: 'run', label: 'x', data: {}, createdAt: T });
      expect(await store.lineage.mergeNodeData('run:x', { facets: { a: 1 } })).toBe(true);
      expect(await store.lineage.mergeNodeData('run:missing', {})).toBe(false);
      expect((await store.lineage.getNodesById([first[1]?.id as number]))[0]?.data).toEqual({ facets: { a: 1 } });
      expect((await store.lineage.findNodes({ type: 'object', limit: 10 })).map((n) => n.key)).toEqual(['object:r:a@1', 'object:r:b@2']);
      expect((await store.lineage.findNodes({ keyPrefix: 'object:r:b', limit: 10 })).map((n) => n.key)).toEqual(['object:r:b@2']);
    });

    it('keeps OpenLineage intake warnings, newest first, by subject', async () => {
      const warning = (n: number, subject: string) => ({ id: `w${n}`, receivedAt: `2026-01-0${n}T00:00:00.000Z`, actor: 'ada', kind: 'run' as const, eventType: n === 2 ? null : 'START', eventTime: T, producer: 'https://example.com/p', subject, warnings: [`/run/facets/f${n} must have required property '_producer'`, 'second'] });
      await store.lineage.recordIntakeWarnings([]);
      await store.lineage.recordIntakeWarnings([warning(1, 'run:a'), warning(2, 'run:b'), warning(3, 'run:a')]);
      expect((await store.lineage.listIntakeWarnings({ limit: 10 })).map((w) => w.id)).toEqual(['w3', 'w2', 'w1']);
      expect(await store.lineage.listIntakeWarnings({ limit: 1, subject: 'run:a' })).toEqual([warning(3, 'run:a')]);
      expect((await store.lineage.listIntakeWarnings({ limit: 10, subject: 'run:b' }))[0]).toEqual(warning(2, 'run:b'));
    });

    it('adds each edge once and reads them by either end, across many ids', async () => {
      const nodes = await store.lineage.ensureNodes(Array.from({ length: 1200 }, (_, i) => ({ key: `object:r:${i}@x`, type: 'object' as const, label: String(i), data: {} })), T);
      const ids = nodes.map((n) => n.id);
      const hub = ids[0] as number;
      const edges = ids.slice(1).map((id) => ({ src: id, dst: hub, type: 'part-of' as const }));
      expect(await store.lineage.addEdges(edges)).toBe(1199);
      expect(await store.lineage.addEdges([...edges.slice(0, 10), { src: hub, dst: ids[1] as number, type: 'wrote' }])).toBe(1);
      expect(await store.lineage.countEdges()).toBe(1200);
      expect(await store.lineage.edgesOf([hub], 'upstream')).toHaveLength(1199);
      const down = await store.lineage.edgesOf(ids.slice(1), 'downstream');
      expect(down).toHaveLength(1199);
      expect(down.every((e) => e.dst === hub && e.type === 'part-of')).toBe(true);
      expect(await store.lineage.edgesOf([hub], 'downstream')).toEqual([{ src: hub, dst: ids[1], type: 'wrote' }]);
    });

    it('keeps runs whole, updates them, lists newest first and stores metric series', async () => {
      await store.runs.create(run('a', { startedAt: '2026-01-01T00:00:01.000Z', params: { lr: '1e-3' }, code: { commit: 'abc', dirty: true }, host: 'gpu1', exitCode: 0, parentId: 'p', tags: ['x'], facets: { run: { f: 1 } }, inputs: ['dataset:r@c:'] }));
      await store.runs.create(run('b', { startedAt: '2026-01-01T00:00:02.000Z', job: 'eval' }));
      await expect(store.runs.create(run('a'))).rejects.toMatchObject({ code: 'Conflict' });
      const a = await store.runs.get('a');
      expect(a).toEqual(run('a', { startedAt: '2026-01-01T00:00:01.000Z', params: { lr: '1e-3' }, code: { commit: 'abc', dirty: true }, host: 'gpu1', exitCode: 0, parentId: 'p', tags: ['x'], facets: { run: { f: 1 } }, inputs: ['dataset:r@c:'] }));
      expect(await store.runs.update({ ...(a as RunRecord), status: 'completed', endedAt: T })).toBe(true);
      expect(await store.runs.update(run('missing'))).toBe(false);
      expect((await store.runs.list({ limit: 10 })).map((r) => r.id)).toEqual(['b', 'a']);
      expect((await store.runs.list({ job: 'train', status: 'completed', limit: 10 })).map((r) => r.id)).toEqual(['a']);
      expect((await store.runs.list({ before: '2026-01-01T00:00:02.000Z', limit: 10 })).map((r) => r.id)).toEqual(['a']);
      await store.runs.logMetrics('a', [{ key: 'loss', step: 2, value: 0.5, at: T }, { key: 'loss', step: 1, value: 0.9, at: T }, { key: 'acc', step: 0, value: 0.7, at: T }]);
      await store.runs.logMetrics('a', [{ key: 'loss', step: 2, value: 0.4, at: T }]);
      expect(await store.runs.metrics('a')).toEqual([{ key: 'acc', step: 0, value: 0.7, at: T }, { key: 'loss', step: 1, value: 0.9, at: T }, { key: 'loss', step: 2, value: 0.4, at: T }]);
    });

    it('numbers model versions in order and records every alias move', async () => {
      await store.models.createModel({ name: 'bert', description: '', tags: [], createdAt: T, createdBy: 'ada' });
      await expect(store.models.createModel({ name: 'bert', description: '', tags: [], createdAt: T, createdBy: 'ada' })).rejects.toMatchObject({ code: 'Conflict' });
      const base = { model: 'bert', repository: 'm', commit: 'c', path: 'a.bin', description: '', metadata: {}, createdAt: T, createdBy: 'ada' };
      const versions = await Promise.all([store.models.addVersion(base), store.models.addVersion(base), store.models.addVersion({ ...base, runId: 'r' })]);
      expect(versions.map((v) => v.version).sort()).toEqual([1, 2, 3]);
      expect((await store.models.listVersions('bert')).map((v) => v.version)).toEqual([1, 2, 3]);
      expect(await store.models.moveAlias({ model: 'bert', alias: 'prod', to: 1, at: T, actor: 'ada' })).toEqual({ model: 'bert', alias: 'prod', to: 1, at: T, actor: 'ada' });
      expect(await store.models.moveAlias({ model: 'bert', alias: 'prod', to: 3, at: T, actor: 'bob' })).toEqual({ model: 'bert', alias: 'prod', from: 1, to: 3, at: T, actor: 'bob' });
      expect(await store.models.getAlias('bert', 'prod')).toEqual({ model: 'bert', alias: 'prod', version: 3, updatedAt: T, updatedBy: 'bob' });
      await store.models.moveAlias({ model: 'bert', alias: 'prod', at: T, actor: 'ada' });
      expect(await store.models.getAlias('bert', 'prod')).toBeUndefined();
      expect((await store.models.aliasHistory('bert')).map((e) => [e.from, e.to, e.actor])).toEqual([[undefined, 1, 'ada'], [1, 3, 'bob'], [3, undefined, 'ada']]);
    });
  });
}
