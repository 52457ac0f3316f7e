import { getQuickJS, type QuickJSContext, type QuickJSHandle, type QuickJSRuntime } from 'quickjs-emscripten';
import type { PrepRecord } from '../../core/prep/record.ts';
import { SandboxError, type SandboxedStep, type StepSandbox } from '../../core/ports/step-sandbox.ts';

export interface QuickJsLimits {
  /** Heap of one step instance. */
  memoryBytes: number;
  /** CPU time of one call: loading the module, or one record. */
  callMs: number;
}

export const DEFAULT_SANDBOX_LIMITS: QuickJsLimits = { memoryBytes: 64 * 1024 * 1024, callMs: 1000 };

/** The module the step is loaded through: it names the step's exports and moves records as JSON. */
const HARNESS = `import * as exported from 'step';
const step = exported.default;
globalThis.__types = JSON.stringify(exported.types === undefined ? null : exported.types);
globalThis.__start = (params) => {
  if (typeof step !== 'function') return 'no-default';
  globalThis.__process = step(JSON.parse(params));
  return typeof globalThis.__process === 'function' ? 'ok' : 'not-a-function';
};
globalThis.__call = (record) => JSON.stringify(globalThis.__process(JSON.parse(record)));
`;

const released = new FinalizationRegistry<() => void>((dispose) => {
  dispose();
});

const SANDBOXED = 'custom steps run sandboxed, with no file system, network, environment, processes or Node built-ins';

/**
 * Custom steps in QuickJS compiled to WebAssembly (quickjs-emscripten): a separate JavaScript
 * engine whose only reach outside is what the host passes in, which here is one JSON string per
 * record. Chosen over a child process under Node's permission model (Node 20's model does not
 * restrict the network) and over isolated-vm (a native addon compiled at install, whose current
 * major needs Node 24): nothing to build, the same on every platform, and a memory limit and an
 * interrupt handler per runtime. The price is an interpreter: about 20× slower than V8 on a
 * step's own work, about 5% of the standard recipe per document (bench/RESULTS.md). Each step
 * instance has its own runtime, so one step's memory limit or state cannot touch another's.
 */
export class QuickJsSandbox implements StepSandbox {
  constructor(private readonly limits: QuickJsLimits = DEFAULT_SANDBOX_LIMITS) {}

  async load(module: { address: string; source: string }, params: unknown): Promise<SandboxedStep> {
    const QuickJS = await getQuickJS();
    const runtime = QuickJS.newRuntime();
    runtime.setMemoryLimit(this.limits.memoryBytes);
    runtime.setMaxStackSize(1024 * 1024);
    runtime.setModuleLoader((name) => (name === 'step' ? module.source : { error: new Error(`cannot import '${name}': ${SANDBOXED}`) }));
    const context = runtime.newContext();
    const guard = new Deadline(runtime, this.limits);
    try {
      guard.arm();
      const loaded = context.evalCode(HARNESS, 'harness.mjs', { type: 'module' });
      if (loaded.error) throw guard.failure(context, loaded.error, 'load');
      loaded.value.dispose();
      runtime.executePendingJobs();
      const types = JSON.parse(readString(context, '__types') ?? 'null') as unknown;
      const started = call({ context, guard, kind: 'load' }, '__start', JSON.stringify(params ?? {}));
      if (started === 'no-default') throw new SandboxError('must export a default function (params) => (record) => result', 'load');
      if (started !== 'ok') throw new SandboxError('its default export must return a function (record) => result', 'load');
      const loadedStep: SandboxedStep = {
        types: types === null ? undefined : types,
        process: (record: PrepRecord) => {
          const answer = call({ context, guard, kind: 'threw' }, '__call', JSON.stringify(record));
          return answer === undefined ? undefined : (JSON.parse(answer) as unknown);
        },
      };
      // Step instances have no end of life of their own: the engine's memory goes with the instance.
      released.register(loadedStep, () => {
        context.dispose();
        runtime.dispose();
      });
      return loadedStep;
    } catch (error) {
      context.dispose();
      runtime.dispose();
      throw error;
    }
  }
}

/** The CPU time limit of the call under way: QuickJS asks the handler regularly while it runs. */
class Deadline {
  private until = 0;

  constructor(
    runtime: QuickJSRuntime,
    private readonly limits: QuickJsLimits,
  ) {
    runtime.setInterruptHandler(() => Date.now() > this.until);
  }

  arm(): void {
    this.until = Date.now() + this.limits.callMs;
  }

  /** The error of a failed call, in words; disposes the handle. */
  failure(context: QuickJSContext, handle: QuickJSHandle, kind: 'load' | 'threw'): SandboxError {
    const error = context.dump(handle) as { name?: string; message?: string } | string;
    handle.dispose();
    const message = typeof error === 'string' ? error : `${error.name ?? 'Error'}: ${error.message ?? ''}`;
    if (typeof error === 'object' && error.name === 'InternalError' && error.message === 'interrupted') return new SandboxError(`ran past its CPU time limit of ${this.limits.callMs} ms`, 'time');
    if (/out of memory/i.test(message)) return new SandboxError(`ran out of its ${Math.round(this.limits.memoryBytes / 1048576)} MiB of memory`, 'memory');
    return new SandboxError(kind === 'load' ? message.replace(/^Error: /, '') : `threw ${message}`, kind);
  }
}

function readString(context: QuickJSContext, name: string): string | undefined {
  const handle = context.getProp(context.global, name);
  try {
    return context.typeof(handle) === 'string' ? context.getString(handle) : undefined;
  } finally {
    handle.dispose();
  }
}

/** Calls a harness function with one string and returns its string answer (undefined: it returned nothing). */
function call(at: { context: QuickJSContext; guard: Deadline; kind: 'load' | 'threw' }, name: string, argument: string): string | undefined {
  const { context, guard, kind } = at;
  const fn = context.getProp(context.global, name);
  const arg = context.newString(argument);
  try {
    guard.arm();
    const result = context.callFunction(fn, context.undefined, arg);
    if (result.error) throw guard.failure(context, result.error, kind);
    const text = context.typeof(result.value) === 'string' ? context.getString(result.value) : undefined;
    result.value.dispose();
    return text;
  } finally {
    arg.dispose();
    fn.dispose();
  }
}
