import { compareKeys } from '../keys.ts';
import type { EntryCursor } from './overlay-cursor.ts';
import type { ObjectInfo } from './types.ts';

export interface ListOptions {
  /** Only paths starting with this. Default ''. */
  prefix?: string;
  /** Roll up paths containing this after the prefix into common prefixes (any string, like S3). */
  delimiter?: string;
  /** Start strictly after this path or common prefix (pagination). */
  after?: string;
  /** At most this many objects + common prefixes. Default 1000. */
  limit?: number;
}

export interface ListResult {
  objects: ObjectInfo[];
  commonPrefixes: string[];
  /** True when more results follow; continue with `after: nextAfter`. */
  truncated: boolean;
  nextAfter?: string;
}

/** The largest code point: seeking to `p + MAX` skips every key that starts with `p`. */
const MAX_CHAR = '\u{10FFFF}';

/**
 * Lists a cursor S3-style. With a delimiter, each common prefix is reported once and the cursor
 * seeks past all its keys, so a listing costs O(results · height), not O(keys under the prefix).
 */
export async function listObjects(cursor: EntryCursor, options: ListOptions): Promise<ListResult> {
  const prefix = options.prefix ?? '';
  const delimiter = options.delimiter === '' ? undefined : options.delimiter;
  const limit = options.limit ?? 1000;
  const result: ListResult = { objects: [], commonPrefixes: [], truncated: false };
  const after = options.after;
  await cursor.seek(after !== undefined && compareKeys(after, prefix) > 0 ? afterKey(after, delimiter) : prefix);
  let last: string | undefined;
  for (let item = await cursor.next(); item; item = await cursor.next()) {
    if (after !== undefined && compareKeys(item.key, after) <= 0) continue;
    if (!item.key.startsWith(prefix)) {
      if (compareKeys(item.key, prefix) > 0) break;
      continue;
    }
    const cut = delimiter === undefined ? -1 : item.key.indexOf(delimiter, prefix.length);
    const name = cut >= 0 ? item.key.slice(0, cut + (delimiter as string).length) : item.key;
    if (result.objects.length + result.commonPrefixes.length === limit) {
      result.truncated = true;
      result.nextAfter = last;
      break;
    }
    last = name;
    if (cut >= 0) {
      result.commonPrefixes.push(name);
      await cursor.seek(name + MAX_CHAR);
    } else {
      result.objects.push({ path: item.key, ...item.entry });
    }
  }
  return result;
}

/** Where to resume after `after`: past its whole group when it is a common prefix. */
function afterKey(after: string, delimiter: string | undefined): string {
  return delimiter !== undefined && after.endsWith(delimiter) ? after + MAX_CHAR : after;
}
