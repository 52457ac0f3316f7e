import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { objectDocument } from '../../src/core/catalog/search-service.ts';
import { indexText, searchWords } from '../../src/core/catalog/search-text.ts';
import type { Entry } from '../../src/core/objects/entry.ts';
import type { DatasetRecord, MetadataStore } from '../../src/core/ports/metadata-store.ts';
import type { SearchDocument, SearchIndex, SearchIndexState, SearchQuery } from '../../src/core/ports/search-index.ts';
import type { MetadataStoreFixture } from './metadata-store-suite.ts';

const T = '2026-01-01T00:00:00.000Z';
const EMPTY: SearchIndexState = { commit: null, target: null, cursor: null };

function entry(contentType: string, extracted: Entry['extracted'] = {}, tags?: Record<string, string>): Entry {
  const e: Entry = { sha256: 'a'.repeat(64), size: 10, md5: 'b'.repeat(32), contentType, mtime: T, extracted };
  if (tags) e.tags = tags;
  return e;
}

function dataset(name: string, fields: Partial<DatasetRecord> = {}): DatasetRecord {
  return { name, repository: 'repo', prefix: '', owner: 'ada', description: '', tags: [], labels: [], properties: {}, createdAt: T, createdBy: 'ada', updatedAt: T, ...fields };
}

function datasetDocument(record: DatasetRecord): SearchDocument {
  const document: SearchDocument = {
    kind: 'dataset',
    repository: record.repository,
    path: record.prefix,
    dataset: record.name,
    name: indexText(record.name),
    title: indexText(record.description),
    tags: indexText(...record.tags, ...record.labels),
    body: '',
    tagList: [...record.tags, ...record.labels],
    contentType: '',
    size: 0,
    summary: record.description,
    owner: record.owner,
  };
  if (record.license !== undefined) document.license = record.license;
  return document;
}

