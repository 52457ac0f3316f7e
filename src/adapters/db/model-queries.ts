import type { Kysely, Selectable } from 'kysely';
import type { AliasEvent, ModelAliasRecord, ModelStore, ModelVersionRecord, RegisteredModelRecord } from '../../core/ports/model-store.ts';
import type { Database, ModelVersionsTable } from './schema.ts';

function toVersion(row: Selectable<ModelVersionsTable>): ModelVersionRecord {
  const version: ModelVersionRecord = {
    model: row.model,
    version: row.version,
    repository: row.repository,
    commit: row.commit_id,
    path: row.path,
    description: row.description,
    metadata: JSON.parse(row.metadata) as Record<string, string>,
    createdAt: row.created_at,
    createdBy: row.created_by,
  };
  if (row.run_id !== null) version.runId = row.run_id;
  return version;
}

function toEvent(row: { model: string; alias: string; from_version: number | null; to_version: number | null; at: string; actor: string }): AliasEvent {
  const event: AliasEvent = { model: row.model, alias: row.alias, at: row.at, actor: row.actor };
  if (row.from_version !== null) event.from = row.from_version;
  if (row.to_version !== null) event.to = row.to_version;
  return event;
}

/** Version numbers are assigned inside the inserting transaction; a concurrent insert retries. */
const VERSION_ATTEMPTS = 5;

/** The model registry's tables. */
export class KyselyModelStore implements ModelStore {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly uniquely: <T>(message: string, operation: () => Promise<T>) => Promise<T>,
    private readonly isUniqueViolation: (error: unknown) => boolean,
  ) {}

  async createModel(model: RegisteredModelRecord): Promise<void> {
    await this.uniquely(`model '${model.name}' already exists`, () =>
      this.db
        .insertInto('models')
        .values({ name: model.name, description: model.description, tags: JSON.stringify(model.tags), created_at: model.createdAt, created_by: model.createdBy })
        .execute(),
    );
  }

  async getModel(name: string): Promise<RegisteredModelRecord | undefined> {
    const row = await this.db.selectFrom('models').selectAll().where('name', '=', name).executeTakeFirst();
    return row && { name: row.name, description: row.description, tags: JSON.parse(row.tags) as string[], createdAt: row.created_at, createdBy: row.created_by };
  }

  async listModels(): Promise<RegisteredModelRecord[]> {
    const rows = await this.db.selectFrom('models').selectAll().orderBy('name').execute();
    return rows.map((row) => ({ name: row.name, description: row.description, tags: JSON.parse(row.tags) as string[], createdAt: row.created_at, createdBy: row.created_by }));
  }

  async addVersion(input: Omit<ModelVersionRecord, 'version'>): Promise<ModelVersionRecord> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.db.transaction().execute(async (trx) => {
          const row = await trx.selectFrom('model_versions').select((eb) => eb.fn.max<number | null>('version').as('v')).where('model', '=', input.model).executeTakeFirst();
          const version = { ...input, version: (row?.v ?? 0) + 1 };
          await trx
            .insertInto('model_versions')
            .values({
              model: version.model,
              version: version.version,
              repository: version.repository,
              commit_id: version.commit,
              path: version.path,
              run_id: version.runId ?? null,
              description: version.description,
              metadata: JSON.stringify(version.metadata),
              created_at: version.createdAt,
              created_by: version.createdBy,
            })
            .execute();
          return version;
        });
      } catch (error) {
        if (!this.isUniqueViolation(error) || attempt >= VERSION_ATTEMPTS) throw error;
      }
    }
  }

  async getVersion(model: string, version: number): Promise<ModelVersionRecord | undefined> {
    const row = await this.db.selectFrom('model_versions').selectAll().where('model', '=', model).where('version', '=', version).executeTakeFirst();
    return row && toVersion(row);
  }

  async listVersions(model: string): Promise<ModelVersionRecord[]> {
    const rows = await this.db.selectFrom('model_versions').selectAll().where('model', '=', model).orderBy('version').execute();
    return rows.map(toVersion);
  }

  async moveAlias(event: AliasEvent): Promise<AliasEvent> {
    return this.db.transaction().execute(async (trx) => {
      const current = await trx.selectFrom('model_aliases').select('version').where('model', '=', event.model).where('alias', '=', event.alias).executeTakeFirst();
      const recorded: AliasEvent = { model: event.model, alias: event.alias, at: event.at, actor: event.actor };
      if (current) recorded.from = current.version;
      if (event.to !== undefined) recorded.to = event.to;
      if (event.to === undefined) {
        await trx.deleteFrom('model_aliases').where('model', '=', event.model).where('alias', '=', event.alias).execute();
      } else {
        await trx
          .insertInto('model_aliases')
          .values({ model: event.model, alias: event.alias, version: event.to, updated_at: event.at, updated_by: event.actor })
          .onConflict((oc) => oc.columns(['model', 'alias']).doUpdateSet({ version: event.to, updated_at: event.at, updated_by: event.actor }))
          .execute();
      }
      await trx
        .insertInto('model_alias_events')
        .values({ model: event.model, alias: event.alias, from_version: recorded.from ?? null, to_version: recorded.to ?? null, at: event.at, actor: event.actor })
        .execute();
      return recorded;
    });
  }

  async getAlias(model: string, alias: string): Promise<ModelAliasRecord | undefined> {
    const row = await this.db.selectFrom('model_aliases').selectAll().where('model', '=', model).where('alias', '=', alias).executeTakeFirst();
    return row && { model: row.model, alias: row.alias, version: row.version, updatedAt: row.updated_at, updatedBy: row.updated_by };
  }

  async listAliases(model: string): Promise<ModelAliasRecord[]> {
    const rows = await this.db.selectFrom('model_aliases').selectAll().where('model', '=', model).orderBy('alias').execute();
    return rows.map((row) => ({ model: row.model, alias: row.alias, version: row.version, updatedAt: row.updated_at, updatedBy: row.updated_by }));
  }

  async aliasHistory(model: string): Promise<AliasEvent[]> {
    const rows = await this.db.selectFrom('model_alias_events').select(['model', 'alias', 'from_version', 'to_version', 'at', 'actor']).where('model', '=', model).orderBy('id').execute();
    return rows.map(toEvent);
  }
}
