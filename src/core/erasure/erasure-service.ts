import { randomUUID, verify as verifySignature } from 'node:crypto';
import { notFound, StrataError } from '../errors.ts';
import type { InferenceService } from '../inference/inference-service.ts';
import { objectKey } from '../lineage/node-keys.ts';
import { canonicalEntry, type Entry } from '../objects/entry.ts';
import { readManifest } from '../objects/manifest.ts';
import type { AuditSigner } from '../ports/audit-signer.ts';
import type { BlobStore } from '../ports/blob-store.ts';
import type { StagedHit } from '../ports/erasure-store.ts';
import type { SearchService } from '../catalog/search-service.ts';
import type { CommitService } from '../versioning/commit-service.ts';
import { authorize, type VersioningDeps } from '../versioning/deps.ts';
import type { ObjectService } from '../versioning/object-service.ts';
import { getTreeEntry } from '../versioning/tree/tree-reader.ts';
import type { CallContext } from '../versioning/types.ts';
import type { ErasedContents } from './erased-contents.ts';
import { commitTrees, parseTarget, scanStore, seedContents, walkDownstream, type ErasedVersion } from './erasure-plan.ts';
import { QuoteFinder } from './quotes.ts';
import { filterShard, shardFolder, tokensPathOf, updateManifest, type ManifestShard, type RemovedRecord } from './shard-rewrite.ts';

export const CERTIFICATE_FORMAT = 'strata-erasure/1';

export interface EraseInput {
  /** `repo@ref:path`, `source:<uri>`, `sha256:<hex>` or `dataset:<name>`. */
  target: string;
  /** Why (a request number, a licence withdrawn); goes into the certificate. */
  reason?: string;
  /** List everything the erasure would reach; change nothing. */
  dryRun?: boolean;
  progress?: (phase: ErasurePhase) => void;
}

export type ErasurePhase = 'scan' | 'lineage' | 'shards' | 'inference' | 'commit' | 'purge' | 'certify';

/** A shard rewritten (or that would be) without the erased records. */
export interface RewrittenShard {
  repository: string;
  path: string;
  /** The version that held erased records (destroyed). */
  sha256: string;
  removed: number;
  kept: number;
  /** Branches whose head held it: the shard is rewritten there, without those records. */
  branches: string[];
}

/**
 * What an erasure reached and did: the dry run's plan, and once done, the signed certificate.
 * Hashes name contents; nothing of the erased bytes is in it.
 */
export interface ErasureCertificate {
  format: typeof CERTIFICATE_FORMAT;
  id: string;
  target: string;
  reason: string | null;
  actor: string;
  dryRun: boolean;
  startedAt: string;
  finishedAt: string;
  /** The contents the target named. */
  contents: string[];
  /** Every path, in any readable commit, that held one of them (copies by content hash included). */
  objectVersions: ErasedVersion[];
  /** Recipe outputs that held records derived from them. */
  shards: RewrittenShard[];
  /** Ids of the records removed from those shards. */
  records: string[];
  /** Token files and quarantine shards that held those records. */
  tokenFiles: string[];
  /** Staged rows put back to their committed state, and multipart uploads aborted. */
  staged: StagedHit[];
  uploads: string[];
  /** Inference archive: records quoting the erased data, the partition versions and payloads that held them. */
  inference: { records: string[]; partitions: string[]; payloads: string[]; commit: string | null };
  /** Recipe cache entries dropped and the segment blobs that held them. */
  prepCache: { entries: number; segments: string[] };
  /** What could not be undone, marked: model versions trained on erased data, runs that read it. */
  marked: Array<{ subject: string; mark: string }>;
  /** The commits the erasure made (heads no longer hold erased data). */
  commits: Array<{ repository: string; branch: string; commit: string }>;
  /** Every content destroyed: reads of it answer 451 with this erasure's id. */
  destroyed: string[];
  /** Blobs deleted from the blob store (contents, manifests, chunks no other content uses, cache segments). */
  blobs: string[];
  /** Blobs kept because a content not erased is made of them too (its bytes are not the erased data's alone). */
  shared: string[];
  /** The check after the purge: each deleted blob looked up again. */
  checks: Array<{ sha256: string; absent: boolean }>;
  /** The audit entry of the erasure. */
  audit: { action: 'erasure:run'; resource: string };
}

