import { invalidArgument } from './errors.ts';

/**
 * Names and paths, validated once at the service boundary so that stores can trust them.
 *
 * Repository names follow S3 bucket rules (a repository is an S3 bucket): 3–63 characters of
 * lowercase letters, digits, dots and hyphens, starting and ending with a letter or digit.
 * Branch and tag names may not contain `/`, because S3 keys address objects as `<ref>/<path>`.
 */
const REPOSITORY_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const REF_NAME = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/;
export const COMMIT_ID = /^[0-9a-f]{64}$/;
const COMMIT_ID_PREFIX = /^[0-9a-f]{4,64}$/;
/** S3's key limit, in UTF-8 bytes. */
export const MAX_PATH_BYTES = 1024;

export function assertRepositoryName(name: string): void {
  if (!REPOSITORY_NAME.test(name) || name.includes('..')) {
    throw invalidArgument(
      `invalid repository name '${name}': use 3-63 lowercase letters, digits, '.' or '-', starting and ending with a letter or digit`,
    );
  }
}

export function assertRefName(kind: 'branch' | 'tag', name: string): void {
  if (!REF_NAME.test(name) || name.endsWith('.lock') || name.includes('..')) {
    throw invalidArgument(
      `invalid ${kind} name '${name}': use up to 128 letters, digits, '.', '_' or '-', not starting with '.' or '-'`,
    );
  }
}

export function isCommitIdPrefix(value: string): boolean {
  return COMMIT_ID_PREFIX.test(value);
}

/**
 * Object paths are relative, `/`-separated, without `.` or `..` segments, empty segments or NUL,
 * at most 1024 UTF-8 bytes. A trailing `/` is allowed only for prefixes, never for objects.
 */
export function assertObjectPath(path: string): void {
  if (path.length === 0) throw invalidArgument('object path is empty');
  assertPathText(path, 'object path');
  if (path.endsWith('/')) throw invalidArgument(`invalid object path '${path}': it ends with '/'`);
}

/** A listing or diff prefix: like a path, but may be empty and may end with `/`. */
export function assertPrefix(prefix: string): void {
  if (prefix.length === 0) return;
  assertPathText(prefix.endsWith('/') ? prefix.slice(0, -1) : prefix, 'prefix');
}

function assertPathText(path: string, what: string): void {
  if (path.startsWith('/')) throw invalidArgument(`invalid ${what} '${path}': absolute paths are not allowed`);
  if (path.includes('\0')) throw invalidArgument(`invalid ${what}: it contains a NUL character`);
  if (Buffer.byteLength(path, 'utf8') > MAX_PATH_BYTES) {
    throw invalidArgument(`invalid ${what}: longer than ${MAX_PATH_BYTES} bytes`);
  }
  for (const segment of path.split('/')) {
    if (segment === '' || segment === '.' || segment === '..') {
      throw invalidArgument(`invalid ${what} '${path}': empty, '.' and '..' segments are not allowed`);
    }
  }
}
