import { isStrataError } from '../errors.ts';
import type { AccessRequest, Authorizer } from '../ports/authorizer.ts';

/** Whether `authorizer` would allow `request`, asked silently (see `Authorizer.permits`). */
export async function permits(authorizer: Authorizer, request: AccessRequest): Promise<boolean> {
  if (authorizer.permits) return authorizer.permits(request);
  try {
    await authorizer.authorize(request);
    return true;
  } catch (error) {
    if (isStrataError(error) && error.code === 'Forbidden') return false;
    throw error;
  }
}
