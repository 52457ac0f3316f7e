import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QuickJsSandbox } from '../../src/adapters/prep/quickjs-sandbox.ts';
import { parseRecipe } from '../../src/core/prep/recipe.ts';
import { SandboxError } from '../../src/core/ports/step-sandbox.ts';
import { bytesOf, createTestCore, ctx, type TestCore } from '../support/core.ts';

const TYPES = "export const types = { input: 'text', output: 'text' };\n";
const step = (body: string): string => `${TYPES}export default function () { return (record) => { ${body} }; }\n`;

/** What a hostile or broken step tries, and the error its run fails with. */
const ESCAPES: Array<[string, string, RegExp]> = [
  ['reads a file', `import { readFileSync } from 'node:fs';\n${step("return { keep: { ...record, text: readFileSync('/etc/passwd', 'utf8') } };")}`, /does not load: cannot import 'node:fs': custom steps run sandboxed, with no file system, network, environment, processes or Node built-ins$/],
  ['opens a socket', `import net from 'node:net';\n${step("net.connect(80, '127.0.0.1'); return { keep: record };")}`, /does not load: cannot import 'node:net': custom steps run sandboxed/],
  ['spawns a process', `import { execSync } from 'node:child_process';\n${step("execSync('touch /tmp/owned'); return { keep: record };")}`, /does not load: cannot import 'node:child_process': custom steps run sandboxed/],
  ['fetches a URL', step("fetch('http://127.0.0.1:1/'); return { keep: record };"), /on record .*: threw ReferenceError: 'fetch' is not defined$/],
  ['reads the environment', step('return { keep: { ...record, text: process.env.HOME } };'), /on record .*: threw ReferenceError: 'process' is not defined$/],
  ['requires a module', step("require('fs'); return { keep: record };"), /on record .*: threw ReferenceError: 'require' is not defined$/],
  ['imports dynamically', step("import('node:fs'); return { keep: record };"), /^$|./],
  ['loops forever', step('for (;;) {}'), /on record .*: ran past its CPU time limit of 1000 ms$/],
  ['exhausts memory', step("const parts = []; for (;;) parts.push('x'.repeat(1 << 20) + parts.length); "), /on record .*: ran out of its 64 MiB of memory$/],
];

describe('custom steps in the sandbox', () => {
  let t: TestCore;
  beforeAll(async () => {
    t = await createTestCore('sqlite');
    for (const name of ['raw', 'prepared', 'recipes']) await t.core.repositories.create(ctx, { name });
    await t.core.objects.put(ctx, { repository: 'raw', branch: 'main', path: 'docs/a.txt', body: bytesOf('some text to prepare'), contentType: 'text/plain' });
    await t.core.commits.commit(ctx, { repository: 'raw', branch: 'main', message: 'raw' });
  });
  afterAll(async () => {
    await t.dispose();
  });

  const keep = async (path: string, code: string): Promise<void> => {
    await t.core.objects.put(ctx, { repository: 'recipes', branch: 'main', path, body: bytesOf(code), contentType: 'text/javascript' });
    await t.core.commits.commit(ctx, { repository: 'recipes', branch: 'main', message: path });
  };
  const recipe = (path: string) => parseRecipe(`name: hostile\nsteps:\n  - custom: { module: 'recipes@main:${path}' }\n`);

  it.each(ESCAPES)('refuses a step that %s, and the run changes nothing', async (_what, code, error) => {
    const path = `steps/${_what.replaceAll(' ', '-')}.mjs`;
    await keep(path, code);
    const before = await t.core.commits.show(ctx, { repository: 'prepared', ref: 'main' });
    const outcome = await t.core.prep.run(ctx, { recipe: recipe(path), input: 'raw@main:docs/', output: 'prepared@main' }).then(
      () => 'ran',
      (e: unknown) => (e as Error).message,
    );
    if (_what === 'imports dynamically') {
      // import() returns a promise the step ignores: the record passes, nothing was loaded.
      expect(outcome).toBe('ran');
      return;
    }
    expect(outcome).toMatch(error);
    expect((await t.core.commits.show(ctx, { repository: 'prepared', ref: 'main' })).id).toBe(before.id);
  });

  it('needs recipe:custom, which writers do not have', async () => {
    await keep('steps/fine.mjs', step('return { keep: record };'));
    await t.core.identity.createPrincipal(ctx, { id: 'wren', kind: 'user' });
    await t.core.identity.attach(ctx, { policy: 'writer', principal: 'wren' });
    await expect(t.core.prep.run({ actor: { id: 'wren' } }, { recipe: recipe('steps/fine.mjs'), input: 'raw@main:docs/', output: 'prepared@main' })).rejects.toMatchObject({ code: 'Forbidden', message: 'wren may not recipe:custom' });
    const summary = await t.core.prep.run(ctx, { recipe: recipe('steps/fine.mjs'), input: 'raw@main:docs/', output: 'prepared@main' });
    expect(summary.written).toBe(1);
  });

  it('keeps each step instance apart and answers a record as JSON', async () => {
    const sandbox = new QuickJsSandbox({ memoryBytes: 16 * 1024 * 1024, callMs: 200 });
    const counter = `${TYPES}let n = 0; export default function (params) { return (record) => ({ keep: { ...record, text: params.tag + (++n) } }); }\n`;
    const first = await sandbox.load({ address: 'a', source: counter }, { tag: 'a' });
    const second = await sandbox.load({ address: 'b', source: counter }, { tag: 'b' });
    const record = { id: 'r', text: 'x', meta: {}, source: { key: 'k', repository: 'raw', path: 'p', sha256: 's' } };
    expect([first.process(record), first.process(record), second.process(record)]).toEqual([{ keep: { ...record, text: 'a1' } }, { keep: { ...record, text: 'a2' } }, { keep: { ...record, text: 'b1' } }]);
    await expect(sandbox.load({ address: 'c', source: 'export const types = 1; for (;;) {}' }, {})).rejects.toEqual(new SandboxError('ran past its CPU time limit of 200 ms', 'time'));
    await expect(sandbox.load({ address: 'd', source: 'export const x = ;' }, {})).rejects.toMatchObject({ kind: 'load', message: expect.stringMatching(/^SyntaxError: /) as unknown });
  });
});
