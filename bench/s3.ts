import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { writeFile as writeSmall } from 'node:fs/promises';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';
import { ctx, openBenchCore } from './open-core.ts';
import { copyBaseline, fmt, freshDir, GiB, mbps, report, run, SCALE, time, timeCopy, writeFile } from './support.ts';

const BIN = join(import.meta.dirname, '..', 'bin', 'strata.js');

interface Served {
  url: string;
  pid?: number;
  stop(): Promise<void>;
}

let built = false;

/**
 * `strata serve` in its own process, as users run it: from the compiled `dist/` (`npm install`
 * builds it), so the sources are compiled first rather than transpiled at start by tsx.
 */
async function startStrata(dataDir: string, args: string[] = []): Promise<Served> {
  if (!built) {
    run('npm', ['run', '--silent', 'build']);
    built = true;
  }
  // Logging stays at 'info': every S3 request is logged, as in production (the lines are read and dropped).
  const child = spawn('node', [BIN, 'serve', '--port', '0', '--s3-port', '0', ...args], { env: { ...process.env, STRATA_DATA_DIR: dataDir }, stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  const url = await new Promise<string>((resolve, reject) => {
    child.once('exit', (code) => {
      reject(new Error(`strata serve exited with ${String(code)}`));
    });
    lines.on('line', (line) => {
      const match = /S3 gateway at (http:\/\/[\d.]+:\d+)/.exec(line);
      if (match?.[1] !== undefined) resolve(match[1]);
    });
  });
  return { url, pid: child.pid, stop: () => stopChild(child) };
}

/** Peak resident memory of a process so far (Linux VmHWM), in MiB. */
async function peakRssMiB(pid: number | undefined): Promise<number> {
  const { readFile } = await import('node:fs/promises');
  const status = await readFile(`/proc/${String(pid)}/status`, 'utf8');
  return Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1]) / 1024;
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  child.kill('SIGTERM');
  await once(child, 'exit');
}

/** nginx serving `root` as static files (sendfile on, no access log), on a free port. */
async function startNginx(dir: string, root: string): Promise<Served> {
  const port = 20_000 + Math.floor(Math.random() * 20_000);
  const conf = join(dir, 'nginx.conf');
  await writeSmall(
    conf,
    `worker_processes auto; daemon off; pid ${join(dir, 'nginx.pid')}; error_log ${join(dir, 'nginx.err')};
events { worker_connections 1024; }
http { access_log off; sendfile on; tcp_nopush on; keepalive_requests 100000;
  server { listen 127.0.0.1:${port}; root ${root}; } }\n`,
  );
  const child = spawn('nginx', ['-c', conf, '-p', dir], { stdio: 'ignore' });
  for (let i = 0; i < 50; i++) {
    const ok = await fetch(`http://127.0.0.1:${port}/`).then(() => true, () => false);
    if (ok) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  return { url: `http://127.0.0.1:${port}`, stop: () => stopChild(child) };
}

/** `clients` parallel curl downloads of `url`; seconds for all of them. */
async function parallelGets(url: string, clients: number): Promise<number> {
  const { seconds } = await time(() =>
    Promise.all(
      Array.from({ length: clients }, async () => {
        const child = spawn('curl', ['-sf', '-o', '/dev/null', url], { stdio: 'ignore' });
        const [code] = (await once(child, 'exit')) as [number];
        if (code !== 0) throw new Error(`curl ${url} exited with ${code}`);
      }),
    ),
  );
  return seconds;
}

interface WrkResult {
  requestsPerSecond: number;
  p99Ms: number;
}

async function wrk(url: string, connections: number, seconds: number): Promise<WrkResult> {
  const child = spawn('wrk', ['-t2', `-c${connections}`, `-d${seconds}s`, '--latency', url], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  await once(child, 'exit');
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1]);
  const p99 = /99%\s+([\d.]+)(us|ms|s)/.exec(out);
  const unit = p99?.[2] === 'us' ? 0.001 : p99?.[2] === 's' ? 1000 : 1;
  const errors = /Non-2xx or 3xx responses: (\d+)/.exec(out);
  if (errors) throw new Error(`wrk saw ${errors[1]} error responses from ${url}`);
  return { requestsPerSecond: rps, p99Ms: Number(p99?.[1]) * unit };
}

