import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isStrataError } from '../../src/core/errors.ts';
import type { Entry } from '../../src/core/objects/entry.ts';
import type { CommitRecord, DatasetRecord, MetadataStore } from '../../src/core/ports/metadata-store.ts';

export interface MetadataStoreFixture {
  store: MetadataStore;
  dispose(): Promise<void>;
}

const T = '2026-01-01T00:00:00.000Z';

function commit(repository: string, id: string, parents: string[] = []): CommitRecord {
  return { id, repository, treeId: null, parents, generation: parents.length, author: 'ada', message: `commit ${id.slice(0, 4)}`, createdAt: T, metadata: { k: 'v' } };
}

const id = (c: string): string => c.repeat(64);
const entry = (sha: string): Entry => ({ sha256: sha.repeat(64), size: 1, md5: 'x', contentType: 'text/plain', mtime: T });

/** The MetadataStore contract, run against SQLite and PostgreSQL. */
export function metadataStoreConformance(name: string, open: () => Promise<MetadataStoreFixture>): void {
  describe(`MetadataStore conformance: ${name}`, () => {
    let fixture: MetadataStoreFixture;
    let store: MetadataStore;
    beforeEach(async () => {
      fixture = await open();
      store = fixture.store;
      await store.createRepository({ name: 'repo', defaultBranch: 'main', createdAt: T, createdBy: 'ada', s3Layout: 'ref', publicRead: false, auditReads: false }, commit('repo', id('a')));
    });
    afterEach(async () => {
      await fixture.dispose();
    });

    it('creates a repository with its default branch at the root commit', async () => {
      expect(await store.getRepository('repo')).toEqual({ name: 'repo', defaultBranch: 'main', createdAt: T, createdBy: 'ada', s3Layout: 'ref', publicRead: false, auditReads: false });
      expect(await store.getBranch('repo', 'main')).toMatchObject({ head: id('a') });
      expect(await store.getCommit('repo', id('a'))).toEqual(commit('repo', id('a')));
      const duplicate = await store
        .createRepository({ name: 'repo', defaultBranch: 'main', createdAt: T, createdBy: 'ada', s3Layout: 'ref', publicRead: false, auditReads: false }, commit('repo', id('a')))
        .catch((e: unknown) => e);
      expect(isStrataError(duplicate) && duplicate.code).toBe('Conflict');
      expect((await store.listRepositories()).map((r) => r.name)).toEqual(['repo']);
    });

    it('moves a branch head only from the expected head (compare-and-swap)', async () => {
      const next = commit('repo', id('b'), [id('a')]);
      expect(await store.advanceBranch({ repository: 'repo', branch: 'main', expectedHead: id('c'), commit: next })).toBe(false);
      expect(await store.getCommit('repo', id('b'))).toBeUndefined();
      expect(await store.advanceBranch({ repository: 'repo', branch: 'main', expectedHead: id('a'), commit: next })).toBe(true);
      expect((await store.getBranch('repo', 'main'))?.head).toBe(id('b'));
      expect(await store.advanceBranch({ repository: 'repo', branch: 'main', expectedHead: id('a'), commit: commit('repo', id('d'), [id('a')]) })).toBe(false);
    });

    it('finds commits by unique prefix', async () => {
      await store.advanceBranch({ repository: 'repo', branch: 'main', expectedHead: id('a'), commit: commit('repo', 'ab' + id('0').slice(2), [id('a')]) });
      expect(await store.findCommitIds('repo', 'aaaa', 5)).toEqual([id('a')]);
      expect(await store.findCommitIds('repo', 'a', 5)).toEqual(['ab' + id('0').slice(2), id('a')].sort());
      expect(await store.findCommitIds('repo', 'ffff', 5)).toEqual([]);
    });

    it('branches and tags: create, list, conflict, delete', async () => {
      await store.createBranch({ repository: 'repo', name: 'dev', head: id('a'), createdAt: T, createdBy: 'ada' });
      const again = await store.createBranch({ repository: 'repo', name: 'dev', head: id('a'), createdAt: T, createdBy: 'ada' }).catch((e: unknown) => e);
      expect(isStrataError(again) && again.code).toBe('Conflict');
      expect((await store.listBranches('repo')).map((b) => b.name)).toEqual(['dev', 'main']);
      await store.createTag({ repository: 'repo', name: 'v1', commitId: id('a'), createdAt: T, createdBy: 'ada' });
      expect(await store.getTag('repo', 'v1')).toMatchObject({ commitId: id('a') });
      expect(await store.deleteTag('repo', 'v1')).toBe(true);
      expect(await store.deleteTag('repo', 'v1')).toBe(false);
      await store.stage('repo', 'dev', [{ path: 'x', entry: entry('1') }]);
      expect(await store.deleteBranch('repo', 'dev')).toBe(true);
      expect(await store.countStaged('repo', 'dev')).toBe(0);
    });

    it('stages upserts and deletions, lists them in byte order with prefix, from and after', async () => {
      const paths = ['b/2', 'a', 'b/1', 'é', 'z', '\u{1F600}', '\uFFFD'];
      await store.stage('repo', 'main', paths.map((path) => ({ path, entry: entry('1') })));
      await store.stage('repo', 'main', [{ path: 'a', entry: null }]);
      const all = await store.listStaged('repo', 'main', { limit: 100 });
      // Code point order: U+FFFD sorts before U+1F600 (UTF-16 order would say otherwise).
      expect(all.map((c) => c.path)).toEqual(['a', 'b/1', 'b/2', 'z', 'é', '\uFFFD', '\u{1F600}']);
      expect(all[0]).toMatchObject({ path: 'a', entry: null });
      expect(all[0]?.writeId).toMatch(/^[0-9a-f-]{36}$/);
      expect((await store.listStaged('repo', 'main', { prefix: 'b/', limit: 100 })).map((c) => c.path)).toEqual(['b/1', 'b/2']);
      expect((await store.listStaged('repo', 'main', { from: 'b/2', limit: 2 })).map((c) => c.path)).toEqual(['b/2', 'z']);
      expect((await store.listStaged('repo', 'main', { after: 'b/2', limit: 2 })).map((c) => c.path)).toEqual(['z', 'é']);
      expect((await store.listStaged('repo', 'main', { after: 'b/1', prefix: 'b/', limit: 5 })).map((c) => c.path)).toEqual(['b/2']);
      expect(await store.getStaged('repo', 'main', 'z')).toEqual({ path: 'z', entry: entry('1') });
      expect(await store.countStaged('repo', 'main')).toBe(7);
      expect(await store.resetStaged('repo', 'main', 'b/')).toBe(2);
      expect(await store.countStaged('repo', 'main')).toBe(5);
    });

    it('a commit deletes only the staged writes it read; a path written again keeps its new row', async () => {
      await store.stage('repo', 'main', [{ path: 'p1', entry: entry('1') }, { path: 'p2', entry: entry('2') }]);
      const read = await store.listStaged('repo', 'main', { limit: 10 });
      expect(read.map((r) => r.path)).toEqual(['p1', 'p2']);
      expect(read[0]?.writeId).toBe(read[1]?.writeId);
      // A write after the commit read the rows: the commit in progress does not remove it.
      await store.stage('repo', 'main', [{ path: 'p2', entry: entry('3') }]);
      const consumed = read.map((r) => ({ path: r.path, writeId: r.writeId }));
      expect(await store.advanceBranch({ repository: 'repo', branch: 'main', expectedHead: id('x'), commit: commit('repo', id('b'), [id('a')]), consumed })).toBe(false);
      expect(await store.listStaged('repo', 'main', { limit: 10 })).toHaveLength(2);
      expect(await store.advanceBranch({ repository: 'repo', branch: 'main', expectedHead: id('a'), commit: commit('repo', id('b'), [id('a')]), consumed })).toBe(true);
      const left = await store.listStaged('repo', 'main', { limit: 10 });
      expect(left.map(({ path, entry: e }) => ({ path, entry: e }))).toEqual([{ path: 'p2', entry: entry('3') }]);
      expect(left[0]?.writeId).not.toBe(read[1]?.writeId);
    });

    it('drops staged rows that change nothing only while the head is the one they were read at', async () => {
      await store.stage('repo', 'main', [{ path: 'q', entry: entry('1') }]);
      const rows = (await store.listStaged('repo', 'main', { limit: 10 })).map((r) => ({ path: r.path, writeId: r.writeId }));
      expect(await store.dropStaged({ repository: 'repo', branch: 'main', expectedHead: id('x'), rows })).toBe(false);
      expect(await store.countStaged('repo', 'main')).toBe(1);
      expect(await store.dropStaged({ repository: 'repo', branch: 'main', expectedHead: id('a'), rows })).toBe(true);
      expect(await store.countStaged('repo', 'main')).toBe(0);
      expect((await store.getBranch('repo', 'main'))?.head).toBe(id('a'));
    });

    it('stages large batches atomically', async () => {
      const changes = Array.from({ length: 2500 }, (_, i) => ({ path: `f/${String(i).padStart(5, '0')}`, entry: entry('1') }));
      await store.stage('repo', 'main', changes);
      expect(await store.countStaged('repo', 'main')).toBe(2500);
    });

    it('deletes a repository with everything in it', async () => {
      await store.stage('repo', 'main', [{ path: 'p', entry: entry('1') }]);
      expect(await store.deleteRepository('repo')).toBe(true);
      expect(await store.getRepository('repo')).toBeUndefined();
      expect(await store.getBranch('repo', 'main')).toBeUndefined();
      expect(await store.getCommit('repo', id('a'))).toBeUndefined();
      expect(await store.countStaged('repo', 'main')).toBe(0);
      expect(await store.deleteRepository('repo')).toBe(false);
    });

    it('updates repository settings', async () => {
      expect(await store.updateRepository('repo', { s3Layout: 'plain', publicRead: true })).toBe(true);
      expect(await store.getRepository('repo')).toMatchObject({ s3Layout: 'plain', publicRead: true });
      expect(await store.updateRepository('repo', { publicRead: false, auditReads: false })).toBe(true);
      expect(await store.getRepository('repo')).toMatchObject({ s3Layout: 'plain', publicRead: false, auditReads: false });
      expect(await store.updateRepository('nope', { publicRead: true })).toBe(false);
    });

    it('access keys: create, conflict, list in creation order, revoke once', async () => {
      await store.createAccessKey({ id: 'AK1', secret: 's1', principal: 'ada', createdAt: T });
      await store.createAccessKey({ id: 'AK2', secret: 's2', principal: 'bob', createdAt: '2026-01-02T00:00:00.000Z' });
      const duplicate = await store.createAccessKey({ id: 'AK1', secret: 'x', principal: 'eve', createdAt: T }).catch((e: unknown) => e);
      expect(isStrataError(duplicate) && duplicate.code).toBe('Conflict');
      expect(await store.getAccessKey('AK1')).toEqual({ id: 'AK1', secret: 's1', principal: 'ada', createdAt: T });
      expect((await store.listAccessKeys()).map((k) => k.id)).toEqual(['AK1', 'AK2']);
      expect(await store.revokeAccessKey('AK1', '2026-02-01T00:00:00.000Z')).toBe(true);
      expect(await store.revokeAccessKey('AK1', '2026-03-01T00:00:00.000Z')).toBe(false);
      expect(await store.revokeAccessKey('none', T)).toBe(false);
      expect((await store.getAccessKey('AK1'))?.revokedAt).toBe('2026-02-01T00:00:00.000Z');
      expect(await store.getAccessKey('none')).toBeUndefined();
    });

    it('datasets: create, conflict, filter by repository/tag/owner/license, update, deleted with the repository', async () => {
      const dataset = (name: string, extra: Partial<DatasetRecord> = {}): DatasetRecord => ({
        name, repository: 'repo', prefix: 'raw/', owner: 'ada', description: 'd', tags: ['nlp'], labels: [], properties: { k: 'v' }, createdAt: T, createdBy: 'ada', updatedAt: T, ...extra,
      });
      await store.createDataset(dataset('alpha', { license: 'MIT', source: 's3://x' }));
      await store.createDataset(dataset('beta', { owner: 'bob', tags: ['vision'] }));
      const duplicate = await store.createDataset(dataset('alpha')).catch((e: unknown) => e);
      expect(isStrataError(duplicate) && duplicate.code).toBe('Conflict');
      expect(await store.getDataset('alpha')).toEqual(dataset('alpha', { license: 'MIT', source: 's3://x' }));
      const names = async (filter: Parameters<MetadataStore['listDatasets']>[0]) => (await store.listDatasets(filter)).map((d) => d.name);
      expect(await names({})).toEqual(['alpha', 'beta']);
      expect(await names({ tag: 'vision' })).toEqual(['beta']);
      expect(await names({ owner: 'ada', license: 'MIT' })).toEqual(['alpha']);
      expect(await names({ repository: 'other' })).toEqual([]);
      expect(await store.updateDataset(dataset('beta', { tags: ['vision', 'gold'], updatedAt: '2026-02-01T00:00:00.000Z' }))).toBe(true);
      expect((await store.getDataset('beta'))?.tags).toEqual(['vision', 'gold']);
      expect(await store.updateDataset(dataset('gamma'))).toBe(false);
      await store.deleteRepository('repo');
      expect(await names({})).toEqual([]);
    });

    it('multipart uploads: parts replace by number, list in order, uploads list by path then id, delete cascades', async () => {
      const upload = (uploadId: string, path: string) => ({ id: uploadId, repository: 'repo', branch: 'main', path, initiatedAt: T, initiator: 'ada', template: { contentType: 'text/plain', tags: { a: 'b' } } });
      await store.createUpload(upload('u2', 'b/x'));
      await store.createUpload(upload('u1', 'b/x'));
      await store.createUpload(upload('u3', 'a'));
      await store.createUpload(upload('u4', 'c/\u00e9'));
      expect(await store.getUpload('u1')).toEqual(upload('u1', 'b/x'));
      const ids = async (options: Parameters<MetadataStore['listUploads']>[1]) => (await store.listUploads('repo', options)).map((u) => u.id);
      expect(await ids({ limit: 10 })).toEqual(['u3', 'u1', 'u2', 'u4']);
      expect(await ids({ prefix: 'b/', limit: 10 })).toEqual(['u1', 'u2']);
      expect(await ids({ after: { path: 'b/x', id: 'u1' }, limit: 10 })).toEqual(['u2', 'u4']);
      expect(await ids({ after: { path: 'b/x' }, limit: 1 })).toEqual(['u4']);
      const content = (sha: string) => ({ sha256: sha.repeat(64), md5: sha.repeat(32), size: 5 });
      await store.putPart({ uploadId: 'u1', partNumber: 2, content: content('b'), lastModified: T });
      await store.putPart({ uploadId: 'u1', partNumber: 1, content: content('a'), lastModified: T });
      await store.putPart({ uploadId: 'u1', partNumber: 2, content: content('c'), lastModified: T });
      expect(await store.listParts('u1', { limit: 10 })).toEqual([
        { uploadId: 'u1', partNumber: 1, content: content('a'), lastModified: T },
        { uploadId: 'u1', partNumber: 2, content: content('c'), lastModified: T },
      ]);
      expect((await store.listParts('u1', { after: 1, limit: 10 })).map((p) => p.partNumber)).toEqual([2]);
      // Every upload of a part number is kept; the last one to finish is the one listed.
      await store.putPart({ uploadId: 'u1', partNumber: 2, content: content('b'), lastModified: T });
      expect((await store.listParts('u1', { limit: 10 })).map((p) => p.content.md5[0])).toEqual(['a', 'b']);
      const found = await store.findParts('u1', [{ partNumber: 2, md5: 'c'.repeat(32) }, { partNumber: 2, md5: 'b'.repeat(32) }, { partNumber: 1, md5: 'b'.repeat(32) }, { partNumber: 3, md5: 'a'.repeat(32) }]);
      expect(found.map((p) => `${p.partNumber}${p.content.md5[0]}`).sort()).toEqual(['2b', '2c']);
      expect((await store.listParts('u1', { limit: 1 })).map((p) => p.partNumber)).toEqual([1]);
      expect(await store.deleteUpload('u1')).toBe(true);
      expect(await store.deleteUpload('u1')).toBe(false);
      expect(await store.listParts('u1', { limit: 10 })).toEqual([]);
      expect(await store.deleteRepository('repo')).toBe(true);
      expect(await store.listUploads('repo', { limit: 10 })).toEqual([]);
    });
  });
}
