import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ok, strata } from '../support/cli.ts';

interface Certificate {
  id: string;
  dryRun: boolean;
  destroyed: string[];
  objectVersions: Array<{ repository: string; path: string; sha256: string }>;
  blobs: string[];
  commits: Array<{ repository: string; branch: string; commit: string }>;
}

const JANE = 'Jane Doe, 12 Elm Street, asked to be forgotten.\n';
const sha = createHash('sha256').update(JANE).digest('hex');
let dir = '';
let first = '';
let run = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'strata-cli-erase-'));
  await ok(dir, ['init']);
  await ok(dir, ['repo', 'create', 'people']);
  await writeFile(join(dir, 'jane.txt'), JANE);
  await writeFile(join(dir, 'other.txt'), 'nobody in particular\n');
  await ok(dir, ['put', join(dir, 'jane.txt'), 'people@main:jane.txt']);
  await ok(dir, ['put', join(dir, 'other.txt'), 'people@main:other.txt']);
  first = (JSON.parse(await ok(dir, ['--json', 'commit', 'people@main', '-m', 'one'])) as { id: string }).id;
  // A training run read the file and made a model: an erasure cannot undo that, so it marks them.
  await ok(dir, ['repo', 'create', 'models']);
  run = (await ok(dir, ['run', 'start', '--job', 'train', '--kind', 'training', '--input', 'people@main:jane.txt'])).trim();
  await writeFile(join(dir, 'ckpt.bin'), Buffer.alloc(64, 1));
  await ok(dir, ['put', join(dir, 'ckpt.bin'), 'models@main:ckpt.bin']);
  await ok(dir, ['commit', 'models@main', '-m', 'ckpt']);
  await ok(dir, ['run', 'finish', '--output', 'models@main:ckpt.bin'], { STRATA_RUN_ID: run });
  await ok(dir, ['model', 'register', 'kelp', 'models@main:ckpt.bin', '--run', run]);
}, 120_000);
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

it('refuses a missing or unreadable target with one line', async () => {
  const none = await strata(dir, ['erase']);
  expect(none).toMatchObject({ code: 2, stdout: '' });
  expect(none.stderr).toBe('strata: name what to erase: strata erase <repo@ref:path | source:<uri> | sha256:<hex> | dataset:<name>> [--dry-run]\n');
  const bad = await strata(dir, ['erase', 'jane.txt']);
  expect(bad).toMatchObject({ code: 2, stdout: '' });
  expect(bad.stderr).toBe("strata: cannot erase 'jane.txt': name repo@ref:path, source:<uri>, sha256:<64 hex digits> or dataset:<name>\n");
  const missing = await strata(dir, ['erase', 'people@main:nobody.txt']);
  expect(missing).toMatchObject({ code: 3, stderr: "strata: object 'nobody.txt' not found at people@main\n" });
});

it('lists what a dry run would reach, erases, answers Erased with exit 11, and verifies', async () => {
  const dry = await ok(dir, ['erase', 'people@main:jane.txt', '--dry-run', '--reason', 'request 7']);
  expect(dry).toBe([
    'dry run: nothing changed; erasing people@main:jane.txt would reach:',
    '  reason: request 7',
    '  contents destroyed: 1 (reads of them answer Erased)',
    '  object versions: 1',
    `    people:jane.txt  ${sha.slice(0, 12)}`,
    '  shards: 0, 0 records removed (0 record ids)',
    '  inference records: 0 in 0 partition versions, 0 payloads',
    '  recipe cache: 0 entries, 0 segments',
    `  marked: model:kelp/1 (trained-on-erased-data), run:${run} (read-erased-data)`,
    '',
  ].join('\n'));
  expect(await ok(dir, ['cat', 'people@main:jane.txt'])).toBe(JANE);

  const done = JSON.parse(await ok(dir, ['--json', 'erase', 'people@main:jane.txt', '--reason', 'request 7'])) as Certificate;
  expect(done).toMatchObject({ dryRun: false, destroyed: [sha], blobs: [sha], objectVersions: [{ repository: 'people', path: 'jane.txt', sha256: sha }] });
  const erased = await strata(dir, ['cat', `people@${first}:jane.txt`]);
  expect(erased).toMatchObject({ code: 11, stdout: '' });
  expect(erased.stderr).toBe(`strata: this content was erased (erasure ${done.id}) and is unavailable for legal reasons\n`);
  expect((await strata(dir, ['cat', 'people@main:jane.txt'])).code).not.toBe(0);
  expect(await ok(dir, ['cat', `people@${first}:other.txt`])).toBe('nobody in particular\n');
  const log = JSON.parse(await ok(dir, ['--json', 'log', 'people@main'])) as Array<{ message: string }>;
  expect(log[0]?.message).toBe(`erase ${done.id}: people@main:jane.txt; 1 object(s) removed`);

  const list = JSON.parse(await ok(dir, ['--json', 'erase', 'list'])) as Array<{ id: string; target: string }>;
  expect(list.map((e) => [e.id, e.target])).toEqual([[done.id, 'people@main:jane.txt']]);
  const shown = await ok(dir, ['erase', 'show', done.id]);
  expect(shown.split('\n')[0]).toBe(`erased people@main:jane.txt (erasure ${done.id})`);
  expect(shown).toContain(`  blobs deleted: 1 (checked absent: 1/1)\n`);
  expect(await ok(dir, ['erase', 'verify', done.id])).toBe(`erasure ${done.id} verifies: signature valid, none of 1 blob is stored\n`);
  // The registry and lineage show what could not be undone.
  expect(await ok(dir, ['model', 'show', 'kelp'])).toContain(`  run ${run}\n       ! trained-on-erased-data (erasure ${done.id})\n`);
  expect((await ok(dir, ['lineage', 'provenance', 'model:kelp/1'])).split('\n').slice(0, 2)).toEqual([expect.stringMatching(/^sources behind model:kelp\/1: /), `  ! trained-on-erased-data (erasure ${done.id})`]);

  // The same bytes put again are stored again (reads still answer Erased): verify says so and fails...
  await ok(dir, ['repo', 'create', 'again']);
  await ok(dir, ['put', join(dir, 'jane.txt'), 'again@main:copy.txt']);
  const stale = await strata(dir, ['erase', 'verify', done.id]);
  expect(stale).toMatchObject({ code: 9, stdout: `erasure ${done.id} does NOT verify: 1 blob stored again: ${sha}\n` });
  expect((await strata(dir, ['cat', 'again@main:copy.txt'])).code).toBe(11);
  // ...until garbage collection takes them: erased contents keep nothing alive.
  await ok(dir, ['gc', '--grace', '0']);
  expect(await ok(dir, ['erase', 'verify', done.id])).toBe(`erasure ${done.id} verifies: signature valid, none of 1 blob is stored\n`);
});