export interface ErasureSummary {
  id: string;
  createdAt: string;
  actor: string;
  target: string;
  keyId: string;
}

export interface ErasureVerification {
  id: string;
  /** True when the signature holds and no destroyed blob exists anywhere in the blob store. */
  valid: boolean;
  signature: 'valid' | 'invalid' | 'unsigned';
  checked: number;
  /** Blobs of the certificate found in the store again. */
  present: string[];
}

type Parts = {
  objects: ObjectService;
  commits: CommitService;
  inference: InferenceService;
  search: SearchService;
  erased: ErasedContents;
  blobs: BlobStore;
  signer?: AuditSigner;
};

const MODEL_MARK = 'trained-on-erased-data';
const RUN_MARK = 'read-erased-data';
/** A raw content larger than this is not read for its words (its records' texts are). */
const QUOTE_SOURCE_LIMIT = 16 * 1024 * 1024;

/**
 * Erasure along lineage (docs/architecture.md, "Erasure"): finds every copy of the named
 * contents and everything recipes derived from them record by record, rewrites the current
 * versions without them, destroys every version that held them (reads answer `Erased`),
 * deletes their blobs, marks what cannot be undone, and signs a certificate of it all.
 */
export class ErasureService {
  constructor(
    private readonly deps: VersioningDeps,
    private readonly parts: Parts,
  ) {}

