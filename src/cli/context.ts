import { readFileSync } from 'node:fs';
import { homedir, hostname, userInfo } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { openIngestSource } from '../app/ingest-source.ts';
import { openStrata } from '../app/open-strata.ts';
import { previewObject } from '../app/preview.ts';
import { loadConfig, type Config } from '../config/config.ts';
import type { StrataApi } from '../sdk/api.ts';
import { StrataClient } from '../sdk/client.ts';
import { createLocalApi } from '../sdk/local-api.ts';
import { createOutput, type Output } from './output.ts';
import { STRATA_VERSION } from './version.ts';

/** Global flags every command can take. */
export interface GlobalOptions {
  endpoint?: string;
  token?: string;
  dataDir?: string;
  json?: boolean;
}

export interface CommandContext {
  api: StrataApi;
  out: Output;
  config?: Config;
}

/** The local user's name, as provenance records it. */
export function localActor(): string {
  try {
    return userInfo().username;
  } catch {
    return 'local';
  }
}

/** The administrator `strata init` creates: the local user's name when it is a valid principal id, else `admin`. */
export function adminName(): string {
  const name = localActor();
  return /^[a-z0-9][a-z0-9._@+-]{0,127}$/i.test(name) && name !== 'anonymous' ? name : 'admin';
}

/** Where `strata login` keeps tokens, one per endpoint (private to the user: 0600). */
export function credentialsFile(env: NodeJS.ProcessEnv = process.env): string {
  return join(env.XDG_CONFIG_HOME ?? join(homedir(), '.config'), 'strata', 'credentials.json');
}

/** The token for `endpoint`: --token, else STRATA_TOKEN, else what `strata login` saved for it. */
export function tokenFor(endpoint: string, flag: string | undefined): string | undefined {
  if (flag !== undefined && flag !== '') return flag;
  const fromEnv = process.env.STRATA_TOKEN;
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  try {
    const saved = JSON.parse(readFileSync(credentialsFile(), 'utf8')) as Record<string, unknown>;
    const token = saved[endpoint.replace(/\/+$/, '')];
    return typeof token === 'string' ? token : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Opens the API a command works through: the HTTP client when `--endpoint` (or STRATA_ENDPOINT)
 * is set, acting as the token's principal; else the embedded store found from the working
 * directory, acting as the administrator whose data folder it is.
 */
export async function openContext(command: Command, options: { create?: boolean } = {}): Promise<CommandContext> {
  const global = command.optsWithGlobals<GlobalOptions>();
  const out = createOutput(global.json === true);
  const endpoint = global.endpoint ?? process.env.STRATA_ENDPOINT;
  if (endpoint !== undefined && endpoint !== '') {
    const token = tokenFor(endpoint, global.token);
    return { api: new StrataClient({ endpoint, ...(token === undefined ? {} : { token }) }), out };
  }
  const config = loadConfig({ env: process.env, cwd: process.cwd(), overrides: { dataDir: global.dataDir } });
  const core = await openStrata(config, { create: options.create ?? false, version: STRATA_VERSION });
  let admin: string;
  try {
    admin = (await core.identity.bootstrap(adminName())).admin;
  } catch (error) {
    await core.close();
    throw error;
  }
  const api = createLocalApi(core, admin, {
    source: 'cli',
    openSource: (source, sourceOptions) => openIngestSource(source, { cwd: process.cwd(), ...sourceOptions }),
    provenance: { 'ingest.strata-version': STRATA_VERSION, 'ingest.user': localActor(), 'ingest.host': hostname() },
    preview: (ctx, input) => previewObject(core, ctx, input),
    gcGraceSeconds: config.gcGraceSeconds,
  });
  return { api, out, config };
}

/** Runs a command body with an opened context and always closes it. */
export async function withContext(command: Command, body: (ctx: CommandContext) => Promise<void>): Promise<void> {
  const ctx = await openContext(command);
  try {
    await body(ctx);
  } finally {
    await ctx.api.close();
  }
}
