import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, ok, strata } from '../support/cli.ts';


/** The README's walk-through: raw docs → prep run → training run (exec) → model → provenance and impact. */
describe('runs, models and lineage from the CLI (black box)', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'strata-lineage-cli-'));
    await mkdir(join(dir, 'docs'));
    await mkdir(join(dir, 'cleaned'));
    for (const name of ['a', 'b']) {
      await writeFile(join(dir, 'docs', `${name}.txt`), `  Raw ${name}  `);
      await writeFile(join(dir, 'cleaned', `${name}.txt`), `raw ${name}`);
    }
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('answers "what made this model?" and "what does this file affect?" in one command each', async () => {
    await ok(dir, ['init']);
    for (const repo of ['raw', 'clean', 'models']) await ok(dir, ['repo', 'create', repo]);
    await ok(dir, ['ingest', 'docs', 'raw@main:docs']);

    const prep = (await ok(dir, ['run', 'start', '--job', 'clean-docs', '--kind', 'prep', '--input', 'raw@main:docs/', '--param', 'lowercase=true'])).trim();
    expect(prep).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    await ok(dir, ['put', 'cleaned', 'clean@main:docs']);
    await ok(dir, ['commit', 'clean@main', '-m', 'cleaned']);
    expect(await ok(dir, ['run', 'finish', '--output', 'clean@main'], { STRATA_RUN_ID: prep })).toBe(`run ${prep} completed\n`);

    // The training "script": writes two checkpoints and logs a metric through STRATA_RUN_ID.
    const cli = `"${process.execPath}" "${BIN}"`;
    await writeFile(join(dir, 'step-1.bin'), Buffer.alloc(2000, 1));
    await writeFile(join(dir, 'step-2.bin'), Buffer.alloc(2000, 2));
    const script = [
      `${cli} put step-1.bin models@main:ckpt/step-1.bin`,
      `${cli} commit models@main -m step1`,
      `${cli} run log-metric loss=0.5 --step 1`,
      `${cli} put step-2.bin models@main:ckpt/step-2.bin`,
      `${cli} commit models@main -m step2`,
      `${cli} run log-metric loss=0.25 --step 2`,
    ].join(' && ');
    const exec = await strata(dir, ['run', 'exec', '--job', 'train-bert', '--kind', 'training', '--input', 'clean@main:docs/', '--output', 'models@main:ckpt/', '--param', 'lr=3e-4', '--', 'sh', '-c', script]);
    expect(exec.code).toBe(0);
    const train = /run ([0-9a-f-]{36}) started/.exec(exec.stderr)?.[1] ?? '';
    // The command's own output passes through; the run's end comes last.
    expect(exec.stdout.endsWith(`logged 1 metric value(s)\nstrata: run ${train} completed\n`)).toBe(true);
    const shown = JSON.parse(await ok(dir, ['--json', 'run', 'show', train])) as { status: string; exitCode: number; params: Record<string, string>; metrics: Record<string, unknown>; host: string; inputs: Array<{ key: string }>; outputs: Array<{ key: string }> };
    expect(shown).toMatchObject({ status: 'completed', exitCode: 0, params: { lr: '3e-4' }, metrics: { loss: { value: 0.25, step: 2, points: 2 } } });
    expect(shown.inputs.map((i) => i.key)).toEqual([expect.stringMatching(/^dataset:clean@[0-9a-f]{64}:docs\/$/)]);

    expect(await ok(dir, ['model', 'register', 'bert', 'models@main:ckpt/step-2.bin', '--run', train, '--alias', 'production'])).toMatch(/^registered bert\/1: models@[0-9a-f]{12}:ckpt\/step-2.bin \(production\)\n$/);

    const provenance = await ok(dir, ['lineage', 'provenance', 'model:bert@production']);
    expect(provenance).toBe(`sources behind model:bert/1: 2 node(s)\nobject (2)\n  ${await objectKey('raw', 'docs/a.txt')}\n  ${await objectKey('raw', 'docs/b.txt')}\n`);
    const impact = JSON.parse(await ok(dir, ['--json', 'lineage', 'impact', 'raw@main:docs/a.txt', '--type', 'run,model'])) as { nodes: Array<{ key: string; label: string }> };
    expect(impact.nodes.map((n) => n.key).sort()).toEqual(['model:bert/1', `run:${prep}`, `run:${train}`].sort());

    // Labels and licences of what went in (none declared here), and the report an auditor asks for.
    expect(await ok(dir, ['lineage', 'labels', 'model:bert@production'])).toBe('labels of model:bert/1: (none)\nlicences: unknown (2 sources)\n');
    const report = await ok(dir, ['report', 'model:bert@production']);
    expect(report.split('\n')[0]).toBe('# Model report: bert/1');
    expect(report).toContain(`\n## Training run\n\n${train}: train-bert (training), completed  \n`);
    expect(report).toContain('| lr | 3e-4 |');
    const html = await ok(dir, ['report', 'model:bert@production', '--format', 'html']);
    expect(html.startsWith('<!doctype html>')).toBe(true);
    const bad = await strata(dir, ['report', 'model:bert@production', '--format', 'pdf']);
    expect([bad.code, bad.stderr]).toEqual([2, "strata: --format must be one of markdown, html, json, not 'pdf'\n"]);
    await ok(dir, ['get', 'model:bert@production', join(dir, 'deployed.bin')]);
    expect((await readFile(join(dir, 'deployed.bin'))).equals(Buffer.alloc(2000, 2))).toBe(true);
    expect(await ok(dir, ['stat', 'models@main:ckpt/'])).toMatch(/^objects {2}2\nlogical {2}3\.9 KiB \(4000 B\)\n/);

    const missing = await strata(dir, ['run', 'finish']);
    expect([missing.code, missing.stderr]).toEqual([2, 'strata: no run given: pass --run <id> or set STRATA_RUN_ID\n']);
    const twice = await strata(dir, ['run', 'finish', '--run', train]);
    expect([twice.code, twice.stderr]).toEqual([4, `strata: run ${train} is already completed\n`]);
    const failed = await strata(dir, ['run', 'exec', '--job', 'broken', '--', 'sh', '-c', 'exit 3']);
    expect(failed.code).toBe(3);
    expect(failed.stdout).toMatch(/^strata: run [0-9a-f-]{36} failed\n$/);
  }, 180_000);

  async function objectKey(repo: string, path: string): Promise<string> {
    const info = JSON.parse(await ok(dir, ['--json', 'stat', `${repo}@main:${path}`])) as { sha256: string };
    return `object:${repo}:${path}@${info.sha256}`;
  }
});
