import Database from 'better-sqlite3';
import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { Ed25519FileSigner } from '../../src/adapters/audit/ed25519-signer.ts';
import { encodeEntry, type AuditEvent } from '../../src/core/audit/audit-entry.ts';
import { AuditLog } from '../../src/core/audit/audit-log.ts';
import { AuditRecorder } from '../../src/core/audit/audit-recorder.ts';
import { AuditService } from '../../src/core/audit/audit-service.ts';
import { leafHash, verifyConsistency, verifyInclusion } from '../../src/core/audit/merkle.ts';
import { StrataError } from '../../src/core/errors.ts';
import type { Authorizer } from '../../src/core/ports/authorizer.ts';

/** The audit log's own tests decide nothing about access. */
const allowAll: Authorizer = { authorize: () => Promise.resolve() };
import { bytesOf, createTestCore, ctx, DIALECTS, errorCode, readAll, type Dialect, type TestCore } from '../support/core.ts';

const opened: TestCore[] = [];
afterEach(async () => {
  for (const t of opened.splice(0)) await t.dispose();
});

async function open(dialect: Dialect, options: Parameters<typeof createTestCore>[1] = {}): Promise<TestCore> {
  const t = await createTestCore(dialect, options);
  opened.push(t);
  return t;
}

/** Runs SQL on the test's database behind Strata's back, as an intruder with database access would. */
async function intrude(t: TestCore, dialect: Dialect, statements: Array<[string, unknown[]]>): Promise<void> {
  if (dialect === 'sqlite') {
    const db = new Database(join(t.dir, 'strata.db'));
    try {
      for (const [text, params] of statements) db.prepare(text).run(...params);
    } finally {
      db.close();
    }
    return;
  }
  const client = new pg.Client({ connectionString: t.databaseUrl });
  await client.connect();
  try {
    for (const [text, params] of statements) {
      let n = 0;
      await client.query(text.replace(/\?/g, () => `$${++n}`), params);
    }
  } finally {
    await client.end();
  }
}

function event(i: number, details?: unknown): AuditEvent {
  return { time: new Date(Date.UTC(2026, 10, 23, 12, 0, i)).toISOString(), actor: `user${i % 3}`, action: 'object:write', resource: `repo@main:file-${i}`, outcome: 'ok', requestId: `req-${i}`, source: '127.0.0.1', ...(details === undefined ? {} : { details }) };
}

/** A log of 40 entries with a signed head every 8 (sizes 8, 16, 24, 32, 40); entry 30 keeps its large details as a blob. */
async function filledLog(t: TestCore): Promise<{ log: AuditLog; audit: AuditService }> {
  const signer = Ed25519FileSigner.open(join(t.dir, 'audit-key.pem'), { create: true }) as Ed25519FileSigner;
  const log = new AuditLog({ store: t.metadata.audit, blobs: t.blobs, clock: { now: () => new Date() }, signer }, { headEvery: 8, inlineDetailsLimit: 4096 });
  for (let i = 0; i < 40; i++) await log.append(event(i, i === 30 ? { note: 'x'.repeat(10_000) } : { i }));
  return { log, audit: new AuditService({ authorizer: allowAll, clock: { now: () => new Date() }, blobs: t.blobs }, log) };
}

async function leafOf(t: TestCore, seq: number, changes: Record<string, string>): Promise<Buffer> {
  const [row] = await t.metadata.audit.entries({ from: seq, to: seq + 1, limit: 1 });
  return leafHash(encodeEntry({ ...(row as NonNullable<typeof row>), ...changes }));
}

