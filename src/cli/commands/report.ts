import type { Command } from 'commander';
import { invalidArgument } from '../../core/errors.ts';
import { modelReportHtml, modelReportMarkdown } from '../../core/models/model-report-format.ts';
import { withContext } from '../context.ts';

const FORMATS = ['markdown', 'html', 'json'] as const;

/** `strata report model:<name>@<alias>|model:<name>/<n> [--format markdown|html|json]`. */
export function registerReportCommand(program: Command): void {
  program
    .command('report')
    .argument('<model>', 'model:<name>@<alias>, model:<name>/<version> or model:<name> (the latest)')
    .description("the model report an auditor asks for: run, training data, preparation, sources and licences, exclusions, erasures, inference use, retention, the audit log's signed head")
    .option('--format <format>', `${FORMATS.join(', ')} (default markdown; --json is json)`, 'markdown')
    .action(async (address: string, opts: { format: string }, command: Command) => {
      if (!(FORMATS as readonly string[]).includes(opts.format)) throw invalidArgument(`--format must be one of ${FORMATS.join(', ')}, not '${opts.format}'`);
      await withContext(command, async ({ api, out }) => {
        const report = await api.models.report(address);
        if (out.json || opts.format === 'json') {
          out.print(report, () => JSON.stringify(report, null, 2));
          return;
        }
        process.stdout.write(opts.format === 'html' ? modelReportHtml(report) : modelReportMarkdown(report));
      });
    });
}
