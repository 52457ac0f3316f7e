import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type TestGateway } from '../support/s3.ts';

/**
 * The S3 tools users have, driven against a gateway on a free loopback port. `.ci/run` installs
 * them from apt (awscli, python3-boto3, rclone, s3cmd); without them these tests fail, by design.
 */
const run = promisify(execFile);
const here = join(import.meta.dirname, 'clients');
const TOOLS: [name: string, command: string, args: string[], needs: string][] = [
  ['AWS CLI v2', 'bash', [join(here, 'aws-cli.sh')], '/usr/bin/aws'],
  ['boto3', '/usr/bin/python3', [join(here, 'boto3-client.py')], '/usr/lib/python3/dist-packages/boto3'],
  ['rclone', 'bash', [join(here, 'rclone.sh')], '/usr/bin/rclone'],
  ['s3cmd', 'bash', [join(here, 's3cmd.sh')], '/usr/bin/s3cmd'],
];

let gw: TestGateway;
let workdir: string;
beforeAll(async () => {
  gw = await startGateway();
  workdir = await mkdtemp(join(tmpdir(), 'strata-s3-clients-'));
});
afterAll(async () => {
  await gw.close();
  await rm(workdir, { recursive: true, force: true });
});

describe('real S3 clients', () => {
  for (const [name, command, args, needs] of TOOLS) {
    it(`${name}: every operation round-trips exact bytes`, { timeout: 240_000 }, async () => {
      if (!existsSync(needs)) throw new Error(`${name} is not installed (${needs}); 'bash .ci/run' installs it with apt`);
      const env = { ...process.env, ENDPOINT: gw.endpoint, AWS_ACCESS_KEY_ID: gw.key.id, AWS_SECRET_ACCESS_KEY: gw.key.secret, WORKDIR: workdir, HOME: workdir };
      const result = await run(command, args, { env, maxBuffer: 16 * 1024 * 1024 }).catch((error: unknown) => {
        const failed = error as { stdout?: string; stderr?: string; message: string };
        throw new Error(`${name} failed: ${failed.message}\n${failed.stdout ?? ''}\n${failed.stderr ?? ''}`);
      });
      expect(result.stdout).toMatch(new RegExp(`: ok\\n$`));
    });
  }
});
