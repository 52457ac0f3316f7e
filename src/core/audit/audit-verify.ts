import { verify as verifySignature, createPublicKey, type KeyObject } from 'node:crypto';
import type { AuditEntryRow, AuditHeadRow } from '../ports/audit-store.ts';
import { EMPTY_ROOT, encodeEntry, sha256Hex, treeHeadMessage } from './audit-entry.ts';
import { leafHash, nodeHash } from './merkle.ts';

/** What a verification reads: the log in a database, or an export in files. */
export interface AuditSource {
  /** The size the log says it has. */
  size(): Promise<number>;
  /** Every entry in seq order. */
  entries(): AsyncIterable<AuditEntryRow>;
  heads(): Promise<AuditHeadRow[]>;
  /** A stored perfect subtree hash (level ≥ 1), to narrow down a rewritten range; absent in exports. */
  storedSubtree?(level: number, index: number): Promise<Buffer | undefined>;
  /** The bytes of a details blob, or undefined when it is gone. */
  detailsBlob?(digest: string): Promise<Uint8Array | undefined>;
}

export type AuditProblemKind = 'missing' | 'altered' | 'inserted' | 'details' | 'pruned-early' | 'head-signature' | 'head-mismatch' | 'head-beyond';

export interface VerifyOptions {
  onProgress?: (entries: number) => void;
  /** Entries emptied by retention must be older than this (now less the minimum retention); unchecked when absent. */
  prunableBefore?: string;
}

export interface AuditProblem {
  kind: AuditProblemKind;
  /** The entry concerned, when one is known. */
  seq?: number;
  /** The range concerned [first, last], when only a range is known. */
  range?: [number, number];
  /** The tree head concerned. */
  treeSize?: number;
  /** For a moved entry: the seq it was appended as. */
  movedFrom?: number;
  message: string;
}

export interface AuditVerification {
  ok: boolean;
  /** Entries read. */
  entries: number;
  /** Signed heads checked. */
  heads: number;
  /** The size the log records. */
  size: number;
  /** The largest signed head that verified (0 when none). */
  verifiedThrough: number;
  problems: AuditProblem[];
}

/** Leaves kept for narrowing a failed head down start at a multiple of this below the last good head. */
const ALIGN = 1024;
/** At most this many leaves are kept for narrowing; past it a failed head names its whole range. */
const MAX_RECENT = 1 << 20;

/**
 * Recomputes the log from its entries and checks every signed head against it. Each entry's hash
 * is rebuilt from its fields (a changed or moved entry no longer matches the hash stored beside
 * it); seqs must run from 0 without gaps up to the recorded size; every head's signature must be
 * the key's and its root the recomputed root of that many entries. When entries and their stored
 * hashes were both rewritten, only the heads can tell, and the stored subtree hashes narrow the
 * failing range down to the smallest subtree that no longer matches.
 */
