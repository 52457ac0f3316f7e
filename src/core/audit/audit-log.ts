import { invalidArgument } from '../errors.ts';
import type { AuditSigner } from '../ports/audit-signer.ts';
import type { AuditAppend, AuditAppendView, AuditEntryFilter, AuditEntryRow, AuditHeadRow, AuditNodeRow, AuditStore } from '../ports/audit-store.ts';
import type { BlobStore } from '../ports/blob-store.ts';
import type { Clock } from '../ports/clock.ts';
import { EMPTY_ROOT, encodeEntry, sha256Hex, treeHeadMessage, type AuditEvent } from './audit-entry.ts';
import { consistencyProof, inclusionProof, leafHash, nodeHash, rootOf, type SubtreeHashes } from './merkle.ts';

export interface AuditLogOptions {
  /** Publish a signed tree head once this many entries were appended since the last one. */
  headEvery: number;
  /** Details up to this many bytes of JSON stay on the entry's row; larger ones become a blob. */
  inlineDetailsLimit: number;
}

export const DEFAULT_AUDIT_LOG_OPTIONS: AuditLogOptions = { headEvery: 1000, inlineDetailsLimit: 4096 };

/** Most entries one transaction writes; later arrivals wait for the next. */
const MAX_BATCH = 10_000;

export interface InclusionProof {
  seq: number;
  treeSize: number;
  leafHash: string;
  rootHash: string;
  /** Sibling hashes from the leaf up (RFC 9162 §2.1.3), hex. */
  proof: string[];
}

export interface ConsistencyProof {
  first: number;
  second: number;
  firstRoot: string;
  secondRoot: string;
  proof: string[];
}

interface Pending {
  event: AuditEvent;
  resolve(seq: number): void;
  reject(error: unknown): void;
}

/**
 * The append-only audit log: entries as leaves of an RFC 9162 Merkle tree whose perfect subtree
 * hashes are stored as they complete, and signed tree heads over it. Appends from one process
 * are group-committed (everything that arrived while the previous transaction ran goes into the
 * next one); each append resolves only once its entry is durable.
 */
export class AuditLog {
  private readonly pending: Pending[] = [];
  private flushing = false;
  private lastHeadSize: number | undefined;
  /** The log's size after this process's last write, so deciding on a head costs no query. */
  private writtenSize = 0;
  /** Perfect subtree hashes as the store holds them. */
  readonly tree: SubtreeHashes;

  constructor(
    private readonly deps: { store: AuditStore; blobs: BlobStore; clock: Clock; signer?: AuditSigner },
    private readonly options: AuditLogOptions = DEFAULT_AUDIT_LOG_OPTIONS,
  ) {
    this.tree = { subtree: (start, size) => deps.store.subtree(Math.log2(size), start / size) };
  }

  get signer(): AuditSigner | undefined {
    return this.deps.signer;
  }

  /** Appends one event; resolves with its seq once it is durable. */
  append(event: AuditEvent): Promise<number> {
    return new Promise((resolve, reject) => {
      this.pending.push({ event, resolve, reject });
      if (!this.flushing) void this.flush();
    });
  }

  /** Appends many events in order (a batch from one caller). */
  appendAll(events: AuditEvent[]): Promise<number[]> {
    return Promise.all(events.map((e) => this.append(e)));
  }

  private async flush(): Promise<void> {
    this.flushing = true;
    try {
      while (this.pending.length > 0) {
        const batch = this.pending.splice(0, MAX_BATCH);
        let seqs: number[];
        try {
          seqs = await this.write(batch.map((p) => p.event));
        } catch (error) {
          for (const p of batch) p.reject(error);
          continue;
        }
        // A head that is due is signed before the batch is acknowledged, so a caller that saw its
        // append succeed also sees the head that covers it. The entries are durable either way: a
        // head that cannot be signed now is signed after a later batch.
        await this.maybePublishHead().catch(() => undefined);
        batch.forEach((p, i) => {
          p.resolve(seqs[i] as number);
        });
      }
    } finally {
      this.flushing = false;
    }
  }

  private async write(events: AuditEvent[]): Promise<number[]> {
    const prepared = await Promise.all(events.map((e) => this.prepareDetails(e)));
    let first = 0;
    await this.deps.store.append(async (view) => {
      first = view.size;
      return buildAppend(view, events, prepared);
    });
    this.writtenSize = Math.max(this.writtenSize, first + events.length);
    return events.map((_, i) => first + i);
  }

  /** Inline JSON, or a blob named by its digest when large. */
  private async prepareDetails(event: AuditEvent): Promise<{ digest: string | null; inline: string | null }> {
    if (event.details === undefined) return { digest: null, inline: null };
    const json = JSON.stringify(event.details);
    if (Buffer.byteLength(json) <= this.options.inlineDetailsLimit) return { digest: sha256Hex(json), inline: json };
    const { sha256 } = await this.deps.blobs.put(Buffer.from(json, 'utf8'));
    return { digest: sha256, inline: null };
  }

  private async maybePublishHead(): Promise<void> {
    if (this.deps.signer === undefined) return;
    this.lastHeadSize ??= (await this.deps.store.latestHead())?.treeSize ?? 0;
    if (this.writtenSize - this.lastHeadSize >= this.options.headEvery) await this.publishHead();
  }

