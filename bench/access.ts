import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { FsBlobStore } from '../src/adapters/blob/fs/fs-blob-store.ts';
import { openSqliteStore } from '../src/adapters/db/sqlite/open-sqlite-store.ts';
import type { Authorizer } from '../src/core/ports/authorizer.ts';
import { createStrataCore, type StrataCore } from '../src/core/strata.ts';
import { buildS3Server } from '../src/http/s3/server.ts';
import { ctx } from './open-core.ts';
import { fmt, freshDir, report, SCALE, time } from './support.ts';

const allowAll: Authorizer = { authorize: () => Promise.resolve() };
const CONNECTIONS = 32;
const ROUNDS = 5;

/** A gateway on its own core over the shared database and blobs, deciding with `authorizer` (or the policies). */
async function gateway(dir: string, authorizer: Authorizer | undefined): Promise<{ core: StrataCore; url: string; close(): Promise<void> }> {
  const core = createStrataCore({ metadata: await openSqliteStore(join(dir, 'strata.db')), blobs: await FsBlobStore.open({ root: join(dir, 'blobs') }), ...(authorizer ? { authorizer } : {}) });
  const server = buildS3Server({ core, logger: { info: () => undefined, error: () => undefined } });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    core,
    url: `http://127.0.0.1:${String((server.address() as AddressInfo).port)}`,
    close: async () => {
      server.closeAllConnections();
      server.close();
      await core.close();
    },
  };
}

async function load(client: S3Client, requests: number, call: (client: S3Client, i: number) => Promise<unknown>): Promise<number> {
  let next = 0;
  const { seconds } = await time(() => Promise.all(Array.from({ length: CONNECTIONS }, async () => {
    while (next < requests) await call(client, next++);
  })));
  return requests / seconds;
}

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? Number.NaN;

/**
 * What authorization costs on the S3 hot path: signed 4 KiB GETs and small PUTs by a principal
 * holding the `writer` role, decided by the policy authorizer with a label rule attached to
 * everyone (so the path's labels are looked up too), against the same requests on a
 * gateway whose authorizer allows everything (same process, same data, rounds alternated).
 */
export async function benchAccess(): Promise<void> {
  const dir = await freshDir('access');
  const policed = await gateway(dir, undefined);
  await policed.core.identity.bootstrap(ctx.actor.id);
  await policed.core.repositories.create(ctx, { name: 'bench', s3Layout: 'plain' });
  await policed.core.identity.createPrincipal(ctx, { id: 'trainer', kind: 'service' });
  await policed.core.identity.attach(ctx, { policy: 'writer', principal: 'trainer' });
  // A label rule for everyone, so every decision also looks up the labels of the path.
  await policed.core.datasets.create(ctx, { name: 'people', repository: 'bench', prefix: 'pii/', labels: ['pii'] });
  await policed.core.identity.putPolicy(ctx, { name: 'pii-guard', document: { statements: [{ effect: 'deny', actions: ['object:read', 'object:list'], resources: ['*'], labels: ['pii'], exceptPrincipals: ['privacy'] }] } });
  await policed.core.identity.attach(ctx, { policy: 'pii-guard', principal: 'everyone' });
  const key = await policed.core.accessKeys.create(ctx, { principal: 'trainer' });
  const open = await gateway(dir, allowAll);
  const client = (url: string) => new S3Client({ endpoint: url, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: key.id, secretAccessKey: key.secret }, maxAttempts: 1 });
  const clients = { policed: client(policed.url), open: client(open.url) };
  const body = Buffer.alloc(4096, 7);
  await clients.policed.send(new PutObjectCommand({ Bucket: 'bench', Key: 'small.bin', Body: body }));
  const requests = Math.max(500, Math.round(4000 * SCALE));
  const get = (c: S3Client) => c.send(new GetObjectCommand({ Bucket: 'bench', Key: 'small.bin' })).then((r) => r.Body?.transformToByteArray());
  const put = (c: S3Client, i: number) => c.send(new PutObjectCommand({ Bucket: 'bench', Key: `put/${i % 1000}.bin`, Body: body }));
  try {
    const list = (c: S3Client) => c.send(new ListObjectsV2Command({ Bucket: 'bench', Prefix: 'put/' }));
    for (const [label, call, n] of [['4 KiB GETs', get, requests], ['4 KiB PUTs', put, Math.round(requests / 4)], ['LISTs of 1,000 keys', list, Math.round(requests / 40)]] as const) {
      await load(clients.policed, 200, call);
      await load(clients.open, 200, call);
      const rates = { policed: [] as number[], open: [] as number[] };
      for (let round = 0; round < ROUNDS; round++) {
        rates.open.push(await load(clients.open, n, call));
        rates.policed.push(await load(clients.policed, n, call));
      }
      const [p, o] = [median(rates.policed), median(rates.open)];
      const overhead = (o / p - 1) * 100;
      report({
        name: `S3 ${label} by a writer, ${CONNECTIONS} concurrent (aws-sdk, signed), policy authorizer with a label rule vs allow-all; median of ${ROUNDS} alternated rounds of ${n}`,
        strata: `${fmt(p, 0)} req/s with policies`,
        baseline: `${fmt(o, 0)} req/s allow-all`,
        ratio: `${fmt(overhead, 1)}% slower`,
        goal: '<= 5% slower',
        met: overhead <= 5,
      });
    }
  } finally {
    clients.policed.destroy();
    clients.open.destroy();
    await open.close();
    await policed.close();
  }
}