export async function verifyAuditLog(source: AuditSource, publicKeyPem: string, options: VerifyOptions = {}): Promise<AuditVerification> {
  const { onProgress, prunableBefore } = options;
  const key = createPublicKey(publicKeyPem);
  const heads = (await source.heads()).sort((a, b) => a.treeSize - b.treeSize || a.timestamp.localeCompare(b.timestamp));
  const size = await source.size();
  const problems: AuditProblem[] = [];
  const frontier: Array<{ level: number; hash: Buffer }> = [];
  let position = 0;
  let broken = false;
  let headIndex = 0;
  let verifiedThrough = 0;
  let recentStart = 0;
  let recent: Buffer[] = [];
  let recentOverflow = false;
  let read = 0;

  const checkHeadsAt = async (treeSize: number): Promise<void> => {
    while (headIndex < heads.length && (heads[headIndex] as AuditHeadRow).treeSize === treeSize) {
      const head = heads[headIndex++] as AuditHeadRow;
      if (!signatureHolds(head, key)) {
        problems.push({ kind: 'head-signature', treeSize, message: `the tree head of ${treeSize} entries signed at ${head.timestamp} does not carry a valid signature of this log's key` });
        continue;
      }
      if (broken) continue;
      if (rootOfFrontier(frontier).equals(head.rootHash)) {
        verifiedThrough = Math.max(verifiedThrough, treeSize);
        const keepFrom = treeSize - (treeSize % ALIGN);
        recent = recentOverflow ? [] : recent.slice(keepFrom - recentStart);
        recentStart = recentOverflow ? treeSize : keepFrom;
        recentOverflow = false;
      } else {
        problems.push(await headMismatch(source, head, { good: verifiedThrough, start: recentStart, leaves: recentOverflow ? [] : recent, problems }));
        broken = true;
      }
    }
  };

  await checkHeadsAt(0);
  for await (const row of source.entries()) {
    read += 1;
    if (onProgress !== undefined && read % 100_000 === 0) onProgress(read);
    if (row.seq >= size) {
      problems.push({ kind: 'inserted', seq: row.seq, message: `entry ${row.seq} lies beyond the log's recorded size of ${size}: it was inserted` });
      continue;
    }
    if (row.seq > position) {
      problems.push({ kind: 'missing', range: [position, row.seq - 1], seq: position, message: row.seq - 1 === position ? `entry ${position} is missing: it was deleted` : `entries ${position}–${row.seq - 1} are missing: they were deleted` });
      broken = true;
    }
    // An entry emptied by retention has only its hash left: it stands in for the entry in the
    // tree (the heads still vouch for it), and it must be old enough to have been pruned.
    const recomputed = row.prunedAt === null ? leafHash(encodeEntry(row)) : row.leafHash;
    if (row.prunedAt !== null && prunableBefore !== undefined && row.time >= prunableBefore) {
      problems.push({ kind: 'pruned-early', seq: row.seq, message: `entry ${row.seq} of ${row.time} was emptied before the minimum retention had passed` });
    }
    if (!recomputed.equals(row.leafHash)) addAltered(problems, altered(row));
    if (row.prunedAt !== null) {
      // Nothing left to compare with the digest.
    } else if (row.details !== null) {
      if (sha256Hex(row.details) !== row.detailsDigest) problems.push({ kind: 'details', seq: row.seq, message: `entry ${row.seq}'s details do not match their digest: they were changed` });
    } else if (row.detailsDigest !== null) {
      await checkDetailsBlob(source, row, problems);
    }
    if (!broken) {
      push(frontier, recomputed);
      if (recent.length < MAX_RECENT) recent.push(recomputed);
      else recentOverflow = true;
    }
    position = row.seq + 1;
    if (heads[headIndex]?.treeSize === position) await checkHeadsAt(position);
  }
  if (position < size) {
    problems.push({ kind: 'missing', range: [position, size - 1], seq: position, message: `entries ${position}–${size - 1} are missing: the log records ${size} entries` });
  }
  for (; headIndex < heads.length; headIndex++) {
    const head = heads[headIndex] as AuditHeadRow;
    if (head.treeSize > size) problems.push({ kind: 'head-beyond', treeSize: head.treeSize, message: `a signed head covers ${head.treeSize} entries but the log records ${size}: entries were removed from its end` });
  }
  return { ok: problems.length === 0, entries: read, heads: heads.length, size, verifiedThrough, problems };
}

/** A run of entries all moved by the same distance is one problem (an insertion shifts everything after it). */
function addAltered(problems: AuditProblem[], problem: AuditProblem): void {
  const last = problems.findLast((p) => p.kind === 'altered');
  const seq = problem.seq as number;
  const offset = problem.movedFrom === undefined ? undefined : problem.movedFrom - seq;
  if (last?.kind === 'altered' && last.movedFrom !== undefined && offset !== undefined && last.range !== undefined && last.range[1] === seq - 1 && last.movedFrom - (last.seq as number) === offset) {
    last.range = [last.range[0], seq];
    const how = offset < 0 ? 'an entry was inserted before them' : 'an entry before them was deleted';
    last.message = `entries ${last.range[0]}–${seq} hold what was appended as entries ${last.range[0] + offset}–${seq + offset}: ${how}`;
    return;
  }
  problems.push(problem);
}

/** How far from its place a moved entry is looked for. */
const MOVE_WINDOW = 16;

/** An entry whose hash does not match: moved (its fields hash right at another seq) or changed. */
function altered(row: AuditEntryRow): AuditProblem {
  for (let distance = 1; distance <= MOVE_WINDOW; distance++) {
    for (const seq of [row.seq - distance, row.seq + distance]) {
      if (seq < 0 || !leafHash(encodeEntry({ ...row, seq })).equals(row.leafHash)) continue;
      const how = seq < row.seq ? 'an entry was inserted before it' : 'an entry before it was deleted';
      return { kind: 'altered', seq: row.seq, range: [row.seq, row.seq], movedFrom: seq, message: `entry ${row.seq} holds what was appended as entry ${seq}: entries were reordered, or ${how}` };
    }
  }
  return { kind: 'altered', seq: row.seq, message: `entry ${row.seq} does not match the hash it was appended with: its fields were changed` };
}

