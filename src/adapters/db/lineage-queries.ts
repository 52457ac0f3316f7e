import type { Kysely, RawBuilder } from 'kysely';
import { LINEAGE_EDGE_TYPES, type IntakeWarning, type LineageDirection, type LineageEdge, type LineageEdgeType, type LineageNode, type LineageNodeInput, type LineageNodeType, type LineageStore } from '../../core/ports/lineage-store.ts';
import type { Database, LineageNodesTable } from './schema.ts';
import type { Selectable } from 'kysely';

/** A lineage node as the walk reads it: id, key, type, label, data (parsed), created_at. */
export type NodeRow = [number, string, string, string, Record<string, unknown>, string];

/** Keys per `IN (…)` list: well inside both engines' bound-parameter limits. */
const KEYS_PER_QUERY = 500;
/** Ids per query when passed as one array parameter (bounds the size of one statement's work, not its parameters). */
const IDS_PER_QUERY = 20_000;

function toNode(row: Selectable<LineageNodesTable>): LineageNode {
  return {
    id: Number(row.id),
    key: row.key,
    type: row.type as LineageNodeType,
    label: row.label,
    data: JSON.parse(row.data) as Record<string, unknown>,
    createdAt: row.created_at,
  };
}

function chunks<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** The lineage graph in two tables; the same SQL on SQLite and PostgreSQL. */
export class KyselyLineageStore implements LineageStore {
  private readonly maxRowsPerInsert: number;
  private readonly integerIn: (column: string, values: number[]) => RawBuilder<boolean>;
  private readonly nodeRows: (ids: number[]) => Promise<NodeRow[]> | NodeRow[];
  private readonly edgeRows: (column: 'src' | 'dst', ids: number[]) => Promise<Array<[number, number, number]>> | Array<[number, number, number]>;

  constructor(
    private readonly db: Kysely<Database>,
    dialect: {
      maxRowsPerInsert: number;
      integerIn: (column: string, values: number[]) => RawBuilder<boolean>;
      edgeRows: (column: 'src' | 'dst', ids: number[]) => Promise<Array<[number, number, number]>> | Array<[number, number, number]>;
      nodeRows: (ids: number[]) => Promise<NodeRow[]> | NodeRow[];
    },
  ) {
    this.maxRowsPerInsert = dialect.maxRowsPerInsert;
    this.integerIn = dialect.integerIn;
    this.edgeRows = dialect.edgeRows;
    this.nodeRows = dialect.nodeRows;
  }

  async ensureNodes(nodes: LineageNodeInput[], createdAt: string): Promise<Array<{ id: number; created: boolean }>> {
    const keys = [...new Set(nodes.map((n) => n.key))];
    const before = new Map((await this.getNodes(keys)).map((n) => [n.key, n.id]));
    const missing = new Map<string, LineageNodeInput>();
    for (const node of nodes) if (!before.has(node.key)) missing.set(node.key, node);
    // One transaction for all the inserts: one durable commit (fsync) per call, not per statement.
    if (missing.size > 0) {
      await this.db.transaction().execute(async (trx) => {
        for (const batch of chunks([...missing.values()], Math.floor(this.maxRowsPerInsert / 5))) {
          await trx
            .insertInto('lineage_nodes')
            .values(batch.map((n) => ({ key: n.key, type: n.type, label: n.label, data: JSON.stringify(n.data), created_at: createdAt })))
            .onConflict((oc) => oc.column('key').doNothing())
            .execute();
        }
      });
    }
    const ids = new Map(before);
    if (missing.size > 0) for (const node of await this.getNodes([...missing.keys()])) ids.set(node.key, node.id);
    return nodes.map((n) => ({ id: ids.get(n.key) as number, created: !before.has(n.key) }));
  }

  async mergeNodeData(key: string, data: Record<string, unknown>): Promise<boolean> {
    return this.db.transaction().execute(async (trx) => {
      const row = await trx.selectFrom('lineage_nodes').select('data').where('key', '=', key).executeTakeFirst();
      if (!row) return false;
      const merged = { ...(JSON.parse(row.data) as Record<string, unknown>), ...data };
      await trx.updateTable('lineage_nodes').set({ data: JSON.stringify(merged) }).where('key', '=', key).execute();
      return true;
    });
  }

