import { createHash, randomBytes } from 'node:crypto';
import { invalidArgument, isStrataError, StrataError } from '../errors.ts';
import { DEFAULT_CONTENT_TYPE, type ObjectTemplate } from '../objects/entry.ts';
import type { StoredContent } from '../objects/object-store.ts';
import type { BlobRange } from '../ports/blob-store.ts';
import type { PartRecord, UploadRecord } from '../ports/metadata-store.ts';
import { assertObjectPath } from '../names.ts';
import { authorize, type VersioningDeps } from './deps.ts';
import type { ObjectAddress, ObjectService, WriteExpectation } from './object-service.ts';
import { requireBranch } from './refs.ts';
import type { CallContext, ObjectInfo } from './types.ts';

/** S3's limits: part numbers 1–10,000; every part but the last at least 5 MiB. */
export const MAX_PART_NUMBER = 10_000;
export const MIN_PART_SIZE = 5 * 1024 * 1024;

export interface CompletedPart {
  partNumber: number;
  /** The part's ETag as the client received it (quotes optional). */
  etag: string;
}

const failure = (code: 'NotFound' | 'InvalidArgument', reason: string, message: string): StrataError =>
  new StrataError(code, message, { details: { reason } });

/**
 * Multipart uploads (S3 semantics). Each part is stored as a content like any object; completing
 * an upload writes one manifest naming the parts' chunks in order, so no byte is copied. The
 * whole content's SHA-256 and MD5 are computed by reading the parts once (Strata's identity of a
 * content is its SHA-256).
 */
export class MultipartService {
  constructor(
    private readonly deps: VersioningDeps,
    private readonly objects: ObjectService,
    private readonly options: { minPartSize: number } = { minPartSize: MIN_PART_SIZE },
  ) {}

  async create(ctx: CallContext, input: { repository: string; branch: string; path: string; template: ObjectTemplate }): Promise<UploadRecord> {
    assertObjectPath(input.path);
    await requireBranch(this.deps, input.repository, input.branch);
    await authorize(this.deps, ctx, { action: 'object:write', repository: input.repository, ref: input.branch, path: input.path });
    const upload: UploadRecord = {
      id: randomBytes(24).toString('base64url'),
      repository: input.repository,
      branch: input.branch,
      path: input.path,
      initiatedAt: this.deps.clock.now().toISOString(),
      initiator: ctx.actor.id,
      template: input.template,
    };
    await this.deps.metadata.createUpload(upload);
    return upload;
  }

  /** The upload, checked to belong to `repository` and `path` (S3 addresses uploads by key and id). */
  async get(ctx: CallContext, input: { repository: string; path: string; uploadId: string }): Promise<UploadRecord> {
    await authorize(this.deps, ctx, { action: 'object:write', repository: input.repository });
    const upload = await this.deps.metadata.getUpload(input.uploadId);
    if (!upload || upload.repository !== input.repository || upload.path !== input.path) {
      throw failure('NotFound', 'no-such-upload', `upload '${input.uploadId}' does not exist for '${input.path}' (it may have been completed or aborted)`);
    }
    return upload;
  }

  async uploadPart(
    ctx: CallContext,
    input: { repository: string; path: string; uploadId: string; partNumber: number; body: AsyncIterable<Uint8Array>; maxBytes?: number },
  ): Promise<PartRecord> {
    assertPartNumber(input.partNumber);
    await this.get(ctx, input);
    const content = await this.deps.objects.write(input.body, { signal: ctx.signal, maxBytes: input.maxBytes });
    return this.savePart(input, content);
  }

  /**
   * A part taken from an existing object. The whole object reuses its content (no copy); a byte
   * range is read and stored (it is new content).
   */
  async copyPart(
    ctx: CallContext,
    input: { repository: string; path: string; uploadId: string; partNumber: number; source: ObjectAddress; range?: BlobRange },
  ): Promise<{ part: PartRecord; source: ObjectInfo }> {
    assertPartNumber(input.partNumber);
    await this.get(ctx, input);
    const source = await this.objects.stat(ctx, input.source);
    const whole = input.range === undefined || (input.range.start === 0 && input.range.end === source.size);
    if (whole && source.etag === undefined) {
      await this.deps.objects.retain(source);
      const part = await this.savePart(input, { sha256: source.sha256, md5: source.md5, size: source.size, manifest: source.manifest });
      return { part, source };
    }
    const body = await this.deps.objects.read(source, { range: input.range, signal: ctx.signal });
    return { part: await this.savePart(input, await this.deps.objects.write(body, { signal: ctx.signal })), source };
  }

  async listParts(ctx: CallContext, input: { repository: string; path: string; uploadId: string; after?: number; limit: number }): Promise<PartRecord[]> {
    await this.get(ctx, input);
    return this.deps.metadata.listParts(input.uploadId, { after: input.after, limit: input.limit });
  }

  async list(ctx: CallContext, input: { repository: string; prefix?: string; after?: { path: string; id?: string }; limit: number }): Promise<UploadRecord[]> {
    await authorize(this.deps, ctx, { action: 'object:list', repository: input.repository });
    return this.deps.metadata.listUploads(input.repository, input);
  }

  async abort(ctx: CallContext, input: { repository: string; path: string; uploadId: string }): Promise<void> {
    await this.get(ctx, input);
    await this.deps.metadata.deleteUpload(input.uploadId);
  }

