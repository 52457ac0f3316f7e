import Database from 'better-sqlite3';
import { join } from 'node:path';
import type { InferenceInput, InferenceRow } from '../src/core/inference/inference-record.ts';
import { RECORD_COLUMNS } from '../src/core/inference/inference-record.ts';
import { ctx, openBenchCore } from './open-core.ts';
import { fmt, freshDir, report, SCALE, time } from './support.ts';

const RECORDS = Math.max(20_000, Math.round(200_000 * SCALE));
const BATCH = 1000;
const MODELS = ['gpt-4o', 'gpt-4o-mini', 'claude-sonnet-4-5', 'gemini-2.5-flash', 'in-house-7b'];

/** A chat call as an application logs it: text in and out (~600 bytes), usage given, a user and a session. */
function call(i: number): InferenceInput {
  return {
    application: `app-${i % 8}`,
    model: MODELS[i % MODELS.length] as string,
    provider: 'openai',
    time: new Date(1_795_000_000_000 + i * 10).toISOString(),
    input: `Question ${i}: how do I rotate the credentials of service ${i % 97} without downtime? Please answer briefly and cite the runbook.`,
    output: `Rotate them in two steps: add the new key, deploy, then revoke the old one (runbook RB-${i % 13}). Expect no downtime when clients reload keys on SIGHUP; check the dashboard for auth errors for ten minutes.`,
    params: { temperature: 0.2, max_tokens: 512 },
    usage: { inputTokens: 40 + (i % 50), outputTokens: 60 + (i % 40), cachedTokens: i % 3 === 0 ? 20 : 0 },
    latencyMs: 300 + (i % 700),
    user: `user-${i % 5000}`,
    session: `session-${i % 20000}`,
  };
}

/**
 * Inference records logged in batches of 1,000 on the embedded default (validation, pricing,
 * pseudonyms, one audit entry per batch, one transaction per batch) against raw batched inserts
 * of the very rows Strata stored into a table of the same shape in the same SQLite file.
 */
export async function benchInference(): Promise<void> {
  const dir = await freshDir('inference');
  const core = await openBenchCore(dir);
  const logged = await time(async () => {
    for (let i = 0; i < RECORDS; i += BATCH) {
      const results = await core.inference.log(ctx, Array.from({ length: Math.min(BATCH, RECORDS - i) }, (_, j) => call(i + j)));
      if (results.some((r) => r.status !== 201)) throw new Error('a bench record was refused');
    }
  });
  await core.close();
  const db = new Database(join(dir, '.strata', 'strata.db'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  // The same table and indexes as Strata's, under another name.
  const ddl = db.prepare("SELECT sql FROM sqlite_master WHERE tbl_name = 'inference_records' AND sql IS NOT NULL").all() as Array<{ sql: string }>;
  for (const { sql } of ddl) db.exec(sql.replaceAll('inference_records', 'raw_records').replace(/(INDEX\s+"?)inference_/i, '$1raw_'));
  const names = RECORD_COLUMNS.map(([n]) => n);
  const rows = db.prepare(`SELECT ${names.join(', ')} FROM inference_records`).all() as InferenceRow[];
  const insert = db.prepare(`INSERT INTO raw_records (${names.join(', ')}) VALUES (${names.map(() => '?').join(', ')})`);
  const raw = await time(() => {
    for (let i = 0; i < rows.length; i += BATCH) {
      db.transaction(() => {
        for (const row of rows.slice(i, i + BATCH)) insert.run(...names.map((n) => row[n]));
      })();
    }
  });
  db.close();
  const rate = RECORDS / logged.seconds;
  report({
    name: `inference records logged in batches of ${BATCH} (${RECORDS.toLocaleString('en')} records, embedded SQLite)`,
    strata: `${fmt(logged.seconds)} s (${Math.round(rate).toLocaleString('en')} records/s)`,
    baseline: `raw batched inserts of the same rows into the same file: ${fmt(raw.seconds)} s (${Math.round(rows.length / raw.seconds).toLocaleString('en')}/s)`,
    ratio: `${fmt(raw.seconds / logged.seconds)}×`,
    goal: '≥ 0.5× and ≥ 20,000 records/s',
    met: raw.seconds / logged.seconds >= 0.5 && rate >= 20_000,
  });
}
