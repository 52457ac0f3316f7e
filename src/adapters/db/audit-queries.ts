import { sql, type Kysely, type Selectable } from 'kysely';
import { notFound } from '../../core/errors.ts';
import type { AuditAppend, AuditAppendView, AuditEntryFilter, AuditEntryRow, AuditHeadRow, AuditStore } from '../../core/ports/audit-store.ts';
import type { AuditEntriesTable, AuditHeadsTable, Database } from './schema.ts';

/**
 * The audit log on Kysely. Appenders serialize on the one `audit_state` row: the append's first
 * statement updates it, which takes SQLite's write lock (waiting out `busy_timeout`) or
 * PostgreSQL's row lock, so the size read next is the size the batch extends.
 */
/** Inserts `rows` (values in `columns` order) into `table`, inside the transaction open on the connection. */
export type RowInserter = (table: 'audit_entries' | 'audit_nodes', columns: readonly string[], rows: unknown[][]) => void;

const ENTRY_COLUMNS = ['seq', 'time', 'actor', 'action', 'resource', 'outcome', 'request_id', 'source', 'details_digest', 'details', 'leaf_hash', 'pruned_at'] as const;
const NODE_COLUMNS = ['level', 'idx', 'hash'] as const;

export class KyselyAuditStore implements AuditStore {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly maxRowsPerInsert: number,
    private readonly insertRows?: RowInserter,
  ) {}

  append(build: (view: AuditAppendView) => Promise<AuditAppend>): Promise<void> {
    return this.db.transaction().execute(async (trx) => {
      const state = await trx.updateTable('audit_state').set({ size: sql`size` }).where('id', '=', 1).returning('size').executeTakeFirstOrThrow();
      const view: AuditAppendView = { size: Number(state.size), subtree: (level, index) => subtreeIn(trx, level, index) };
      const { entries, nodes } = await build(view);
      if (this.insertRows) {
        // Kysely's builder parsing and compiling a thousand rows' values was a fifth of an append's cost.
        const entryRows = entries.map(toEntryRow);
        this.insertRows('audit_entries', ENTRY_COLUMNS, entryRows.map((row) => ENTRY_COLUMNS.map((column) => row[column])));
        this.insertRows('audit_nodes', NODE_COLUMNS, nodes.map((n) => [n.level, n.index, n.hash]));
      } else {
        for (let i = 0; i < entries.length; i += this.maxRowsPerInsert) {
          await trx.insertInto('audit_entries').values(entries.slice(i, i + this.maxRowsPerInsert).map(toEntryRow)).execute();
        }
        for (let i = 0; i < nodes.length; i += this.maxRowsPerInsert) {
          await trx.insertInto('audit_nodes').values(nodes.slice(i, i + this.maxRowsPerInsert).map((n) => ({ level: n.level, idx: n.index, hash: n.hash }))).execute();
        }
      }
      await trx.updateTable('audit_state').set({ size: view.size + entries.length }).where('id', '=', 1).execute();
    });
  }

  async size(): Promise<number> {
    const row = await this.db.selectFrom('audit_state').select('size').where('id', '=', 1).executeTakeFirstOrThrow();
    return Number(row.size);
  }

  async entries(filter: AuditEntryFilter): Promise<AuditEntryRow[]> {
    let query = this.db.selectFrom('audit_entries').selectAll();
    if (filter.from !== undefined) query = query.where('seq', '>=', filter.from);
    if (filter.to !== undefined) query = query.where('seq', '<', filter.to);
    if (filter.actor !== undefined) query = query.where('actor', '=', filter.actor);
    if (filter.action !== undefined) query = query.where('action', '=', filter.action);
    if (filter.resource !== undefined) query = query.where('resource', '>=', filter.resource).where('resource', '<', `${filter.resource}\u{10FFFF}`);
    const rows = await query.orderBy('seq').limit(filter.limit).execute();
    return rows.map(fromEntryRow);
  }

  subtree(level: number, index: number): Promise<Buffer> {
    return subtreeIn(this.db, level, index);
  }

  async addHead(head: AuditHeadRow): Promise<void> {
    await this.db
      .insertInto('audit_heads')
      .values({ tree_size: head.treeSize, timestamp: head.timestamp, root_hash: head.rootHash, key_id: head.keyId, signature: head.signature })
      .onConflict((oc) => oc.columns(['tree_size', 'timestamp']).doNothing())
      .execute();
  }

  async heads(options: { fromSize?: number; limit?: number } = {}): Promise<AuditHeadRow[]> {
    let query = this.db.selectFrom('audit_heads').selectAll();
    if (options.fromSize !== undefined) query = query.where('tree_size', '>=', options.fromSize);
    query = query.orderBy('tree_size').orderBy('timestamp');
    if (options.limit !== undefined) query = query.limit(options.limit);
    return (await query.execute()).map(fromHeadRow);
  }

  async prune(before: string, prunedAt: string): Promise<number> {
    const result = await this.db
      .updateTable('audit_entries')
      .set({ actor: '', action: '', resource: '', outcome: '', request_id: null, source: null, details: null, pruned_at: prunedAt })
      .where('time', '<', before)
      .where('pruned_at', 'is', null)
      .executeTakeFirst();
    return Number(result.numUpdatedRows);
  }

  async latestHead(): Promise<AuditHeadRow | undefined> {
    const row = await this.db.selectFrom('audit_heads').selectAll().orderBy('tree_size', 'desc').orderBy('timestamp', 'desc').limit(1).executeTakeFirst();
    return row && fromHeadRow(row);
  }
}

async function subtreeIn(db: Kysely<Database>, level: number, index: number): Promise<Buffer> {
  if (level === 0) {
    const row = await db.selectFrom('audit_entries').select('leaf_hash').where('seq', '=', index).executeTakeFirst();
    if (row === undefined) throw notFound(`audit entry ${index} is missing`);
    return Buffer.from(row.leaf_hash);
  }
  const row = await db.selectFrom('audit_nodes').select('hash').where('level', '=', level).where('idx', '=', index).executeTakeFirst();
  if (row === undefined) throw notFound(`audit tree node ${level}/${index} is missing`);
  return Buffer.from(row.hash);
}

function toEntryRow(e: AuditEntryRow): AuditEntriesTable {
  return {
    seq: e.seq,
    time: e.time,
    actor: e.actor,
    action: e.action,
    resource: e.resource,
    outcome: e.outcome,
    request_id: e.requestId,
    source: e.source,
    details_digest: e.detailsDigest,
    details: e.details,
    leaf_hash: e.leafHash,
    pruned_at: e.prunedAt,
  };
}

function fromEntryRow(row: Selectable<AuditEntriesTable>): AuditEntryRow {
  return {
    seq: Number(row.seq),
    time: row.time,
    actor: row.actor,
    action: row.action,
    resource: row.resource,
    outcome: row.outcome,
    requestId: row.request_id,
    source: row.source,
    detailsDigest: row.details_digest,
    details: row.details,
    leafHash: Buffer.from(row.leaf_hash),
    prunedAt: row.pruned_at,
  };
}

function fromHeadRow(row: Selectable<AuditHeadsTable>): AuditHeadRow {
  return { treeSize: Number(row.tree_size), timestamp: row.timestamp, rootHash: Buffer.from(row.root_hash), keyId: row.key_id, signature: Buffer.from(row.signature) };
}
