import type { ConsistencyProof, InclusionProof } from '../core/audit/audit-log.ts';
import type { AuditEntryView, AuditHeadView } from '../core/audit/audit-service.ts';
import type { AuditVerification } from '../core/audit/audit-verify.ts';
import type { StrataCore } from '../core/strata.ts';
import type { CallContext } from '../core/versioning/types.ts';
import { StrataError } from '../core/errors.ts';

export type { AuditEntryView, AuditHeadView, AuditVerification, ConsistencyProof, InclusionProof };

export interface AuditEntryQuery {
  /** First seq, inclusive. */
  from?: number;
  /** Last seq, exclusive. */
  to?: number;
  actor?: string;
  action?: string;
  /** Entries whose resource starts with this. */
  resource?: string;
  limit?: number;
  /** Include each entry's details as their exact JSON. */
  details?: boolean;
}

/** The audit log, read-only: there is no call that changes it. */
export interface AuditApi {
  entries(query?: AuditEntryQuery): Promise<AuditEntryView[]>;
  entry(seq: number): Promise<AuditEntryView>;
  heads(options?: { fromSize?: number; limit?: number }): Promise<AuditHeadView[]>;
  latestHead(): Promise<AuditHeadView>;
  inclusionProof(seq: number, treeSize?: number): Promise<InclusionProof>;
  consistencyProof(first: number, second: number): Promise<ConsistencyProof>;
  publicKey(): Promise<{ keyId: string; publicKeyPem: string }>;
  /** Signs a tree head now (embedded only: a server signs on its own every N entries and seconds). */
  sign(): Promise<AuditHeadView>;
  /** Empties entries past the configured retention (embedded only: the API cannot change the log). */
  prune(): Promise<{ pruned: number; before: string }>;
  /** Recomputes the whole log where it is stored and checks every signed head. */
  verify(onProgress?: (entries: number) => void): Promise<AuditVerification>;
}

export function localAuditApi(core: StrataCore, ctx: CallContext): AuditApi {
  return {
    entries: (query = {}) => core.audit.entries(ctx, query),
    entry: (seq) => core.audit.entry(ctx, seq),
    heads: (options) => core.audit.heads(ctx, options),
    latestHead: () => core.audit.latestHead(ctx),
    inclusionProof: (seq, treeSize) => core.audit.inclusionProof(ctx, seq, treeSize),
    consistencyProof: (first, second) => core.audit.consistencyProof(ctx, first, second),
    publicKey: () => core.audit.publicKey(ctx),
    verify: (onProgress) => core.audit.verify(ctx, onProgress),
    sign: () => core.audit.sign(ctx),
    prune: () => core.audit.prune(ctx),
  };
}

type Query = Record<string, string | number | boolean | undefined>;
type Json = <T>(method: string, path: string, options?: { query?: Query; body?: unknown }) => Promise<T>;

export function httpAuditApi(json: Json): AuditApi {
  return {
    entries: async (query = {}) => (await json<{ entries: AuditEntryView[] }>('GET', '/audit/entries', { query: { ...query } })).entries,
    entry: (seq) => json('GET', `/audit/entries/${seq}`),
    heads: async (options = {}) => (await json<{ heads: AuditHeadView[] }>('GET', '/audit/heads', { query: { ...options } })).heads,
    latestHead: () => json('GET', '/audit/heads/latest'),
    inclusionProof: (seq, treeSize) => json('GET', '/audit/proofs/inclusion', { query: { seq, treeSize } }),
    consistencyProof: (first, second) => json('GET', '/audit/proofs/consistency', { query: { first, second } }),
    publicKey: () => json('GET', '/audit/public-key'),
    verify: () => json('GET', '/audit/verify'),
    prune: () => Promise.reject(new StrataError('InvalidArgument', 'the API cannot change the audit log: run strata audit prune where the data folder is')),
    sign: () => Promise.reject(new StrataError('InvalidArgument', 'a server signs tree heads itself (every STRATA_AUDIT_HEAD_EVERY entries and STRATA_AUDIT_HEAD_SECONDS seconds); the API cannot add to the log')),
  };
}
