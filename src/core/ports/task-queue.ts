/** Where a queued task stands. `queued` covers waiting to be retried. */
export type TaskState = 'queued' | 'active' | 'completed' | 'failed' | 'cancelled';

export interface TaskStatus {
  state: TaskState;
  /** Why the last attempt failed (a handler's error message, or expiry). */
  error?: string;
}

export interface SendTaskOptions {
  /** Attempts after the first. */
  retryLimit: number;
  /** A task active this long (its worker died or hangs) fails and, if attempts are left, runs again. */
  expireInSeconds: number;
}

/**
 * A durable queue of tasks shared by processes on any number of machines (adapter: pg-boss on
 * the metadata PostgreSQL). At-least-once: a task may run more than once (a worker killed after
 * finishing but before acknowledging, or an expired one still running), so handlers must be
 * idempotent.
 */
export interface TaskQueue {
  /** Queues tasks; returns their ids, in order. */
  send(queue: string, tasks: object[], options: SendTaskOptions): Promise<string[]>;
  /** The tasks' current states; ids the queue does not know are absent. */
  states(queue: string, ids: string[]): Promise<Map<string, TaskStatus>>;
  /** Fails the active tasks that outlived their expiry now, instead of at the next maintenance. */
  expire(): Promise<void>;
  /**
   * Runs `handler` on tasks of `queue`, up to `concurrency` at once, until `stop`. A handler that
   * throws fails the attempt (retried while attempts are left).
   */
  work(queue: string, options: { concurrency: number }, handler: (task: unknown) => Promise<void>): Promise<void>;
  /** Stops taking tasks, waits for running handlers (up to a grace period) and disconnects. */
  stop(): Promise<void>;
}
