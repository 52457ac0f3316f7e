import { invalidArgument, notFound } from '../errors.ts';
import type { AuditEntryFilter, AuditEntryRow, AuditHeadRow } from '../ports/audit-store.ts';
import type { BlobStore } from '../ports/blob-store.ts';
import { authorize, type VersioningDeps } from '../versioning/deps.ts';
import type { CallContext } from '../versioning/types.ts';
import type { AuditLog, ConsistencyProof, InclusionProof } from './audit-log.ts';
import { verifyAuditLog, type AuditSource, type AuditVerification } from './audit-verify.ts';

/** An entry as the API shows it: hashes in hex, details parsed. */
export interface AuditEntryView {
  seq: number;
  time: string;
  actor: string;
  action: string;
  resource: string;
  outcome: string;
  requestId: string | null;
  source: string | null;
  detailsDigest: string | null;
  leafHash: string;
  /** When retention emptied the entry (only its hash is left); null while whole. */
  prunedAt: string | null;
  /** The details, parsed (one entry's view). */
  details?: unknown;
  /** The details exactly as digested (listing with details, and exports). */
  detailsJson?: string;
}

export interface AuditHeadView {
  treeSize: number;
  rootHash: string;
  timestamp: string;
  keyId: string;
  /** Base64 Ed25519 signature over the head's message (see docs/architecture.md). */
  signature: string;
}

export interface AuditRetention {
  days?: number;
  minimumDays: number;
}

/** Six months and a week: the EU AI Act asks for automatic logs to be kept at least six months. */
export const DEFAULT_AUDIT_RETENTION: AuditRetention = { minimumDays: 190 };

function daysBefore(now: Date, days: number): string {
  return new Date(now.getTime() - days * 86_400_000).toISOString();
}

/** Most entries one page returns. */
export const MAX_AUDIT_PAGE = 10_000;

/** Reading the audit log and its proofs. Nothing here changes it: the log has no such call. */
export class AuditService {
  constructor(
    private readonly deps: Pick<VersioningDeps, 'authorizer' | 'clock'> & { blobs: BlobStore },
    private readonly log: AuditLog,
    /** How long entries are kept whole (absent: forever), and the least that may be configured. */
    private readonly retention: AuditRetention = DEFAULT_AUDIT_RETENTION,
  ) {}

  /** Entries in seq order; with `details`, each carries its details' exact JSON (read from its blob when large). */
  async entries(ctx: CallContext, filter: Partial<AuditEntryFilter> & { details?: boolean }): Promise<AuditEntryView[]> {
    await authorize(this.deps, ctx, { action: 'audit:read' });
    const { details, ...rest } = filter;
    const limit = rest.limit ?? 100;
    if (!(Number.isInteger(limit) && limit > 0 && limit <= MAX_AUDIT_PAGE)) throw invalidArgument(`limit must be 1–${MAX_AUDIT_PAGE}`);
    const rows = await this.log.entries({ ...rest, limit });
    if (details !== true) return rows.map(entryView);
    return Promise.all(rows.map(async (row) => {
      const json = await this.log.detailsJson(row);
      return json === undefined ? entryView(row) : { ...entryView(row), detailsJson: json };
    }));
  }

  async entry(ctx: CallContext, seq: number): Promise<AuditEntryView> {
    await authorize(this.deps, ctx, { action: 'audit:read' });
    const [row] = await this.log.entries({ from: seq, to: seq + 1, limit: 1 });
    if (row === undefined) throw notFound(`no audit entry ${seq}`);
    return { ...entryView(row), details: await this.log.details(row) };
  }

  async heads(ctx: CallContext, options: { fromSize?: number; limit?: number } = {}): Promise<AuditHeadView[]> {
    await authorize(this.deps, ctx, { action: 'audit:read' });
    return (await this.log.heads(options)).map(headView);
  }

  async latestHead(ctx: CallContext): Promise<AuditHeadView> {
    await authorize(this.deps, ctx, { action: 'audit:read' });
    const head = await this.log.latestHead();
    if (head === undefined) throw notFound('no tree head has been signed yet');
    return headView(head);
  }

