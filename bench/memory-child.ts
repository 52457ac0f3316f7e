import { createReadStream, createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { ctx, openBenchCore } from './open-core.ts';
import { time } from './support.ts';

const [dir = '', file = ''] = process.argv.slice(2);
const core = await openBenchCore(dir);
await core.repositories.create(ctx, { name: 'mem' });
const put = await time(() => core.objects.put(ctx, { repository: 'mem', branch: 'main', path: 'big.bin', body: createReadStream(file, { highWaterMark: 1024 * 1024 }) }));
const get = await time(async () => {
  const { body } = await core.objects.get(ctx, { repository: 'mem', ref: 'main', path: 'big.bin' });
  await pipeline(body, createWriteStream('/dev/null'));
});
await core.close();
process.stdout.write(JSON.stringify({ maxRssBytes: process.resourceUsage().maxRSS * 1024, putSeconds: put.seconds, getSeconds: get.seconds }));
