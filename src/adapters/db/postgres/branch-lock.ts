import pg from 'pg';

/** Connections that may wait on or hold branch locks at once; more lockers queue for one. */
const LOCK_CONNECTIONS = 4;

/**
 * Branch locks shared by every process on one PostgreSQL database: session advisory locks keyed
 * by a hash of `repository\nbranch`, each held on a connection of a small pool of its own, so a
 * task that holds a lock can still take connections from the store's pool (sharing one pool, ten
 * locked branches would starve their own tasks). A process that dies releases its locks with
 * its sessions. Advisory locks queue their waiters, so two servers committing to one branch take
 * turns instead of losing compare-and-swap races to each other.
 */
export function createBranchLocks(url: string): { run<T>(key: string, task: () => Promise<T>): Promise<T>; close(): Promise<void> } {
  let pool: pg.Pool | undefined;
  return {
    async run<T>(key: string, task: () => Promise<T>): Promise<T> {
      pool ??= new pg.Pool({ connectionString: url, max: LOCK_CONNECTIONS });
      const client = await pool.connect();
      try {
        await client.query('select pg_advisory_lock(hashtextextended($1, 0))', [key]);
      } catch (error) {
        client.release(true);
        throw error;
      }
      try {
        return await task();
      } finally {
        try {
          await client.query('select pg_advisory_unlock(hashtextextended($1, 0))', [key]);
          client.release();
        } catch {
          // Closing the session releases whatever it still held.
          client.release(true);
        }
      }
    },
    async close(): Promise<void> {
      await pool?.end();
    },
  };
}
