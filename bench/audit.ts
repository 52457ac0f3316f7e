import Database from 'better-sqlite3';
import { join } from 'node:path';
import { Ed25519FileSigner } from '../src/adapters/audit/ed25519-signer.ts';
import { MemoryBlobStore } from '../src/adapters/blob/memory/memory-blob-store.ts';
import { openSqliteStore } from '../src/adapters/db/sqlite/open-sqlite-store.ts';
import { encodeEntry, sha256Hex, type AuditEvent } from '../src/core/audit/audit-entry.ts';
import { AuditLog } from '../src/core/audit/audit-log.ts';
import { AuditService } from '../src/core/audit/audit-service.ts';
import { leafHash } from '../src/core/audit/merkle.ts';
import type { Authorizer } from '../src/core/ports/authorizer.ts';

/** The bench times the log, not access decisions. */
const allowAll: Authorizer = { authorize: () => Promise.resolve() };
import { fmt, freshDir, report, SCALE, time } from './support.ts';

const ENTRIES = Math.max(100_000, Math.round(1_000_000 * SCALE));
const PROOF_LOG = Math.max(200_000, Math.round(10_000_000 * SCALE));
const BATCH = 1000;
const PROOFS = 1000;

function event(i: number): AuditEvent {
  return { time: new Date(1_795_000_000_000 + i).toISOString(), actor: `user${i % 50}`, action: i % 7 === 0 ? 'branch:commit' : 'object:write', resource: `lake@main:docs/${i % 100_000}.txt`, outcome: 'ok', requestId: `req-${i}`, source: '10.0.0.1', details: { call: 'objects.put', input: [{ repository: 'lake', branch: 'main', path: `docs/${i % 100_000}.txt`, body: '[stream]' }] } };
}

async function openLog(dir: string): Promise<{ log: AuditLog; audit: AuditService; close(): Promise<void> }> {
  const metadata = await openSqliteStore(join(dir, 'strata.db'));
  const blobs = new MemoryBlobStore();
  const signer = Ed25519FileSigner.open(join(dir, 'key.pem'), { create: true });
  const log = new AuditLog({ store: metadata.audit, blobs, clock: { now: () => new Date() }, ...(signer ? { signer } : {}) }, { headEvery: 1000, inlineDetailsLimit: 4096 });
  return { log, audit: new AuditService({ authorizer: allowAll, clock: { now: () => new Date() }, blobs }, log), close: async () => { await metadata.close(); } };
}

async function fill(log: AuditLog, count: number): Promise<void> {
  for (let i = 0; i < count; i += BATCH) await log.appendAll(Array.from({ length: Math.min(BATCH, count - i) }, (_, j) => event(i + j)));
}

/**
 * The audit log on the embedded default (SQLite, synchronous=FULL): batched appends against raw
 * batched inserts of the same rows into the same kind of table; verification against hashing the
 * same entries' leaves alone; inclusion proofs on a large log.
 */
export async function benchAudit(): Promise<void> {
  const dir = await freshDir('audit');
  const opened = await openLog(dir);
  const { log, audit } = opened;
  const appended = await time(() => fill(log, ENTRIES));
  const rawDb = new Database(join(dir, 'raw.db'));
  rawDb.pragma('journal_mode = WAL');
  rawDb.pragma('synchronous = FULL');
  rawDb.exec('create table entries (seq integer primary key, time text, actor text, action text, resource text, outcome text, request_id text, source text, details_digest text, details text, leaf_hash blob)');
  const insert = rawDb.prepare('insert into entries values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)');
  const raw = await time(() => {
    for (let i = 0; i < ENTRIES; i += BATCH) {
      rawDb.transaction(() => {
        for (let j = i; j < Math.min(i + BATCH, ENTRIES); j++) {
          const e = event(j);
          const details = JSON.stringify(e.details);
          insert.run(j, e.time, e.actor, e.action, e.resource, e.outcome, e.requestId, e.source, sha256Hex(details), details, leafHash(encodeEntry({ seq: j, time: e.time, actor: e.actor, action: e.action, resource: e.resource, outcome: e.outcome, requestId: e.requestId ?? null, source: e.source ?? null, detailsDigest: sha256Hex(details) })));
        }
      })();
    }
  });
  rawDb.close();
  const rate = ENTRIES / appended.seconds;
  report({ name: `audit appends, ${ENTRIES.toLocaleString('en')} entries in batches of ${BATCH} (tree nodes and a signed head every 1,000 included)`, strata: `${fmt(appended.seconds)} s (${Math.round(rate).toLocaleString('en')}/s)`, baseline: `raw batched inserts of the same rows with their hashes: ${fmt(raw.seconds)} s`, ratio: `${fmt(raw.seconds / appended.seconds)}×`, goal: '≥ 50,000/s', met: rate >= 50_000 });

  const rows = await log.entries({ from: 0, to: 100_000, limit: 100_000 });
  const hashing = await time(() => {
    for (const row of rows) leafHash(encodeEntry(row));
  });
  const verified = await time(() => audit.verify({ actor: { id: 'bench' } }));
  if (!verified.value.ok) throw new Error(`the bench log does not verify: ${verified.value.problems[0]?.message ?? ''}`);
  const verifyRate = ENTRIES / verified.seconds;
  const hashRate = rows.length / hashing.seconds;
  report({ name: `audit verify of ${ENTRIES.toLocaleString('en')} entries and ${verified.value.heads} signed heads (read, re-hash, rebuild the tree, check each head)`, strata: `${fmt(verified.seconds)} s (${Math.round(verifyRate).toLocaleString('en')} entries/s)`, baseline: `hashing the leaves alone: ${Math.round(hashRate).toLocaleString('en')}/s`, ratio: `${fmt(verifyRate / hashRate)}×`, goal: '≥ 500,000 entries/s', met: verifyRate >= 500_000 });
  await opened.close();

  const proofDir = await freshDir('audit-proofs');
  const big = await openLog(proofDir);
  const filled = await time(() => fill(big.log, PROOF_LOG));
  console.log(`  (filled a ${PROOF_LOG.toLocaleString('en')}-entry log in ${fmt(filled.seconds)} s)`);
  const size = (await big.log.latestHead())?.treeSize ?? PROOF_LOG;
  const latencies: number[] = [];
  for (let i = 0; i < PROOFS; i++) {
    const seq = Math.floor(((i * 7_919) % PROOFS) * (size / PROOFS));
    const started = process.hrtime.bigint();
    await big.log.inclusionProof(seq, size);
    latencies.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
  latencies.sort((a, b) => a - b);
  const p50 = latencies[Math.floor(PROOFS / 2)] as number;
  const p99 = latencies[Math.floor(PROOFS * 0.99)] as number;
  report({ name: `inclusion proof on a ${PROOF_LOG.toLocaleString('en')}-entry log (${PROOFS} entries spread over it, against its latest signed head)`, strata: `p50 ${fmt(p50)} ms, p99 ${fmt(p99)} ms`, baseline: '—', ratio: '—', goal: 'p50 < 5 ms', met: p50 < 5 });
  await big.close();
}
