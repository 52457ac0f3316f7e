import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StrataError } from '../../src/core/errors.ts';
import type { SearchInput } from '../../src/core/catalog/search-service.ts';
import { createStrataCore, type StrataCore } from '../../src/core/strata.ts';
import { bytesOf, createTestCore, ctx, DIALECTS, errorCode, type TestCore } from '../support/core.ts';

describe.each(DIALECTS)('catalog search on %s', (dialect) => {
  let t: TestCore;
  let s: StrataCore;
  beforeEach(async () => {
    t = await createTestCore(dialect);
    s = t.core;
    await s.repositories.create(ctx, { name: 'corpus' });
  });
  afterEach(async () => {
    await t.dispose();
  });

  const put = (path: string, text: string, options: { branch?: string; contentType?: string; tags?: Record<string, string> } = {}) =>
    s.objects.put(ctx, { repository: 'corpus', branch: options.branch ?? 'main', path, body: bytesOf(text), contentType: options.contentType ?? 'text/plain', tags: options.tags });
  const commit = (message: string, branch = 'main') => s.commits.commit(ctx, { repository: 'corpus', branch, message });
  const find = async (input: Partial<SearchInput> & { text: string }) => (await s.search.search(ctx, { limit: 100, ...input })).hits.map((h) => (h.kind === 'dataset' ? `dataset:${h.dataset}` : h.path));

  it('finds objects of the default branch as committed: additions, changes and deletions, not staging or other branches', async () => {
    await put('notes/kickoff.txt', 'x');
    await put('notes/budget.csv', 'year,amount\n2024,1\n', { contentType: 'text/csv' });
    expect(await find({ text: 'kickoff' })).toEqual([]);
    await commit('first');
    expect(await find({ text: 'kickoff' })).toEqual(['notes/kickoff.txt']);
    expect(await find({ text: 'notes' })).toEqual(['notes/budget.csv', 'notes/kickoff.txt']);
    await s.repositories.createBranch(ctx, { repository: 'corpus', name: 'dev', from: 'main' });
    await put('notes/retro.txt', 'x', { branch: 'dev' });
    await commit('dev work', 'dev');
    expect(await find({ text: 'retro' })).toEqual([]);
    await s.objects.delete(ctx, { repository: 'corpus', branch: 'main', path: 'notes/kickoff.txt' });
    await put('notes/budget.csv', 'quarter,cost\nq1,2\n', { contentType: 'text/csv' });
    await commit('second');
    expect(await find({ text: 'kickoff' })).toEqual([]);
    await s.merges.merge(ctx, { repository: 'corpus', source: 'dev', destination: 'main' });
    expect(await find({ text: 'notes' })).toEqual(['notes/budget.csv', 'notes/retro.txt']);
  });

  it('indexes extracted titles and columns from ingest, with the type filter', async () => {
    await put('papers/a.md', '# Scaling laws for language models\n\nbody');
    await put('tables/t.csv', 'customer_id,churn_score\n1,0.5\n', { contentType: 'text/csv' });
    await commit('add');
    // put does not extract: titles come from ingest (see the ingest tests); columns likewise.
    expect(await find({ text: 'scaling' })).toEqual([]);
    expect(await find({ text: '', type: 'text/csv' })).toEqual(['tables/t.csv']);
    expect(await find({ text: '', type: 'text' })).toEqual(['papers/a.md', 'tables/t.csv']);
    expect(await errorCode(s.search.search(ctx, { text: '', type: 'not a type' }))).toBe('InvalidArgument');
    expect(await errorCode(s.search.search(ctx, { text: '', limit: 0 }))).toBe('InvalidArgument');
    expect(await errorCode(s.search.search(ctx, { text: '', offset: -1 }))).toBe('InvalidArgument');
    expect(await errorCode(s.search.search(ctx, { text: '', repository: 'nope' }))).toBe('NotFound');
  });

  it('finds datasets by name, description, tags, labels, properties and card, and follows card changes', async () => {
    await put('raw/README.md', '# Support tickets\n\nCollected from the helpdesk in 2025.');
    await put('raw/t1.txt', 'x', { tags: { pii: 'yes' } });
    await commit('raw');
    await s.datasets.create(ctx, { name: 'tickets', repository: 'corpus', prefix: 'raw', description: 'Customer support conversations', license: 'CC-BY-4.0', tags: ['support'], labels: ['confidential'], properties: { team: 'care' } });
    expect(await find({ text: 'helpdesk' })).toEqual(['dataset:tickets']);
    expect(await find({ text: 'conversations', kinds: ['dataset'] })).toEqual(['dataset:tickets']);
    expect(await find({ text: 'care' })).toEqual(['dataset:tickets']);
    expect(await find({ text: '', tag: 'confidential' })).toEqual(['dataset:tickets', 'raw/README.md', 'raw/t1.txt']);
    expect(await find({ text: '', tag: 'pii=yes' })).toEqual(['raw/t1.txt']);
    expect(await find({ text: '', license: 'CC-BY-4.0', kinds: ['object'] })).toEqual(['raw/README.md', 'raw/t1.txt']);
    expect(await find({ text: '', owner: 'ada', kinds: ['dataset'] })).toEqual(['dataset:tickets']);
    await s.datasets.tag(ctx, { name: 'tickets', add: ['gold'] });
    expect(await find({ text: 'gold' })).toEqual(['dataset:tickets']);
    await put('raw/README.md', '# Support tickets\n\nNow from the call centre.');
    await commit('card');
    expect(await find({ text: 'helpdesk' })).toEqual([]);
    expect(await find({ text: 'centre' })).toEqual(['dataset:tickets']);
  });

  it('continues an interrupted refresh from its cursor and agrees with a second process refreshing at once', async () => {
    for (let i = 0; i < 450; i++) await put(`bulk/file-${String(i).padStart(5, '0')}.txt`, `${i}`);
    const head = await commit('bulk');
    // A refresh stopped after its first batch (200 changes) leaves the target and cursor behind.
    const metadata = t.metadata;
    const first = createStrataCore({ metadata, blobs: t.blobs, search: { batch: 200 } });
    const original = metadata.search.applyBatch.bind(metadata.search);
    let batches = 0;
    metadata.search.applyBatch = async (batch) => {
      if (++batches === 2) throw new StrataError('Unavailable', 'interrupted');
      return original(batch);
    };
    expect(await errorCode(first.search.refresh('corpus'))).toBe('Unavailable');
    metadata.search.applyBatch = original;
    expect(await metadata.search.getState('corpus')).toEqual({ commit: null, target: head.id, cursor: 'bulk/file-00199.txt' });
    // Two cores over the same database finish it together.
    const second = createStrataCore({ metadata, blobs: t.blobs, search: { batch: 50 } });
    const applied = await Promise.all([first.search.refresh('corpus'), second.search.refresh('corpus')]);
    expect(applied[0] + applied[1]).toBeGreaterThanOrEqual(250);
    expect(await metadata.search.getState('corpus')).toEqual({ commit: head.id, target: null, cursor: null });
    const all = await s.search.search(ctx, { text: 'bulk', limit: 5 });
    expect(all.total).toBe(450);
    expect(all.hits.map((h) => h.path)).toEqual(['bulk/file-00000.txt', 'bulk/file-00001.txt', 'bulk/file-00002.txt', 'bulk/file-00003.txt', 'bulk/file-00004.txt']);
    expect((await s.search.search(ctx, { text: 'file 00449' })).hits.map((h) => h.path)).toEqual(['bulk/file-00449.txt']);
  });

  it('leaves out repositories the caller may not read', async () => {
    await put('secret/plan.txt', 'x');
    await commit('plan');
    const guarded = createStrataCore({
      metadata: t.metadata,
      blobs: t.blobs,
      authorizer: { authorize: (request) => (request.repository === 'corpus' && request.actor.id !== 'ada' ? Promise.reject(new StrataError('Forbidden', 'no')) : Promise.resolve()) },
    });
    expect((await guarded.search.search({ actor: { id: 'eve' } }, { text: 'plan' })).total).toBe(0);
    expect((await guarded.search.search(ctx, { text: 'plan' })).total).toBe(1);
  });
});
