import { randomUUID } from 'node:crypto';
import PgBoss from 'pg-boss';
import { StrataError } from '../../core/errors.ts';
import type { SendTaskOptions, TaskQueue, TaskState, TaskStatus } from '../../core/ports/task-queue.ts';

/** What pg-boss's `getDb()` returns (public at run time, missing from its type declarations). */
interface Executor {
  executeSql(text: string, values: unknown[]): Promise<{ rows: Array<Record<string, unknown>> }>;
}

const STATES: Record<string, TaskState> = { created: 'queued', retry: 'queued', active: 'active', completed: 'completed', failed: 'failed', cancelled: 'cancelled' };
const SCHEMA = 'pgboss';

/**
 * Tasks on pg-boss, in its own schema of the metadata PostgreSQL. Started on first use, so a
 * process that never queues anything opens no extra connections. Maintenance (expiring tasks of
 * dead workers) runs in every process that started the queue.
 */
export class PgBossTaskQueue implements TaskQueue {
  private starting: Promise<PgBoss> | undefined;
  private readonly queues = new Set<string>();

  constructor(private readonly options: { connectionString: string; maintenanceIntervalSeconds?: number }) {}

  async send(queue: string, tasks: object[], options: SendTaskOptions): Promise<string[]> {
    const boss = await this.queue(queue);
    const jobs = tasks.map((data) => ({ id: randomUUID(), name: queue, data, retryLimit: options.retryLimit, retryDelay: 1, expireInSeconds: options.expireInSeconds }));
    for (let i = 0; i < jobs.length; i += 500) await boss.insert(jobs.slice(i, i + 500));
    return jobs.map((job) => job.id);
  }

  async states(queue: string, ids: string[]): Promise<Map<string, TaskStatus>> {
    const boss = await this.queue(queue);
    const db = (boss as unknown as { getDb(): Executor }).getDb();
    const found = new Map<string, TaskStatus>();
    for (let i = 0; i < ids.length; i += 1000) {
      const batch = ids.slice(i, i + 1000);
      // Finished tasks move to the archive after a while; a task is in exactly one of the two.
      const { rows } = await db.executeSql(
        `SELECT id::text AS id, state::text AS state, output FROM ${SCHEMA}.job WHERE name = $1 AND id = ANY($2::uuid[])
         UNION ALL SELECT id::text, state::text, output FROM ${SCHEMA}.archive WHERE name = $1 AND id = ANY($2::uuid[])`,
        [queue, batch],
      );
      for (const row of rows) {
        const state = STATES[String(row.state)] ?? 'queued';
        const message = (row.output as { message?: unknown; value?: { message?: unknown } } | null)?.message ?? (row.output as { value?: { message?: unknown } } | null)?.value?.message;
        found.set(String(row.id), typeof message === 'string' && state !== 'completed' ? { state, error: message } : { state });
      }
    }
    return found;
  }

  async expire(): Promise<void> {
    const boss = await this.boss();
    await boss.expire();
  }

  async work(queue: string, options: { concurrency: number }, handler: (task: unknown) => Promise<void>): Promise<void> {
    const boss = await this.queue(queue);
    // pg-boss 10 runs one job at a time per `work` call: concurrency is that many calls.
    for (let i = 0; i < options.concurrency; i++) {
      await boss.work<object>(queue, { batchSize: 1, pollingIntervalSeconds: 0.5 }, async ([job]) => {
        if (job) await handler(job.data);
      });
    }
  }

  async stop(): Promise<void> {
    const starting = this.starting;
    this.starting = undefined;
    if (starting) await (await starting).stop({ graceful: true, timeout: 10_000, wait: true });
  }

  private async queue(name: string): Promise<PgBoss> {
    const boss = await this.boss();
    if (!this.queues.has(name)) {
      await boss.createQueue(name);
      this.queues.add(name);
    }
    return boss;
  }

  private boss(): Promise<PgBoss> {
    this.starting ??= (async () => {
      const boss = new PgBoss({ connectionString: this.options.connectionString, schema: SCHEMA, max: 4, maintenanceIntervalSeconds: this.options.maintenanceIntervalSeconds ?? 60 });
      // Errors of background polling and maintenance; a failing call rejects on its own.
      boss.on('error', () => undefined);
      try {
        return await boss.start();
      } catch (error) {
        throw new StrataError('Unavailable', `cannot start the task queue: ${(error as Error).message}`, { cause: error });
      }
    })();
    return this.starting;
  }
}
