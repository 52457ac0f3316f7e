/** Runs one garbage collection on a prepared data folder and prints its report with the peak RSS. */
import { ctx, openBenchCore } from './open-core.ts';
import { time } from './support.ts';

const [dir = ''] = process.argv.slice(2);
const core = await openBenchCore(dir, { STRATA_FSYNC: 'false' });
const run = await time(() => core.gc.collect(ctx, { graceMs: 0 }));
await core.close();
process.stdout.write(JSON.stringify({ maxRssBytes: process.resourceUsage().maxRSS * 1024, seconds: run.seconds, report: run.value }));