/** GET of the large object with 4 clients and 4 KiB GETs under 32 connections, Strata vs nginx in one run. */
async function benchGets({ strata, nginx, size, label }: { strata: Served; nginx: Served; size: number; label: string }): Promise<void> {
  await parallelGets(`${nginx.url}/big.bin`, 1);
  await parallelGets(`${strata.url}/bench/big.bin`, 1);
  const nginxBig = await parallelGets(`${nginx.url}/big.bin`, 4);
  const strataBig = await parallelGets(`${strata.url}/bench/big.bin`, 4);
  report({
    name: `S3 GET of ${fmt(size / GiB, 1)} GiB, 4 concurrent clients (${label})`,
    strata: `${fmt(strataBig)} s (${mbps(4 * size, strataBig)})`,
    baseline: `nginx ${fmt(nginxBig)} s (${mbps(4 * size, nginxBig)})`,
    ratio: `${fmt(nginxBig / strataBig)}x nginx`,
    goal: '>= 0.8x nginx',
    met: nginxBig / strataBig >= 0.8,
  });
  const duration = Math.max(3, Math.round(10 * SCALE));
  await wrk(`${strata.url}/bench/small.bin`, 32, 1);
  const nginxSmall = await wrk(`${nginx.url}/small.bin`, 32, duration);
  const strataSmall = await wrk(`${strata.url}/bench/small.bin`, 32, duration);
  const ratio = strataSmall.requestsPerSecond / nginxSmall.requestsPerSecond;
  report({
    name: `4 KiB GETs, 32 connections (wrk, ${label})`,
    strata: `${fmt(strataSmall.requestsPerSecond, 0)} req/s, p99 ${fmt(strataSmall.p99Ms)} ms`,
    baseline: `nginx ${fmt(nginxSmall.requestsPerSecond, 0)} req/s, p99 ${fmt(nginxSmall.p99Ms)} ms`,
    ratio: `${fmt(ratio)}x nginx`,
    goal: '>= 0.3x nginx, p99 < 10 ms',
    met: ratio >= 0.3 && strataSmall.p99Ms < 10,
  });
}

/** PUT of a large object vs cp, then the GETs, from one gateway process and from one per core. */
export async function benchS3Transfer(): Promise<void> {
  const dir = await freshDir('s3-transfer');
  const size = Math.round(GiB * SCALE);
  const files = join(dir, 'files');
  run('mkdir', ['-p', files]);
  await writeFile(join(files, 'big.bin'), size);
  await writeFile(join(files, 'small.bin'), 4096);
  const core = await openBenchCore(dir);
  await core.repositories.create(ctx, { name: 'bench', s3Layout: 'plain' });
  await core.repositories.update(ctx, 'bench', { publicRead: true });
  const key = await core.accessKeys.create(ctx, { principal: 'bench' });
  await core.close();
  let strata = await startStrata(join(dir, '.strata'));
  const nginx = await startNginx(dir, files);
  try {
    const put = await time(() => {
      run('curl', ['-sf', '-o', '/dev/null', '-T', join(files, 'big.bin'), '--aws-sigv4', 'aws:amz:us-east-1:s3', '--user', `${key.id}:${key.secret}`, '-H', 'x-amz-content-sha256: UNSIGNED-PAYLOAD', `${strata.url}/bench/big.bin`]);
    });
    const copy = await timeCopy(join(files, 'big.bin'), join(dir, 'copy.bin'));
    report({
      name: `S3 PUT of ${fmt(size / GiB, 1)} GiB (curl, one request)`,
      strata: `${fmt(put.seconds)} s (${mbps(size, put.seconds)})`,
      baseline: copyBaseline(copy, (seconds) => mbps(size, seconds)),
      ratio: `${fmt(copy.cpSync / put.seconds)}x cp + fsync (${fmt(copy.cp / put.seconds)}x cp)`,
      goal: '>= 0.7x cp + fsync',
      met: copy.cpSync / put.seconds >= 0.7,
    });

    run('curl', ['-sf', '-o', '/dev/null', '-T', join(files, 'small.bin'), '--aws-sigv4', 'aws:amz:us-east-1:s3', '--user', `${key.id}:${key.secret}`, '-H', 'x-amz-content-sha256: UNSIGNED-PAYLOAD', `${strata.url}/bench/small.bin`]);
    await benchGets({ strata, nginx, size, label: 'one process' });
    await strata.stop();
    // The same data folder served by one gateway process per core (`--s3-workers`).
    const workers = cpus().length;
    strata = await startStrata(join(dir, '.strata'), ['--s3-workers', String(workers)]);
    await benchGets({ strata, nginx, size, label: `--s3-workers ${String(workers)}` });
  } finally {
    await strata.stop();
    await nginx.stop();
  }
}

