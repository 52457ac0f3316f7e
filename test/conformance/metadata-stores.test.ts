import { openPostgresStore } from '../../src/adapters/db/postgres/open-postgres-store.ts';
import { openSqliteStore } from '../../src/adapters/db/sqlite/open-sqlite-store.ts';
import { createPostgresDatabase } from '../support/databases.ts';
import { metadataStoreConformance } from './metadata-store-suite.ts';

metadataStoreConformance('sqlite', async () => {
  const store = await openSqliteStore(':memory:');
  return { store, dispose: () => store.close() };
});

metadataStoreConformance('postgres', async () => {
  const database = await createPostgresDatabase();
  const store = await openPostgresStore(database.url);
  return {
    store,
    dispose: async () => {
      await store.close();
      await database.drop();
    },
  };
});
