import { notFound } from '../errors.ts';
import { assertObjectPath, assertPrefix } from '../names.ts';
import type { BlobRange } from '../ports/blob-store.ts';
import { canonicalEntry, DEFAULT_CONTENT_TYPE, type Entry } from '../objects/entry.ts';
import type { StoredContent } from '../objects/object-store.ts';
import { authorize, type VersioningDeps } from './deps.ts';
import { listObjects, type ListOptions, type ListResult } from './list-objects.ts';
import { createEntryCursor, type EntryCursor } from './overlay-cursor.ts';
import { requireBranch, resolveRef } from './refs.ts';
import { getTreeEntry } from './tree/tree-reader.ts';
import type { CallContext, ObjectInfo, ResolvedRef } from './types.ts';

export interface PutObjectInput {
  repository: string;
  branch: string;
  path: string;
  body: AsyncIterable<Uint8Array>;
  contentType?: string;
  metadata?: Record<string, string>;
  /** Reject with PayloadTooLarge past this size. */
  maxBytes?: number;
}

export interface StageInput {
  repository: string;
  branch: string;
  objects: { path: string; content: StoredContent; contentType?: string; metadata?: Record<string, string> }[];
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
    await authorize(this.deps, ctx, { action: 'object:write', repository: input.repository });
    const content = await this.deps.objects.write(input.body, { signal: ctx.signal, maxBytes: input.maxBytes });
    const [info] = await this.stageChecked(input.repository, input.branch, [{ path: input.path, content, contentType: input.contentType, metadata: input.metadata }]);
    return info as ObjectInfo;
  }

  /**
   * Stores a content without staging it; pair with `stage` to write many objects in one batch.
   * The content is visible at once but made durable by `stage`, which syncs the whole batch once.
   */
  async writeContent(ctx: CallContext, input: { repository: string; branch: string; body: AsyncIterable<Uint8Array> }): Promise<StoredContent> {
    await requireBranch(this.deps, input.repository, input.branch);
    await authorize(this.deps, ctx, { action: 'object:write', repository: input.repository });
    return this.deps.objects.write(input.body, { signal: ctx.signal, deferSync: true });
  }

  /** Makes written contents durable, then stages them in one transaction. */
  async stage(ctx: CallContext, input: StageInput): Promise<ObjectInfo[]> {
    for (const object of input.objects) assertObjectPath(object.path);
    await requireBranch(this.deps, input.repository, input.branch);
    await authorize(this.deps, ctx, { action: 'object:write', repository: input.repository });
    await this.deps.objects.flush();
    return this.stageChecked(input.repository, input.branch, input.objects);
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
      }),
    }));
    await this.deps.metadata.stage(repository, branch, changes);
    return changes.map((change) => ({ path: change.path, ...change.entry }));
  }

  /** Stages the deletion of one object; NotFound if the branch does not have it. */
  async delete(ctx: CallContext, input: { repository: string; branch: string; path: string }): Promise<void> {
    assertObjectPath(input.path);
    await requireBranch(this.deps, input.repository, input.branch);
    await authorize(this.deps, ctx, { action: 'object:delete', repository: input.repository });
    await this.stat(ctx, { repository: input.repository, ref: input.branch, path: input.path });
    await this.deps.metadata.stage(input.repository, input.branch, [{ path: input.path, entry: null }]);
  }

  /** Stages the deletion of every object under `prefix`; returns how many. */
  async deletePrefix(ctx: CallContext, input: { repository: string; branch: string; prefix: string }): Promise<number> {
    assertPrefix(input.prefix);
    await requireBranch(this.deps, input.repository, input.branch);
    await authorize(this.deps, ctx, { action: 'object:delete', repository: input.repository });
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

  async stat(ctx: CallContext, address: ObjectAddress): Promise<ObjectInfo> {
    assertObjectPath(address.path);
    await authorize(this.deps, ctx, { action: 'object:read', repository: address.repository });
    const resolved = await resolveRef(this.deps, address.repository, address.ref);
    const entry = await this.entryAt(resolved, address);
    if (!entry) throw notFound(`object '${address.path}' not found at ${address.repository}@${address.ref}`);
    return { path: address.path, ...entry };
  }

  /** The object's entry and a stream of its bytes (or of a byte range, end exclusive). */
  async get(ctx: CallContext, address: ObjectAddress & { range?: BlobRange }): Promise<{ info: ObjectInfo; body: AsyncIterable<Uint8Array> }> {
    const info = await this.stat(ctx, address);
    const body = await this.deps.objects.read(info, { range: address.range, signal: ctx.signal });
    return { info, body };
  }

  async list(ctx: CallContext, input: { repository: string; ref: string } & ListOptions): Promise<ListResult> {
    assertPrefix(input.prefix ?? '');
    await authorize(this.deps, ctx, { action: 'object:list', repository: input.repository });
    const resolved = await resolveRef(this.deps, input.repository, input.ref);
    return listObjects(this.cursorAt(resolved, input.repository), input);
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