  async erase(ctx: CallContext, input: EraseInput): Promise<ErasureCertificate> {
    const target = parseTarget(input.target);
    const id = randomUUID();
    const resource = `erasure:${id}`;
    await authorize(this.deps, ctx, { action: 'erasure:run', resource });
    const progress = input.progress ?? ((): void => undefined);
    const dryRun = input.dryRun === true;
    const startedAt = new Date().toISOString();
    const scope = { deps: this.deps, objects: this.parts.objects, ctx };
    progress('scan');
    const seeds = await seedContents(scope, target);
    const scan = await scanStore(scope, { contents: seeds, archive: this.parts.inference.archiveName });
    progress('lineage');
    const downstream = await walkDownstream(this.deps, scan.versions);
    progress('shards');
    const shards = await this.planShards(ctx, { shards: downstream.shards, seeds });
    const destroyed = new Set([...seeds, ...shards.destroyed]);
    for (const [sha, entry] of shards.entries) scan.entries.set(sha, entry);
    progress('inference');
    const quotes = await this.quotesOf({ seeds, entries: scan.entries, removed: shards.removed });
    const identifiers = [...seeds, ...scan.versions.map((v) => objectKey(v.repository, v.path, v.sha256))];
    const inference = await this.parts.inference.eraseMatching(ctx, {
      matches: (_, texts) => texts.some((text) => quotes.quotes(text) || identifiers.some((i) => text.includes(i))),
      history: scan.partitions,
      message: `erase ${id}: inference records quoting ${input.target}`,
      dryRun,
    });
    for (const sha of [...inference.contents, ...inference.payloads]) destroyed.add(sha);
    for (const partition of scan.partitions) scan.entries.set(partition.sha256, partition);
    const cache = await this.prepCacheOf(seeds);
    const staged = await this.deps.metadata.erasure.stagedWith([...destroyed]);
    const uploads = await this.deps.metadata.erasure.partsWith([...destroyed]);
    const marked = [...downstream.models.map((n) => ({ subject: n.key, mark: MODEL_MARK })), ...downstream.runs.map((n) => ({ subject: n.key, mark: RUN_MARK }))];
    const certificate: ErasureCertificate = {
      format: CERTIFICATE_FORMAT,
      id,
      target: input.target,
      reason: input.reason ?? null,
      actor: ctx.actor.id,
      dryRun,
      startedAt,
      finishedAt: startedAt,
      contents: [...seeds].sort(),
      objectVersions: scan.versions,
      shards: shards.rewritten,
      records: shards.removed.map((r) => r.id).sort(),
      tokenFiles: shards.tokenFiles,
      staged,
      uploads: uploads.map((u) => u.uploadId),
      inference: { records: inference.ids, partitions: inference.contents, payloads: inference.payloads, commit: inference.commit },
      prepCache: { entries: cache.keys.length, segments: cache.segments },
      marked,
      commits: [],
      destroyed: [...destroyed].sort(),
      blobs: [],
      shared: [],
      checks: [],
      audit: { action: 'erasure:run', resource },
    };
    if (dryRun) return { ...certificate, finishedAt: new Date().toISOString() };

    // From here on reads of every destroyed content answer Erased, before any blob goes.
    const at = new Date().toISOString();
    await this.deps.metadata.erasure.recordErased([...destroyed].map((sha256) => ({ sha256, erasureId: id })), at);
    this.parts.erased.invalidate();
    progress('commit');
    certificate.commits = await this.commitHeads(ctx, { id, target: input.target, versions: [...scan.versions, ...shards.deletions], destroyed, rewrites: shards.rewrites });
    await this.restoreStaged(staged, destroyed);
    for (const upload of uploads) await this.deps.metadata.deleteUpload(upload.uploadId);
    await this.deps.metadata.gc.dropPrepCache(cache.keys);
    await this.deps.metadata.erasure.addMarks(marked.map((m) => ({ ...m, erasureId: id })), at);
    for (const node of [...downstream.models, ...downstream.runs]) {
      const previous = Array.isArray(node.data.erasures) ? (node.data.erasures as unknown[]) : [];
      await this.deps.metadata.lineage.mergeNodeData(node.key, { erasures: [...previous, { id, mark: node.type === 'model' ? MODEL_MARK : RUN_MARK }] });
    }
    progress('purge');
    const purge = await this.purge({ destroyed, entries: scan.entries, manifests: scan.manifests, segments: cache.segments });
    certificate.blobs = purge.blobs;
    certificate.shared = purge.shared;
    certificate.checks = purge.checks;
    for (const repository of new Set(certificate.commits.map((c) => c.repository))) await this.parts.search.refresh(repository);
    await this.deps.metadata.erasure.scrub();
    progress('certify');
    certificate.finishedAt = new Date().toISOString();
    const text = JSON.stringify(certificate);
    const signer = this.parts.signer;
    await this.deps.metadata.erasure.saveErasure({
      id,
      createdAt: certificate.finishedAt,
      actor: ctx.actor.id,
      target: input.target,
      certificate: text,
      signature: signer ? signer.sign(Buffer.from(text, 'utf8')).toString('base64') : '',
      keyId: signer?.keyId ?? '',
    });
    return certificate;
  }

  /** The certificate, and its exact signed text (to check the signature offline with the audit log's public key). */
  async show(ctx: CallContext, id: string): Promise<{ certificate: ErasureCertificate; text: string; signature: string; keyId: string }> {
    await authorize(this.deps, ctx, { action: 'erasure:read', resource: `erasure:${id}` });
    const record = await this.deps.metadata.erasure.getErasure(id);
    if (!record) throw notFound(`erasure ${id} not found`);
    return { certificate: JSON.parse(record.certificate) as ErasureCertificate, text: record.certificate, signature: record.signature, keyId: record.keyId };
  }

  async list(ctx: CallContext, limit = 50): Promise<ErasureSummary[]> {
    await authorize(this.deps, ctx, { action: 'erasure:read', resource: 'erasure:*' });
    return (await this.deps.metadata.erasure.listErasures(limit)).map((r) => ({ id: r.id, createdAt: r.createdAt, actor: r.actor, target: r.target, keyId: r.keyId }));
  }

