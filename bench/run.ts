/**
 * `npm run bench`: each figure next to a baseline timed in the same run. BENCH_SCALE shrinks
 * the data sizes; BENCH_ONLY=name[,name] runs a subset (large, small, tree, dedup, memory, s3, s3list, s3memory,
 * ingesttexts, ingestmixed, search, lineage, prep, prepapply, sandbox, audit, inference, concurrency, access, gc, erasure, feed, scale).
 */
import { cpus, totalmem } from 'node:os';
import { rm } from 'node:fs/promises';
import { benchLargeFile, benchSmallFiles } from './ingest.ts';
import { benchIngestMixed, benchIngestSmallTexts } from './ingest-sources.ts';
import { benchDedup, benchMemory } from './storage.ts';
import { figures, SCALE, WORK } from './support.ts';
import { benchS3List, benchS3Memory, benchS3Transfer } from './s3.ts';
import { benchLineage } from './lineage.ts';
import { benchAudit } from './audit.ts';
import { benchInference } from './inference.ts';
import { benchPrep, benchPrepApply, benchSandbox } from './prep.ts';
import { benchSearch } from './search.ts';
import { benchCommitAndDiff } from './versioning.ts';
import { benchConcurrency } from './concurrency.ts';
import { benchAccess } from './access.ts';
import { benchGc } from './gc.ts';
import { benchErasure } from './erasure.ts';
import { benchFeed } from './feed.ts';
import { benchScale } from './scale.ts';

const all: Record<string, () => Promise<void>> = {
  large: benchLargeFile,
  small: benchSmallFiles,
  tree: benchCommitAndDiff,
  dedup: benchDedup,
  memory: benchMemory,
  s3: benchS3Transfer,
  s3list: benchS3List,
  s3memory: benchS3Memory,
  ingesttexts: benchIngestSmallTexts,
  ingestmixed: benchIngestMixed,
  search: benchSearch,
  lineage: benchLineage,
  prep: benchPrep,
  prepapply: benchPrepApply,
  sandbox: benchSandbox,
  audit: benchAudit,
  inference: benchInference,
  concurrency: benchConcurrency,
  access: benchAccess,
  gc: benchGc,
  erasure: benchErasure,
  feed: benchFeed,
  scale: benchScale,
};
const only = process.env.BENCH_ONLY?.split(',') ?? Object.keys(all);
console.log(`Strata benchmarks — node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB RAM, scale ${SCALE}\n`);
for (const name of only) {
  const bench = all[name];
  if (!bench) throw new Error(`unknown benchmark '${name}'`);
  await bench();
  console.log('');
}
await rm(WORK, { recursive: true, force: true });
console.log('| benchmark | strata | baseline | ratio | goal | met |');
console.log('|---|---|---|---|---|---|');
for (const f of figures) console.log(`| ${f.name} | ${f.strata} | ${f.baseline} | ${f.ratio} | ${f.goal} | ${f.met ? 'yes' : 'no'} |`);
