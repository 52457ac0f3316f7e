import { isStrataError } from '../errors.ts';
import type { ArchiveEngine } from '../ports/archive-engine.ts';
import type { MetadataStore } from '../ports/metadata-store.ts';
import type { CommitService } from '../versioning/commit-service.ts';
import type { ObjectService } from '../versioning/object-service.ts';
import type { RepositoryService } from '../versioning/repository-service.ts';
import type { CallContext } from '../versioning/types.ts';
import type { InferenceRow } from './inference-record.ts';

const PARTITIONS = 'records/';
const PARQUET = 'application/vnd.apache.parquet';

/**
 * The inference archive's repository: daily Parquet partitions under `records/date=YYYY-MM-DD/`,
 * large payloads under `payloads/`, and `prices.json`, all on `main`. Made on first write.
 */
export class ArchiveRepository {
  constructor(
    readonly name: string,
    private readonly env: { metadata: MetadataStore; objects: ObjectService; commits: CommitService; repositories: RepositoryService; engine: ArchiveEngine },
  ) {}

  async ensure(ctx: CallContext): Promise<void> {
    if ((await this.env.metadata.getRepository(this.name)) !== undefined) return;
    try {
      await this.env.repositories.create(ctx, { name: this.name });
    } catch (error) {
      if (!(isStrataError(error) && error.code === 'Conflict')) throw error;
    }
  }

  /** Stages bytes at `path` on main (made first if need be); committed by the next `commit`. */
  async put(ctx: CallContext, object: { path: string; bytes: Buffer; contentType: string }): Promise<void> {
    await this.ensure(ctx);
    await this.env.objects.put(ctx, { repository: this.name, branch: 'main', path: object.path, body: once(object.bytes), contentType: object.contentType });
  }

  async commit(ctx: CallContext, message: string): Promise<string> {
    return (await this.env.commits.commit(ctx, { repository: this.name, branch: 'main', message })).id;
  }

  /** The bytes at `path` of `ref` (default main). NotFound when absent. */
  async read(ctx: CallContext, path: string, ref = 'main'): Promise<Buffer> {
    const { body } = await this.env.objects.get(ctx, { repository: this.name, ref, path });
    const parts: Uint8Array[] = [];
    for await (const part of body) parts.push(part);
    return Buffer.concat(parts);
  }

  /** The head commit of main, or undefined before the repository exists. */
  async head(): Promise<string | undefined> {
    return (await this.env.metadata.getBranch(this.name, 'main'))?.head;
  }

  /** Every partition's bytes, for a query. */
  async partitions(ctx: CallContext): Promise<Uint8Array[]> {
    const out: Uint8Array[] = [];
    for (const path of await this.partitionPaths(ctx)) out.push(await this.read(ctx, path));
    return out;
  }

  /** Merges records into their day's partition (a record already there is replaced by its id). */
  async mergeDay(ctx: CallContext, day: string, records: InferenceRow[]): Promise<void> {
    const path = `${PARTITIONS}date=${day}/records.parquet`;
    const ids = new Set(records.map((r) => r.id));
    const existing = await this.readPartition(ctx, path);
    await this.put(ctx, { path, bytes: await this.env.engine.toParquet([...existing.filter((r) => !ids.has(r.id)), ...records]), contentType: PARQUET });
  }

  /** Rewrites each partition without the records `keep` refuses, deletes emptied ones, and commits once. */
  async rewrite(ctx: CallContext, keep: (r: InferenceRow) => boolean, message: string): Promise<{ removed: number; commit: string | null }> {
    let removed = 0;
    for (const path of await this.partitionPaths(ctx)) {
      const records = await this.readPartition(ctx, path);
      const kept = records.filter(keep);
      if (kept.length === records.length) continue;
      removed += records.length - kept.length;
      if (kept.length === 0) await this.env.objects.delete(ctx, { repository: this.name, branch: 'main', path });
      else await this.put(ctx, { path, bytes: await this.env.engine.toParquet(kept), contentType: PARQUET });
    }
    return { removed, commit: removed === 0 ? null : await this.commit(ctx, message) };
  }

  private async partitionPaths(ctx: CallContext): Promise<string[]> {
    if ((await this.env.metadata.getRepository(this.name)) === undefined) return [];
    const paths: string[] = [];
    for (let after: string | undefined; ; ) {
      const page = await this.env.objects.list(ctx, { repository: this.name, ref: 'main', prefix: PARTITIONS, ...(after === undefined ? {} : { after }), limit: 1000 });
      paths.push(...page.objects.map((o) => o.path).filter((p) => p.endsWith('.parquet')));
      if (!page.truncated || page.nextAfter === undefined) return paths;
      after = page.nextAfter;
    }
  }

  private async readPartition(ctx: CallContext, path: string): Promise<InferenceRow[]> {
    try {
      return await this.env.engine.fromParquet(await this.read(ctx, path));
    } catch (error) {
      if (isStrataError(error) && error.code === 'NotFound') return [];
      throw error;
    }
  }
}

async function* once(bytes: Buffer): AsyncGenerator<Uint8Array> {
  await Promise.resolve();
  yield bytes;
}
