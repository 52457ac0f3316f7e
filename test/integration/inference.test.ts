import { afterEach, describe, expect, it } from 'vitest';
import type { InferenceInput } from '../../src/core/inference/inference-record.ts';
import { createTestCore, ctx, DIALECTS, errorCode, type Dialect, type TestCore } from '../support/core.ts';

const opened: TestCore[] = [];
afterEach(async () => {
  for (const t of opened.splice(0)) await t.dispose();
});

const NOW = new Date('2026-11-23T12:00:00.000Z');

async function open(dialect: Dialect): Promise<TestCore> {
  const t = await createTestCore(dialect, { clock: { now: () => NOW } });
  opened.push(t);
  return t;
}

const call = (over: Partial<InferenceInput>): InferenceInput => ({ application: 'chatbot', model: 'gpt-4o', time: '2026-11-23T10:00:00Z', input: 'hello world', output: 'hi there', usage: { inputTokens: 1000, outputTokens: 500 }, ...over });

describe.each(DIALECTS)('inference archive on %s', (dialect) => {
  it('prices calls from the table: tiers by context, cached and reasoning tokens, effective dates, provided cost kept beside the computed one', async () => {
    const { core } = await open(dialect);
    const results = await core.inference.log(ctx, [
      call({ model: 'claude-sonnet-4-5', usage: { inputTokens: 250_000, cachedTokens: 50_000, outputTokens: 1000 } }),
      call({ model: 'claude-sonnet-4-5', usage: { inputTokens: 1000, cachedTokens: 200, outputTokens: 500 } }),
      call({ model: 'gpt-4o', cost: { amount: 0.5, currency: 'USD' } }),
      call({ model: 'mystery-1' }),
      call({ model: 'gpt-4o', usage: undefined }),
    ]);
    expect(results.map((r) => ('cost' in r ? [r.status, r.cost, r.costNote] : [r.status]))).toEqual([
      [201, 1.2525, null],
      [201, 0.00996, null],
      [201, 0.5, null],
      [201, null, "no price for model 'mystery-1' on 2026-11-23 in price table builtin"],
      // "hello world" is 2 tokens and "hi there" 2 in o200k_base: 2 × $2.50 + 2 × $10 per million.
      [201, 0.000025, null],
    ]);
    const third = await core.inference.get(ctx, (results[2] as { id: string }).id);
    expect(third.cost).toEqual({ amount: 0.5, provided: 0.5, computed: 0.0075, currency: 'USD', priceEntry: 'builtin:gpt-4o@2024-10-01', note: null });
    const first = await core.inference.get(ctx, (results[0] as { id: string }).id);
    expect(first.cost.priceEntry).toBe('builtin:claude-sonnet-4*@2025-05-22>200000');
    const counted = await core.inference.get(ctx, (results[4] as { id: string }).id);
    expect(counted.usage).toEqual({ inputTokens: null, outputTokens: null, cachedTokens: null, reasoningTokens: null, countedInputTokens: 2, countedOutputTokens: 2 });

    const table = await core.inference.setPrices(ctx, {
      prices: [
        { model: 'acme-*', effective: '2026-01-01', input: 1, output: 2 },
        { model: 'acme-*', effective: '2026-06-01', input: 0.5, output: 1, reasoning: 4 },
      ],
    });
    const acme = await core.inference.log(ctx, [
      call({ model: 'acme-large', time: '2026-03-01T00:00:00Z', usage: { inputTokens: 1000, outputTokens: 1000, reasoningTokens: 200 } }),
      call({ model: 'acme-large', time: '2026-07-01T00:00:00Z', usage: { inputTokens: 1000, outputTokens: 1000, reasoningTokens: 200 } }),
      call({ model: 'gpt-4o' }),
    ]);
    expect(acme.map((r) => ('cost' in r ? r.cost : r.status))).toEqual([0.003, 0.0021, null]);
    expect((await core.inference.get(ctx, (acme[1] as { id: string }).id)).cost.priceEntry).toBe(`${table.version}:acme-*@2026-06-01`);
    expect(await errorCode(core.inference.setPrices(ctx, { prices: [{ model: 'x', effective: 'soon', input: 1, output: 1 }] }))).toBe('InvalidArgument');
  });

  it('answers each record of a batch on its own, and pseudonymizes users and sessions', async () => {
    const { core } = await open(dialect);
    const results = await core.inference.log(ctx, [call({ user: 'alice@example.com', session: 'conv-1' }), { application: 'chatbot' }, call({ latencyMs: -1 }), 'not a record', call({ model: 'model:nope@prod' })]);
    expect(results.map((r) => [r.index, r.status, 'error' in r ? r.error.code : 'ok'])).toEqual([
      [0, 201, 'ok'],
      [1, 400, 'InvalidArgument'],
      [2, 400, 'InvalidArgument'],
      [3, 400, 'InvalidArgument'],
      [4, 404, 'NotFound'],
    ]);
    expect('error' in (results[1] as object) && (results[1] as { error: { message: string } }).error.message).toBe('model: Invalid input: expected string, received undefined');
    const stored = await core.inference.list(ctx, { limit: 10 });
    expect(stored.length).toBe(1);
    expect(stored[0]?.user).toMatch(/^p:[0-9a-f]{32}$/);
    expect(JSON.stringify(stored)).not.toContain('alice');
    expect((await core.inference.list(ctx, { user: 'alice@example.com', limit: 10 })).length).toBe(1);
  });

  it('gives the same query results before and after compaction, and erases a user everywhere with an audited deletion', async () => {
    const { core } = await open(dialect);
    const days = ['2026-11-01T08:00:00Z', '2026-11-01T09:30:00Z', '2026-11-02T10:00:00Z', '2026-11-20T11:00:00Z', '2026-11-23T09:00:00Z'];
    await core.inference.log(ctx, days.map((time, i) => call({ time, user: i % 2 === 0 ? 'alice' : 'bob', application: i < 3 ? 'chatbot' : 'search', usage: { inputTokens: 100 * (i + 1), outputTokens: 10 * (i + 1) }, params: { temperature: 0.2, stop: ['\n'] }, attributes: { tenant: 'acme', retries: i }, finishReasons: ['stop'] })));
    const sql = 'SELECT id, time, application, user_id, input_tokens, output_tokens, cost_computed, price_entry, input_text FROM inference ORDER BY time';
    const before = await core.inference.query(ctx, sql);
    expect(before.rows.length).toBe(5);
    const report = await core.inference.report(ctx, { by: 'application' });
    expect(report.columns).toEqual(['application', 'calls', 'input_tokens', 'output_tokens', 'cached_tokens', 'reasoning_tokens', 'cost', 'unpriced_calls']);

    const firstId = before.rows[0]?.[0] as string;
    const recent = await core.inference.get(ctx, firstId);
    expect([recent.params, recent.attributes, recent.finishReasons, recent.usage.inputTokens]).toEqual([{ temperature: 0.2, stop: ['\n'] }, { tenant: 'acme', retries: 0 }, ['stop'], 100]);
    const compacted = await core.inference.compact(ctx, {});
    expect([compacted.records, compacted.days]).toEqual([3, ['2026-11-01', '2026-11-02']]);
    // A compacted record (read back from Parquet through SQL) has the very shape of a recent one.
    expect(await core.inference.get(ctx, firstId)).toEqual(recent);
    expect((await core.inference.list(ctx, { limit: 10 })).length).toBe(2);
    expect(await core.inference.query(ctx, sql)).toEqual(before);
    expect(await core.inference.report(ctx, { by: 'application' })).toEqual(report);
    await core.inference.log(ctx, [call({ time: '2026-11-02T12:00:00Z', user: 'carol' })]);
    expect((await core.inference.compact(ctx, {})).records).toBe(1);
    expect((await core.inference.query(ctx, 'SELECT count(*) AS n FROM inference')).rows).toEqual([[6]]);
    expect(await core.inference.get(ctx, before.rows[0]?.[0] as string)).toMatchObject({ time: '2026-11-01T08:00:00.000Z', application: 'chatbot' });

    const erased = await core.inference.deleteSubject(ctx, { user: 'alice' });
    expect(erased.deleted).toBe(3);
    const alice = before.rows[0]?.[3] as string;
    expect(alice).toMatch(/^p:[0-9a-f]{32}$/);
    const left = await core.inference.query(ctx, `SELECT count(*) FILTER (WHERE user_id = '${alice}') AS alice, count(*) AS n FROM inference`);
    expect(left.rows).toEqual([[0, 3]]);
    const audit = await core.audit.entries(ctx, { action: 'inference:delete' });
    expect(audit.map((e) => [e.outcome, e.resource.replace(/p:[0-9a-f]{32}/, 'p:…')])).toEqual([['ok', 'inference-archive/user:p:…']]);
    expect(JSON.stringify(await core.audit.entry(ctx, audit[0]?.seq as number))).not.toContain('alice');
    expect(await errorCode(core.inference.query(ctx, "SELECT * FROM read_csv('/etc/passwd')"))).toBe('InvalidArgument');
  });

  it('prunes by application retention, in recent rows and compacted partitions alike', async () => {
    const { core } = await open(dialect);
    await core.inference.log(ctx, ['2026-11-01T00:00:00Z', '2026-11-12T00:00:00Z', '2026-11-14T00:00:00Z'].flatMap((time) => [call({ time }), call({ time, application: 'search' })]));
    await core.inference.compact(ctx, { before: '2026-11-13T00:00:00.000Z' });
    await core.inference.setRetention(ctx, 'chatbot', 10);
    expect(await core.inference.retention(ctx)).toEqual([{ application: 'chatbot', days: 10 }]);
    const pruned = await core.inference.prune(ctx);
    expect(pruned.deleted).toBe(2);
    const left = await core.inference.query(ctx, 'SELECT application, substr(time, 1, 10) AS day FROM inference ORDER BY 1, 2');
    expect(left.rows).toEqual([['chatbot', '2026-11-14'], ['search', '2026-11-01'], ['search', '2026-11-12'], ['search', '2026-11-14']]);
    expect(await errorCode(core.inference.setRetention(ctx, 'chatbot', 0))).toBe('InvalidArgument');
  });
});