  /** Checks the certificate's signature and that no blob it destroyed exists anywhere in the store again. */
  async verify(ctx: CallContext, id: string): Promise<ErasureVerification> {
    await authorize(this.deps, ctx, { action: 'erasure:read', resource: `erasure:${id}` });
    const record = await this.deps.metadata.erasure.getErasure(id);
    if (!record) throw notFound(`erasure ${id} not found`);
    const signature = this.checkSignature(record.certificate, record.signature, record.keyId);
    const certificate = JSON.parse(record.certificate) as ErasureCertificate;
    const hashes = [...new Set([...certificate.blobs, ...certificate.destroyed.filter((sha) => !certificate.shared.includes(sha))])];
    const present: string[] = [];
    for (const sha of hashes) if ((await this.parts.blobs.stat(sha)) !== undefined) present.push(sha);
    return { id, valid: signature === 'valid' && present.length === 0, signature, checked: hashes.length, present };
  }

  /** Marks left on lineage nodes (a model version trained on erased data), for the registry and lineage views. */
  async marksOf(subjects: string[]): Promise<Array<{ subject: string; erasureId: string; mark: string }>> {
    return this.deps.metadata.erasure.marksOf(subjects);
  }

  private checkSignature(text: string, signature: string, keyId: string): ErasureVerification['signature'] {
    if (signature === '') return 'unsigned';
    const signer = this.parts.signer;
    if (!signer || signer.keyId !== keyId) return 'invalid';
    return verifySignature(null, Buffer.from(text, 'utf8'), signer.publicKeyPem, Buffer.from(signature, 'base64')) ? 'valid' : 'invalid';
  }

  /**
   * For every shard version lineage says was derived from an erased version: the records it
   * holds of erased contents (read, not assumed: dedup may have dropped them all), the token
   * file and quarantine shards written beside it, and the branches whose head holds it.
   */
  private async planShards(ctx: CallContext, input: { shards: ErasedVersion[]; seeds: ReadonlySet<string> }): Promise<ShardPlan> {
    const plan: ShardPlan = { rewritten: [], removed: [], tokenFiles: [], destroyed: new Set(), entries: new Map(), rewrites: [], deletions: [] };
    const byRepository = new Map<string, ErasedVersion[]>();
    for (const shard of input.shards) byRepository.set(shard.repository, [...(byRepository.get(shard.repository) ?? []), shard]);
    for (const [repository, shards] of byRepository) {
      const shas = new Set(shards.map((s) => s.sha256));
      const paths = [...new Set(shards.map((s) => s.path))];
      /** Per shard version: its entry, token file entry, and the quarantine folders beside it. */
      const versions = new Map<string, { path: string; entry: Entry; tokens?: Entry }>();
      const folders = new Map<string, Set<string>>();
      for (const commit of await commitTrees(this.deps, repository)) {
        for (const path of paths) {
          const entry = await getTreeEntry(this.deps.nodes, commit.treeId, path);
          if (!entry || !shas.has(entry.sha256) || versions.has(entry.sha256)) continue;
          const tokens = await getTreeEntry(this.deps.nodes, commit.treeId, tokensPathOf(path));
          versions.set(entry.sha256, { path, entry, ...(tokens ? { tokens } : {}) });
          folders.set(commit.id, (folders.get(commit.id) ?? new Set()).add(`${shardFolder(path)}quarantine/`));
        }
      }
      const filtered = new Map<string, { path: string; entry: Entry; tokens?: Entry; result: ReturnType<typeof filterShard> }>();
      for (const [sha, version] of versions) {
        if (!version.path.endsWith('.jsonl')) {
          // Not rewritable record by record yet: the shard is destroyed whole (deleted from heads).
          filtered.set(sha, { ...version, result: wholeShard() });
          plan.deletions.push({ repository, path: version.path, sha256: sha });
          continue;
        }
        const tokens = version.tokens ? await this.bytes(version.tokens) : undefined;
        const result = filterShard(await this.bytes(version.entry), input.seeds, tokens);
        if (result.removed.length === 0) continue;
        filtered.set(sha, { ...version, result });
      }
      for (const [commit, prefixes] of folders) {
        for (const prefix of prefixes) {
          for (const object of (await this.parts.objects.list(ctx, { repository, ref: commit, prefix, limit: 1000 })).objects) {
            if (!object.path.endsWith('.jsonl') || filtered.has(object.sha256) || versions.has(object.sha256)) continue;
            const result = filterShard(await this.bytes(object), input.seeds);
            if (result.removed.length > 0) filtered.set(object.sha256, { path: object.path, entry: object, result });
          }
        }
      }
      const branches = await this.deps.metadata.listBranches(repository);
      for (const [sha, shard] of filtered) {
        plan.destroyed.add(sha);
        plan.entries.set(sha, shard.entry);
        if (shard.tokens) {
          plan.destroyed.add(shard.tokens.sha256);
          plan.entries.set(shard.tokens.sha256, shard.tokens);
          plan.tokenFiles.push(shard.tokens.sha256);
        }
        plan.removed.push(...shard.result.removed);
        const current: string[] = [];
        for (const branch of branches) {
          const head = await this.deps.metadata.getCommit(repository, branch.head);
          const at = await getTreeEntry(this.deps.nodes, head?.treeId ?? null, shard.path);
          if (at?.sha256 !== sha) continue;
          current.push(branch.name);
          if (shard.result.kept > 0 || shard.path.endsWith('.jsonl')) plan.rewrites.push({ repository, branch: branch.name, path: shard.path, entry: shard.entry, ...(shard.tokens ? { tokens: shard.tokens } : {}), result: shard.result });
        }
        plan.rewritten.push({ repository, path: shard.path, sha256: sha, removed: shard.result.removed.length, kept: shard.result.kept, branches: current });
      }
    }
    plan.rewritten.sort((a, b) => (a.repository + a.path < b.repository + b.path ? -1 : 1));
    plan.tokenFiles.sort();
    return plan;
  }

