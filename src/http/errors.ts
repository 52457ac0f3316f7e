import type { ErrorCode } from '../core/errors.ts';

/** HTTP status for each error code. Exhaustive: a new code does not compile until it is mapped. */
export const HTTP_STATUS: Record<ErrorCode, number> = {
  NotFound: 404,
  Conflict: 409,
  InvalidArgument: 400,
  Unauthorized: 401,
  Forbidden: 403,
  PreconditionFailed: 412,
  PayloadTooLarge: 413,
  Gone: 410,
  Erased: 451,
  Unavailable: 503,
  Internal: 500,
};

/** The body of every REST error response. */
export interface ErrorBody {
  code: ErrorCode;
  message: string;
  details?: Record<string, unknown>;
}
