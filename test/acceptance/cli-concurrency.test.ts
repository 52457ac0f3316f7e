import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ok, strata } from '../support/cli.ts';

/**
 * 32 `strata` processes at once on one data folder, each a put and then a commit of just its
 * own file: every invocation succeeds (the blob store's cleanup of dead writers' temp folders
 * once raced other processes' and failed puts with ENOENT) and every file is committed once.
 */
let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'strata-cli-many-'));
  await ok(dir, ['init']);
  await ok(dir, ['repo', 'create', 'shared']);
  for (let i = 0; i < 32; i++) await writeFile(join(dir, `f${i}.txt`), `file ${i}\n`);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

it('32 concurrent CLI processes put and commit --only on one data folder, none failing', async () => {
  const runs = await Promise.all(
    Array.from({ length: 32 }, async (_, i) => {
      const put = await strata(dir, ['put', join(dir, `f${i}.txt`), `shared@main:w${i}/f.txt`]);
      const commit = await strata(dir, ['commit', 'shared@main', '-m', `writer ${i}`, '--only', `w${i}/`]);
      return { i, put: [put.code, put.stderr], commit: [commit.code, commit.stderr] };
    }),
  );
  expect(runs).toEqual(Array.from({ length: 32 }, (_, i) => ({ i, put: [0, ''], commit: [0, ''] })));
  const log = JSON.parse(await ok(dir, ['--json', 'log', 'shared@main', '-n', '100'])) as { message: string }[];
  expect(log.map((c) => c.message).sort()).toEqual([...Array.from({ length: 32 }, (_, i) => `writer ${i}`), 'Repository created'].sort());
  for (let i = 0; i < 32; i++) expect(await ok(dir, ['cat', `shared@main:w${i}/f.txt`])).toBe(`file ${i}\n`);
  expect(await ok(dir, ['status', 'shared@main'])).toBe('On shared@main: 0 uncommitted change(s)\nno changes\n');
}, 240_000);