  /** The words to recognise in inference records: the removed records' texts, and text contents' own. */
  private async quotesOf(input: { seeds: ReadonlySet<string>; entries: Map<string, Entry>; removed: RemovedRecord[] }): Promise<QuoteFinder> {
    const finder = new QuoteFinder();
    for (const record of input.removed) finder.add(record.text);
    for (const sha of input.seeds) {
      const entry = input.entries.get(sha);
      if (!entry || entry.size > QUOTE_SOURCE_LIMIT || !/^(text\/|application\/(json|x-ndjson|xml))/.test(entry.contentType)) continue;
      finder.add((await this.bytes(entry)).toString('utf8'));
    }
    return finder;
  }

  /** Cache entries computed from an erased content, and every entry sharing a segment with one (the segment goes whole). */
  private async prepCacheOf(seeds: ReadonlySet<string>): Promise<{ keys: string[]; segments: string[] }> {
    const segments = new Set<string>();
    for await (const entry of this.deps.metadata.gc.prepCacheEntries()) if (entry.source !== null && seeds.has(entry.source)) segments.add(entry.blob);
    const keys: string[] = [];
    if (segments.size > 0) for await (const entry of this.deps.metadata.gc.prepCacheEntries()) if (segments.has(entry.blob)) keys.push(entry.key);
    return { keys, segments: [...segments].sort() };
  }

