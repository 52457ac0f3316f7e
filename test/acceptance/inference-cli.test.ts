import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ok, strata } from '../support/cli.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'strata-inference-cli-'));
  await ok(dir, ['init']);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('strata inference', () => {
  it('logs JSON Lines, reports cost, queries with SQL before and after compaction alike, and erases a user', { timeout: 180_000 }, async () => {
    const lines = [
      { application: 'support-bot', model: 'gpt-4o', time: '2026-10-01T09:00:00Z', user: 'ann', usage: { inputTokens: 1200, outputTokens: 300, cachedTokens: 200 } },
      { application: 'support-bot', model: 'claude-sonnet-4-5', time: '2026-10-01T10:00:00Z', user: 'ben', usage: { inputTokens: 2000, outputTokens: 500 } },
      // No usage: counted with o200k_base, 4 tokens in and 5 out.
      { application: 'search', model: 'gpt-4o-mini', time: '2026-10-02T11:00:00Z', user: 'ann', input: 'cheap flights to Lisbon', output: 'Here are three options…' },
      { application: 'search', model: 'in-house-7b', time: '2026-10-02T12:00:00Z', usage: { inputTokens: 50, outputTokens: 20 } },
      { application: 'search', time: '2026-10-02T12:00:00Z' },
    ];
    await writeFile(join(dir, 'calls.jsonl'), lines.map((l) => JSON.stringify(l)).join('\n'));
    const logged = await strata(dir, ['inference', 'log', 'calls.jsonl']);
    expect(logged.code).toBe(2);
    const results = logged.stdout.trim().split('\n');
    expect(results.map((l) => l.replace(/[0-9a-f-]{36}/, '<id>'))).toEqual([
      '#0: <id>  $0.005750',
      '#1: <id>  $0.013500',
      '#2: <id>  $0.000004',
      "#3: <id>  cost unknown (no price for model 'in-house-7b' on 2026-10-02 in price table builtin)",
      '#4: InvalidArgument: model: Invalid input: expected string, received undefined',
    ]);
    const third = /[0-9a-f-]{36}/.exec(results[2] ?? '')?.[0] as string;
    const shown = await ok(dir, ['inference', 'show', third]);
    expect(shown.replace(/p:[0-9a-f]{32}/, '<pseudonym>').split('\n').filter((l) => /^(usage|cost|params|user|inputText)/.test(l))).toEqual([
      'inputText                  cheap flights to Lisbon',
      'usage.countedInputTokens   4',
      'usage.countedOutputTokens  5',
      'cost.amount                0.0000036',
      'cost.computed              0.0000036',
      'cost.currency              USD',
      'cost.priceEntry            builtin:gpt-4o-mini*@2024-07-18',
      'user                       <pseudonym>',
    ]);
    const json = JSON.parse(await ok(dir, ['--json', 'inference', 'show', third])) as Record<string, unknown>;
    expect(json).toMatchObject({ id: third, application: 'search', params: {}, attributes: {}, usage: { inputTokens: null, countedInputTokens: 4 }, cost: { provided: null, currency: 'USD' } });
    const report = await ok(dir, ['inference', 'report', '--by', 'application']);
    expect(report).toBe(
      [
        'application  calls  input_tokens  output_tokens  cached_tokens  reasoning_tokens  cost      unpriced_calls',
        '-----------  -----  ------------  -------------  -------------  ----------------  --------  --------------',
        'support-bot  2      3200          800            200                              0.01925   0',
        'search       2      54            25                                              0.000004  1',
        '(2 rows)',
        '',
      ].join('\n'),
    );
    const sql = 'SELECT application, model, input_tokens, counted_input_tokens, cost_computed FROM inference ORDER BY time';
    const before = await ok(dir, ['--json', 'query', sql]);
    const compacted = await ok(dir, ['inference', 'compact']);
    expect(compacted).toMatch(/^compacted 4 records of 2 day\(s\) \(2026-10-01, 2026-10-02\) in commit [0-9a-f]{12}\n$/);
    expect(await ok(dir, ['--json', 'query', sql])).toBe(before);
    expect(await ok(dir, ['inference', 'list'])).toBe('(no records)\n');
    expect(await ok(dir, ['inference', 'erase', '--user', 'ann'])).toMatch(/^deleted 2 records \(archive commit [0-9a-f]{12}\)\n$/);
    expect(JSON.parse(await ok(dir, ['--json', 'query', 'SELECT count(*) AS n FROM inference']))).toEqual({ columns: ['n'], rows: [[2]] });
    const audit = JSON.parse(await ok(dir, ['--json', 'audit', 'list', '--action', 'inference:delete'])) as Array<{ resource: string; source: string }>;
    expect(audit.map((e) => [e.resource.replace(/p:[0-9a-f]{32}/, 'p:…'), e.source])).toEqual([['inference-archive/user:p:…', 'cli']]);
    const bad = await strata(dir, ['query', 'SELEC nonsense']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^strata: query failed: Parser Error: syntax error at or near "SELEC"/);
  });
});
