import { describe, expect, it } from 'vitest';
import { BranchLocks } from './branch-locks.ts';

describe('BranchLocks', () => {
  it('runs tasks on one branch one at a time, in arrival order, and others side by side', async () => {
    const locks = new BranchLocks();
    const events: string[] = [];
    const task = (name: string, ms: number) => async () => {
      events.push(`start ${name}`);
      await new Promise((resolve) => setTimeout(resolve, ms));
      events.push(`end ${name}`);
      return name;
    };
    const results = await Promise.all([
      locks.run('r', 'main', task('a', 20)),
      locks.run('r', 'main', task('b', 1)),
      locks.run('r', 'other', task('c', 5)),
    ]);
    expect(results).toEqual(['a', 'b', 'c']);
    expect(events).toEqual(['start a', 'start c', 'end c', 'end a', 'start b', 'end b']);
  });

  it('goes on after a task fails', async () => {
    const locks = new BranchLocks();
    await expect(locks.run('r', 'main', () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(await locks.run('r', 'main', () => Promise.resolve(7))).toBe(7);
  });
});
