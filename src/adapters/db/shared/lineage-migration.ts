import { sql, type ColumnDataType, type Expression, type Kysely } from 'kysely';

/**
 * Runs, metrics, the model registry and the lineage graph, common to both dialects. Lineage
 * nodes get an integer id so edges are two integers and a type: the graph reaches millions of
 * edges (per-object membership), and the walk reads them by index one level at a time.
 */
export async function upLineage(
  db: Kysely<unknown>,
  types: { id: ColumnDataType | Expression<unknown>; keyType: ColumnDataType | Expression<unknown>; bigint: ColumnDataType; withoutRowid: boolean },
): Promise<void> {
  await db.schema
    .createTable('runs')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('namespace', 'text', (c) => c.notNull())
    .addColumn('job', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('started_at', 'text', (c) => c.notNull())
    .addColumn('ended_at', 'text')
    // JSON: params, code, env, tags, facets.
    .addColumn('params', 'text', (c) => c.notNull())
    .addColumn('code', 'text')
    .addColumn('env', 'text', (c) => c.notNull())
    .addColumn('host', 'text')
    .addColumn('actor', 'text', (c) => c.notNull())
    .addColumn('tags', 'text', (c) => c.notNull())
    .addColumn('exit_code', 'integer')
    .addColumn('parent_id', 'text')
    .addColumn('facets', 'text', (c) => c.notNull())
    // JSON arrays of lineage node keys, as declared (the graph also holds implied edges).
    .addColumn('inputs', 'text', (c) => c.notNull())
    .addColumn('outputs', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('runs_by_start').on('runs').columns(['started_at', 'id']).execute();
  await db.schema.createIndex('runs_by_job').on('runs').columns(['namespace', 'job', 'started_at']).execute();
  await db.schema
    .createTable('run_metrics')
    .addColumn('run_id', 'text', (c) => c.notNull().references('runs.id').onDelete('cascade'))
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('step', types.bigint, (c) => c.notNull())
    .addColumn('value', 'double precision', (c) => c.notNull())
    .addColumn('at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('run_metrics_pk', ['run_id', 'key', 'step'])
    .execute();

  await db.schema
    .createTable('models')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('description', 'text', (c) => c.notNull())
    .addColumn('tags', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createTable('model_versions')
    .addColumn('model', 'text', (c) => c.notNull().references('models.name').onDelete('cascade'))
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('repository', 'text', (c) => c.notNull())
    .addColumn('commit_id', 'text', (c) => c.notNull())
    .addColumn('path', types.keyType, (c) => c.notNull())
    .addColumn('run_id', 'text')
    .addColumn('description', 'text', (c) => c.notNull())
    .addColumn('metadata', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('model_versions_pk', ['model', 'version'])
    .execute();
  await db.schema
    .createTable('model_aliases')
    .addColumn('model', 'text', (c) => c.notNull().references('models.name').onDelete('cascade'))
    .addColumn('alias', 'text', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addColumn('updated_by', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('model_aliases_pk', ['model', 'alias'])
    .execute();
  await db.schema
    .createTable('model_alias_events')
    .addColumn('id', types.id, (c) => c.primaryKey())
    .addColumn('model', 'text', (c) => c.notNull().references('models.name').onDelete('cascade'))
    .addColumn('alias', 'text', (c) => c.notNull())
    .addColumn('from_version', 'integer')
    .addColumn('to_version', 'integer')
    .addColumn('at', 'text', (c) => c.notNull())
    .addColumn('actor', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('model_alias_events_by_model').on('model_alias_events').columns(['model', 'id']).execute();

  await db.schema
    .createTable('lineage_nodes')
    .addColumn('id', types.id, (c) => c.primaryKey())
    .addColumn('key', types.keyType, (c) => c.notNull().unique())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('label', 'text', (c) => c.notNull())
    .addColumn('data', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  // Both indexes cover every column, so a walk reads edges from one B-tree per lookup (SQLite:
  // the table is its primary key, WITHOUT ROWID; PostgreSQL: index-only scans).
  await db.schema
    .createTable('lineage_edges')
    .addColumn('src', types.bigint, (c) => c.notNull())
    .addColumn('dst', types.bigint, (c) => c.notNull())
    // The edge type's position in LINEAGE_EDGE_TYPES: walks read millions of edges, and a small
    // integer costs no string per row.
    .addColumn('type', 'smallint', (c) => c.notNull())
    .addPrimaryKeyConstraint('lineage_edges_pk', ['src', 'dst', 'type'])
    .$call((table) => (types.withoutRowid ? table.modifyEnd(sql`without rowid`) : table))
    .execute();
  await db.schema.createIndex('lineage_edges_by_dst').on('lineage_edges').columns(['dst', 'src', 'type']).execute();
}
