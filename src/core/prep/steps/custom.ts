import { z } from 'zod';
import { invalidArgument } from '../../errors.ts';
import { SandboxError, type SandboxedStep, type StepSandbox } from '../../ports/step-sandbox.ts';
import type { PrepRecord, StepInstance, StepResult } from '../record.ts';

const MetaType = z.enum(['string', 'number', 'boolean']);

export const CustomParams = z.strictObject({
  /** An ES module kept in Strata: `repo@ref:path.mjs`, pinned to its commit when the recipe is loaded. */
  module: z.string().regex(/^[^@:/]+@[^:]+:.+\.m?[jt]s$/, 'must be repo@ref:path.mjs or .ts (an ES module kept in Strata)'),
  /** Passed to the module's step function. */
  params: z.record(z.string(), z.unknown()).default({}),
  /** Filled in when the recipe is loaded: the module's address at its commit, digest and code (JavaScript; TypeScript compiled). */
  resolved: z.strictObject({ address: z.string(), sha256: z.string(), source: z.string() }).optional(),
});
export type CustomConfig = z.infer<typeof CustomParams>;

/**
 * What a custom step module declares besides its function: the record types it reads and
 * writes, and the metadata fields (with their types) it adds. Records are text records; the
 * declaration is checked on every record the step returns.
 */
const Types = z.strictObject({
  input: z.literal('text'),
  output: z.literal('text'),
  meta: z.record(z.string(), MetaType).default({}),
});

/**
 * A custom step: `export const types = { input: 'text', output: 'text', meta: { field: 'number' } }`
 * and `export default function (params) { return (record) => ({ keep: record } | { drop: 'reason' }) }`.
 * The code travels inside the recipe (and so into its hash, to threads and to workers) and runs
 * in the environment's sandbox: isolated from the process (no file system, network,
 * environment, child processes or imports), within CPU time and memory limits, with records
 * crossing as JSON. A process without a sandbox refuses custom steps. Like the built-in record
 * steps it must keep no state across records.
 */
export async function customStep(config: CustomConfig, env: { sandbox?: StepSandbox } = {}): Promise<StepInstance> {
  const code = config.resolved;
  if (!code) throw invalidArgument(`custom step ${config.module} has not been loaded from Strata`);
  if (!env.sandbox) throw invalidArgument(`custom step ${code.address}: this process has no sandbox to run custom steps in`);
  let step: SandboxedStep;
  try {
    step = await env.sandbox.load({ address: code.address, source: code.source }, config.params);
  } catch (error) {
    if (!(error instanceof SandboxError)) throw error;
    throw invalidArgument(error.kind === 'load' ? `custom step ${code.address} does not load: ${error.message}` : `custom step ${code.address} ${error.message} while loading`);
  }
  const types = Types.safeParse(step.types);
  if (!types.success) throw invalidArgument(`custom step ${code.address} must export types = { input: 'text', output: 'text', meta?: { field: 'string' | 'number' | 'boolean' } }`);
  const declared = types.data.meta;
  return {
    kind: 'record',
    process(record) {
      let result: unknown;
      try {
        result = step.process(record);
      } catch (error) {
        if (error instanceof SandboxError) throw invalidArgument(`custom step ${code.address} on record ${record.id}: ${error.message}`);
        throw error;
      }
      return checked({ address: code.address, meta: declared }, result, record);
    },
  };
}

/** What the step returned, if it is a keep or a drop with a record of the declared shape; else the run fails naming the record. */
function checked(step: { address: string; meta: Record<string, z.infer<typeof MetaType>> }, result: unknown, input: PrepRecord): StepResult {
  const { address, meta } = step;
  const fail = (why: string): never => {
    throw invalidArgument(`custom step ${address} on record ${input.id}: ${why}`);
  };
  if (typeof result !== 'object' || result === null) return fail('must return { keep: record } or { drop: reason }');
  if ('drop' in result) return typeof result.drop === 'string' && result.drop !== '' ? { drop: result.drop } : fail('drop must be a non-empty reason');
  if (!('keep' in result)) return fail('must return { keep: record } or { drop: reason }');
  const kept = result.keep as Partial<PrepRecord> | null;
  if (typeof kept !== 'object' || kept === null || typeof kept.text !== 'string' || typeof kept.meta !== 'object') return fail('a kept record needs text (a string) and meta (an object)');
  for (const [field, type] of Object.entries(meta)) {
    const value = (kept.meta as Record<string, unknown>)[field];
    if (value !== undefined && typeof value !== type) fail(`meta.${field} must be a ${type}, not ${typeof value}`);
  }
  // Identity and provenance are the runner's: a step changes text and metadata only.
  return { keep: { ...input, text: kept.text, meta: kept.meta } };
}
