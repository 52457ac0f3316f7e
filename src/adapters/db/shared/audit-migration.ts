import { sql, type ColumnDataType, type Kysely } from 'kysely';

/**
 * The audit log: entries (a leaf's hash kept on its row), the Merkle tree's perfect subtree
 * hashes at level ≥ 1, signed tree heads, and a one-row lock the appenders serialize on.
 */
export async function upAudit(db: Kysely<unknown>, types: { bigint: ColumnDataType; binary: ColumnDataType }): Promise<void> {
  await db.schema
    .createTable('audit_entries')
    .addColumn('seq', types.bigint, (c) => c.primaryKey())
    .addColumn('time', 'text', (c) => c.notNull())
    .addColumn('actor', 'text', (c) => c.notNull())
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('resource', 'text', (c) => c.notNull())
    .addColumn('outcome', 'text', (c) => c.notNull())
    .addColumn('request_id', 'text')
    .addColumn('source', 'text')
    .addColumn('details_digest', 'text')
    .addColumn('details', 'text')
    .addColumn('leaf_hash', types.binary, (c) => c.notNull())
    .addColumn('pruned_at', 'text')
    .execute();
  await db.schema.createIndex('audit_entries_by_actor').on('audit_entries').columns(['actor', 'seq']).execute();
  await db.schema.createIndex('audit_entries_by_resource').on('audit_entries').columns(['resource', 'seq']).execute();
  await db.schema
    .createTable('audit_nodes')
    .addColumn('level', 'integer', (c) => c.notNull())
    .addColumn('idx', types.bigint, (c) => c.notNull())
    .addColumn('hash', types.binary, (c) => c.notNull())
    .addPrimaryKeyConstraint('audit_nodes_pk', ['level', 'idx'])
    .execute();
  await db.schema
    .createTable('audit_heads')
    .addColumn('tree_size', types.bigint, (c) => c.notNull())
    .addColumn('timestamp', 'text', (c) => c.notNull())
    .addColumn('root_hash', types.binary, (c) => c.notNull())
    .addColumn('key_id', 'text', (c) => c.notNull())
    .addColumn('signature', types.binary, (c) => c.notNull())
    .addPrimaryKeyConstraint('audit_heads_pk', ['tree_size', 'timestamp'])
    .execute();
  await db.schema
    .createTable('audit_state')
    .addColumn('id', 'integer', (c) => c.primaryKey())
    .addColumn('size', types.bigint, (c) => c.notNull())
    .execute();
  await sql`insert into audit_state (id, size) values (1, 0)`.execute(db);
  await db.schema.alterTable('repositories').addColumn('audit_reads', 'integer', (c) => c.notNull().defaultTo(0)).execute();
}
