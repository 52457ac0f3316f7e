import { join } from 'node:path';
import { openStrata } from '../src/app/open-strata.ts';
import { loadConfig } from '../src/config/config.ts';
import type { StrataCore } from '../src/core/strata.ts';

export const ctx = { actor: { id: 'bench' } };

/**
 * An embedded Strata (SQLite + local folder, fsync on) as `strata serve` would open it, with
 * `bench` as its administrator (as `strata init` makes one), so every call goes through the
 * policy authorizer the server uses.
 */
export async function openBenchCore(dir: string, env: Record<string, string> = {}): Promise<StrataCore> {
  const core = await openStrata(loadConfig({ env: { STRATA_DATA_DIR: join(dir, '.strata'), ...env }, cwd: dir }), { create: true });
  await core.identity.bootstrap(ctx.actor.id);
  return core;
}
