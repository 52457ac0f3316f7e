import { isStrataError } from '../errors.ts';
import type { AccessRequest, Authorizer } from '../ports/authorizer.ts';

/** `permits` at each path, in one call where the authorizer can answer so. */
export async function permitsEach(authorizer: Authorizer, request: AccessRequest, paths: readonly string[]): Promise<boolean[]> {
  if (authorizer.permitsEach) return authorizer.permitsEach(request, paths);
  return Promise.all(paths.map((path) => permits(authorizer, { ...request, path })));
}

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
