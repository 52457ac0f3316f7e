import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, ok, strata } from '../support/cli.ts';

/** What a new user ran into: the second ref of diff/merge, closed pipes, init's data folder. */
describe('strata CLI rough edges', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'strata-edges-'));
    await ok(dir, ['init']);
    await ok(dir, ['repo', 'create', 'demo']);
    await writeFile(join(dir, 'a.txt'), 'alpha\n');
    await ok(dir, ['put', join(dir, 'a.txt'), 'demo@main:a.txt']);
    await ok(dir, ['commit', 'demo@main', '-m', 'first']);
    await ok(dir, ['branch', 'create', 'demo@exp']);
    await writeFile(join(dir, 'b.txt'), 'beta\n');
    await ok(dir, ['put', join(dir, 'b.txt'), 'demo@exp:b.txt']);
    await ok(dir, ['commit', 'demo@exp', '-m', 'second']);
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('diff and merge take repo@ref as their second argument as well as a bare ref', async () => {
    expect(await ok(dir, ['diff', 'demo@main', 'demo@exp'])).toBe('+ b.txt\n');
    expect(await ok(dir, ['diff', 'demo@main', 'exp'])).toBe('+ b.txt\n');
    const other = await strata(dir, ['diff', 'demo@main', 'other@exp']);
    expect([other.code, other.stderr]).toEqual([2, "strata: 'other@exp' is in repository 'other', not 'demo': both refs must be of one repository\n"]);
    expect(await ok(dir, ['merge', 'demo@exp', 'demo@main'])).toMatch(/^merged exp into main: 1 change\(s\), commit [0-9a-f]{12}\n$/);
    expect(await ok(dir, ['cat', 'demo@main:b.txt'])).toBe('beta\n');
  });

  it('ends quietly when the reader closes the pipe (strata cat … | head)', async () => {
    await writeFile(join(dir, 'big.bin'), Buffer.alloc(8 * 1024 * 1024, 'x'));
    await ok(dir, ['put', join(dir, 'big.bin'), 'demo@main:big.bin']);
    const script = `"${process.execPath}" "${BIN}" cat demo@main:big.bin | head -c 5; echo " status=\${PIPESTATUS[0]}"`;
    const run = await new Promise<{ stdout: string; stderr: string }>((resolve) => {
      const child = spawn('bash', ['-c', script], { cwd: dir, env: { ...process.env, STRATA_ENDPOINT: '' } });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.on('exit', () => {
        resolve({ stdout, stderr });
      });
    });
    expect(run).toEqual({ stdout: 'xxxxx status=0\n', stderr: '' });
  });

  it('init creates the data folder STRATA_DATA_DIR names, as every other command uses', async () => {
    const elsewhere = join(dir, 'elsewhere');
    const work = await mkdtemp(join(tmpdir(), 'strata-init-'));
    try {
      expect((await ok(work, ['init'], { STRATA_DATA_DIR: elsewhere })).split('\n')[0]).toBe(`Initialized empty Strata data folder in ${elsewhere}`);
      expect(existsSync(join(elsewhere, 'config.json'))).toBe(true);
      expect(existsSync(join(work, '.strata'))).toBe(false);
      await ok(work, ['repo', 'create', 'there'], { STRATA_DATA_DIR: elsewhere });
      expect(await ok(work, ['repo', 'list'], { STRATA_DATA_DIR: elsewhere })).toContain('there');
      // An explicit folder still wins, and a parent's .strata is never taken for a new one.
      expect((await ok(join(dir), ['init', 'sub'], { STRATA_DATA_DIR: elsewhere })).split('\n')[0]).toBe(`Initialized empty Strata data folder in ${join(dir, 'sub', '.strata')}`);
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  });
});
