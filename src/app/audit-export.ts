import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { finished } from 'node:stream/promises';
import type { AuditSource } from '../core/audit/audit-verify.ts';
import { invalidArgument } from '../core/errors.ts';
import type { AuditEntryRow, AuditHeadRow } from '../core/ports/audit-store.ts';
import type { AuditApi, AuditEntryView, AuditHeadView } from '../sdk/audit-api.ts';

/** Entries read per request while exporting. */
const PAGE = 10_000;

export const EXPORT_FILES = { entries: 'entries.jsonl', heads: 'heads.jsonl', publicKey: 'public-key.pem', readme: 'README.txt' } as const;

const README = `Strata audit log export.

entries.jsonl  one entry per line: seq, time, actor, action, resource, outcome, requestId,
               source, detailsDigest, leafHash (hex), detailsJson (the details as digested),
               prunedAt (set when retention emptied the entry: only its leafHash counts then).
heads.jsonl    signed tree heads: treeSize, rootHash (hex), timestamp, keyId, signature (base64).
public-key.pem the Ed25519 key the heads are signed with (SPKI PEM).

To verify without Strata:
1. For each entry, leafHash = SHA-256(0x00 || UTF-8 JSON of
   ["strata-audit/1", seq, time, actor, action, resource, outcome, requestId, source, detailsDigest])
   (JSON.stringify of that array: no spaces). detailsDigest = SHA-256 of detailsJson, hex.
2. Build the RFC 9162 Merkle tree over the leaf hashes in seq order (node = SHA-256(0x01 || left || right),
   split at the largest power of two below n).
3. For each head, the root of its first treeSize leaves must equal rootHash, and signature must be an
   Ed25519 signature by public-key.pem over the UTF-8 text
   "strata-audit-tree-head/1\\n" + treeSize + "\\n" + rootHash + "\\n" + timestamp + "\\n" + keyId + "\\n".
Or run: strata audit verify --export <this folder>
`;

/** Writes the whole log, its heads and its public key into `dir`; reports entries written as it goes. */
export async function exportAuditLog(api: AuditApi, dir: string, onProgress?: (entries: number) => void): Promise<{ entries: number; heads: number }> {
  await mkdir(dir, { recursive: true });
  const { publicKeyPem } = await api.publicKey();
  const heads = await api.heads();
  const out = createWriteStream(join(dir, EXPORT_FILES.entries));
  let count = 0;
  try {
    for (let from = 0; ; ) {
      const page = await api.entries({ from, limit: PAGE, details: true });
      for (const entry of page) {
        if (!out.write(`${JSON.stringify(entry)}\n`)) await new Promise<void>((resolve) => out.once('drain', () => { resolve(); }));
      }
      count += page.length;
      onProgress?.(count);
      if (page.length < PAGE) break;
      from = (page.at(-1) as AuditEntryView).seq + 1;
    }
  } finally {
    out.end();
    await finished(out);
  }
  await writeFile(join(dir, EXPORT_FILES.heads), heads.map((h) => JSON.stringify(h)).join('\n') + (heads.length > 0 ? '\n' : ''));
  await writeFile(join(dir, EXPORT_FILES.publicKey), publicKeyPem);
  await writeFile(join(dir, EXPORT_FILES.readme), README);
  return { entries: count, heads: heads.length };
}

/**
 * An export as a verification source. The log's size is taken as one past the highest seq the
 * export holds (an export carries no separate size), so entries cut from its end show up only
 * against the heads that covered them.
 */
export async function exportSource(dir: string): Promise<{ source: AuditSource; publicKeyPem: string }> {
  let publicKeyPem: string;
  let headsText: string;
  try {
    publicKeyPem = await readFile(join(dir, EXPORT_FILES.publicKey), 'utf8');
    headsText = await readFile(join(dir, EXPORT_FILES.heads), 'utf8');
  } catch (error) {
    throw invalidArgument(`${dir} is not an audit export: ${(error as Error).message}`);
  }
  const heads = headsText.split('\n').filter((l) => l !== '').map((l) => headRow(JSON.parse(l) as AuditHeadView));
  let size = 0;
  for await (const row of readEntries(dir)) size = Math.max(size, row.seq + 1);
  return {
    publicKeyPem,
    source: { size: () => Promise.resolve(size), heads: () => Promise.resolve(heads), entries: () => readEntries(dir) },
  };
}

async function* readEntries(dir: string): AsyncGenerator<AuditEntryRow> {
  const lines = createInterface({ input: createReadStream(join(dir, EXPORT_FILES.entries)), crlfDelay: Infinity });
  for await (const line of lines) {
    if (line === '') continue;
    const e = JSON.parse(line) as AuditEntryView;
    yield { seq: e.seq, time: e.time, actor: e.actor, action: e.action, resource: e.resource, outcome: e.outcome, requestId: e.requestId, source: e.source, detailsDigest: e.detailsDigest, details: e.detailsJson ?? null, leafHash: Buffer.from(e.leafHash, 'hex'), prunedAt: e.prunedAt ?? null };
  }
}

function headRow(h: AuditHeadView): AuditHeadRow {
  return { treeSize: h.treeSize, rootHash: Buffer.from(h.rootHash, 'hex'), timestamp: h.timestamp, keyId: h.keyId, signature: Buffer.from(h.signature, 'base64') };
}
