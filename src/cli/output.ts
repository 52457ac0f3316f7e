import type { ErrorCode } from '../core/errors.ts';
import { invalidArgument, toStrataError } from '../core/errors.ts';
import type { ObjectChange } from '../sdk/api.ts';

/** Process exit code for each error code. Exhaustive, like the HTTP table. */
export const EXIT_CODE: Record<ErrorCode, number> = {
  Internal: 1,
  InvalidArgument: 2,
  NotFound: 3,
  Conflict: 4,
  PreconditionFailed: 5,
  Unauthorized: 6,
  Forbidden: 6,
  PayloadTooLarge: 7,
  Unavailable: 8,
  Gone: 10,
  Erased: 11,
};

export interface Output {
  json: boolean;
  /** Prints `value` as JSON, or `human()` as text. */
  print(value: unknown, human: () => string): void;
  line(text: string): void;
}

export function createOutput(json: boolean): Output {
  return {
    json,
    print: (value, human) => {
      const text = json ? JSON.stringify(value, null, 2) : human();
      if (text !== '') process.stdout.write(`${text}\n`);
    },
    line: (text) => {
      process.stdout.write(`${text}\n`);
    },
  };
}

/** One readable line on stderr and a non-zero exit code. */
export function reportError(error: unknown): number {
  const strata = toStrataError(error);
  process.stderr.write(`strata: ${strata.message}\n`);
  const conflicts = strata.details?.conflicts;
  if (Array.isArray(conflicts)) for (const path of conflicts) process.stderr.write(`  conflict: ${String(path)}\n`);
  return EXIT_CODE[strata.code];
}

export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${bytes} B` : `${value.toFixed(1)} ${units[unit] ?? ''}`;
}

const MARK: Record<ObjectChange['type'], string> = { added: '+', removed: '-', changed: '~' };

export function formatChanges(changes: ObjectChange[]): string {
  if (changes.length === 0) return 'no changes';
  return changes.map((c) => `${MARK[c.type]} ${c.path}`).join('\n');
}

/** key=value pairs from repeated `--meta` flags. */
export function parsePairs(pairs: string[] | undefined): Record<string, string> | undefined {
  if (!pairs || pairs.length === 0) return undefined;
  const out: Record<string, string> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw invalidArgument(`expected key=value, got '${pair}'`);
    out[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return out;
}