/** The SearchIndex contract (the same documents found by the same queries), run on SQLite and PostgreSQL. */
export function searchIndexConformance(name: string, open: () => Promise<MetadataStoreFixture>): void {
  describe(`SearchIndex conformance: ${name}`, () => {
    let fixture: MetadataStoreFixture;
    let store: MetadataStore;
    let index: SearchIndex;
    const query = (text: string, more: Partial<SearchQuery> = {}): Promise<string[]> =>
      index.search({ words: searchWords(text), kinds: ['dataset', 'object'], limit: 100, offset: 0, ...more }).then((r) => r.hits.map((h) => `${h.kind}:${h.repository}/${h.dataset ?? h.path}`));

    beforeEach(async () => {
      fixture = await open();
      store = fixture.store;
      index = store.search;
      for (const repository of ['repo', 'other']) {
        await store.createRepository(
          { name: repository, defaultBranch: 'main', createdAt: T, createdBy: 'ada', s3Layout: 'ref', publicRead: false, auditReads: false },
          { id: repository[0]?.repeat(64) ?? '', repository, treeId: null, parents: [], generation: 0, author: 'ada', message: 'root', createdAt: T, metadata: {} },
        );
      }
    });
    afterEach(async () => {
      await fixture.dispose();
    });

    async function load(): Promise<void> {
      const objects: [string, Entry][] = [
        ['papers/attention-is-all.pdf', entry('application/pdf', { title: 'Attention Is All You Need', author: 'Vaswani' })],
        ['papers/résumé.pdf', entry('application/pdf', { title: 'Curriculum vitae' })],
        ['tables/prices.parquet', entry('application/vnd.apache.parquet', { columns: 'sku VARCHAR, unit_price DOUBLE' })],
        ['images/cat.jpg', entry('image/jpeg', {}, { species: 'cat' })],
        ['images/dog.png', entry('image/png')],
      ];
      expect(await index.applyBatch({ repository: 'repo', from: EMPTY, to: { commit: 'c1', target: null, cursor: null }, upserts: objects.map(([path, e]) => objectDocument('repo', path, e)), deletes: [] })).toBe(true);
      await index.applyBatch({ repository: 'other', from: EMPTY, to: { commit: 'c9', target: null, cursor: null }, upserts: [objectDocument('other', 'cat-facts.txt', entry('text/plain'))], deletes: [] });
      const records = [
        dataset('papers', { prefix: 'papers/', description: 'Research papers on transformers', tags: ['nlp'], labels: ['public'], license: 'CC-BY-4.0' }),
        dataset('pictures', { prefix: 'images/', description: 'Pet photos', tags: ['vision'], owner: 'grace' }),
      ];
      for (const record of records) {
        await index.putDataset(datasetDocument(record));
      }
    }

    it('moves the state only from the state a batch was computed from, changing nothing otherwise', async () => {
      expect(await index.getState('repo')).toEqual(EMPTY);
      const doc = objectDocument('repo', 'a.txt', entry('text/plain', { title: 'alpha' }));
      const half: SearchIndexState = { commit: null, target: 'c1', cursor: 'a.txt' };
      expect(await index.applyBatch({ repository: 'repo', from: EMPTY, to: half, upserts: [doc], deletes: [] })).toBe(true);
      expect(await index.getState('repo')).toEqual(half);
      const stale = await index.applyBatch({ repository: 'repo', from: EMPTY, to: half, upserts: [objectDocument('repo', 'b.txt', entry('text/plain'))], deletes: [] });
      expect(stale).toBe(false);
      expect(await query('b')).toEqual([]);
      expect(await index.applyBatch({ repository: 'repo', from: half, to: { commit: 'c1', target: null, cursor: null }, upserts: [], deletes: [] })).toBe(true);
      expect(await index.getState('repo')).toEqual({ commit: 'c1', target: null, cursor: null });
      expect(await query('alpha')).toEqual(['object:repo/a.txt']);
    });

    it('names the repositories whose default branch the index does not hold', async () => {
      expect(await index.staleRepositories()).toEqual(['other', 'repo']);
      const head = 'r'.repeat(64);
      expect(await index.applyBatch({ repository: 'repo', from: EMPTY, to: { commit: null, target: head, cursor: 'x' }, upserts: [], deletes: [] })).toBe(true);
      expect(await index.staleRepositories()).toEqual(['other', 'repo']);
      await index.applyBatch({ repository: 'repo', from: { commit: null, target: head, cursor: 'x' }, to: { commit: head, target: null, cursor: null }, upserts: [], deletes: [] });
      expect(await index.staleRepositories()).toEqual(['other']);
    });

    it('replaces upserted paths and removes deleted ones', async () => {
      await load();
      const renamed = objectDocument('repo', 'papers/attention-is-all.pdf', entry('application/pdf', { title: 'Transformers revisited' }));
      const c1 = { commit: 'c1', target: null, cursor: null };
      expect(await index.applyBatch({ repository: 'repo', from: c1, to: { commit: 'c2', target: null, cursor: null }, upserts: [renamed], deletes: ['images/dog.png'] })).toBe(true);
      expect(await query('attention')).toEqual(['object:repo/papers/attention-is-all.pdf']);
      expect(await query('vaswani')).toEqual([]);
      expect(await query('revisited')).toEqual(['object:repo/papers/attention-is-all.pdf']);
      expect(await query('dog')).toEqual([]);
    });

    it('matches every word, each also as a prefix, over names, titles, tags, columns and descriptions', async () => {
      await load();
      expect(await query('attention')).toEqual(['object:repo/papers/attention-is-all.pdf']);
      expect(await query('atten need')).toEqual(['object:repo/papers/attention-is-all.pdf']);
      expect(await query('attention cat')).toEqual([]);
      expect(await query('RESUME')).toEqual(['object:repo/papers/résumé.pdf']);
      expect(await query('unit price')).toEqual(['object:repo/tables/prices.parquet']);
      expect(await query('transformers')).toEqual(['dataset:repo/papers']);
      expect(await query('cat').then((r) => r.sort())).toEqual(['object:other/cat-facts.txt', 'object:repo/images/cat.jpg']);
      expect(await query('zebra')).toEqual([]);
    });

    it('ranks a match in the name above a match in the body', async () => {
      await index.applyBatch({
        repository: 'repo',
        from: EMPTY,
        to: { commit: 'c1', target: null, cursor: null },
        upserts: [objectDocument('repo', 'a/notes.csv', entry('text/csv', { columns: 'revenue BIGINT' })), objectDocument('repo', 'z/revenue.csv', entry('text/csv'))],
        deletes: [],
      });
      expect(await query('revenue')).toEqual(['object:repo/z/revenue.csv', 'object:repo/a/notes.csv']);
    });

    it('filters by kind, repository, type, tag, owner and license; objects match inside the scopes given', async () => {
      await load();
      const papers = { repository: 'repo', prefix: 'papers/' };
      const pictures = { repository: 'repo', prefix: 'images/' };
      expect(await query('', { kinds: ['dataset'] })).toEqual(['dataset:repo/papers', 'dataset:repo/pictures']);
      expect(await query('cat', { repositories: ['other'] })).toEqual(['object:other/cat-facts.txt']);
      expect(await query('cat', { repositories: [] })).toEqual([]);
      expect(await query('', { type: 'application/pdf', kinds: ['object'] })).toEqual(['object:repo/papers/attention-is-all.pdf', 'object:repo/papers/résumé.pdf']);
      expect(await query('', { type: 'image' })).toEqual(['dataset:repo/pictures', 'object:repo/images/cat.jpg', 'object:repo/images/dog.png']);
      expect(await query('', { type: 'image/*', kinds: ['object'] })).toEqual(['object:repo/images/cat.jpg', 'object:repo/images/dog.png']);
      expect(await query('', { tag: { value: 'species', scopes: [] } })).toEqual(['object:repo/images/cat.jpg']);
      expect(await query('', { tag: { value: 'species=cat', scopes: [] } })).toEqual(['object:repo/images/cat.jpg']);
      expect(await query('', { tag: { value: 'public', scopes: [papers] } })).toEqual(['dataset:repo/papers', 'object:repo/papers/attention-is-all.pdf', 'object:repo/papers/résumé.pdf']);
      expect(await query('', { tag: { value: 'pub', scopes: [] } })).toEqual([]);
      expect(await query('', { owner: { value: 'grace', scopes: [pictures] } })).toEqual(['dataset:repo/pictures', 'object:repo/images/cat.jpg', 'object:repo/images/dog.png']);
      expect(await query('curriculum', { license: { value: 'CC-BY-4.0', scopes: [papers] } })).toEqual(['object:repo/papers/résumé.pdf']);
      expect(await query('', { license: { value: 'MIT', scopes: [] } })).toEqual([]);
      expect(await query('', { owner: { value: 'nobody', scopes: [{ repository: 'other', prefix: '' }] } })).toEqual(['object:other/cat-facts.txt']);
    });

    it('pages with limit and offset and counts all matches', async () => {
      await load();
      const all = await index.search({ words: [], kinds: ['object'], limit: 2, offset: 3 });
      expect(all.total).toBe(6);
      expect(all.hits.map((h) => h.path)).toEqual(['papers/attention-is-all.pdf', 'papers/résumé.pdf']);
      expect(all.hits[0]).toMatchObject({ kind: 'object', repository: 'repo', summary: 'Attention Is All You Need', contentType: 'application/pdf', size: 10 });
      expect(await index.search({ words: [], kinds: ['object'], limit: 2, offset: 10 })).toEqual({ hits: [], total: 6 });
      expect(await index.search({ words: ['zebra'], kinds: ['object'], limit: 2, offset: 0 })).toEqual({ hits: [], total: 0 });
    });

    it('replaces and deletes dataset documents; dropping or deleting a repository removes its documents', async () => {
      await load();
      await index.putDataset(datasetDocument(dataset('papers', { prefix: 'papers/', description: 'Arxiv preprints' })));
      expect(await query('transformers')).toEqual([]);
      expect(await query('arxiv')).toEqual(['dataset:repo/papers']);
      await index.deleteDataset('papers');
      expect(await query('arxiv')).toEqual([]);
      await index.dropRepository('other');
      expect(await index.getState('other')).toEqual(EMPTY);
      expect(await query('cat')).toEqual(['object:repo/images/cat.jpg']);
      await store.deleteRepository('repo');
      expect(await query('')).toEqual([]);
      expect(await index.getState('repo')).toEqual(EMPTY);
    });
  });
}