/** ListObjectsV2 pages of 1,000 keys from a prefix of 1,000,000 keys. */
export async function benchS3List(): Promise<void> {
  const dir = await freshDir('s3-list');
  const count = Math.round(1_000_000 * SCALE);
  const core = await openBenchCore(dir);
  await core.repositories.create(ctx, { name: 'list', s3Layout: 'plain' });
  await core.repositories.update(ctx, 'list', { publicRead: true });
  const content = await core.objects.writeContent(ctx, { repository: 'list', branch: 'main', body: Readable.from([Buffer.from('x')]) });
  const name = (i: number): string => `shard/${String(i).padStart(7, '0')}.json`;
  for (let i = 0; i < count; i += 50_000) {
    const objects = Array.from({ length: Math.min(50_000, count - i) }, (_, j) => ({ path: name(i + j), content }));
    await core.objects.stage(ctx, { repository: 'list', branch: 'main', objects });
  }
  await core.commits.commit(ctx, { repository: 'list', branch: 'main', message: 'keys' });
  await core.close();
  const strata = await startStrata(join(dir, '.strata'));
  try {
    const timings: number[] = [];
    for (let i = 0; i < 200; i++) {
      const after = name(Math.floor(Math.random() * Math.max(count - 1000, 1)));
      const { seconds } = await time(async () => {
        const response = await fetch(`${strata.url}/list?list-type=2&prefix=shard%2F&max-keys=1000&start-after=${encodeURIComponent(after)}`);
        const text = await response.text();
        if (response.status !== 200 || !text.includes('<KeyCount>1000</KeyCount>')) throw new Error(`LIST failed: ${response.status}`);
      });
      timings.push(seconds * 1000);
    }
    timings.sort((a, b) => a - b);
    const p50 = timings[Math.floor(timings.length / 2)] ?? 0;
    const p99 = timings[Math.floor(timings.length * 0.99)] ?? 0;
    report({
      name: `S3 LIST page of 1,000 keys from a ${count.toLocaleString('en')}-key prefix`,
      strata: `p50 ${fmt(p50)} ms, p99 ${fmt(p99)} ms`,
      baseline: '(absolute goal)',
      ratio: '-',
      goal: 'p50 < 20 ms',
      met: p50 < 20,
    });
  } finally {
    await strata.stop();
  }
}

/**
 * 10 GiB streamed up and down through the gateway: peak RSS of `strata serve` stays bounded. The
 * upload is a multipart upload by the AWS CLI from stdin (a single S3 PUT stops at 5 GiB).
 */
export async function benchS3Memory(): Promise<void> {
  const dir = await freshDir('s3-memory');
  const size = Math.round(10 * GiB * SCALE);
  const core = await openBenchCore(dir);
  await core.repositories.create(ctx, { name: 'mem', s3Layout: 'plain' });
  const key = await core.accessKeys.create(ctx, { principal: 'bench' });
  await core.close();
  const strata = await startStrata(join(dir, '.strata'));
  try {
    const auth = ['--aws-sigv4', 'aws:amz:us-east-1:s3', '--user', `${key.id}:${key.secret}`, '-H', 'x-amz-content-sha256: UNSIGNED-PAYLOAD'];
    const put = await time(() => {
      run('sh', ['-c', `head -c ${size} /dev/urandom | /usr/bin/aws --endpoint-url ${strata.url} s3 cp - s3://mem/huge.bin --expected-size ${size} --only-show-errors`], {
        env: { AWS_ACCESS_KEY_ID: key.id, AWS_SECRET_ACCESS_KEY: key.secret, AWS_DEFAULT_REGION: 'us-east-1', AWS_CONFIG_FILE: '/dev/null' },
      });
    });
    const get = await time(() => {
      run('curl', ['-sf', '-o', '/dev/null', ...auth, `${strata.url}/mem/huge.bin`]);
    });
    const peak = await peakRssMiB(strata.pid);
    report({
      name: `peak RSS of strata serve, streamed S3 PUT + GET of ${fmt(size / GiB, 1)} GiB`,
      strata: `${fmt(peak, 0)} MiB (PUT ${mbps(size, put.seconds)}, GET ${mbps(size, get.seconds)})`,
      baseline: '(absolute goal)',
      ratio: '-',
      goal: '<= 256 MiB',
      met: peak <= 256,
    });
  } finally {
    await strata.stop();
  }
}
