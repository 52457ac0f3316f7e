import { mapConcurrent } from '../concurrency.ts';
import { invalidArgument, isStrataError } from '../errors.ts';
import type { Entry } from '../objects/entry.ts';
import type { IngestSource, SourceItem } from '../ports/ingest-source.ts';
import type { Extraction, MetadataExtractor } from '../ports/metadata-extractor.ts';
import type { SearchService } from '../catalog/search-service.ts';
import type { CommitService } from '../versioning/commit-service.ts';
import { authorize, type VersioningDeps } from '../versioning/deps.ts';
import type { ObjectService, StagedObject } from '../versioning/object-service.ts';
import { requireBranch } from '../versioning/refs.ts';
import type { CallContext, CommitInfo } from '../versioning/types.ts';

export interface IngestInput {
  source: IngestSource;
  repository: string;
  branch: string;
  /** Where the items land: `<prefix>/<item path>`; '' for the branch root. */
  prefix: string;
  /** Keeps an item when true (include/exclude globs, decided by the caller). */
  accept?: (path: string) => boolean;
  /** Items read and stored at once. Default 8. */
  concurrency?: number;
  /** Commit metadata describing who ran the ingest and where (version, user, host). */
  provenance?: Record<string, string>;
  /** Called once per item, whatever happened to it. */
  onItem?: (event: IngestEvent) => void;
  /** Called once the source has been listed. */
  onListed?: (summary: { items: number; bytes: number }) => void;
}

export interface IngestEvent {
  path: string;
  outcome: 'stored' | 'unchanged' | 'failed';
  bytes: number;
  error?: string;
}

export interface IngestSummary {
  source: string;
  repository: string;
  branch: string;
  prefix: string;
  /** Items the source listed and the filters kept. */
  items: number;
  bytes: number;
  /** Items whose content or metadata changed and were staged. */
  stored: number;
  /** Items found unchanged (same location, size and modification time): not read again. */
  unchanged: number;
  /** Items that could not be read; nothing was stored for them. */
  failed: { path: string; error: string }[];
  /** Stored items whose metadata extraction failed (the object is stored all the same). */
  extractionErrors: { path: string; error: string }[];
  /** The ingest commit; absent when nothing changed (no empty commit is made). */
  commit?: CommitInfo;
}

/** How many stored items are staged in one transaction. */
const STAGE_BATCH = 500;

/**
 * Ingest: reads a source in parallel, stores each item (deduplicated), extracts its metadata on
 * the way through, records where it came from, and ends in one commit. Re-running on the same
 * source reads nothing that is unchanged and makes no empty commit; a run that was interrupted
 * finds what it had staged and continues from there.
 */
export class IngestService {
  constructor(
    private readonly deps: VersioningDeps,
    private readonly services: { objects: ObjectService; commits: CommitService; search: SearchService; extractor: MetadataExtractor },
  ) {}

  async run(ctx: CallContext, input: IngestInput): Promise<IngestSummary> {
    await requireBranch(this.deps, input.repository, input.branch);
    await authorize(this.deps, ctx, { action: 'object:write', repository: input.repository, ref: input.branch });
    const prefix = input.prefix === '' || input.prefix.endsWith('/') ? input.prefix : `${input.prefix}/`;
    const items: SourceItem[] = [];
    for await (const item of input.source.list()) if (input.accept?.(item.path) ?? true) items.push(item);
    const summary: IngestSummary = { source: input.source.uri, repository: input.repository, branch: input.branch, prefix, items: items.length, bytes: 0, stored: 0, unchanged: 0, failed: [], extractionErrors: [] };
    input.onListed?.({ items: items.length, bytes: items.reduce((n, i) => n + (i.size ?? 0), 0) });
    const existing = await this.existingEntries(ctx, { repository: input.repository, branch: input.branch, prefix });
    const batch: StagedObject[] = [];
    const flush = async (): Promise<void> => {
      const objects = batch.splice(0);
      if (objects.length > 0) await this.services.objects.stage(ctx, { repository: input.repository, branch: input.branch, objects });
    };
    await mapConcurrent(items, input.concurrency ?? 8, async (item) => {
      const event = await this.ingestItem(ctx, { input, item, path: prefix + item.path, batch, current: existing.get(prefix + item.path) });
      if (event.outcome === 'stored') summary.stored++;
      if (event.outcome === 'unchanged') summary.unchanged++;
      if (event.outcome === 'failed') summary.failed.push({ path: event.path, error: event.error ?? 'unreadable' });
      else summary.bytes += event.bytes;
      if (event.outcome === 'stored' && event.error !== undefined) summary.extractionErrors.push({ path: event.path, error: event.error });
      input.onItem?.(event);
      if (batch.length >= STAGE_BATCH) await flush();
    });
    await flush();
    summary.commit = await this.commitIfChanged(ctx, input, summary);
    // The catalog search reflects default branches; index now rather than at the next search.
    if (summary.commit) await this.services.search.refresh(input.repository);
    return summary;
  }

