/**
 * Maps `items` through `fn` with at most `limit` calls in flight, keeping input order.
 * Used wherever a batch fans out to storage: an unbounded Promise.all over 30,000 node writes
 * ran a process out of file descriptors.
 */
export async function mapConcurrent<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(Math.max(limit, 1), items.length) }, worker));
  return out;
}
