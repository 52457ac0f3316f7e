import { spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The `strata` entry point, run as users run it (dist/ when built, else through tsx). */
export const BIN = join(import.meta.dirname, '..', '..', 'bin', 'strata.js');

/** No saved `strata login` credentials leak in from the machine running the tests. */
const NO_CONFIG = join(tmpdir(), 'strata-test-no-config');

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `strata <args>` in `cwd` on the embedded store (no STRATA_ENDPOINT, no STRATA_RUN_ID unless given). */
export function strata(cwd: string, args: string[], env: Record<string, string> = {}): Promise<CliRun> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd, env: { ...process.env, STRATA_ENDPOINT: '', STRATA_RUN_ID: '', STRATA_TOKEN: '', XDG_CONFIG_HOME: NO_CONFIG, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code) => {
      resolve({ code, stdout, stderr });
    });
  });
}

/** Like `strata`, and fails with the command's stderr unless it exits 0; returns stdout. */
export async function ok(cwd: string, args: string[], env?: Record<string, string>): Promise<string> {
  const run = await strata(cwd, args, env);
  if (run.code !== 0) throw new Error(`strata ${args.join(' ')} exited ${String(run.code)}: ${run.stderr}`);
  return run.stdout;
}