  /**
   * Checks the part list as S3 does, stages the assembled object and ends the upload. With
   * `expect`, the object is written only if the branch's current one matches (S3 conditional
   * writes). Completing an upload again with the same parts answers the object it made, as S3
   * does, when `branch` (where the key lives) still holds an object with the ETag those parts give.
   */
  async complete(ctx: CallContext, input: { repository: string; path: string; uploadId: string; parts: CompletedPart[]; expect?: WriteExpectation; branch?: string }): Promise<ObjectInfo> {
    const upload = await this.get(ctx, input).catch(async (error: unknown) => {
      const gone = isStrataError(error) && error.details?.reason === 'no-such-upload';
      const done = gone && input.branch !== undefined ? await this.completedBefore(ctx, { ...input, branch: input.branch }) : undefined;
      if (done) return done;
      throw error;
    });
    if (!('template' in upload)) return upload;
    await this.objects.checkWrite(ctx, { repository: upload.repository, branch: upload.branch, path: upload.path }, input.expect);
    const chosen = await this.chosenParts(upload.id, input.parts);
    const content = await this.deps.objects.concat(chosen.map((part) => part.content), await this.digest(chosen, ctx.signal));
    const partMd5s = createHash('md5');
    for (const part of chosen) partMd5s.update(Buffer.from(part.content.md5, 'hex'));
    const etag = `${partMd5s.digest('hex')}-${chosen.length}`;
    const { template } = upload;
    const [info] = await this.objects.stage(ctx, {
      repository: upload.repository,
      branch: upload.branch,
      expect: input.expect,
      objects: [{ path: upload.path, content, contentType: template.contentType ?? DEFAULT_CONTENT_TYPE, metadata: template.metadata, headers: template.headers, tags: template.tags, etag, partSizes: chosen.map((part) => part.content.size) }],
    });
    await this.deps.metadata.deleteUpload(upload.id);
    return info as ObjectInfo;
  }

  /**
   * The object a finished upload made, when the key's current object has exactly the ETag the
   * requested parts give (the MD5 of their MD5s, dash, count); the upload itself is gone.
   */
  private async completedBefore(ctx: CallContext, input: { repository: string; branch: string; path: string; parts: CompletedPart[] }): Promise<ObjectInfo | undefined> {
    const md5s = input.parts.map((part) => part.etag.replaceAll('"', '').toLowerCase());
    if (md5s.length === 0 || !md5s.every((md5) => /^[0-9a-f]{32}$/.test(md5))) return undefined;
    const etag = `${createHash('md5').update(Buffer.concat(md5s.map((md5) => Buffer.from(md5, 'hex')))).digest('hex')}-${md5s.length}`;
    try {
      const current = await this.objects.stat(ctx, { repository: input.repository, ref: input.branch, path: input.path });
      return current.etag === etag ? current : undefined;
    } catch (error) {
      if (isStrataError(error) && error.code === 'NotFound') return undefined;
      throw error;
    }
  }

  private async savePart(input: { uploadId: string; partNumber: number }, content: StoredContent): Promise<PartRecord> {
    const part = { uploadId: input.uploadId, partNumber: input.partNumber, content, lastModified: this.deps.clock.now().toISOString() };
    await this.deps.metadata.putPart(part);
    return part;
  }

  /** The parts the client listed, each by its number and ETag (several uploads of a number may be kept). */
  private async chosenParts(uploadId: string, requested: CompletedPart[]): Promise<PartRecord[]> {
    if (requested.length === 0) throw failure('InvalidArgument', 'malformed-xml', 'the part list is empty');
    const md5Of = (part: CompletedPart): string => part.etag.replaceAll('"', '').toLowerCase();
    const found = await this.deps.metadata.findParts(uploadId, requested.map((part) => ({ partNumber: part.partNumber, md5: md5Of(part) })));
    const stored = new Map(found.map((part) => [`${part.partNumber}:${part.content.md5}`, part]));
    const chosen: PartRecord[] = [];
    for (const [index, wanted] of requested.entries()) {
      const previous = requested[index - 1];
      if (previous && wanted.partNumber <= previous.partNumber) {
        throw failure('InvalidArgument', 'invalid-part-order', 'the parts are not in ascending part-number order');
      }
      const part = stored.get(`${wanted.partNumber}:${md5Of(wanted)}`);
      if (!part) {
        throw failure('InvalidArgument', 'invalid-part', `part ${wanted.partNumber} was not uploaded or its ETag does not match`);
      }
      chosen.push(part);
    }
    for (const part of chosen.slice(0, -1)) {
      if (part.content.size < this.options.minPartSize) {
        throw failure('InvalidArgument', 'entity-too-small', `part ${part.partNumber} is ${part.content.size} bytes; every part but the last must be at least ${this.options.minPartSize}`);
      }
    }
    return chosen;
  }

  /** SHA-256 and MD5 of the assembled content, read once through the parts. */
  private async digest(parts: PartRecord[], signal?: AbortSignal): Promise<{ sha256: string; md5: string }> {
    const only = parts.length === 1 ? parts[0] : undefined;
    if (only) return { sha256: only.content.sha256, md5: only.content.md5 };
    const sha256 = createHash('sha256');
    const md5 = createHash('md5');
    for (const part of parts) {
      for await (const bytes of await this.deps.objects.read(part.content, { signal })) {
        sha256.update(bytes);
        md5.update(bytes);
      }
    }
    return { sha256: sha256.digest('hex'), md5: md5.digest('hex') };
  }
}

function assertPartNumber(partNumber: number): void {
  if (!Number.isInteger(partNumber) || partNumber < 1 || partNumber > MAX_PART_NUMBER) {
    throw invalidArgument(`part number must be an integer from 1 to ${MAX_PART_NUMBER}`, { reason: 'invalid-part-number' });
  }
}
