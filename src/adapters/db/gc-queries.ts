import type { Kysely, Transaction } from 'kysely';
import type { CommitExpiry, CommitNode, ExpiryCandidate, GcRunRecord, GcStore, HeldBlob } from '../../core/ports/gc-store.ts';
import type { Entry } from '../../core/objects/entry.ts';
import type { StoredContent } from '../../core/objects/object-store.ts';
import type { Database } from './schema.ts';

/** Rows per page when streaming roots: bounded memory whatever the table size. */
const PAGE = 5000;

/**
 * The collection fence. Where the engine has no lock of its own for it (SQLite, whose one
 * writer at a time already orders these transactions), a no-op.
 */
export type GcFence = (trx: Transaction<Database>, mode: 'shared' | 'exclusive') => Promise<void>;

export class KyselyGcStore implements GcStore {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly fence: GcFence,
    private readonly rowsPerQuery: number,
  ) {}

  async listCommits(repository: string): Promise<CommitNode[]> {
    const rows = await this.db.selectFrom('commits').select(['id', 'parents', 'created_at', 'tree_id']).where('repository', '=', repository).execute();
    return rows.map((row) => ({ id: row.id, parents: JSON.parse(row.parents) as string[], createdAt: row.created_at, treeId: row.tree_id }));
  }

  async expiredCommits(repository: string): Promise<Map<string, CommitExpiry>> {
    const rows = await this.db.selectFrom('expired_commits').selectAll().where('repository', '=', repository).execute();
    return new Map(rows.map((row) => [row.commit_id, { expiredAt: row.expired_at, rule: row.rule }]));
  }

  async commitExpiry(repository: string, commitId: string): Promise<CommitExpiry | undefined> {
    const row = await this.db.selectFrom('expired_commits').selectAll().where('repository', '=', repository).where('commit_id', '=', commitId).executeTakeFirst();
    return row && { expiredAt: row.expired_at, rule: row.rule };
  }

  expire(candidates: ExpiryCandidate[], at: string): Promise<{ spared: ExpiryCandidate[] }> {
    return this.db.transaction().execute(async (trx) => {
      // First a write, so SQLite takes its write lock before anything is read (a deferred
      // transaction that read first could not write after another process did).
      await trx.deleteFrom('expired_commits').where('repository', '=', '').where('commit_id', '=', '').execute();
      await this.fence(trx, 'exclusive');
      const named = new Set<string>();
      for (const row of await trx.selectFrom('branches').select(['repository', 'head as commit']).execute()) named.add(`${row.repository}\n${row.commit}`);
      for (const row of await trx.selectFrom('tags').select(['repository', 'commit_id as commit']).execute()) named.add(`${row.repository}\n${row.commit}`);
      const spared = candidates.filter((c) => named.has(`${c.repository}\n${c.commitId}`));
      const expired = candidates.filter((c) => !named.has(`${c.repository}\n${c.commitId}`));
      const rows = expired.map((c) => ({ repository: c.repository, commit_id: c.commitId, expired_at: at, rule: c.rule }));
      for (let i = 0; i < rows.length; i += this.rowsPerQuery) {
        await trx
          .insertInto('expired_commits')
          .values(rows.slice(i, i + this.rowsPerQuery))
          .onConflict((oc) => oc.columns(['repository', 'commit_id']).doNothing())
          .execute();
      }
      return { spared };
    });
  }

  async *heldBlobs(): AsyncIterable<HeldBlob> {
    yield* this.partBlobs();
    yield* this.stagedBlobs();
    yield* this.auditBlobs();
  }

  async *prepCacheEntries(): AsyncIterable<{ key: string; blob: string; source: string | null }> {
    let after = '';
    for (;;) {
      const rows = await this.db.selectFrom('prep_cache').select(['key', 'blob', 'source_sha256']).where('key', '>', after).orderBy('key').limit(PAGE).execute();
      for (const row of rows) yield { key: row.key, blob: row.blob, source: row.source_sha256 };
      const last = rows.at(-1);
      if (!last || rows.length < PAGE) return;
      after = last.key;
    }
  }

  async dropPrepCache(keys: string[]): Promise<number> {
    let dropped = 0;
    for (let i = 0; i < keys.length; i += this.rowsPerQuery) {
      const result = await this.db.deleteFrom('prep_cache').where('key', 'in', keys.slice(i, i + this.rowsPerQuery)).executeTakeFirst();
      dropped += Number(result.numDeletedRows);
    }
    return dropped;
  }

  private async *partBlobs(): AsyncIterable<HeldBlob> {
    let after: { upload: string; part: number; md5: string } | undefined;
    for (;;) {
      let query = this.db.selectFrom('multipart_parts').select(['upload_id', 'part_number', 'md5', 'content']);
      if (after) {
        const last = after;
        query = query.where((eb) => eb(eb.refTuple('upload_id', 'part_number', 'md5'), '>', eb.tuple(last.upload, last.part, last.md5)));
      }
      const rows = await query.orderBy('upload_id').orderBy('part_number').orderBy('md5').limit(PAGE).execute();
      for (const row of rows) yield held(JSON.parse(row.content) as StoredContent);
      const last = rows.at(-1);
      if (!last || rows.length < PAGE) return;
      after = { upload: last.upload_id, part: last.part_number, md5: last.md5 };
    }
  }

  private async *stagedBlobs(): AsyncIterable<HeldBlob> {
    let after: { repository: string; branch: string; path: string } | undefined;
    for (;;) {
      let query = this.db.selectFrom('staging').select(['repository', 'branch', 'path', 'entry']);
      if (after) {
        const last = after;
        query = query.where((eb) => eb(eb.refTuple('repository', 'branch', 'path'), '>', eb.tuple(last.repository, last.branch, last.path)));
      }
      const rows = await query.orderBy('repository').orderBy('branch').orderBy('path').limit(PAGE).execute();
      for (const row of rows) if (row.entry !== null) yield held(JSON.parse(row.entry) as Entry);
      const last = rows.at(-1);
      if (!last || rows.length < PAGE) return;
      after = { repository: last.repository, branch: last.branch, path: last.path };
    }
  }

  /** Details too large for their row live in a blob named by their digest, until pruned. */
  private async *auditBlobs(): AsyncIterable<HeldBlob> {
    let after = -1;
    for (;;) {
      const rows = await this.db
        .selectFrom('audit_entries')
        .select(['seq', 'details_digest'])
        .where('seq', '>', after)
        .where('details', 'is', null)
        .where('details_digest', 'is not', null)
        .where('pruned_at', 'is', null)
        .orderBy('seq')
        .limit(PAGE)
        .execute();
      for (const row of rows) if (row.details_digest !== null) yield { sha256: row.details_digest };
      const last = rows.at(-1);
      if (!last || rows.length < PAGE) return;
      after = Number(last.seq);
    }
  }

  async recordRun(run: GcRunRecord): Promise<void> {
    await this.db
      .insertInto('gc_runs')
      .values({ id: run.id, started_at: run.startedAt, finished_at: run.finishedAt, actor: run.actor, dry_run: run.dryRun ? 1 : 0, report: run.report })
      .execute();
  }

  async listRuns(limit: number): Promise<GcRunRecord[]> {
    const rows = await this.db.selectFrom('gc_runs').selectAll().orderBy('started_at', 'desc').limit(limit).execute();
    return rows.map(toRun);
  }

  async getRun(id: string): Promise<GcRunRecord | undefined> {
    const row = await this.db.selectFrom('gc_runs').selectAll().where('id', '=', id).executeTakeFirst();
    return row && toRun(row);
  }
}

function toRun(row: { id: string; started_at: string; finished_at: string; actor: string; dry_run: number; report: string }): GcRunRecord {
  return { id: row.id, startedAt: row.started_at, finishedAt: row.finished_at, actor: row.actor, dryRun: row.dry_run === 1, report: row.report };
}

function held(content: { sha256: string; manifest?: string }): HeldBlob {
  return content.manifest === undefined ? { sha256: content.sha256 } : { sha256: content.sha256, manifest: content.manifest };
}
