import { invalidArgument, notFound, StrataError } from '../errors.ts';
import { assertObjectPath, assertPrefix } from '../names.ts';
import type { BlobRange } from '../ports/blob-store.ts';
import { canonicalEntry, DEFAULT_CONTENT_TYPE, etagOf, type Entry, type ObjectTemplate, type Provenance } from '../objects/entry.ts';
import type { StoredContent } from '../objects/object-store.ts';
import { permitsEach } from '../access/permits.ts';
import { authorize, type VersioningDeps } from './deps.ts';
import { listVersions, MAX_VERSION_COMMITS, type ObjectVersion, type VersionListing, type VersionListOptions } from './object-versions.ts';
import { listObjects, type ListOptions, type ListResult } from './list-objects.ts';
import { createEntryCursor, type EntryCursor } from './overlay-cursor.ts';
import { requireBranch, resolveRef } from './refs.ts';
import { getTreeEntry } from './tree/tree-reader.ts';
import { storageUsage, type StorageUsage } from './storage-usage.ts';
import type { CallContext, ObjectInfo, ResolvedRef } from './types.ts';

export interface PutObjectInput {
  repository: string;
  branch: string;
  path: string;
  body: AsyncIterable<Uint8Array>;
  contentType?: string;
  metadata?: Record<string, string>;
  /** Stored headers; a function is called once the body has been read (for checksums of it). */
  headers?: Record<string, string> | (() => Record<string, string>);
  tags?: Record<string, string>;
  /** Reject with PayloadTooLarge past this size. */
  maxBytes?: number;
  /** Write only if the branch's current object matches (S3 conditional writes). */
  expect?: WriteExpectation;
}

/**
 * A conditional write: `{ absent: true }` (If-None-Match: *) or `{ etag }` (If-Match: one ETag,
 * a comma-separated list of them, or `*` for "any existing object", RFC 9110 §13.1.1).
 * Checked before the bytes are stored and again just before staging.
 */
export type WriteExpectation = { absent: true } | { etag: string };

export interface StageInput {
  repository: string;
  branch: string;
  objects: StagedObject[];
  /** With a single object: stage it only if the branch's current object matches. */
  expect?: WriteExpectation;
}

export interface StagedObject extends ObjectTemplate {
  path: string;
  content: StoredContent;
  etag?: string;
  partSizes?: number[];
  provenance?: Provenance;
  extracted?: Record<string, string | number | boolean>;
}

export interface ObjectAddress {
  repository: string;
  ref: string;
  path: string;
}

/** Reads and writes objects. Writes go to a branch's staging; reads work at any ref. */
export class ObjectService {
  constructor(private readonly deps: VersioningDeps) {}

  /** Stores the content, then stages it at `path`. The branch is checked before any byte is stored. */
  async put(ctx: CallContext, input: PutObjectInput): Promise<ObjectInfo> {
    assertObjectPath(input.path);
    await requireBranch(this.deps, input.repository, input.branch);
    await authorize(this.deps, ctx, { action: 'object:write', repository: input.repository, ref: input.branch, path: input.path });
    await this.checkExpectation(input, input.expect);
    const content = await this.deps.objects.write(input.body, { signal: ctx.signal, maxBytes: input.maxBytes });
    await this.checkExpectation(input, input.expect);
    const { repository, branch, body: _body, maxBytes: _maxBytes, expect: _expect, headers, ...object } = input;
    const [info] = await this.stageChecked(repository, branch, [{ ...object, headers: typeof headers === 'function' ? headers() : headers, content }]);
    return info as ObjectInfo;
  }

  /**
   * Zero-copy: stages the source's entry (same bytes, any ref or repository) at the target path.
   * With `replace`, the type, metadata, headers and tags come from it instead of the source.
   * As in S3, the copy is a single-part object: its ETag is the content's MD5.
   */
  async copy(
    ctx: CallContext,
    input: { source: ObjectAddress; target: { repository: string; branch: string; path: string }; replace?: ObjectTemplate; expect?: WriteExpectation },
  ): Promise<ObjectInfo> {
    assertObjectPath(input.target.path);
    const source = await this.stat(ctx, input.source);
    await requireBranch(this.deps, input.target.repository, input.target.branch);
    await authorize(this.deps, ctx, { action: 'object:write', repository: input.target.repository, ref: input.target.branch, path: input.target.path });
    await this.checkExpectation(input.target, input.expect);
    const content = { sha256: source.sha256, md5: source.md5, size: source.size, manifest: source.manifest };
    await this.deps.objects.retain(content);
    const template = input.replace ?? source;
    const object: StagedObject = { path: input.target.path, content, contentType: template.contentType, metadata: template.metadata, headers: template.headers, tags: template.tags };
    const [info] = await this.stageChecked(input.target.repository, input.target.branch, [object]);
    return info as ObjectInfo;
  }