  async inclusionProof(ctx: CallContext, seq: number, treeSize?: number): Promise<InclusionProof> {
    await authorize(this.deps, ctx, { action: 'audit:read' });
    return this.log.inclusionProof(seq, treeSize);
  }

  async consistencyProof(ctx: CallContext, first: number, second: number): Promise<ConsistencyProof> {
    await authorize(this.deps, ctx, { action: 'audit:read' });
    return this.log.consistencyProof(first, second);
  }

  async publicKey(ctx: CallContext): Promise<{ keyId: string; publicKeyPem: string }> {
    await authorize(this.deps, ctx, { action: 'audit:read' });
    const signer = this.log.signer;
    if (signer === undefined) throw notFound('this Strata has no audit signing key');
    return { keyId: signer.keyId, publicKeyPem: signer.publicKeyPem };
  }

  /** Recomputes the stored log and checks every signed head (see `verifyAuditLog`). */
  async verify(ctx: CallContext, onProgress?: (entries: number) => void): Promise<AuditVerification> {
    const { publicKeyPem } = await this.publicKey(ctx);
    const minimum = this.retention.minimumDays;
    return verifyAuditLog(this.source(), publicKeyPem, { ...(onProgress ? { onProgress } : {}), prunableBefore: daysBefore(this.deps.clock.now(), minimum) });
  }

  /** The stored log as a verification source, page by page. */
  source(): AuditSource {
    const log = this.log;
    const blobs = this.deps.blobs;
    return {
      size: () => log.size(),
      heads: () => log.heads(),
      entries: async function* () {
        let from = 0;
        for (;;) {
          const page = await log.entries({ from, limit: MAX_AUDIT_PAGE });
          yield* page;
          if (page.length < MAX_AUDIT_PAGE) return;
          from = (page.at(-1) as AuditEntryRow).seq + 1;
        }
      },
      storedSubtree: (level, index) => log.tree.subtree(index * 2 ** level, 2 ** level).catch(() => undefined),
      detailsBlob: (digest) => blobs.read(digest).catch(() => undefined),
    };
  }

  /**
   * Empties the entries older than the configured retention (their seq, time and hashes stay, so
   * the tree and every signed head still verify). Refuses when no retention is configured or it
   * is shorter than the minimum. Appends an entry saying so, like any change.
   */
  async prune(ctx: CallContext): Promise<{ pruned: number; before: string }> {
    const days = this.retention.days;
    if (days === undefined) throw invalidArgument('no audit retention is configured (STRATA_AUDIT_RETENTION_DAYS): entries are kept forever');
    if (days < this.retention.minimumDays) throw invalidArgument(`audit retention of ${days} days is shorter than the minimum of ${this.retention.minimumDays} (STRATA_AUDIT_MIN_RETENTION_DAYS)`);
    const before = daysBefore(this.deps.clock.now(), days);
    await authorize(this.deps, ctx, { action: 'audit:prune', resource: `audit/before:${before}` });
    return { pruned: await this.log.prune(before), before };
  }

  /** Signs a head over the log as it is now (the server's timer calls this). */
  publishHead(): Promise<AuditHeadRow> {
    return this.log.publishHead();
  }

  /** Signs a head now, on a caller's request (`strata audit sign`); it adds no entry. */
  async sign(ctx: CallContext): Promise<AuditHeadView> {
    await authorize(this.deps, ctx, { action: 'audit:sign' });
    return headView(await this.log.publishHead());
  }
}

export function entryView(row: AuditEntryRow): AuditEntryView {
  return {
    seq: row.seq,
    time: row.time,
    actor: row.actor,
    action: row.action,
    resource: row.resource,
    outcome: row.outcome,
    requestId: row.requestId,
    source: row.source,
    detailsDigest: row.detailsDigest,
    leafHash: row.leafHash.toString('hex'),
    prunedAt: row.prunedAt,
  };
}

export function headView(head: AuditHeadRow): AuditHeadView {
  return { treeSize: head.treeSize, rootHash: head.rootHash.toString('hex'), timestamp: head.timestamp, keyId: head.keyId, signature: head.signature.toString('base64') };
}
