// Child process for the read-cache test: stages `argv[3]` on repo@main and moves the branch head
// to `argv[4]` (a commit it inserts) in the SQLite database at argv[2], then exits.
import { openSqliteStore } from '../../src/adapters/db/sqlite/open-sqlite-store.ts';

const [file = '', path = '', head = ''] = process.argv.slice(2);
const T = '2026-01-01T00:00:00.000Z';
const store = await openSqliteStore(file);
const branch = await store.getBranch('repo', 'main');
await store.stage('repo', 'main', [{ path, entry: { sha256: 'c'.repeat(64), size: 1, md5: 'x', contentType: 'text/plain', mtime: T } }]);
const commit = { id: head, repository: 'repo', treeId: null, parents: [branch?.head ?? ''], generation: 1, author: 'ada', message: 'from a child', createdAt: T, metadata: {} };
await store.advanceBranch({ repository: 'repo', branch: 'main', expectedHead: branch?.head ?? '', commit });
await store.close();
