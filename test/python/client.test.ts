import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';

const CLIENT = join(import.meta.dirname, '..', '..', 'clients', 'python');

/** The first interpreter that has pytest, pip, torch and zstandard (`.ci/run` installs Debian's python3-pytest, python3-pip, python3-torch and python3-zstandard when none has). */
function python(): string {
  for (const candidate of ['python3', '/usr/bin/python3']) {
    if (spawnSync(candidate, ['-c', 'import pytest, pip, torch, zstandard'], { stdio: 'ignore' }).status === 0) return candidate;
  }
  throw new Error('no python3 with pytest, pip, torch and zstandard: install python3-pytest python3-pip python3-torch python3-zstandard (bash .ci/run does)');
}

it('installs with pip, typed, importable', async () => {
  const target = await mkdtemp(join(tmpdir(), 'strata-pip-'));
  try {
    const pip = spawnSync(python(), ['-m', 'pip', 'install', '--quiet', '--no-deps', '--target', target, CLIENT], { encoding: 'utf8' });
    expect(pip.status, pip.stderr).toBe(0);
    expect(existsSync(join(target, 'strata', 'py.typed'))).toBe(true);
    const version = spawnSync(python(), ['-c', 'import strata; print(strata.__version__, strata.StrataError.__name__)'], { encoding: 'utf8', env: { ...process.env, PYTHONPATH: target } });
    expect(version.stdout).toBe('0.1.0 StrataError\n');
  } finally {
    await rm(target, { recursive: true, force: true });
  }
}, 180_000);

it('passes its pytest suite against a real strata serve', () => {
  const run = spawnSync(python(), ['-m', 'pytest', '-q', '-p', 'no:cacheprovider', 'tests'], { cwd: CLIENT, encoding: 'utf8', timeout: 600_000 });
  expect(run.status, `${run.stdout}\n${run.stderr}`).toBe(0);
  expect(run.stdout).toMatch(/\d+ passed/);
}, 600_000);
