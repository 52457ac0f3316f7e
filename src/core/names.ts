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
 * Object paths are S3 keys: 1 to 1024 UTF-8 bytes, any characters but NUL. Generic S3 tools
 * write keys such as `dir/` (folder markers) or `a//b`, so the core accepts them; mapping a
 * path onto a local folder needs `assertPortablePath` as well.
 */
export function assertObjectPath(path: string): void {
  if (path.length === 0) throw invalidArgument('object path is empty');
  assertKeyText(path, 'object path');
}

/** A listing or diff prefix: any S3 key text, or empty. */
export function assertPrefix(prefix: string): void {
  if (prefix.length === 0) return;
  assertKeyText(prefix, 'prefix');
}

/**
 * A path that maps safely onto a folder: relative, `/`-separated, no empty, `.` or `..` segments
 * (the CLI checks this before reading or writing local files).
 */
export function assertPortablePath(path: string, what = 'object path'): void {
  if (path.startsWith('/')) throw invalidArgument(`invalid ${what} '${path}': absolute paths are not allowed`);
  for (const segment of path.split('/')) {
    if (segment === '' || segment === '.' || segment === '..') {
      throw invalidArgument(`invalid ${what} '${path}': empty, '.' and '..' segments are not allowed`);
    }
  }
}

function assertKeyText(path: string, what: string): void {
  if (path.includes('\0')) throw invalidArgument(`invalid ${what}: it contains a NUL character`);
  if (Buffer.byteLength(path, 'utf8') > MAX_PATH_BYTES) {
    throw invalidArgument(`invalid ${what}: longer than ${MAX_PATH_BYTES} bytes`);
  }
}
