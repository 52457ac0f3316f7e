// Child process for the open-race test: opens (and so migrates) the SQLite database at argv[2].
import { openSqliteStore } from '../../src/adapters/db/sqlite/open-sqlite-store.ts';

const store = await openSqliteStore(process.argv[2] ?? '');
await store.close();
