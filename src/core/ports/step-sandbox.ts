import type { PrepRecord } from '../prep/record.ts';

/** A custom step's module, loaded in isolation: what it declares, and its per-record function. */
export interface SandboxedStep {
  /** The module's `types` export, as plain JSON (undefined when it has none). */
  types: unknown;
  /** Runs the step on one record; throws `SandboxError` when the code throws or breaks a limit. */
  process(record: PrepRecord): unknown;
}

/** Why sandboxed code failed, in words for the run's error. */
export class SandboxError extends Error {
  constructor(
    message: string,
    readonly kind: 'load' | 'threw' | 'time' | 'memory',
  ) {
    super(message);
    this.name = 'SandboxError';
  }
}

/**
 * Where custom recipe steps run: isolated from the process that runs them — no file system,
 * network, environment, child processes or Node built-ins — within CPU time and memory limits.
 * Records cross the boundary as JSON.
 */
export interface StepSandbox {
  /** Loads the module and calls its default export with `params`; rejects with `SandboxError`. */
  load(module: { address: string; source: string }, params: unknown): Promise<SandboxedStep>;
}
