import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ok, strata } from '../support/cli.ts';

interface Report {
  dryRun: boolean;
  commits: { kept: number; expired: number; expiredBefore: number };
  blobs: { collected: { count: number; bytes: number } };
}

let dir = '';
let first = '';
const V1 = 'version one, replaced\n';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'strata-cli-gc-'));
  await ok(dir, ['init']);
  await ok(dir, ['repo', 'create', 'data']);
  await writeFile(join(dir, 'a.txt'), V1);
  await ok(dir, ['put', join(dir, 'a.txt'), 'data@main:a.txt']);
  first = (JSON.parse(await ok(dir, ['--json', 'commit', 'data@main', '-m', 'one'])) as { id: string }).id;
  await writeFile(join(dir, 'a.txt'), 'version two\n');
  await ok(dir, ['put', join(dir, 'a.txt'), 'data@main:a.txt']);
  await ok(dir, ['commit', 'data@main', '-m', 'two']);
}, 120_000);
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

it('sets and shows retention rules, and refuses bad ones with one line', async () => {
  expect(await ok(dir, ['retention', 'show', 'data'])).toBe('(no retention rules: history is kept forever)\n');
  expect(await ok(dir, ['retention', 'set', 'data', '--days', '0', '--branch', 'keep-*=forever', '--stale', 'exp-*:14', '--lifecycle', 'logs/:30:main'])).toBe(
    ["replaced versions: kept 0 day(s)", 'branch keep-*: kept forever', "lifecycle: objects under 'logs/' older than 30 day(s) deleted on main", 'stale branches: exp-* deleted after 14 day(s) without a commit', ''].join('\n'),
  );
  const bad = await strata(dir, ['retention', 'set', 'data', '--days', 'soon']);
  expect(bad).toMatchObject({ code: 2, stdout: '' });
  expect(bad.stderr).toBe("strata: --days must be a whole number of days, not 'soon'\n");
  const grace = await strata(dir, ['gc', '--grace', '5x']);
  expect(grace.code).toBe(2);
  expect(grace.stderr).toBe("strata: '5x' is not a duration: use seconds or a number with s, m, h or d (90s, 10m, 1h, 2d)\n");
});

it('gc --dry-run counts, gc collects, and the collected version answers Gone with exit code 10', async () => {
  const dry = JSON.parse(await ok(dir, ['--json', 'gc', '--dry-run', '--grace', '0'])) as Report;
  // Commit "one" and the empty root commit expire; a.txt's first content and commit one's tree go.
  expect(dry).toMatchObject({ dryRun: true, commits: { expired: 2 }, blobs: { collected: { count: 2 } } });
  expect(await ok(dir, ['cat', `data@${first}:a.txt`])).toBe(V1);
  const real = JSON.parse(await ok(dir, ['--json', 'gc', '--grace', '0'])) as Report;
  expect(real).toMatchObject({ dryRun: false, commits: { expired: 2 }, blobs: { collected: dry.blobs.collected } });
  const gone = await strata(dir, ['cat', `data@${first}:a.txt`]);
  expect(gone.code).toBe(10);
  expect(gone.stderr).toMatch(new RegExp(`^strata: commit ${first.slice(0, 12)} of 'data' has expired under the rule 'retention 0d on main' \\(.+\\); its objects were garbage-collected\\n$`));
  expect(await ok(dir, ['cat', 'data@main:a.txt'])).toBe('version two\n');
  // History stays navigable.
  const log = JSON.parse(await ok(dir, ['--json', 'log', 'data@main'])) as { message: string }[];
  expect(log.map((c) => c.message)).toEqual(['two', 'one', 'Repository created']);
  const again = JSON.parse(await ok(dir, ['--json', 'gc', '--grace', '0'])) as Report;
  expect(again).toMatchObject({ commits: { expired: 0, expiredBefore: 2 }, blobs: { collected: { count: 0, bytes: 0 } } });
  const runs = JSON.parse(await ok(dir, ['--json', 'gc', 'runs'])) as Report[];
  expect(runs.map((r) => r.dryRun)).toEqual([false, false, true]);
}, 120_000);