  /**
   * One commit per branch whose head holds erased data: erased objects deleted, shards replaced
   * by their rewritten versions (token files and manifest with them). Made whatever the
   * branch's protection (see CommitService.commitErasure), and of these paths only.
   */
  private async commitHeads(ctx: CallContext, input: { id: string; target: string; versions: ErasedVersion[]; destroyed: ReadonlySet<string>; rewrites: ShardRewrite[] }): Promise<ErasureCertificate['commits']> {
    const changes = new Map<string, { repository: string; branch: string; deleted: Set<string>; rewrites: ShardRewrite[] }>();
    const at = (repository: string, branch: string): { repository: string; branch: string; deleted: Set<string>; rewrites: ShardRewrite[] } => {
      const key = `${repository}\n${branch}`;
      let change = changes.get(key);
      if (!change) changes.set(key, (change = { repository, branch, deleted: new Set(), rewrites: [] }));
      return change;
    };
    const rewritten = new Set(input.rewrites.map((r) => `${r.repository}\n${r.branch}\n${r.path}`));
    for (const version of input.versions) {
      for (const branch of await this.deps.metadata.listBranches(version.repository)) {
        if (rewritten.has(`${version.repository}\n${branch.name}\n${version.path}`)) continue;
        const head = await this.deps.metadata.getCommit(version.repository, branch.head);
        const entry = await getTreeEntry(this.deps.nodes, head?.treeId ?? null, version.path);
        if (entry && input.destroyed.has(entry.sha256)) at(version.repository, branch.name).deleted.add(version.path);
      }
    }
    for (const rewrite of input.rewrites) at(rewrite.repository, rewrite.branch).rewrites.push(rewrite);
    const commits: ErasureCertificate['commits'] = [];
    for (const change of changes.values()) {
      const records = change.rewrites.reduce((n, r) => n + r.result.removed.length, 0);
      const message = `erase ${input.id}: ${input.target}` + (change.deleted.size > 0 ? `; ${change.deleted.size} object(s) removed` : '') + (change.rewrites.length > 0 ? `; ${change.rewrites.length} shard(s) rewritten without ${records} record(s)` : '');
      const commit = await this.parts.commits.commitErasure(ctx, { repository: change.repository, branch: change.branch, message, metadata: { erasure: input.id }, unchangedIsHead: true }, () => this.stageChange(change));
      commits.push({ repository: change.repository, branch: change.branch, commit: commit.id });
    }
    return commits.sort((a, b) => (a.repository + a.branch < b.repository + b.branch ? -1 : 1));
  }

  /**
   * Stages one branch's part of an erasure (under its commit lock): erased objects deleted,
   * shards replaced by their rewritten versions, token files and the manifest with them; the
   * manifest is read from the head the commit builds on. Returns the paths staged.
   */
  private async stageChange(change: { repository: string; branch: string; deleted: Set<string>; rewrites: ShardRewrite[] }): Promise<string[]> {
    const staged = [...change.deleted].map((path) => ({ path, entry: null as Entry | null }));
    const manifests = new Map<string, Map<string, ManifestShard>>();
    for (const rewrite of change.rewrites) {
      const shard = await this.store(rewrite.entry, rewrite.result.jsonl);
      staged.push({ path: rewrite.path, entry: shard });
      const info: ManifestShard = { path: rewrite.path, records: rewrite.result.kept, size: shard.size, sha256: shard.sha256 };
      if (rewrite.tokens && rewrite.result.tokens) {
        const tokens = await this.store(rewrite.tokens, rewrite.result.tokens);
        staged.push({ path: tokensPathOf(rewrite.path), entry: tokens });
        info.tokens = { path: tokensPathOf(rewrite.path), count: tokens.size / 4, size: tokens.size, sha256: tokens.sha256 };
      }
      const manifestPath = `${shardFolder(rewrite.path)}manifest.json`;
      manifests.set(manifestPath, (manifests.get(manifestPath) ?? new Map<string, ManifestShard>()).set(rewrite.path, info));
    }
    const head = await this.deps.metadata.getBranch(change.repository, change.branch);
    const tree = head ? (await this.deps.metadata.getCommit(change.repository, head.head))?.treeId ?? null : null;
    for (const [path, shards] of manifests) {
      const current = await getTreeEntry(this.deps.nodes, tree, path);
      if (!current) continue;
      staged.push({ path, entry: await this.store(current, updateManifest(await this.bytes(current), shards)) });
    }
    await this.deps.metadata.stage(change.repository, change.branch, staged);
    return staged.map((s) => s.path);
  }

  /** A staged row holding an erased content goes back to what the head holds (or to nothing). */
  private async restoreStaged(hits: StagedHit[], destroyed: ReadonlySet<string>): Promise<void> {
    for (const hit of hits) {
      const branch = await this.deps.metadata.getBranch(hit.repository, hit.branch);
      const head = branch ? await this.deps.metadata.getCommit(hit.repository, branch.head) : undefined;
      const committed = await getTreeEntry(this.deps.nodes, head?.treeId ?? null, hit.path);
      await this.deps.metadata.stage(hit.repository, hit.branch, [{ path: hit.path, entry: committed && !destroyed.has(committed.sha256) ? committed : null }]);
    }
  }