function signatureHolds(head: AuditHeadRow, key: KeyObject): boolean {
  try {
    return verifySignature(null, treeHeadMessage(head), key, head.signature);
  } catch {
    return false;
  }
}

/** Details kept as a blob: present, and still the bytes their digest names. */
async function checkDetailsBlob(source: AuditSource, row: AuditEntryRow, problems: AuditProblem[]): Promise<void> {
  if (row.detailsDigest === null || source.detailsBlob === undefined) return;
  const blob = await source.detailsBlob(row.detailsDigest);
  if (blob === undefined) problems.push({ kind: 'details', seq: row.seq, message: `entry ${row.seq}'s details blob ${row.detailsDigest} is missing from the blob store` });
  else if (sha256Hex(blob) !== row.detailsDigest) problems.push({ kind: 'details', seq: row.seq, message: `entry ${row.seq}'s details blob ${row.detailsDigest} was changed in the blob store` });
}

/** Adds a leaf to the compact range of perfect subtrees that covers the leaves so far. */
function push(frontier: Array<{ level: number; hash: Buffer }>, leaf: Buffer): void {
  let node = { level: 0, hash: leaf };
  for (let top = frontier.at(-1); top !== undefined && top.level === node.level; top = frontier.at(-1)) {
    frontier.pop();
    node = { level: node.level + 1, hash: nodeHash(top.hash, node.hash) };
  }
  frontier.push(node);
}

/** The root of the leaves so far: the compact range folded from the right (RFC 9162's split rule). */
function rootOfFrontier(frontier: Array<{ level: number; hash: Buffer }>): Buffer {
  if (frontier.length === 0) return EMPTY_ROOT;
  let hash = (frontier.at(-1) as { hash: Buffer }).hash;
  for (let i = frontier.length - 2; i >= 0; i--) hash = nodeHash((frontier[i] as { hash: Buffer }).hash, hash);
  return hash;
}

/**
 * Says where a head that does not match went wrong. Entries already reported as altered explain
 * it; otherwise the stored subtree hashes, compared level by level with the recomputed ones over
 * the leaves since the last good head, name the smallest range that was rewritten.
 */
interface RecentLeaves {
  /** The size of the last head that verified. */
  good: number;
  /** The seq of `leaves[0]`. */
  start: number;
  leaves: Buffer[];
  /** The problems found so far. */
  problems: AuditProblem[];
}

async function headMismatch(source: AuditSource, head: AuditHeadRow, recent: RecentLeaves): Promise<AuditProblem> {
  const { good, problems } = recent;
  const base = { kind: 'head-mismatch' as const, treeSize: head.treeSize };
  // Only the first such head is reported: every later head fails for the same reason.
  const altered = problems.find((p) => p.kind === 'altered' && (p.seq as number) >= good && (p.seq as number) < head.treeSize);
  if (altered !== undefined) return { ...base, seq: altered.seq as number, message: `the signed head of ${head.treeSize} entries does not match the log: entry ${altered.seq as number} was changed` };
  const range = await narrow(source, recent, head.treeSize);
  const [first, last] = range ?? [good, head.treeSize - 1];
  const where = first === last ? `entry ${first}` : `one of entries ${first}–${last}`;
  return { ...base, range: [first, last], message: `the signed head of ${head.treeSize} entries does not match the log: ${where} was changed and its stored hash rewritten to hide it` };
}

async function narrow(source: AuditSource, recent: RecentLeaves, end: number): Promise<[number, number] | undefined> {
  const { start, leaves, good } = recent;
  if (source.storedSubtree === undefined) return undefined;
  let level: Buffer[] = leaves;
  for (let height = 1; (1 << height) <= leaves.length && start % (1 << height) === 0; height++) {
    const next: Buffer[] = [];
    for (let i = 0; i + 1 < level.length; i += 2) next.push(nodeHash(level[i] as Buffer, level[i + 1] as Buffer));
    level = next;
    const width = 1 << height;
    for (let j = 0; j < level.length; j++) {
      const first = start + j * width;
      if (first + width <= good || first >= end) continue;
      const stored = await source.storedSubtree(height, first / width);
      if (stored !== undefined && !stored.equals(level[j] as Buffer)) return [first, first + width - 1];
    }
  }
  return undefined;
}
