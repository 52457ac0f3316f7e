import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, ok, strata } from '../support/cli.ts';


describe('strata CLI (black box)', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'strata-cli-'));
    await mkdir(join(dir, 'corpus', 'docs'), { recursive: true });
    await writeFile(join(dir, 'corpus', 'docs', 'a.md'), '# A\n');
    await writeFile(join(dir, 'corpus', 'b.txt'), 'bee');
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('runs the embedded workflow: init, repo, put, commit, ls, get, cat, log, branch, diff, merge', async () => {
    const init = (await ok(dir, ['init'])).split('\n');
    expect(init[0]).toBe(`Initialized empty Strata data folder in ${join(dir, '.strata')}`);
    expect(init[1]).toMatch(/^Administrator: ([\w.@+-]+) \(commands run here, without --endpoint, act as \1\)\.$/);
    expect(init[2]).toMatch(/^API token for [\w.@+-]+, shown once — for `strata serve` clients: export STRATA_TOKEN=st_[a-z0-9]{16}_[\w-]{43}$/);
    // Run again: nothing new, no second administrator or token.
    expect(await ok(dir, ['init'])).toBe(`Strata data folder already initialized at ${join(dir, '.strata')}\n`);
    await ok(dir, ['repo', 'create', 'corpus']);
    expect(await ok(dir, ['put', 'corpus', 'corpus@main:raw'])).toMatch(/^staged 2 object\(s\), 7 B in [\d.]+ s on corpus@main\n$/);
    expect(await ok(dir, ['status', 'corpus@main'])).toBe('On corpus@main: 2 uncommitted change(s)\n+ raw/b.txt\n+ raw/docs/a.md\n');
    expect(await ok(dir, ['commit', 'corpus@main', '-m', 'import', '--meta', 'source=test'])).toMatch(/^\[main [0-9a-f]{12}\] import\n$/);
    expect(await ok(dir, ['ls', 'corpus@main:raw/'])).toBe('raw/docs/\nraw/b.txt\n');
    const listing = JSON.parse(await ok(dir, ['--json', 'ls', '-r', 'corpus@main'])) as { objects: { path: string; size: number }[] };
    expect(listing.objects.map((o) => [o.path, o.size])).toEqual([['raw/b.txt', 3], ['raw/docs/a.md', 4]]);
    expect(await ok(dir, ['cat', 'corpus@main:raw/docs/a.md'])).toBe('# A\n');
    await ok(dir, ['get', 'corpus@main:raw', join(dir, 'out')]);
    expect(await readFile(join(dir, 'out', 'docs', 'a.md'), 'utf8')).toBe('# A\n');
    const log = JSON.parse(await ok(dir, ['--json', 'log', 'corpus@main'])) as { message: string; metadata: Record<string, string> }[];
    expect(log.map((c) => c.message)).toEqual(['import', 'Repository created']);
    expect(log[0]?.metadata).toEqual({ source: 'test' });

    await ok(dir, ['branch', 'create', 'corpus@clean']);
    await writeFile(join(dir, 'b2.txt'), 'bee, cleaned');
    await ok(dir, ['put', join(dir, 'b2.txt'), 'corpus@clean:raw/b.txt']);
    await ok(dir, ['rm', 'corpus@clean:raw/docs/a.md']);
    await ok(dir, ['commit', 'corpus@clean', '-m', 'clean']);
    expect(await ok(dir, ['diff', 'corpus@main', 'clean'])).toBe('~ raw/b.txt\n- raw/docs/a.md\n');
    expect(await ok(dir, ['merge', 'corpus@clean', 'main'])).toMatch(/^merged clean into main: 2 change\(s\), commit [0-9a-f]{12}\n$/);
    await ok(dir, ['tag', 'create', 'corpus@v1', 'main']);
    expect(await ok(dir, ['cat', 'corpus@v1:raw/b.txt'])).toBe('bee, cleaned');
  });

  it('ingests a folder with provenance, shows what each file is, and re-runs for free', async () => {
    await ok(dir, ['repo', 'create', 'ingested']);
    const first = JSON.parse(await ok(dir, ['--json', 'ingest', 'corpus', 'ingested@main:in', '--exclude', '**/*.txt'])) as { items: number; stored: number; commit?: { id: string; metadata: Record<string, string> } };
    expect([first.items, first.stored]).toEqual([1, 1]);
    expect(first.commit?.metadata['ingest.items']).toBe('1');
    expect(first.commit?.metadata['ingest.strata-version']).toMatch(/^\d+\.\d+\.\d+/);
    const stat = JSON.parse(await ok(dir, ['--json', 'stat', 'ingested@main:in/docs/a.md'])) as { contentType: string; extracted: Record<string, unknown>; provenance: { source: string } };
    expect(stat).toMatchObject({ contentType: 'text/markdown', extracted: { title: 'A', words: 2, encoding: 'utf-8' }, provenance: { source: `file://${join(dir, 'corpus', 'docs', 'a.md')}` } });
    expect(await ok(dir, ['ingest', 'corpus', 'ingested@main:in', '--exclude', '**/*.txt'])).toMatch(/^ingested 1 item\(s\), 4 B from file:\/\/.* in [\d.]+ s: 0 stored, 1 unchanged, 0 failed\nnothing changed: no commit\n$/);
    expect(await ok(dir, ['preview', 'ingested@main:in/docs/a.md'])).toBe('# A\n');
    // Prose gets a language guess (on a worker thread, which must not hold the CLI open).
    await mkdir(join(dir, 'prose'));
    await writeFile(join(dir, 'prose', 'essay.md'), `# Essay\n\n${'The committee reviewed the quarterly figures and agreed that the warehouse opens in spring. '.repeat(4)}\n`);
    await ok(dir, ['ingest', 'prose', 'ingested@main:prose']);
    const essay = JSON.parse(await ok(dir, ['--json', 'stat', 'ingested@main:prose/essay.md'])) as { extracted: Record<string, unknown> };
    expect(essay.extracted).toMatchObject({ title: 'Essay', language: 'en' });
    expect(await ok(dir, ['dataset', 'create', 'docs-ds', 'ingested:in', '--license', 'MIT', '--tag', 'docs'])).toBe('created dataset docs-ds (ingested:in/)\n');
    expect(await ok(dir, ['dataset', 'tag', 'docs-ds', 'gold'])).toBe('docs-ds: tags docs, gold; labels -\n');
    const shown = JSON.parse(await ok(dir, ['--json', 'dataset', 'show', 'docs-ds'])) as { version: { objects: number; byType: Record<string, { objects: number }> } };
    expect(shown.version.objects).toBe(1);
    expect(shown.version.byType['text/markdown']?.objects).toBe(1);
    expect(await ok(dir, ['dataset', 'list', '--tag', 'gold'])).toMatch(/^docs-ds\s+ingested:in\/\s+\S+\s+MIT {2}docs,gold\n$/);
    const searched = JSON.parse(await ok(dir, ['--json', 'dataset', 'search', 'a', '--license', 'MIT'])) as { hits: { kind: string; path: string; summary: string }[]; total: number };
    expect(searched).toMatchObject({ total: 1, hits: [{ kind: 'object', path: 'in/docs/a.md', summary: 'A' }] });
    expect(await ok(dir, ['dataset', 'search', 'gold'])).toMatch(/^dataset {2}docs-ds\s+ingested:in\/\s*\n1 of 1 match\(es\)\n$/);
    expect(await ok(dir, ['dataset', 'search', 'nothing-like-this'])).toBe('(no matches)\n');
    const badKind = await strata(dir, ['dataset', 'search', 'x', '--kind', 'table']);
    expect([badKind.code, badKind.stderr]).toEqual([2, "strata: --kind must be 'dataset' or 'object', not 'table'\n"]);
    const missing = await strata(dir, ['ingest', 'nowhere', 'ingested@main']);
    expect([missing.code, missing.stderr]).toEqual([3, 'strata: no such file or folder: nowhere\n']);
  });

  it('resumes an ingest killed midway: the second run reads only what was not staged, the result is whole', async () => {
    const PAGES = 1200;
    const body = (n: number): string => `page ${n}\n`.repeat(1 + (n % 7));
    let gets = 0;
    let child: ReturnType<typeof spawn> | undefined;
    const server = createServer((req, res) => {
      const n = Number(/\/p(\d+)\.txt$/.exec(req.url ?? '')?.[1]);
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(body(n)), 'last-modified': 'Mon, 02 Mar 2026 10:00:00 GMT' });
      if (req.method === 'GET' && ++gets === 1100) child?.kill('SIGKILL');
      res.end(req.method === 'HEAD' ? undefined : body(n));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      await writeFile(join(dir, 'pages.txt'), Array.from({ length: PAGES }, (_, n) => `${base}/p${n}.txt`).join('\n'));
      await ok(dir, ['repo', 'create', 'crawl']);
      const killed = await new Promise<number | null>((resolve) => {
        child = spawn(process.execPath, [BIN, '--json', 'ingest', '@pages.txt', 'crawl@main:web'], { cwd: dir, env: { ...process.env, STRATA_ENDPOINT: '' } });
        child.on('exit', (code, signal) => {
          resolve(signal === 'SIGKILL' ? -9 : code);
        });
      });
      expect(killed).toBe(-9);
      const staged = JSON.parse(await ok(dir, ['--json', 'status', 'crawl@main'])) as unknown[];
      expect(staged.length).toBeGreaterThanOrEqual(500);
      expect(staged.length).toBeLessThan(PAGES);
      gets = 0;
      const resumed = JSON.parse(await ok(dir, ['--json', 'ingest', '@pages.txt', 'crawl@main:web'])) as { items: number; stored: number; unchanged: number; commit?: { metadata: Record<string, string> } };
      expect(resumed).toMatchObject({ items: PAGES, unchanged: staged.length, stored: PAGES - staged.length });
      expect(gets).toBe(PAGES - staged.length);
      const listed = JSON.parse(await ok(dir, ['--json', 'ls', '-r', 'crawl@main:web/'])) as { objects: { path: string; size: number }[] };
      expect(listed.objects.length).toBe(PAGES);
      for (const n of [0, 599, 1099, 1199]) expect(await ok(dir, ['cat', `crawl@main:web/${new URL(base).host}/p${n}.txt`])).toBe(body(n));
      const again = JSON.parse(await ok(dir, ['--json', 'ingest', '@pages.txt', 'crawl@main:web'])) as { stored: number; unchanged: number; commit?: unknown };
      expect([again.stored, again.unchanged, again.commit]).toEqual([0, PAGES, undefined]);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('fails with one readable line and a distinct exit code', async () => {
    const cases: [string[], number, string][] = [
      [['ls', 'corpus@nope'], 3, "strata: ref 'nope' not found in repository 'corpus'\n"],
      [['repo', 'create', 'Bad_Name'], 2, "strata: invalid repository name 'Bad_Name': use 3-63 lowercase letters, digits, '.' or '-', starting and ending with a letter or digit\n"],
      [['repo', 'create', 'corpus'], 4, "strata: repository 'corpus' already exists\n"],
      [['commit', 'corpus@main', '-m', 'nothing'], 2, 'strata: nothing to commit on corpus@main\n'],
      [['branch', 'delete', 'corpus@main'], 2, "strata: cannot delete 'main': it is the default branch of 'corpus'\n"],
      [['put', 'corpus', 'corpus@main:../escape'], 2, "strata: invalid object path '../escape/b.txt': empty, '.' and '..' segments are not allowed\n"],
      [['put', 'no-such-folder', 'corpus@main'], 3, 'strata: no such file or folder: no-such-folder\n'],
      [['cat', 'corpus@main'], 2, "strata: 'corpus@main' names no path: write corpus@main:<path>\n"],
    ];
    for (const [args, code, stderr] of cases) {
      const run = await strata(dir, args);
      expect({ args, code: run.code, stderr: run.stderr }).toEqual({ args, code, stderr });
    }
    expect(await ok(dir, ['status', 'corpus@main'])).toContain('0 uncommitted change(s)');
  });

  it('says so when there is no data folder', async () => {
    const empty = await mkdtemp(join(tmpdir(), 'strata-empty-'));
    try {
      const run = await strata(empty, ['repo', 'list'], { STRATA_DATA_DIR: join(empty, 'missing') });
      expect([run.code, run.stderr]).toEqual([3, `strata: no Strata data folder at ${join(empty, 'missing')} (run 'strata init' or set STRATA_DATA_DIR)\n`]);
    } finally {
      await rm(empty, { recursive: true, force: true });
    }
  });

  it('serves, and the CLI works against it with --endpoint', async () => {
    const serverDir = await mkdtemp(join(tmpdir(), 'strata-serve-'));
    const server = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--s3-port', '0'], { cwd: serverDir, env: { ...process.env, STRATA_DATA_DIR: join(serverDir, 'data') } });
    try {
      let s3Endpoint = '';
      let token = '';
      const endpoint = await new Promise<string>((resolve, reject) => {
        let seen = '';
        server.stdout.on('data', (d: Buffer) => {
          seen += d.toString();
          const match = /serving at (http:\/\/127\.0\.0\.1:\d+).*S3 gateway at (http:\/\/127\.0\.0\.1:\d+)/.exec(seen);
          // A new data folder: the server made its administrator and printed the token once.
          const admin = /its API token, shown once: (st_[a-z0-9]{16}_[\w-]{43})/.exec(seen);
          if (match?.[1] !== undefined && match[2] !== undefined && admin?.[1] !== undefined) {
            s3Endpoint = match[2];
            token = admin[1];
            resolve(match[1]);
          }
        });
        server.on('exit', () => {
          reject(new Error(`server exited: ${seen}`));
        });
      });
      expect(await (await fetch(`${endpoint}/healthz`)).json()).toEqual({ status: 'ok' });
      const anonymous = await strata(dir, ['repo', 'list'], { STRATA_ENDPOINT: endpoint });
      expect([anonymous.code, anonymous.stderr]).toEqual([6, 'strata: authentication required: send Authorization: Bearer <token> (create one with `strata token create`)\n']);
      const env = { STRATA_ENDPOINT: endpoint, STRATA_TOKEN: token };
      await ok(dir, ['repo', 'create', 'remote'], env);
      await ok(dir, ['put', 'corpus', 'remote@main'], env);
      await ok(dir, ['commit', 'remote@main', '-m', 'over http'], env);
      expect(await ok(dir, ['--endpoint', endpoint, '--token', token, 'cat', 'remote@main:docs/a.md'])).toBe('# A\n');
      const repos = JSON.parse(await ok(dir, ['--json', 'repo', 'list'], env)) as { name: string; createdBy: string }[];
      expect(repos.map((r) => r.name)).toEqual(['remote']);
      // An OpenLineage event with a facet lacking its base fields is accepted; the CLI lists the warning.
      const runId = '0190aaaa-0000-4000-8000-00000000aaaa';
      const event = { eventType: 'START', eventTime: '2026-11-02T08:00:00Z', run: { runId, facets: { acme: { cost: 3 } } }, job: { namespace: 'etl', name: 'load' }, producer: 'https://example.com/etl', schemaURL: 'https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent' };
      const posted = await fetch(`${endpoint}/api/v1/lineage`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(event) });
      expect(posted.status).toBe(201);
      expect(await ok(dir, ['lineage', 'warnings'], env)).toMatch(new RegExp(`^\\S+Z  START  run:${runId}  from https://example.com/etl\n  /run/facets/acme must have required property '_producer'\n  /run/facets/acme must have required property '_schemaURL'\n$`));
      const missing = await strata(dir, ['ls', 'remote@nope'], env);
      expect([missing.code, missing.stderr]).toEqual([3, "strata: ref 'nope' not found in repository 'remote'\n"]);
      const down = await strata(dir, ['repo', 'list'], { STRATA_ENDPOINT: 'http://127.0.0.1:1' });
      expect(down.code).toBe(8);
      expect(down.stderr).toMatch(/^strata: cannot reach Strata at http:\/\/127\.0\.0\.1:1: /);

      // The S3 gateway of the same server: a key from the CLI, a layout switch, a signed GET, metrics.
      expect(await ok(dir, ['service', 'create', 'trainer'], env)).toBe('created service account trainer\n');
      expect(await ok(dir, ['policy', 'attach', 'reader', 'trainer'], env)).toBe('trainer (service)\n  policies: reader\n  groups:   (none)\n');
      const key = JSON.parse(await ok(dir, ['--json', 'keys', 'create', '--principal', 'trainer'], env)) as { id: string; secret: string; principal: string };
      expect(key.principal).toBe('trainer');
      expect(await ok(dir, ['repo', 'set', 'remote', '--s3-layout', 'plain'], env)).toBe('remote: S3 layout plain, public read off, audited reads off\n');
      const s3 = new S3Client({ endpoint: s3Endpoint, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: key.id, secretAccessKey: key.secret } });
      try {
        const got = await s3.send(new GetObjectCommand({ Bucket: 'remote', Key: 'docs/a.md' }));
        expect(await got.Body?.transformToString()).toBe('# A\n');
      } finally {
        s3.destroy();
      }
      const metrics = await (await fetch(`${endpoint}/metrics`)).text();
      expect(metrics).toContain('strata_s3_requests_total{operation="GetObject",status="200"} 1');
      const listed = JSON.parse(await ok(dir, ['--json', 'keys', 'list'], env)) as { id: string; secret?: string }[];
      expect(listed.map((k) => [k.id, k.secret])).toEqual([[key.id, undefined]]);
      await ok(dir, ['keys', 'revoke', key.id], env);
      const again = await strata(dir, ['keys', 'revoke', key.id], env);
      expect([again.code, again.stderr]).toEqual([3, `strata: no active access key '${key.id}'\n`]);
      const badLayout = await strata(dir, ['repo', 'set', 'remote', '--s3-layout', 'flat'], env);
      expect([badLayout.code, badLayout.stderr]).toEqual([2, "strata: invalid --s3-layout 'flat': use ref or plain\n"]);
    } finally {
      const exited = new Promise((resolve) => server.on('exit', resolve));
      server.kill('SIGTERM');
      await exited;
      await rm(serverDir, { recursive: true, force: true });
    }
  });
});
