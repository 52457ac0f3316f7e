import { CompleteMultipartUploadCommand, CreateMultipartUploadCommand, DeleteObjectCommand, GetObjectCommand, HeadObjectCommand, PutObjectCommand, S3Client, UploadPartCommand } from '@aws-sdk/client-s3';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { Agent } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { BIN } from '../support/cli.ts';

// `strata serve --s3-workers 2`: the S3 gateway on two processes sharing one port. Every request
// here opens a new connection, and node:cluster hands connections to the workers in turn, so a
// PUT and the GET after it are served by different processes: read-after-write must hold across
// them (each worker caches point reads only while the database is unchanged).
let dir: string;
let server: ChildProcessWithoutNullStreams;
let output = '';
let endpoint = '';
let s3: S3Client;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'strata-s3-workers-'));
  server = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--s3-port', '0', '--s3-workers', '2'], { cwd: dir, env: { ...process.env, STRATA_DATA_DIR: join(dir, 'data') } });
  const started = await new Promise<{ rest: string; s3: string; token: string }>((resolve, reject) => {
    server.stdout.on('data', (d: Buffer) => {
      output += d.toString();
      const match = /serving at (http:\/\/127\.0\.0\.1:\d+).*S3 gateway at (http:\/\/127\.0\.0\.1:\d+) \(2 worker processes\)/.exec(output);
      const admin = /its API token, shown once: (st_[a-z0-9]{16}_[\w-]{43})/.exec(output);
      if (match?.[1] !== undefined && match[2] !== undefined && admin?.[1] !== undefined) resolve({ rest: match[1], s3: match[2], token: admin[1] });
    });
    server.on('exit', () => {
      reject(new Error(`server exited: ${output}`));
    });
  });
  endpoint = started.rest;
  const rest = (path: string, body: object): Promise<Response> => fetch(`${endpoint}/api/v1${path}`, { method: 'POST', headers: { authorization: `Bearer ${started.token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  expect((await rest('/repositories', { name: 'shared' })).status).toBe(201);
  const key = (await (await rest('/access-keys', {})).json()) as { id: string; secret: string };
  s3 = new S3Client({
    endpoint: started.s3,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: key.id, secretAccessKey: key.secret },
    maxAttempts: 1,
    requestHandler: { httpAgent: new Agent({ keepAlive: false }) },
  });
}, 60_000);

afterAll(async () => {
  s3.destroy();
  if (server.exitCode === null) {
    server.kill('SIGKILL');
    await once(server, 'exit');
  }
  await rm(dir, { recursive: true, force: true });
});

/** The serving process of a response: request ids start with a prefix random per process. */
const processOf = (id: string | undefined): string => (id ?? '').slice(0, 8);

it('a write served by one worker is read back by the other, every time', async () => {
  const servedBy = new Set<string>();
  let crossed = 0;
  for (let i = 0; i < 40; i++) {
    const body = `version ${i} ${randomBytes(8).toString('hex')}`;
    const put = await s3.send(new PutObjectCommand({ Bucket: 'shared', Key: 'main/hot.txt', Body: body }));
    const got = await s3.send(new GetObjectCommand({ Bucket: 'shared', Key: 'main/hot.txt' }));
    expect(await got.Body?.transformToString()).toBe(body);
    const [wrote, read] = [processOf(put.$metadata.requestId), processOf(got.$metadata.requestId)];
    servedBy.add(wrote).add(read);
    if (wrote !== read) crossed += 1;
  }
  expect(servedBy.size).toBe(2);
  expect(crossed).toBeGreaterThanOrEqual(20);
  await s3.send(new DeleteObjectCommand({ Bucket: 'shared', Key: 'main/hot.txt' }));
  const gone = await s3.send(new HeadObjectCommand({ Bucket: 'shared', Key: 'main/hot.txt' })).catch((error: unknown) => error as { $metadata?: { httpStatusCode?: number } });
  expect((gone).$metadata?.httpStatusCode).toBe(404);
}, 60_000);

it('a multipart upload started on one worker takes parts and completes on the others', async () => {
  const parts = [randomBytes(5 * 1024 * 1024), randomBytes(1234)];
  const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: 'shared', Key: 'main/model.bin' }));
  const etags = [];
  for (const [i, part] of parts.entries()) {
    const sent = await s3.send(new UploadPartCommand({ Bucket: 'shared', Key: 'main/model.bin', UploadId, PartNumber: i + 1, Body: part }));
    etags.push({ PartNumber: i + 1, ETag: sent.ETag });
  }
  await s3.send(new CompleteMultipartUploadCommand({ Bucket: 'shared', Key: 'main/model.bin', UploadId, MultipartUpload: { Parts: etags } }));
  const got = await s3.send(new GetObjectCommand({ Bucket: 'shared', Key: 'main/model.bin' }));
  expect(Buffer.from(await (got.Body?.transformToByteArray() ?? new Uint8Array())).equals(Buffer.concat(parts))).toBe(true);
}, 60_000);

it("/metrics sums the workers' S3 requests, a killed worker is replaced, and SIGTERM stops them all", async () => {
  const metrics = await (await fetch(`${endpoint}/metrics`)).text();
  const gets = Number(/strata_s3_requests_total\{operation="GetObject",status="200"\} (\d+)/.exec(metrics)?.[1]);
  expect(gets).toBe(41);
  const pids = [...new Set([...output.matchAll(/"pid":(\d+),"worker":\d+/g)].map((m) => Number(m[1])))];
  expect(pids).toHaveLength(2);
  process.kill(pids[0] as number, 'SIGKILL');
  // Until the replacement listens, the other worker serves every connection.
  for (let i = 0; i < 6; i++) {
    await s3.send(new PutObjectCommand({ Bucket: 'shared', Key: `main/after-${i}.txt`, Body: String(i) }));
    expect(await (await s3.send(new GetObjectCommand({ Bucket: 'shared', Key: `main/after-${i}.txt` }))).Body?.transformToString()).toBe(String(i));
  }
  await expect.poll(() => /an S3 worker exited: starting another/.test(output), { timeout: 10_000 }).toBe(true);
  server.kill('SIGTERM');
  const [code] = (await once(server, 'exit')) as [number | null];
  expect(code).toBe(0);
  const alive = [...new Set([...output.matchAll(/"pid":(\d+),"worker":\d+/g)].map((m) => Number(m[1])))].filter((pid) => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  });
  expect(alive).toEqual([]);
}, 60_000);