  /**
   * What the branch holds under the prefix, read once: deciding per item whether it is unchanged
   * then costs no query (one listing instead of one lookup per item).
   */
  private async existingEntries(ctx: CallContext, input: { repository: string; branch: string; prefix: string }): Promise<Map<string, Entry>> {
    const entries = new Map<string, Entry>();
    let after: string | undefined;
    for (;;) {
      const page = await this.services.objects.list(ctx, { repository: input.repository, ref: input.branch, prefix: input.prefix, after, limit: 5000 });
      for (const { path, ...entry } of page.objects) entries.set(path, entry);
      if (!page.truncated) return entries;
      after = page.nextAfter;
    }
  }

  private async ingestItem(ctx: CallContext, job: { input: IngestInput; item: SourceItem; path: string; batch: StagedObject[]; current: Entry | undefined }): Promise<IngestEvent> {
    const { input, item, path, current } = job;
    if (current && isSameSourceVersion(current, item)) return { path, outcome: 'unchanged', bytes: current.size };
    let extraction: Extraction;
    let content;
    try {
      const session = this.services.extractor.start({ path: item.path, size: item.size });
      const body = await input.source.open(item, ctx.signal);
      // The branch and the permission were checked once, at the start of the run.
      content = await this.deps.objects.write(watched(body, session), { signal: ctx.signal, deferSync: true });
      extraction = await session.finish().catch((error: unknown) => ({ contentType: 'application/octet-stream', fields: {}, error: (error as Error).message }));
    } catch (error) {
      // Strata's own failures (storage full, branch gone) stop the ingest; a source item that
      // cannot be read is recorded and skipped.
      if (isStrataError(error)) throw error;
      return { path, outcome: 'failed', bytes: 0, error: error instanceof Error ? error.message : String(error) };
    }
    const fields = extraction.error === undefined ? extraction.fields : { ...extraction.fields, error: extraction.error };
    const provenance = item.modified === undefined ? { source: item.location } : { source: item.location, modified: item.modified };
    job.batch.push({ path, content, contentType: extraction.contentType, provenance, extracted: fields });
    return { path, outcome: 'stored', bytes: content.size, error: extraction.error };
  }

  private async commitIfChanged(ctx: CallContext, input: IngestInput, summary: IngestSummary): Promise<CommitInfo | undefined> {
    const changes = await this.services.commits.status(ctx, { repository: input.repository, branch: input.branch });
    if (changes.length === 0) {
      // Staged rows equal to the head (an ingest of what is already committed) are dropped.
      if ((await this.deps.metadata.countStaged(input.repository, input.branch)) > 0) await this.services.commits.reset(ctx, { repository: input.repository, branch: input.branch, prefix: summary.prefix });
      return undefined;
    }
    const metadata: Record<string, string> = {
      ...input.provenance,
      'ingest.source': summary.source,
      'ingest.at': this.deps.clock.now().toISOString(),
      'ingest.items': String(summary.items),
      'ingest.bytes': String(summary.bytes),
      'ingest.stored': String(summary.stored),
      'ingest.unchanged': String(summary.unchanged),
      'ingest.failed': String(summary.failed.length),
    };
    return this.services.commits.commit(ctx, { repository: input.repository, branch: input.branch, message: `Ingest ${summary.source}`, metadata });
  }
}

/** An unchanged item: same location, same size, same modification time (when the source has one). */
function isSameSourceVersion(entry: Entry, item: SourceItem): boolean {
  if (entry.provenance?.source !== item.location) return false;
  if (item.size !== undefined && entry.size !== item.size) return false;
  return item.modified !== undefined && entry.provenance.modified === item.modified;
}

async function* watched(body: AsyncIterable<Uint8Array>, session: { update(bytes: Uint8Array): void }): AsyncGenerator<Uint8Array> {
  for await (const piece of body) {
    session.update(piece);
    yield piece;
  }
}

export function assertIngestPrefix(prefix: string): void {
  if (prefix.startsWith('/')) throw invalidArgument(`invalid ingest prefix '${prefix}': it must be relative`);
}