  async getNodes(keys: string[]): Promise<LineageNode[]> {
    const out: LineageNode[] = [];
    for (const batch of chunks(keys, KEYS_PER_QUERY)) {
      const rows = await this.db.selectFrom('lineage_nodes').selectAll().where('key', 'in', batch).execute();
      out.push(...rows.map(toNode));
    }
    return out;
  }

  async getNodesById(ids: number[]): Promise<LineageNode[]> {
    const out: LineageNode[] = [];
    for (const batch of chunks(ids, IDS_PER_QUERY)) {
      for (const [id, key, type, label, data, createdAt] of await this.nodeRows(batch)) out.push({ id, key, type: type as LineageNodeType, label, data, createdAt });
    }
    return out;
  }

  async findNodes(input: { type?: LineageNodeType; keyPrefix?: string; limit: number }): Promise<LineageNode[]> {
    let query = this.db.selectFrom('lineage_nodes').selectAll();
    if (input.type !== undefined) query = query.where('type', '=', input.type);
    if (input.keyPrefix !== undefined && input.keyPrefix !== '') {
      query = query.where('key', '>=', input.keyPrefix).where('key', '<', `${input.keyPrefix}\u{10ffff}`);
    }
    const rows = await query.orderBy('key').limit(input.limit).execute();
    return rows.map(toNode);
  }

  async addEdges(edges: LineageEdge[]): Promise<number> {
    if (edges.length === 0) return 0;
    return this.db.transaction().execute(async (trx) => {
      let added = 0;
      for (const batch of chunks(edges, Math.floor(this.maxRowsPerInsert / 3))) {
        const result = await trx
          .insertInto('lineage_edges')
          .values(batch.map((e) => ({ src: e.src, dst: e.dst, type: LINEAGE_EDGE_TYPES.indexOf(e.type) })))
          .onConflict((oc) => oc.columns(['src', 'dst', 'type']).doNothing())
          .executeTakeFirst();
        added += Number(result.numInsertedOrUpdatedRows ?? 0n);
      }
      return added;
    });
  }

  async edgesOf(ids: number[], direction: LineageDirection): Promise<LineageEdge[]> {
    const column = direction === 'upstream' ? 'dst' : 'src';
    const out: LineageEdge[] = [];
    for (const batch of chunks(ids, IDS_PER_QUERY)) {
      for (const [src, dst, type] of await this.edgeRows(column, batch)) out.push({ src, dst, type: LINEAGE_EDGE_TYPES[type] as LineageEdgeType });
    }
    return out;
  }

  async countEdges(): Promise<number> {
    const row = await this.db.selectFrom('lineage_edges').select((eb) => eb.fn.countAll<number | string>().as('n')).executeTakeFirstOrThrow();
    return Number(row.n);
  }

  async recordIntakeWarnings(warnings: IntakeWarning[]): Promise<void> {
    if (warnings.length === 0) return;
    const rows = warnings.map((w) => ({ id: w.id, received_at: w.receivedAt, actor: w.actor, kind: w.kind, event_type: w.eventType, event_time: w.eventTime, producer: w.producer, subject: w.subject, warnings: JSON.stringify(w.warnings) }));
    await this.db.transaction().execute(async (trx) => {
      for (const batch of chunks(rows, Math.max(1, Math.floor(this.maxRowsPerInsert / 9)))) await trx.insertInto('openlineage_warnings').values(batch).execute();
    });
  }

  async listIntakeWarnings(input: { limit: number; subject?: string }): Promise<IntakeWarning[]> {
    let query = this.db.selectFrom('openlineage_warnings').selectAll();
    if (input.subject !== undefined) query = query.where('subject', '=', input.subject);
    const rows = await query.orderBy('received_at', 'desc').orderBy('id', 'desc').limit(input.limit).execute();
    return rows.map((r) => ({ id: r.id, receivedAt: r.received_at, actor: r.actor, kind: r.kind as IntakeWarning['kind'], eventType: r.event_type, eventTime: r.event_time, producer: r.producer, subject: r.subject, warnings: JSON.parse(r.warnings) as string[] }));
  }
}
