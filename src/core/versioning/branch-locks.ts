/**
 * One queue per branch inside this process: commits, merges and reverts that move the same head
 * take turns instead of racing each other's compare-and-swap (a lost race costs a whole rebuild,
 * and 32 writers on one branch would otherwise lose most of them). Across processes the CAS in
 * the metadata store still decides; this only removes the contention a process causes itself.
 */
export class BranchLocks {
  private readonly tails = new Map<string, Promise<void>>();

  /** Runs `task` after every earlier task on the same branch has settled. */
  async run<T>(repository: string, branch: string, task: () => Promise<T>): Promise<T> {
    const key = `${repository}\n${branch}`;
    const previous = this.tails.get(key) ?? Promise.resolve();
    let release: () => void = () => undefined;
    const done = new Promise<void>((resolve) => (release = resolve));
    const tail = previous.then(() => done);
    this.tails.set(key, tail);
    await previous;
    try {
      return await task();
    } finally {
      release();
      if (this.tails.get(key) === tail) this.tails.delete(key);
    }
  }
}

/** A short random pause before retrying a lost compare-and-swap, growing with the attempt. */
export function backoff(attempt: number): Promise<void> {
  const ms = Math.min(200, 2 ** Math.min(attempt, 7)) * (0.5 + Math.random());
  return new Promise((resolve) => setTimeout(resolve, ms));
}
