import { mkdir, writeFile as writeSmall } from 'node:fs/promises';
import { join } from 'node:path';
import { copyBaseline, dropCaches, fmt, freshDir, GiB, MiB, mbps, report, run, SCALE, time, timeCopy, writeFile } from './support.ts';

const BIN = join(import.meta.dirname, '..', 'bin', 'strata.js');

const WORDS = ['data', 'model', 'token', 'corpus', 'train', 'eval', 'license', 'source', 'shard', 'label'];

function text(i: number): string {
  const lines = [`# Document ${i}`, ''];
  for (let l = 0; l < 20; l++) lines.push(Array.from({ length: 12 }, (_, w) => WORDS[(i + l * 7 + w * 3) % WORDS.length]).join(' '));
  return `${lines.join('\n')}\n`;
}

/** `strata ingest` of a folder (CLI, as users run it, with extraction) vs `cp -r` of the same folder. */
async function ingestVersusCopy(input: { name: string; dir: string; data: string; count: number; bytes: number; goal: number; unit: 'files' | 'bytes' }): Promise<void> {
  const env = { STRATA_DATA_DIR: join(input.dir, '.strata') };
  run('node', [BIN, 'init'], { cwd: input.dir, env });
  run('node', [BIN, 'repo', 'create', 'bench'], { cwd: input.dir, env });
  dropCaches();
  const copy = await timeCopy(input.data, join(input.dir, 'copy'), { recursive: true });
  dropCaches();
  const strata = await time(() => {
    run('node', [BIN, 'ingest', input.data, 'bench@main:in', '--json'], { cwd: input.dir, env });
  });
  const ratio = copy.cpSync / strata.seconds;
  const rate = (seconds: number): string => (input.unit === 'files' ? `${fmt(input.count / seconds, 0)} files/s` : mbps(input.bytes, seconds));
  report({
    name: input.name,
    strata: `${fmt(strata.seconds)} s (${rate(strata.seconds)})`,
    baseline: copyBaseline(copy, rate, 'cp -r'),
    ratio: `${fmt(ratio)}x cp -r + fsync (${fmt(copy.cp / strata.seconds)}x cp -r)`,
    goal: `>= ${input.goal}x cp -r + fsync`,
    met: ratio >= input.goal,
  });
}

/** 50,000 small text files, ingested with metadata extraction, end to end. */
export async function benchIngestSmallTexts(): Promise<void> {
  const dir = await freshDir('ingest-texts');
  const count = Math.round(50_000 * SCALE);
  const data = join(dir, 'texts');
  let bytes = 0;
  for (let i = 0; i < count; i++) {
    const folder = join(data, `d${i % 200}`);
    if (i < 200) await mkdir(folder, { recursive: true });
    const body = text(i);
    bytes += body.length;
    await writeSmall(join(folder, `doc${i}.md`), body);
  }
  await ingestVersusCopy({ name: `ingest ${count.toLocaleString('en')} small text files with extraction`, dir, data, count, bytes, goal: 0.5, unit: 'files' });
}

/** A 2 GiB mixed corpus: a few large binaries, many medium files, text, CSV. */
export async function benchIngestMixed(): Promise<void> {
  const dir = await freshDir('ingest-mixed');
  const total = Math.round(2 * GiB * SCALE);
  const data = join(dir, 'mixed');
  await mkdir(join(data, 'video'), { recursive: true });
  await mkdir(join(data, 'images'), { recursive: true });
  await mkdir(join(data, 'docs'), { recursive: true });
  await mkdir(join(data, 'tables'), { recursive: true });
  let bytes = 0;
  let count = 0;
  for (let i = 0; bytes < total * 0.6; i++, count++) {
    const size = Math.min(256 * MiB, Math.ceil(total * 0.6 - bytes));
    await writeFile(join(data, 'video', `clip${i}.bin`), size);
    bytes += size;
  }
  for (let i = 0; bytes < total * 0.9; i++, count++) {
    await writeFile(join(data, 'images', `img${i}.bin`), 512 * 1024);
    bytes += 512 * 1024;
  }
  for (let i = 0; bytes < total * 0.97; i++, count++) {
    const body = text(i).repeat(8);
    await writeSmall(join(data, 'docs', `doc${i}.md`), body);
    bytes += body.length;
  }
  for (let i = 0; bytes < total; i++, count++) {
    const rows = Array.from({ length: 20_000 }, (_, r) => `${r},${(r * 7919) % 1000},${WORDS[r % WORDS.length] ?? ''}`).join('\n');
    const body = `id,value,word\n${rows}\n`;
    await writeSmall(join(data, 'tables', `t${i}.csv`), body);
    bytes += body.length;
  }
  await ingestVersusCopy({ name: `ingest a ${fmt(bytes / GiB, 1)} GiB mixed corpus (${count.toLocaleString('en')} files)`, dir, data, count, bytes, goal: 0.7, unit: 'bytes' });
}
