import type { Kysely } from 'kysely';
import type { DatasetFilter, DatasetRecord } from '../../core/ports/metadata-store.ts';
import type { Database, DatasetsTable } from './schema.ts';

function toRow(dataset: DatasetRecord): DatasetsTable {
  return {
    name: dataset.name,
    repository: dataset.repository,
    prefix: dataset.prefix,
    owner: dataset.owner,
    description: dataset.description,
    license: dataset.license ?? null,
    source: dataset.source ?? null,
    tags: JSON.stringify(dataset.tags),
    labels: JSON.stringify(dataset.labels),
    properties: JSON.stringify(dataset.properties),
    created_at: dataset.createdAt,
    created_by: dataset.createdBy,
    updated_at: dataset.updatedAt,
  };
}

function toDataset(row: DatasetsTable): DatasetRecord {
  const dataset: DatasetRecord = {
    name: row.name,
    repository: row.repository,
    prefix: row.prefix,
    owner: row.owner,
    description: row.description,
    tags: JSON.parse(row.tags) as string[],
    labels: JSON.parse(row.labels) as string[],
    properties: JSON.parse(row.properties) as Record<string, string>,
    createdAt: row.created_at,
    createdBy: row.created_by,
    updatedAt: row.updated_at,
  };
  if (row.license !== null) dataset.license = row.license;
  if (row.source !== null) dataset.source = row.source;
  return dataset;
}

export async function create(db: Kysely<Database>, dataset: DatasetRecord): Promise<void> {
  await db.insertInto('datasets').values(toRow(dataset)).execute();
}

export async function get(db: Kysely<Database>, name: string): Promise<DatasetRecord | undefined> {
  const row = await db.selectFrom('datasets').selectAll().where('name', '=', name).executeTakeFirst();
  return row && toDataset(row);
}

/** Tags are filtered after reading: the catalog holds datasets by the thousand, not the million. */
export async function list(db: Kysely<Database>, filter: DatasetFilter): Promise<DatasetRecord[]> {
  let query = db.selectFrom('datasets').selectAll();
  if (filter.repository !== undefined) query = query.where('repository', '=', filter.repository);
  if (filter.owner !== undefined) query = query.where('owner', '=', filter.owner);
  if (filter.license !== undefined) query = query.where('license', '=', filter.license);
  const rows = await query.orderBy('name').execute();
  const datasets = rows.map(toDataset);
  return filter.tag === undefined ? datasets : datasets.filter((d) => d.tags.includes(filter.tag as string));
}

export async function update(db: Kysely<Database>, dataset: DatasetRecord): Promise<boolean> {
  const { name: _name, created_at: _createdAt, created_by: _createdBy, ...values } = toRow(dataset);
  const result = await db.updateTable('datasets').set(values).where('name', '=', dataset.name).executeTakeFirst();
  return result.numUpdatedRows > 0n;
}
