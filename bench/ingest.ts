import { createReadStream } from 'node:fs';
import { mkdir, writeFile as writeSmall } from 'node:fs/promises';
import { join } from 'node:path';
import { ctx, openBenchCore } from './open-core.ts';
import { copyBaseline, dropCaches, fmt, freshDir, GiB, mbps, report, run, SCALE, time, timeCopy, writeFile } from './support.ts';

const BIN = join(import.meta.dirname, '..', 'bin', 'strata.js');

/** One large file: Strata put (hash, chunk, store, fsync) vs cp of the same file on the same disk. */
export async function benchLargeFile(): Promise<void> {
  const dir = await freshDir('large-file');
  const size = Math.round(2 * GiB * SCALE);
  const source = join(dir, 'source.bin');
  await writeFile(source, size);
  dropCaches();
  const copy = await timeCopy(source, join(dir, 'copy.bin'));
  const core = await openBenchCore(dir);
  await core.repositories.create(ctx, { name: 'bench' });
  dropCaches();
  const put = await time(() =>
    core.objects.put(ctx, { repository: 'bench', branch: 'main', path: 'big.bin', body: createReadStream(source, { highWaterMark: 4 * 1024 * 1024 }) }),
  );
  await core.close();
  const ratio = copy.cpSync / put.seconds;
  report({
    name: `ingest one ${fmt(size / GiB, 1)} GiB file`,
    strata: `${fmt(put.seconds)} s (${mbps(size, put.seconds)})`,
    baseline: copyBaseline(copy, (seconds) => mbps(size, seconds)),
    ratio: `${fmt(ratio)}x cp + fsync (${fmt(copy.cp / put.seconds)}x cp)`,
    goal: '>= 0.8x cp + fsync',
    met: ratio >= 0.8,
  });
}

/** 20,000 files of 4 KiB: `strata put` + `strata commit` (the CLI, as a user runs it) vs git add + commit. */
export async function benchSmallFiles(): Promise<void> {
  const dir = await freshDir('small-files');
  const count = Math.round(20_000 * SCALE);
  const data = join(dir, 'data');
  const block = Buffer.alloc(4096);
  for (let i = 0; i < count; i++) {
    const folder = join(data, `d${i % 100}`);
    if (i < 100) await mkdir(folder, { recursive: true });
    block.writeUInt32LE(i, 0);
    block.writeUInt32LE(Math.imul(i, 2654435761) >>> 0, 8);
    await writeSmall(join(folder, `f${i}.bin`), block);
  }
  const env = { STRATA_DATA_DIR: join(dir, '.strata') };
  run('node', [BIN, 'init'], { cwd: dir, env });
  run('node', [BIN, 'repo', 'create', 'bench'], { cwd: dir, env });
  const strata = await time(() => {
    run('node', [BIN, 'put', 'data', 'bench@main'], { cwd: dir, env });
    run('node', [BIN, 'commit', 'bench@main', '-m', 'import'], { cwd: dir, env });
  });
  const gitEnv = { GIT_AUTHOR_NAME: 'b', GIT_AUTHOR_EMAIL: 'b@b', GIT_COMMITTER_NAME: 'b', GIT_COMMITTER_EMAIL: 'b@b' };
  run('git', ['init', '-q'], { cwd: data });
  const git = await time(() => {
    run('git', ['add', '.'], { cwd: data, env: gitEnv });
    run('git', ['commit', '-q', '-m', 'import'], { cwd: data, env: gitEnv });
  });
  const ratio = git.seconds / strata.seconds;
  report({
    name: `ingest ${count} files of 4 KiB (CLI put + commit)`,
    strata: `${fmt(strata.seconds)} s (${fmt(count / strata.seconds, 0)} files/s)`,
    baseline: `git add + commit ${fmt(git.seconds)} s (${fmt(count / git.seconds, 0)} files/s)`,
    ratio: `${fmt(ratio)}x git`,
    goal: 'faster than git (> 1x)',
    met: ratio > 1,
  });
}
