import { openPostgresStore } from '../../src/adapters/db/postgres/open-postgres-store.ts';
import { openSqliteStore } from '../../src/adapters/db/sqlite/open-sqlite-store.ts';
import { createPostgresDatabase } from '../support/databases.ts';
import { metadataStoreConformance, type MetadataStoreFixture } from './metadata-store-suite.ts';
import { lineageStoreConformance } from './lineage-store-suite.ts';
import { searchIndexConformance } from './search-index-suite.ts';

async function openSqlite(): Promise<MetadataStoreFixture> {
  const store = await openSqliteStore(':memory:');
  return { store, dispose: () => store.close() };
}

async function openPostgres(): Promise<MetadataStoreFixture> {
  const database = await createPostgresDatabase();
  const store = await openPostgresStore(database.url);
  return {
    store,
    dispose: async () => {
      await store.close();
      await database.drop();
    },
  };
}

metadataStoreConformance('sqlite', openSqlite);
metadataStoreConformance('postgres', openPostgres);
searchIndexConformance('sqlite', openSqlite);
searchIndexConformance('postgres', openPostgres);
lineageStoreConformance('sqlite', openSqlite);
lineageStoreConformance('postgres', openPostgres);
