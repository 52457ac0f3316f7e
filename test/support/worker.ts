/**
 * A child process that writes through the real composition root and prints a line for each
 * write only after it was acknowledged:
 *   PUT <path> <sha256>   the put resolved
 *   COMMIT <id>           the commit resolved
 * Modes: `crash` (put/commit forever, to be killed) and `concurrent <worker> <count>`.
 * Configuration comes from STRATA_* variables, as for `strata`.
 */
import { createHash } from 'node:crypto';
import { openStrata } from '../../src/app/open-strata.ts';
import { loadConfig } from '../../src/config/config.ts';
import { contentFor } from './content.ts';

const [mode = 'crash', worker = 'w', countText = '10'] = process.argv.slice(2);
const core = await openStrata(loadConfig({ env: process.env, cwd: process.cwd() }), { create: true });
// Code holding the data folder acts as its administrator, as the embedded CLI does.
const ctx = { actor: { id: (await core.identity.bootstrap('admin')).admin } };

async function* bytes(buffer: Buffer): AsyncGenerator<Uint8Array> {
  // Hand the content over in pieces, as a network upload would.
  for (let i = 0; i < buffer.length; i += 256 * 1024) {
    await Promise.resolve();
    yield buffer.subarray(i, i + 256 * 1024);
  }
}

async function put(path: string): Promise<void> {
  const content = contentFor(path);
  const info = await core.objects.put(ctx, { repository: 'data', branch: 'main', path, body: bytes(content) });
  if (info.sha256 !== createHash('sha256').update(content).digest('hex')) throw new Error('hash mismatch');
  process.stdout.write(`PUT ${path} ${info.sha256}\n`);
}

async function commit(message: string): Promise<void> {
  try {
    const commit = await core.commits.commit(ctx, { repository: 'data', branch: 'main', message });
    process.stdout.write(`COMMIT ${commit.id}\n`);
  } catch (error) {
    // Another process may have committed our staged rows already.
    if ((error as { code?: string }).code !== 'InvalidArgument') throw error;
  }
}

process.stdout.write('READY\n');
if (mode === 'crash') {
  for (let n = 0; ; n++) {
    await put(`${worker}/${n}`);
    if (n % 3 === 2) await commit(`${worker} ${n}`);
  }
} else {
  for (let n = 0; n < Number(countText); n++) {
    await put(`${worker}/${n}`);
    await commit(`${worker} ${n}`);
  }
  await core.close();
}
