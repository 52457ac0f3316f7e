import { Command, CommanderError } from 'commander';
import { registerAuditCommands } from './commands/audit.ts';
import { registerGcCommands } from './commands/gc.ts';
import { registerEraseCommands } from './commands/erase.ts';
import { registerReportCommand } from './commands/report.ts';
import { registerInferenceCommands } from './commands/inference.ts';
import { registerDatasetCommands } from './commands/datasets.ts';
import { registerHistoryCommands } from './commands/history.ts';
import { registerIdentityCommands } from './commands/identity.ts';
import { registerIngestCommand, registerPreviewCommand } from './commands/ingest.ts';
import { registerKeyCommands } from './commands/keys.ts';
import { registerLineageCommands } from './commands/lineage.ts';
import { registerModelCommands } from './commands/models.ts';
import { registerRecipeCommands } from './commands/recipes.ts';
import { registerRunCommands } from './commands/runs.ts';
import { registerObjectCommands } from './commands/objects.ts';
import { registerRepositoryCommands } from './commands/repositories.ts';
import { registerServeCommand } from './commands/serve.ts';
import { registerWorkerCommand } from './commands/worker.ts';
import { reportError } from './output.ts';
import { STRATA_VERSION } from './version.ts';

/** The `strata` command line. Thin: parse, call the API, print. */
export function buildProgram(): Command {
  const program = new Command('strata')
    .description('Versioned data for generative AI')
    .version(STRATA_VERSION)
    .option('--endpoint <url>', 'work against a remote `strata serve` (STRATA_ENDPOINT), as the principal of --token')
    .option('--token <token>', 'API token for --endpoint (STRATA_TOKEN, else what `strata login` saved)')
    .option('--data-dir <dir>', 'embedded data folder (STRATA_DATA_DIR; default: nearest .strata); without --endpoint, commands act as its administrator')
    .option('--json', 'machine-readable output')
    .exitOverride()
    .configureOutput({ outputError: (text, write) => { write(text.startsWith('error:') ? `strata: ${text.slice(7)}` : text); } });
  registerRepositoryCommands(program);
  registerObjectCommands(program);
  registerHistoryCommands(program);
  registerKeyCommands(program);
  registerIdentityCommands(program);
  registerIngestCommand(program);
  registerPreviewCommand(program);
  registerDatasetCommands(program);
  registerRunCommands(program);
  registerModelCommands(program);
  registerLineageCommands(program);
  registerRecipeCommands(program);
  registerAuditCommands(program);
  registerGcCommands(program);
  registerEraseCommands(program);
  registerReportCommand(program);
  registerInferenceCommands(program);
  registerServeCommand(program);
  registerWorkerCommand(program);
  return program;
}

/**
 * A reader that closes the pipe early (`strata cat … | head`) ends the command at once and
 * quietly, as cat(1) does, instead of an unhandled EPIPE with a stack trace. Exit status 0: the
 * command did not fail, its reader stopped listening.
 */
function endQuietlyWhenPipeCloses(stream: NodeJS.WriteStream): void {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(0);
    throw error;
  });
}

async function main(): Promise<void> {
  endQuietlyWhenPipeCloses(process.stdout);
  try {
    await buildProgram().parseAsync(process.argv);
  } catch (error) {
    if (error instanceof CommanderError) {
      process.exitCode = error.exitCode === 0 ? 0 : 2;
      return;
    }
    process.exitCode = reportError(error);
  }
}

await main();