  /** Signs and stores a head over the whole log as it is now, even when nothing changed since the last. */
  async publishHead(): Promise<AuditHeadRow> {
    const signer = this.deps.signer;
    if (signer === undefined) throw invalidArgument('this Strata has no audit signing key');
    const treeSize = await this.deps.store.size();
    const rootHash = await this.root(treeSize);
    const unsigned = { treeSize, rootHash, timestamp: this.deps.clock.now().toISOString(), keyId: signer.keyId };
    const head: AuditHeadRow = { ...unsigned, signature: signer.sign(treeHeadMessage(unsigned)) };
    await this.deps.store.addHead(head);
    this.lastHeadSize = Math.max(this.lastHeadSize ?? 0, treeSize);
    return head;
  }

  root(treeSize: number): Promise<Buffer> {
    return treeSize === 0 ? Promise.resolve(EMPTY_ROOT) : rootOf(this.tree, 0, treeSize);
  }

  size(): Promise<number> {
    return this.deps.store.size();
  }

  entries(filter: AuditEntryFilter): Promise<AuditEntryRow[]> {
    return this.deps.store.entries(filter);
  }

  heads(options?: { fromSize?: number; limit?: number }): Promise<AuditHeadRow[]> {
    return this.deps.store.heads(options);
  }

  latestHead(): Promise<AuditHeadRow | undefined> {
    return this.deps.store.latestHead();
  }

  /** Empties whole entries older than `before`; returns how many. */
  prune(before: string): Promise<number> {
    return this.deps.store.prune(before, this.deps.clock.now().toISOString());
  }

  /** The details of an entry, parsed. */
  async details(entry: AuditEntryRow): Promise<unknown> {
    const json = await this.detailsJson(entry);
    return json === undefined ? undefined : (JSON.parse(json) as unknown);
  }

  /** The details' JSON as digested, from the row or its blob. */
  async detailsJson(entry: AuditEntryRow): Promise<string | undefined> {
    if (entry.details !== null) return entry.details;
    if (entry.detailsDigest === null) return undefined;
    return Buffer.from(await this.deps.blobs.read(entry.detailsDigest)).toString('utf8');
  }

  /** That entry `seq` is in the tree of `treeSize` entries (default: the latest signed head's). */
  async inclusionProof(seq: number, treeSize?: number): Promise<InclusionProof> {
    const size = treeSize ?? (await this.latestHead())?.treeSize ?? (await this.size());
    await this.checkSize(size);
    if (!(Number.isInteger(seq) && seq >= 0 && seq < size)) throw invalidArgument(`entry ${seq} is not in a tree of ${size} entries`);
    const [leaf, proof, root] = await Promise.all([this.tree.subtree(seq, 1), inclusionProof(this.tree, seq, size), this.root(size)]);
    return { seq, treeSize: size, leafHash: leaf.toString('hex'), rootHash: root.toString('hex'), proof: proof.map((p) => p.toString('hex')) };
  }

  /** That the tree of `first` entries is a prefix of the tree of `second`. */
  async consistencyProof(first: number, second: number): Promise<ConsistencyProof> {
    await this.checkSize(second);
    if (!(Number.isInteger(first) && first > 0 && first <= second)) throw invalidArgument(`no consistency proof from ${first} to ${second} entries: need 0 < first ≤ second`);
    const [proof, firstRoot, secondRoot] = await Promise.all([consistencyProof(this.tree, first, second), this.root(first), this.root(second)]);
    return { first, second, firstRoot: firstRoot.toString('hex'), secondRoot: secondRoot.toString('hex'), proof: proof.map((p) => p.toString('hex')) };
  }

  private async checkSize(treeSize: number): Promise<void> {
    const size = await this.size();
    if (!(Number.isInteger(treeSize) && treeSize >= 0 && treeSize <= size)) throw invalidArgument(`the log has ${size} entries; there is no tree of ${treeSize}`);
  }
}

/**
 * The rows one batch adds: each leaf, then every perfect subtree it completes (a right child
 * combined with its left sibling, climbing while the node is a right child). Left siblings come
 * from this batch or, for the first leaves, from the store under the same lock.
 */
async function buildAppend(view: AuditAppendView, events: AuditEvent[], details: Array<{ digest: string | null; inline: string | null }>): Promise<AuditAppend> {
  const entries: AuditEntryRow[] = [];
  const nodes: AuditNodeRow[] = [];
  // Perfect subtrees this batch made, keyed index · 64 + level (levels stay below 64).
  const known = new Map<number, Buffer>();
  for (let i = 0; i < events.length; i++) {
    const event = events[i] as AuditEvent;
    const seq = view.size + i;
    const fields = {
      seq,
      time: event.time,
      actor: event.actor,
      action: event.action,
      resource: event.resource,
      outcome: event.outcome,
      requestId: event.requestId ?? null,
      source: event.source ?? null,
      detailsDigest: details[i]?.digest ?? null,
    };
    let hash = leafHash(encodeEntry(fields));
    entries.push({ ...fields, details: details[i]?.inline ?? null, leafHash: hash, prunedAt: null });
    let level = 0;
    let index = seq;
    known.set(seq * 64, hash);
    while (index % 2 === 1) {
      const left = known.get((index - 1) * 64 + level) ?? (await view.subtree(level, index - 1));
      hash = nodeHash(left, hash);
      level += 1;
      index = (index - 1) / 2;
      nodes.push({ level, index, hash });
      known.set(index * 64 + level, hash);
    }
  }
  return { entries, nodes };
}