  /** Replaces an object's tags on a branch (a new version with the same bytes). */
  async setTags(ctx: CallContext, input: { repository: string; branch: string; path: string; tags: Record<string, string> }): Promise<ObjectInfo> {
    const current = await this.stat(ctx, { repository: input.repository, ref: input.branch, path: input.path });
    await requireBranch(this.deps, input.repository, input.branch);
    await authorize(this.deps, ctx, { action: 'object:write', repository: input.repository, ref: input.branch, path: input.path });
    const { path, mtime: _mtime, ...entry } = current;
    await this.deps.objects.retain(entry);
    const [info] = await this.stageChecked(input.repository, input.branch, [
      { path, content: entry, contentType: entry.contentType, metadata: entry.metadata, headers: entry.headers, tags: input.tags, etag: entry.etag, partSizes: entry.partSizes },
    ]);
    return info as ObjectInfo;
  }

  /** Fails as a conditional write to `target` would, before anything is stored. */
  async checkWrite(ctx: CallContext, target: { repository: string; branch: string; path: string }, expect: WriteExpectation | undefined): Promise<void> {
    await authorize(this.deps, ctx, { action: 'object:write', repository: target.repository, ref: target.branch, path: target.path });
    await this.checkExpectation(target, expect);
  }

  private async checkExpectation(target: { repository: string; branch: string; path: string }, expect: WriteExpectation | undefined): Promise<void> {
    if (expect === undefined) return;
    const resolved = await resolveRef(this.deps, target.repository, target.branch);
    const current = await this.entryAt(resolved, { repository: target.repository, ref: target.branch, path: target.path });
    if ('absent' in expect) {
      if (current) throw new StrataError('PreconditionFailed', `object '${target.path}' already exists`, { details: { reason: 'exists' } });
      return;
    }
    if (!current) throw notFound(`object '${target.path}' not found at ${target.repository}@${target.branch}`);
    const wanted = expect.etag.split(',').map((tag) => tag.trim().replace(/^W\//, '').replaceAll('"', ''));
    if (!wanted.includes('*') && !wanted.includes(etagOf(current).replaceAll('"', ''))) {
      throw new StrataError('PreconditionFailed', `object '${target.path}' has a different ETag`, { details: { reason: 'etag' } });
    }
  }

  /**
   * Stores a content without staging it; pair with `stage` to write many objects in one batch.
   * The content is visible at once but made durable by `stage`, which syncs the whole batch once.
   */
  async writeContent(ctx: CallContext, input: { repository: string; branch: string; body: AsyncIterable<Uint8Array> }): Promise<StoredContent> {
    await requireBranch(this.deps, input.repository, input.branch);
    await authorize(this.deps, ctx, { action: 'object:write', repository: input.repository, ref: input.branch });
    return this.deps.objects.write(input.body, { signal: ctx.signal, deferSync: true });
  }

  /** Makes written contents durable, then stages them in one transaction. */
  async stage(ctx: CallContext, input: StageInput): Promise<ObjectInfo[]> {
    for (const object of input.objects) assertObjectPath(object.path);
    await requireBranch(this.deps, input.repository, input.branch);
    await this.authorizeBatch(ctx, { action: 'object:write', repository: input.repository, ref: input.branch }, input.objects.map((o) => o.path));
    await this.deps.objects.flush();
    if (input.expect !== undefined) {
      const [only, ...more] = input.objects;
      if (!only || more.length > 0) throw invalidArgument('a conditional stage takes exactly one object');
      await this.checkExpectation({ repository: input.repository, branch: input.branch, path: only.path }, input.expect);
    }
    return this.stageChecked(input.repository, input.branch, input.objects);
  }

  /**
   * One audited decision for a batch (one audit entry for the batch, as before paths counted),
   * then each path asked silently; the first path a rule refuses is refused, audited, by itself.
   */
  private async authorizeBatch(ctx: CallContext, at: { action: string; repository: string; ref: string }, paths: string[]): Promise<void> {
    await authorize(this.deps, ctx, paths.length === 1 ? { ...at, path: paths[0] ?? '' } : at);
    if (paths.length <= 1) return;
    const allowed = await permitsEach(this.deps.authorizer, { actor: ctx.actor, ...at }, paths);
    const refused = allowed.indexOf(false);
    if (refused >= 0) await authorize(this.deps, ctx, { ...at, path: paths[refused] ?? '' });
  }

  private async stageChecked(repository: string, branch: string, objects: StageInput['objects']): Promise<ObjectInfo[]> {
    const mtime = this.deps.clock.now().toISOString();
    const changes = objects.map((object) => ({
      path: object.path,
      entry: canonicalEntry({
        sha256: object.content.sha256,
        size: object.content.size,
        md5: object.content.md5,
        contentType: object.contentType ?? DEFAULT_CONTENT_TYPE,
        mtime,
        manifest: object.content.manifest,
        metadata: object.metadata,
        headers: object.headers,
        tags: object.tags,
        etag: object.etag,
        partSizes: object.partSizes,
        provenance: object.provenance,
        extracted: object.extracted,
      }),
    }));
    await this.deps.metadata.stage(repository, branch, changes);
    return changes.map((change) => ({ path: change.path, ...change.entry }));
  }

  /**
   * Stages the deletion of one object; NotFound if the branch does not have it, unless
   * `ifExists` (S3 semantics), which returns false instead.
   */
  async delete(ctx: CallContext, input: { repository: string; branch: string; path: string; ifExists?: boolean }): Promise<boolean> {
    assertObjectPath(input.path);
    await requireBranch(this.deps, input.repository, input.branch);
    await authorize(this.deps, ctx, { action: 'object:delete', repository: input.repository, ref: input.branch, path: input.path });
    const resolved = await resolveRef(this.deps, input.repository, input.branch);
    if (!(await this.entryAt(resolved, { repository: input.repository, ref: input.branch, path: input.path }))) {
      if (input.ifExists === true) return false;
      throw notFound(`object '${input.path}' not found at ${input.repository}@${input.branch}`);
    }
    await this.deps.metadata.stage(input.repository, input.branch, [{ path: input.path, entry: null }]);
    return true;
  }

  /** Stages the deletion of every object under `prefix`; returns how many. */
  async deletePrefix(ctx: CallContext, input: { repository: string; branch: string; prefix: string }): Promise<number> {
    assertPrefix(input.prefix);
    await requireBranch(this.deps, input.repository, input.branch);
    await authorize(this.deps, ctx, { action: 'object:delete', repository: input.repository, ref: input.branch, path: input.prefix });
    let count = 0;
    let after: string | undefined;
    for (;;) {
      const page = await this.list(ctx, { repository: input.repository, ref: input.branch, prefix: input.prefix, after, limit: 1000 });
      await this.deps.metadata.stage(input.repository, input.branch, page.objects.map((o) => ({ path: o.path, entry: null })));
      count += page.objects.length;
      if (!page.truncated) return count;
      after = page.nextAfter;
    }
  }

  /** Objects, logical bytes and bytes stored after deduplication under a prefix at a ref. */
  async usage(ctx: CallContext, input: { repository: string; ref: string; prefix?: string }): Promise<StorageUsage> {
    return storageUsage({ deps: this.deps, objects: this, ctx }, input);
  }

  async stat(ctx: CallContext, address: ObjectAddress): Promise<ObjectInfo> {
    assertObjectPath(address.path);
    await authorize(this.deps, ctx, { action: 'object:read', repository: address.repository, ref: address.ref, path: address.path });
    const resolved = await resolveRef(this.deps, address.repository, address.ref);
    const entry = await this.entryAt(resolved, address);
    if (!entry) throw notFound(`object '${address.path}' not found at ${address.repository}@${address.ref}`);
    await this.deps.objects.erased?.check(entry.sha256);
    return { path: address.path, ...entry };
  }

  /** The object's entry and a stream of its bytes (or of a byte range, end exclusive). */
  async get(ctx: CallContext, address: ObjectAddress & { range?: BlobRange }): Promise<{ info: ObjectInfo; body: AsyncIterable<Uint8Array> }> {
    const info = await this.stat(ctx, address);
    const body = await this.deps.objects.read(info, { range: address.range, signal: ctx.signal });
    return { info, body };
  }

  /** Streams the bytes of an object already stat'ed (saves a second lookup). */
  async read(ctx: CallContext, info: ObjectInfo, options: { range?: BlobRange } = {}): Promise<AsyncIterable<Uint8Array>> {
    return this.deps.objects.read(info, { range: options.range, signal: ctx.signal });
  }

  /**
   * Lists a ref. Entries the caller may not list (a path or label rule) are left out, as if they
   * did not exist; with `hidden: 'refuse'` (a recipe reading its inputs) the first one fails the
   * call as a read of it would, so a run never quietly reads less than it was asked to.
   */
  async list(ctx: CallContext, input: { repository: string; ref: string; hidden?: 'skip' | 'refuse' } & ListOptions): Promise<ListResult> {
    assertPrefix(input.prefix ?? '');
    await authorize(this.deps, ctx, { action: 'object:list', repository: input.repository, ref: input.ref, path: input.prefix ?? '' });
    const resolved = await resolveRef(this.deps, input.repository, input.ref);
    const result = await listObjects(this.cursorAt(resolved, input.repository), input);
    const at = { repository: input.repository, ref: input.ref };
    const objects = await this.listable(ctx, { ...at, paths: result.objects.map((o) => o.path), hidden: input.hidden });
    const prefixes = await this.listable(ctx, { ...at, paths: result.commonPrefixes, hidden: input.hidden });
    const shown = await this.markErased(result.objects.filter((_, i) => objects[i]));
    return { ...result, objects: shown, commonPrefixes: result.commonPrefixes.filter((_, i) => prefixes[i]) };
  }

  /** Listings show erased entries as such (`erased`: the erasure's id); their bytes answer `Erased`. */
  private async markErased(listed: ObjectInfo[]): Promise<ObjectInfo[]> {
    const erased = this.deps.objects.erased;
    if (!erased) return listed;
    return Promise.all(
      listed.map(async (info) => {
        const id = await erased.erasureOf(info.sha256);
        return id === undefined ? info : { ...info, erased: id };
      }),
    );
  }

  private async listable(ctx: CallContext, { paths, hidden, ...at }: { repository: string; ref: string; paths: string[]; hidden: 'skip' | 'refuse' | undefined }): Promise<boolean[]> {
    const shown = await permitsEach(this.deps.authorizer, { actor: ctx.actor, action: 'object:list', ...at }, paths);
    const first = shown.indexOf(false);
    if (first >= 0 && hidden === 'refuse') await authorize(this.deps, ctx, { action: 'object:read', ...at, path: paths[first] ?? '' });
    return shown;
  }

  /**
   * Deletes the current version of a key as S3 does, by making the version before it current
   * (staged on the branch). History stays: older versions are immutable commits, so deleting
   * one is Forbidden. Returns the version that became current (undefined: the key is gone).
   */
  async deleteVersion(ctx: CallContext, input: { repository: string; branch: string; path: string; versionId: string }): Promise<ObjectVersion | undefined> {
    assertObjectPath(input.path);
    await requireBranch(this.deps, input.repository, input.branch);
    await authorize(this.deps, ctx, { action: 'object:delete', repository: input.repository, ref: input.branch, path: input.path });
    const { versions } = await listVersions(this.deps, { repository: input.repository, branch: input.branch, prefix: input.path, limit: MAX_VERSION_COMMITS + 1 });
    const ofKey = versions.filter((v) => v.path === input.path);
    const at = ofKey.findIndex((v) => v.versionId === input.versionId);
    if (at < 0) throw notFound(`version ${input.versionId} of '${input.path}' not found on ${input.repository}@${input.branch}`);
    if (at > 0) {
      throw new StrataError('Forbidden', `version ${input.versionId} of '${input.path}' is part of the branch's history, which is immutable; only the current version can be deleted`);
    }
    const next = ofKey[1];
    if (next?.entry) await this.deps.objects.retain(next.entry);
    await this.deps.metadata.stage(input.repository, input.branch, [{ path: input.path, entry: next?.entry ?? null }]);
    return next;
  }

  /** Versions of keys along a branch's history (S3 ListObjectVersions). */
  async listVersions(ctx: CallContext, input: VersionListOptions): Promise<VersionListing> {
    assertPrefix(input.prefix ?? '');
    await authorize(this.deps, ctx, { action: 'object:list', repository: input.repository, ref: input.branch, path: input.prefix ?? '' });
    const listing = await listVersions(this.deps, input);
    const shown = await permitsEach(this.deps.authorizer, { actor: ctx.actor, action: 'object:list', repository: input.repository, ref: input.branch }, listing.versions.map((v) => v.path));
    return { ...listing, versions: listing.versions.filter((_, i) => shown[i]) };
  }

  private cursorAt(resolved: ResolvedRef, repository: string): EntryCursor {
    return createEntryCursor(this.deps.nodes, {
      treeId: resolved.commit.treeId,
      metadata: this.deps.metadata,
      repository,
      branch: resolved.kind === 'branch' ? resolved.name : undefined,
    });
  }

  private async entryAt(resolved: ResolvedRef, address: ObjectAddress): Promise<Entry | undefined> {
    if (resolved.kind === 'branch') {
      const staged = await this.deps.metadata.getStaged(address.repository, resolved.name, address.path);
      if (staged) return staged.entry ?? undefined;
    }
    return getTreeEntry(this.deps.nodes, resolved.commit.treeId, address.path);
  }
}