describe.each(DIALECTS)('audit log on %s', (dialect) => {
  it('records every change with actor, action, resource, outcome and request, refusals too, and reads only where asked', async () => {
    const refuse: Authorizer = { authorize: (r) => (r.action === 'branch:delete' ? Promise.reject(new StrataError('Forbidden', 'no deleting branches')) : Promise.resolve()) };
    const t = await open(dialect, { authorizer: refuse });
    const { core } = t;
    const call = { ...ctx, requestId: 'r-1', source: '10.0.0.7' };
    await core.repositories.create(call, { name: 'docs' });
    await core.objects.put(call, { repository: 'docs', branch: 'main', path: 'a.txt', body: bytesOf('hello') });
    await core.commits.commit(call, { repository: 'docs', branch: 'main', message: 'first' });
    await readAll((await core.objects.get(call, { repository: 'docs', ref: 'main', path: 'a.txt' })).body);
    expect(await errorCode(core.commits.commit(call, { repository: 'docs', branch: 'main', message: 'nothing staged' }))).toBe('InvalidArgument');
    await core.repositories.createBranch(call, { repository: 'docs', name: 'dev', from: 'main' });
    expect(await errorCode(core.repositories.deleteBranch(call, { repository: 'docs', name: 'dev' }))).toBe('Forbidden');
    const first = await core.audit.entries(ctx, {});
    expect(first.map((e) => [e.seq, e.actor, e.action, e.resource, e.outcome, e.requestId, e.source])).toEqual([
      [0, 'ada', 'repository:create', 'docs', 'ok', 'r-1', '10.0.0.7'],
      [1, 'ada', 'object:write', 'docs@main:a.txt', 'ok', 'r-1', '10.0.0.7'],
      [2, 'ada', 'branch:commit', 'docs@main', 'ok', 'r-1', '10.0.0.7'],
      [3, 'ada', 'branch:commit', 'docs@main', 'InvalidArgument', 'r-1', '10.0.0.7'],
      [4, 'ada', 'branch:create', 'docs@dev', 'ok', 'r-1', '10.0.0.7'],
      [5, 'ada', 'branch:delete', 'docs@dev', 'denied', 'r-1', '10.0.0.7'],
    ]);
    const put = await core.audit.entry(ctx, 1);
    expect(put.details).toEqual({ call: 'objects.put', input: [{ repository: 'docs', branch: 'main', path: 'a.txt', body: '[stream]' }] });

    await core.repositories.update(call, 'docs', { auditReads: true });
    await readAll((await core.objects.get(call, { repository: 'docs', ref: 'main', path: 'a.txt' })).body);
    const later = await core.audit.entries(ctx, { from: 6 });
    expect(later.map((e) => [e.action, e.resource, e.outcome])).toEqual([
      ['repository:update', 'docs', 'ok'],
      ['object:read', 'docs@main:a.txt', 'ok'],
    ]);
  });

  it('signs a head every N entries and on demand, and proves inclusion and consistency against them', async () => {
    const t = await open(dialect);
    const { log, audit } = await filledLog(t);
    const heads = await audit.heads(ctx);
    expect(heads.map((h) => h.treeSize)).toEqual([8, 16, 24, 32, 40]);
    const again = await log.publishHead();
    expect(again.treeSize).toBe(40);
    expect((await audit.heads(ctx)).length).toBe(6);

    const head24 = heads[2] as (typeof heads)[number];
    for (const seq of [0, 7, 13, 23]) {
      const p = await audit.inclusionProof(ctx, seq, 24);
      expect(p.rootHash).toBe(head24.rootHash);
      expect(verifyInclusion({ leaf: Buffer.from(p.leafHash, 'hex'), index: seq, size: 24, proof: p.proof.map((h) => Buffer.from(h, 'hex')), root: Buffer.from(head24.rootHash, 'hex') })).toBe(true);
      expect(verifyInclusion({ leaf: Buffer.from(p.leafHash, 'hex'), index: seq + 1, size: 24, proof: p.proof.map((h) => Buffer.from(h, 'hex')), root: Buffer.from(head24.rootHash, 'hex') })).toBe(false);
    }
    const latest = await audit.inclusionProof(ctx, 39);
    expect(latest.treeSize).toBe(40);
    const c = await audit.consistencyProof(ctx, 24, 40);
    expect(c.firstRoot).toBe(head24.rootHash);
    expect(c.secondRoot).toBe((heads[4] as (typeof heads)[number]).rootHash);
    expect(verifyConsistency({ first: 24, second: 40, firstRoot: Buffer.from(c.firstRoot, 'hex'), secondRoot: Buffer.from(c.secondRoot, 'hex'), proof: c.proof.map((h) => Buffer.from(h, 'hex')) })).toBe(true);
    expect(await errorCode(audit.inclusionProof(ctx, 40, 40))).toBe('InvalidArgument');
    expect(await errorCode(audit.consistencyProof(ctx, 10, 41))).toBe('InvalidArgument');

    const report = await audit.verify(ctx);
    expect(report).toEqual({ ok: true, entries: 40, heads: 6, size: 40, verifiedThrough: 40, problems: [] });
    expect((await audit.entry(ctx, 30)).details).toEqual({ note: 'x'.repeat(10_000) });
  });

  it('prunes entries past the retention, keeping their hashes so the log still verifies; an early prune is caught', async () => {
    const t = await open(dialect);
    const now = new Date('2026-11-23T12:00:00.000Z');
    const signer = Ed25519FileSigner.open(join(t.dir, 'audit-key.pem'), { create: true }) as Ed25519FileSigner;
    const clock = { now: () => now };
    const log = new AuditLog({ store: t.metadata.audit, blobs: t.blobs, clock, signer }, { headEvery: 4, inlineDetailsLimit: 4096 });
    const ages = [400, 300, 250, 200, 100, 10, 1, 0];
    for (const [i, days] of ages.entries()) await log.append({ ...event(i, { i }), time: new Date(now.getTime() - days * 86_400_000).toISOString() });
    // The authorizer as the core wires it: the prune is itself an entry.
    const authorizer = new AuditRecorder(log, { clock, auditsReads: () => Promise.resolve(false) }).authorizer(allowAll);
    const audit = new AuditService({ authorizer, clock, blobs: t.blobs }, log, { days: 210, minimumDays: 190 });
    expect(await audit.prune(ctx)).toEqual({ pruned: 3, before: '2026-04-27T12:00:00.000Z' });
    const rows = await audit.entries(ctx, { limit: 20 });
    expect(rows.map((r) => [r.seq, r.actor, r.prunedAt === null ? 'whole' : 'pruned'])).toEqual([
      [0, '', 'pruned'], [1, '', 'pruned'], [2, '', 'pruned'], [3, 'user0', 'whole'], [4, 'user1', 'whole'], [5, 'user2', 'whole'], [6, 'user0', 'whole'], [7, 'user1', 'whole'], [8, 'ada', 'whole'],
    ]);
    expect(rows[8]?.action).toBe('audit:prune');
    expect(await audit.verify(ctx)).toMatchObject({ ok: true, entries: 9, verifiedThrough: 8 });
    expect(await errorCode(new AuditService({ authorizer: allowAll, clock, blobs: t.blobs }, log, { days: 30, minimumDays: 190 }).prune(ctx))).toBe('InvalidArgument');
    expect(await errorCode(new AuditService({ authorizer: allowAll, clock, blobs: t.blobs }, log, { minimumDays: 190 }).prune(ctx))).toBe('InvalidArgument');
    await intrude(t, dialect, [["UPDATE audit_entries SET actor = '', pruned_at = ? WHERE seq = ?", ['2026-11-23T12:00:00.000Z', 6]]]);
    const report = await audit.verify(ctx);
    expect(report.problems.map((p) => [p.kind, p.seq, p.message])).toEqual([['pruned-early', 6, `entry 6 of 2026-11-22T12:00:00.000Z was emptied before the minimum retention had passed`]]);
  });

  describe('verify catches tampering behind its back', () => {
    const kinds = async (audit: AuditService): Promise<Array<[string, number | undefined, string]>> => {
      const report = await audit.verify(ctx);
      expect(report.ok).toBe(false);
      return report.problems.map((p) => [p.kind, p.kind.startsWith('head') ? p.treeSize : p.seq, p.message]);
    };

    it('an edited entry', async () => {
      const t = await open(dialect);
      const { audit } = await filledLog(t);
      await intrude(t, dialect, [['UPDATE audit_entries SET actor = ? WHERE seq = ?', ['mallory', 13]]]);
      expect(await kinds(audit)).toEqual([
        ['altered', 13, 'entry 13 does not match the hash it was appended with: its fields were changed'],
        ['head-mismatch', 16, 'the signed head of 16 entries does not match the log: entry 13 was changed'],
      ]);
    });

    it('an edited entry whose stored hash was rewritten to match', async () => {
      const t = await open(dialect);
      const { audit } = await filledLog(t);
      const forged = await leafOf(t, 13, { actor: 'mallory' });
      await intrude(t, dialect, [['UPDATE audit_entries SET actor = ?, leaf_hash = ? WHERE seq = ?', ['mallory', forged, 13]]]);
      expect(await kinds(audit)).toEqual([['head-mismatch', 16, 'the signed head of 16 entries does not match the log: one of entries 12–13 was changed and its stored hash rewritten to hide it']]);
    });

    it('a deleted entry', async () => {
      const t = await open(dialect);
      const { audit } = await filledLog(t);
      await intrude(t, dialect, [['DELETE FROM audit_entries WHERE seq = ?', [20]]]);
      const report = await audit.verify(ctx);
      expect(report.verifiedThrough).toBe(16);
      expect(report.problems.map((p) => [p.kind, p.seq, p.message])).toEqual([['missing', 20, 'entry 20 is missing: it was deleted']]);
    });

    it('an inserted entry, the later ones renumbered to make room', async () => {
      const t = await open(dialect);
      const { audit } = await filledLog(t);
      const forgedFields = { seq: 20, time: '2026-11-23T12:00:20.500Z', actor: 'mallory', action: 'object:delete', resource: 'repo@main:evidence', outcome: 'ok', requestId: null, source: null, detailsDigest: null };
      await intrude(t, dialect, [
        ['UPDATE audit_entries SET seq = seq + 1000 WHERE seq >= ?', [20]],
        ['UPDATE audit_entries SET seq = seq - 999 WHERE seq >= ?', [1000]],
        ['INSERT INTO audit_entries (seq, time, actor, action, resource, outcome, leaf_hash) VALUES (?, ?, ?, ?, ?, ?, ?)', [20, forgedFields.time, 'mallory', 'object:delete', 'repo@main:evidence', 'ok', leafHash(encodeEntry(forgedFields))]],
        ['UPDATE audit_state SET size = ? WHERE id = 1', [41]],
      ]);
      expect(await kinds(audit)).toEqual([
        ['altered', 21, 'entries 21–40 hold what was appended as entries 20–39: an entry was inserted before them'],
        ['head-mismatch', 24, 'the signed head of 24 entries does not match the log: entry 21 was changed'],
      ]);
    });

    it('two entries swapped', async () => {
      const t = await open(dialect);
      const { audit } = await filledLog(t);
      await intrude(t, dialect, [
        ['UPDATE audit_entries SET seq = ? WHERE seq = ?', [-1, 5]],
        ['UPDATE audit_entries SET seq = ? WHERE seq = ?', [5, 6]],
        ['UPDATE audit_entries SET seq = ? WHERE seq = ?', [6, -1]],
      ]);
      expect(await kinds(audit)).toEqual([
        ['altered', 5, 'entry 5 holds what was appended as entry 6: entries were reordered, or an entry before it was deleted'],
        ['altered', 6, 'entry 6 holds what was appended as entry 5: entries were reordered, or an entry was inserted before it'],
        ['head-mismatch', 8, 'the signed head of 8 entries does not match the log: entry 5 was changed'],
      ]);
    });

    it('details changed in the database and in the blob store', async () => {
      const t = await open(dialect);
      const { audit } = await filledLog(t);
      const [big] = await t.metadata.audit.entries({ from: 30, to: 31, limit: 1 });
      const digest = (big as NonNullable<typeof big>).detailsDigest as string;
      const file = join(t.dir, 'blobs', ...(await findBlob(join(t.dir, 'blobs'), digest)));
      await writeFile(file, JSON.stringify({ note: 'nothing to see' }));
      await intrude(t, dialect, [['UPDATE audit_entries SET details = ? WHERE seq = ?', ['{"i":99}', 9]]]);
      expect(await kinds(audit)).toEqual([
        ['details', 9, "entry 9's details do not match their digest: they were changed"],
        ['details', 30, `entry 30's details blob ${digest} was changed in the blob store`],
      ]);
    });

    it('a forged head, and entries cut from the end', async () => {
      const t = await open(dialect);
      const { audit } = await filledLog(t);
      await intrude(t, dialect, [
        ['UPDATE audit_heads SET root_hash = ? WHERE tree_size = ?', [Buffer.alloc(32, 7), 16]],
        ['DELETE FROM audit_entries WHERE seq >= ?', [36]],
        ['UPDATE audit_state SET size = ? WHERE id = 1', [36]],
      ]);
      expect(await kinds(audit)).toEqual([
        ['head-signature', 16, `the tree head of 16 entries signed at ${(await audit.heads(ctx))[1]?.timestamp ?? '?'} does not carry a valid signature of this log's key`],
        ['head-beyond', 40, 'a signed head covers 40 entries but the log records 36: entries were removed from its end'],
      ]);
    });
  });
});

/** The path parts of a blob file under the store's root. */
async function findBlob(root: string, digest: string): Promise<string[]> {
  const walk = async (dir: string, parts: string[]): Promise<string[] | undefined> => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      if (entry.isDirectory()) {
        const found = await walk(join(dir, entry.name), [...parts, entry.name]);
        if (found) return found;
      } else if (entry.name === digest) return [...parts, entry.name];
    }
    return undefined;
  };
  const found = await walk(root, []);
  if (!found) throw new Error(`blob ${digest} not found`);
  return found;
}
