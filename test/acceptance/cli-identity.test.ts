import { mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACTIONS } from '../../src/core/access/actions.ts';
import { ok, strata } from '../support/cli.ts';

/** Users, groups, policies, tokens and access checks from the CLI on the embedded store (as its administrator). */
describe('strata CLI: identity and access', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'strata-identity-'));
    await ok(dir, ['init']);
    await ok(dir, ['repo', 'create', 'corpus']);
    await ok(dir, ['repo', 'create', 'secrets']);
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('makes users and groups, attaches roles and stored policies, and explains decisions', async () => {
    expect(await ok(dir, ['user', 'create', 'bob'])).toBe('created user bob\n');
    expect(await ok(dir, ['group', 'create', 'annotators'])).toBe('created group annotators\n');
    expect(await ok(dir, ['group', 'add', 'annotators', 'bob'])).toBe('annotators (group)\n  policies: (none)\n  members:  bob\n');
    expect(await ok(dir, ['policy', 'attach', 'writer', 'annotators'])).toBe('annotators (group)\n  policies: writer\n  members:  bob\n');
    await writeFile(join(dir, 'no-secrets.json'), JSON.stringify({ statements: [{ effect: 'deny', actions: ['*'], resources: ['repository:secrets'] }] }));
    expect(await ok(dir, ['policy', 'put', 'no-secrets', join(dir, 'no-secrets.json')])).toBe('saved policy no-secrets\n');
    expect(await ok(dir, ['policy', 'attach', 'no-secrets', 'bob'])).toBe('bob (user)\n  policies: no-secrets\n  groups:   annotators\n');
    expect(await ok(dir, ['policy', 'list'])).toBe('admin             built-in\nwriter            built-in\nreader            built-in\nauditor           built-in\ninference-writer  built-in\nno-secrets        stored\n');
    expect(await ok(dir, ['access', 'check', 'bob', 'object:write', 'repository:corpus'])).toBe('allowed: allowed by writer#1\n');
    expect(await ok(dir, ['access', 'check', 'bob', 'object:read', 'repository:secrets'])).toBe('denied: denied by no-secrets#1\n');
    expect(JSON.parse(await ok(dir, ['--json', 'policy', 'actions']))).toEqual([...ACTIONS]);
    const bad = await strata(dir, ['access', 'check', 'bob', 'object:frobnicate']);
    expect([bad.code, bad.stderr]).toEqual([2, "strata: unknown action 'object:frobnicate' (see `strata policy actions`)\n"]);
  });

  it('issues, lists and revokes tokens; a disabled user is refused', async () => {
    await ok(dir, ['user', 'create', 'carol']);
    const created = JSON.parse(await ok(dir, ['--json', 'token', 'create', '--principal', 'carol', '--name', 'laptop', '--expires-in-days', '30'])) as { id: string; token: string; principal: string; expiresAt: string };
    expect(created.token).toMatch(new RegExp(`^st_${created.id}_[\\w-]{43}$`));
    expect(Date.parse(created.expiresAt) - Date.now()).toBeGreaterThan(29 * 86_400_000);
    const listed = await ok(dir, ['token', 'list']);
    expect(listed).toMatch(new RegExp(`^${created.id}  carol +laptop +expires ${created.expiresAt}$`, 'm'));
    expect(listed).not.toContain(created.token.split('_')[2]);
    expect(await ok(dir, ['token', 'revoke', created.id])).toBe(`revoked token ${created.id}\n`);
    expect(await ok(dir, ['token', 'list'])).toMatch(new RegExp(`^${created.id}  carol +laptop +revoked`, 'm'));
    expect(await ok(dir, ['user', 'disable', 'carol'])).toBe('disabled carol\n');
    const refused = await strata(dir, ['token', 'create', '--principal', 'carol', '--name', 'again']);
    expect([refused.code, refused.stderr]).toEqual([2, "strata: principal 'carol' is disabled\n"]);
  });

  it('keeps what it stores private to its user: the data folder 0700, the database, keys and blobs 0600', async () => {
    const fresh = await mkdtemp(join(tmpdir(), 'strata-modes-'));
    try {
      // Under the usual umask (022) these would be 0755 and 0644 without Strata's own modes.
      await ok(fresh, ['init']);
      await writeFile(join(fresh, 'a.txt'), 'private bytes\n');
      await ok(fresh, ['repo', 'create', 'mine']);
      await ok(fresh, ['put', join(fresh, 'a.txt'), 'mine@main:a.txt']);
      await ok(fresh, ['commit', 'mine@main', '-m', 'one']);
      const data = join(fresh, '.strata');
      const mode = async (path: string): Promise<string> => ((await stat(path)).mode & 0o777).toString(8);
      const files: string[] = [];
      const dirs: string[] = [data];
      const walk = async (dir: string): Promise<void> => {
        for (const entry of await readdir(dir, { withFileTypes: true })) {
          if (entry.isDirectory()) {
            dirs.push(join(dir, entry.name));
            await walk(join(dir, entry.name));
          } else files.push(join(dir, entry.name));
        }
      };
      await walk(data);
      const names = files.map((f) => f.slice(data.length + 1));
      expect(names).toEqual(expect.arrayContaining(['strata.db', 'audit-signing-key.pem', 's3-secrets.key', 'config.json', 'inference-pseudonym.key']));
      expect(names.filter((n) => n.startsWith('blobs/')).length).toBeGreaterThan(0);
      // Every file and folder Strata made, whatever its kind (SQLite's journal files included).
      const modes = async (paths: string[]): Promise<Record<string, string>> => Object.fromEntries(await Promise.all(paths.map(async (p): Promise<[string, string]> => [p.slice(data.length), await mode(p)])));
      expect(Object.entries(await modes(files)).filter(([, m]) => m !== '600')).toEqual([]);
      expect(Object.entries(await modes(dirs)).filter(([, m]) => m !== '700')).toEqual([]);
    } finally {
      await rm(fresh, { recursive: true, force: true });
    }
  });
});
