import { hostname, userInfo } from 'node:os';
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
  dataDir?: string;
  json?: boolean;
}

export interface CommandContext {
  api: StrataApi;
  out: Output;
  config?: Config;
}

/** The local user, the default actor of every CLI call. */
export function localActor(): string {
  try {
    return userInfo().username;
  } catch {
    return 'local';
  }
}

/**
 * Opens the API a command works through: the HTTP client when `--endpoint` (or STRATA_ENDPOINT)
 * is set, else the embedded store found from the working directory.
 */
export async function openContext(command: Command, options: { create?: boolean } = {}): Promise<CommandContext> {
  const global = command.optsWithGlobals<GlobalOptions>();
  const out = createOutput(global.json === true);
  const endpoint = global.endpoint ?? process.env.STRATA_ENDPOINT;
  if (endpoint !== undefined && endpoint !== '') return { api: new StrataClient({ endpoint, actor: localActor() }), out };
  const config = loadConfig({ env: process.env, cwd: process.cwd(), overrides: { dataDir: global.dataDir } });
  const core = await openStrata(config, { create: options.create ?? false, version: STRATA_VERSION });
  const api = createLocalApi(core, localActor(), {
    source: 'cli',
    openSource: (source, sourceOptions) => openIngestSource(source, { cwd: process.cwd(), ...sourceOptions }),
    provenance: { 'ingest.strata-version': STRATA_VERSION, 'ingest.user': localActor(), 'ingest.host': hostname() },
    preview: (ctx, input) => previewObject(core, ctx, input),
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