  /**
   * Deletes the blobs of the destroyed contents: whole contents, manifests, and chunks no
   * other content is made of; then looks each up again. A chunk shared with a content that
   * is not erased stays (those bytes belong to the other content too) and is listed as such.
   */
  private async purge(input: { destroyed: ReadonlySet<string>; entries: Map<string, Entry>; manifests: Map<string, string>; segments: string[] }): Promise<{ blobs: string[]; shared: string[]; checks: ErasureCertificate['checks'] }> {
    const blobs = this.parts.blobs;
    const doomed = new Set<string>(input.segments);
    const chunks = new Set<string>();
    for (const sha of input.destroyed) {
      const entry = input.entries.get(sha);
      if (entry?.manifest === undefined) {
        doomed.add(sha);
        continue;
      }
      doomed.add(entry.manifest);
      for (const chunk of (await readManifest(blobs, entry.manifest)).chunks) chunks.add(chunk.sha256);
    }
    const kept = new Set<string>();
    if (chunks.size > 0 || doomed.size > 0) {
      for (const [manifest, content] of input.manifests) {
        if (input.destroyed.has(content)) continue;
        for (const chunk of (await readManifest(blobs, manifest)).chunks) if (chunks.has(chunk.sha256) || doomed.has(chunk.sha256)) kept.add(chunk.sha256);
      }
    }
    for (const chunk of chunks) if (!kept.has(chunk)) doomed.add(chunk);
    for (const sha of kept) doomed.delete(sha);
    const deleted = [...doomed].sort();
    for (const sha of deleted) {
      await blobs.delete(sha);
      this.deps.objects.forget(sha);
    }
    const checks: ErasureCertificate['checks'] = [];
    for (const sha of deleted) checks.push({ sha256: sha, absent: (await blobs.stat(sha)) === undefined });
    const failed = checks.filter((c) => !c.absent);
    if (failed.length > 0) throw new StrataError('Internal', `erasure could not delete ${failed.length} blob(s), e.g. ${failed[0]?.sha256 ?? ''}`);
    return { blobs: deleted, shared: [...kept].sort(), checks };
  }

  /** A new content with an old entry's type and metadata. */
  private async store(like: Entry, bytes: Buffer): Promise<Entry> {
    const content = await this.deps.objects.write(once(bytes));
    return canonicalEntry({ ...like, sha256: content.sha256, size: content.size, md5: content.md5, manifest: content.manifest, mtime: this.deps.clock.now().toISOString() });
  }

  /** A content's bytes, read past the erased-content check (the erasure reads what it is destroying). */
  private async bytes(entry: Entry): Promise<Buffer> {
    const parts: Uint8Array[] = [];
    for await (const part of await this.deps.objects.read(entry)) parts.push(part);
    return Buffer.concat(parts);
  }
}

interface ShardRewrite {
  repository: string;
  branch: string;
  path: string;
  entry: Entry;
  tokens?: Entry;
  result: ReturnType<typeof filterShard>;
}

interface ShardPlan {
  rewritten: RewrittenShard[];
  removed: RemovedRecord[];
  tokenFiles: string[];
  destroyed: Set<string>;
  entries: Map<string, Entry>;
  rewrites: ShardRewrite[];
  /** Shards destroyed whole (formats not rewritten record by record): deleted where a head holds them. */
  deletions: ErasedVersion[];
}

/** A shard in a format the erasure cannot rewrite record by record yet: destroyed whole. */
function wholeShard(): ReturnType<typeof filterShard> {
  return { jsonl: Buffer.alloc(0), kept: 0, removed: [] };
}

async function* once(bytes: Buffer): AsyncGenerator<Uint8Array> {
  await Promise.resolve();
  yield bytes;
}
