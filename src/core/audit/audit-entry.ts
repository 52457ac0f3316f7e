import { createHash, createPublicKey, hash, verify } from 'node:crypto';
import type { AuditEntryRow, AuditHeadRow } from '../ports/audit-store.ts';

/** One thing that happened, as the recorder hands it to the log (seq and hashes come later). */
export interface AuditEvent {
  time: string;
  actor: string;
  action: string;
  resource: string;
  /** `ok`, `denied`, or the error code the action failed with. */
  outcome: string;
  requestId?: string;
  source?: string;
  /** JSON-serializable facts about the call (its input, minus payloads and secrets). */
  details?: unknown;
}

/** The fields a leaf commits to, in a fixed order. */
export type EntryFields = Omit<AuditEntryRow, 'leafHash' | 'details' | 'prunedAt'>;

/**
 * The bytes a leaf hashes: a JSON array of a version tag and the fields, in this order. JSON of
 * an array of strings, numbers and nulls has one spelling, so an external verifier can rebuild
 * it in any language. The seq is inside, so moving an entry changes its hash.
 */
export function encodeEntry(e: EntryFields): Buffer {
  return Buffer.from(JSON.stringify(['strata-audit/1', e.seq, e.time, e.actor, e.action, e.resource, e.outcome, e.requestId, e.source, e.detailsDigest]), 'utf8');
}

export function sha256Hex(bytes: Uint8Array | string): string {
  return hash('sha256', bytes, 'hex');
}

/** SHA-256 of nothing: the root of the empty tree (RFC 9162 §2.1.1). */
export const EMPTY_ROOT = createHash('sha256').digest();

/**
 * The bytes a tree head's signature covers: a text line per field, so a verifier needs nothing
 * but a SHA-256 and an Ed25519 implementation.
 */
export function treeHeadMessage(head: Pick<AuditHeadRow, 'treeSize' | 'rootHash' | 'timestamp' | 'keyId'>): Buffer {
  return Buffer.from(`strata-audit-tree-head/1\n${head.treeSize}\n${head.rootHash.toString('hex')}\n${head.timestamp}\n${head.keyId}\n`, 'utf8');
}

/** Whether the head's signature is the public key's over `treeHeadMessage`. */
export function verifyTreeHead(head: AuditHeadRow, publicKeyPem: string): boolean {
  try {
    return verify(null, treeHeadMessage(head), createPublicKey(publicKeyPem), head.signature);
  } catch {
    return false;
  }
}

/** The key id of a public key: hex SHA-256 of its DER (SubjectPublicKeyInfo) encoding. */
export function keyIdOf(publicKeyPem: string): string {
  return sha256Hex(createPublicKey(publicKeyPem).export({ type: 'spki', format: 'der' }));
}
