/**
 * The one error type of Strata. Every layer throws `StrataError` with a code from a
 * closed set; the edges (HTTP, S3, CLI) map codes to statuses through exhaustive tables.
 * Never branch on `message`: it is for people.
 */
export const ERROR_CODES = [
  'NotFound',
  'Conflict',
  'InvalidArgument',
  'Unauthorized',
  'Forbidden',
  'PreconditionFailed',
  'PayloadTooLarge',
  'Gone',
  /** Destroyed by an erasure (HTTP 451 Unavailable For Legal Reasons); `details.erasure` names it. */
  'Erased',
  'Unavailable',
  'Internal',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export interface StrataErrorOptions {
  /** Machine-readable details safe to show the caller (e.g. the conflicting paths). */
  details?: Record<string, unknown>;
  /** The underlying error, kept for logs; never shown to remote callers. */
  cause?: unknown;
}

export class StrataError extends Error {
  readonly code: ErrorCode;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, options: StrataErrorOptions = {}) {
    super(message, { cause: options.cause });
    this.name = 'StrataError';
    this.code = code;
    this.details = options.details;
  }
}

export function isStrataError(error: unknown): error is StrataError {
  return error instanceof StrataError;
}

/** Wraps anything thrown at a boundary so callers only ever see `StrataError`. */
export function toStrataError(error: unknown): StrataError {
  if (isStrataError(error)) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new StrataError('Internal', `internal error: ${message}`, { cause: error });
}

export const notFound = (message: string, details?: Record<string, unknown>): StrataError =>
  new StrataError('NotFound', message, { details });
export const conflict = (message: string, details?: Record<string, unknown>): StrataError =>
  new StrataError('Conflict', message, { details });
export const invalidArgument = (message: string, details?: Record<string, unknown>): StrataError =>
  new StrataError('InvalidArgument', message, { details });
