/**
 * A child process that writes through the real composition root and prints a line for each
 * write only after it was acknowledged:
 *   PUT <path> <sha256>   the put resolved
 *   COMMIT <id>           the commit resolved
 *   ACK <commit> <path> <sha256>   the commit resolved holding this version (mode `churn`)
 * Modes: `crash` (put/commit forever, to be killed), `concurrent <worker> <count>`, and
 * `churn <worker> <count>`: overwrites a few paths with contents from a small pool shared by
 * every worker (so contents keep becoming garbage and being written again, the collector's
 * hardest case), overwrites a scratch path before committing, copies, and commits each round.
 * Configuration comes from STRATA_* variables, as for `strata`.
 */
import { createHash } from 'node:crypto';
import { openStrata } from '../../src/app/open-strata.ts';
import { loadConfig } from '../../src/config/config.ts';
import { contentFor } from './content.ts';

const [mode = 'crash', worker = 'w', countText = '10'] = process.argv.slice(2);
/** Contents the churn mode picks from (`pool/<n>`; pool/5 is large enough to be chunked). */
const CHURN_POOL = 12;
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

/** One churn round: what the commit it ends with holds, acknowledged once the commit resolved. */
async function churnRound(n: number): Promise<void> {
  const written = new Map<string, string>();
  // Pseudo-random picks from a pool larger than the paths using it, so a content is often
  // referenced by nothing (garbage) when a writer stores it again.
  const pick = (salt: number): number => createHash('sha256').update(`${worker} ${n} ${salt}`).digest().readUInt32LE(0) % CHURN_POOL;
  const at = async (path: string, pool: number): Promise<void> => {
    const info = await core.objects.put(ctx, { repository: 'data', branch: 'main', path, body: bytes(contentFor(`pool/${pool}`)) });
    written.set(path, info.sha256);
  };
  await at(`${worker}/${n % 2}`, pick(0));
  await at(`${worker}/scratch`, pick(1)); // replaced before the commit: its first content is garbage at once
  await at(`${worker}/scratch`, pick(2));
  if (n % 4 === 3) {
    const copied = await core.objects.copy(ctx, { source: { repository: 'data', ref: 'main', path: `${worker}/${(n + 1) % 2}` }, target: { repository: 'data', branch: 'main', path: `${worker}/copy` } }).catch(() => undefined);
    if (copied) written.set(`${worker}/copy`, copied.sha256);
  }
  try {
    const commit = await core.commits.commit(ctx, { repository: 'data', branch: 'main', message: `${worker} ${n}`, only: [`${worker}/`] });
    for (const [path, sha256] of written) process.stdout.write(`ACK ${commit.id} ${path} ${sha256}\n`);
  } catch (error) {
    if ((error as { code?: string }).code !== 'InvalidArgument') throw error; // nothing changed this round
  }
}

process.stdout.write('READY\n');
if (mode === 'churn') {
  for (let n = 0; n < Number(countText); n++) await churnRound(n);
  await core.close();
} else if (mode === 'crash') {
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
