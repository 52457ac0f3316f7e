import type { ColumnDataType, Kysely } from 'kysely';
import { RECORD_COLUMNS } from '../../../core/inference/inference-record.ts';

/** Recent inference records (older ones live in Parquet partitions of the archive repository) and retention per application. */
export async function upInference(db: Kysely<unknown>, types: { bigint: ColumnDataType; double: ColumnDataType }): Promise<void> {
  let table = db.schema.createTable('inference_records');
  for (const [name, type] of RECORD_COLUMNS) {
    const column: ColumnDataType = type === 'BIGINT' ? types.bigint : type === 'DOUBLE' ? types.double : 'text';
    table = name === 'id' ? table.addColumn(name, 'text', (c) => c.primaryKey()) : table.addColumn(name, column, (c) => (['time', 'application', 'model', 'params', 'attributes', 'ingested_via'].includes(name) ? c.notNull() : c));
  }
  await table.execute();
  await db.schema.createIndex('inference_by_time').on('inference_records').columns(['time', 'id']).execute();
  await db.schema.createIndex('inference_by_application').on('inference_records').columns(['application', 'time']).execute();
  await db.schema.createIndex('inference_by_user').on('inference_records').columns(['user_id']).execute();
  await db.schema.createIndex('inference_by_session').on('inference_records').columns(['session_id']).execute();
  await db.schema
    .createTable('inference_retention')
    .addColumn('application', 'text', (c) => c.primaryKey())
    .addColumn('days', 'integer', (c) => c.notNull())
    .execute();
}
