import { isStrataError } from '../../core/errors.ts';
import type { RepositoryRecord } from '../../core/ports/metadata-store.ts';
import { compareKeys } from '../../core/keys.ts';
import type { ObjectInfo } from '../../core/versioning/types.ts';
import { s3Error } from './errors.ts';
import type { GatewayDeps, S3Exchange } from './exchange.ts';

/** Where an S3 key lives in Strata. */
export interface Located {
  repository: string;
  ref: string;
  path: string;
}

/** The repository behind the bucket, or NoSuchBucket. */
export async function requireBucket(exchange: S3Exchange, deps: GatewayDeps): Promise<RepositoryRecord> {
  const bucket = exchange.bucket ?? '';
  exchange.log.repository = bucket;
  if (exchange.repository?.name === bucket) return exchange.repository;
  try {
    exchange.repository = await deps.core.repositories.get(exchange.ctx, bucket);
    return exchange.repository;
  } catch (error) {
    if (isStrataError(error) && (error.code === 'NotFound' || error.code === 'InvalidArgument')) throw s3Error.noSuchBucket();
    throw error;
  }
}

/**
 * Maps a key by the repository's layout: `plain` keys are paths on the default branch; `ref`
 * keys are `<ref>/<path>`. A ref-layout key without a path names no object.
 */
export function locate(repository: RepositoryRecord, key: string): Located {
  if (repository.s3Layout === 'plain') return { repository: repository.name, ref: repository.defaultBranch, path: key };
  const slash = key.indexOf('/');
  if (slash <= 0 || slash === key.length - 1) throw s3Error.noSuchKey();
  return { repository: repository.name, ref: key.slice(0, slash), path: key.slice(slash + 1) };
}

/**
 * Like `locate`, for reads, which also take model addresses in every layout:
 * `model:<name>@<alias>[/<path>]` or `model:<name>/<version>[/<path>]` read the registered
 * artifact at its exact commit (the bucket must be the model's repository).
 */
export async function locateForRead(exchange: S3Exchange, deps: GatewayDeps, { repository, key }: { repository: RepositoryRecord; key: string }): Promise<Located> {
  if (!key.startsWith('model:')) return locate(repository, key);
  try {
    const { object } = await deps.core.models.resolve(exchange.ctx, key);
    if (object.repository !== repository.name) throw s3Error.noSuchKey();
    return object;
  } catch (error) {
    if (isStrataError(error) && (error.code === 'NotFound' || error.code === 'InvalidArgument')) throw s3Error.noSuchKey();
    throw error;
  }
}

/** Like `locate`, for writes: the ref must be a branch (checked by the core). */
export function locateForWrite(repository: RepositoryRecord, key: string): Located {
  if (repository.s3Layout === 'plain') return locate(repository, key);
  const slash = key.indexOf('/');
  if (slash <= 0 || slash === key.length - 1) {
    throw s3Error.invalidArgument(`Keys in bucket '${repository.name}' are '<branch>/<path>'; '${key}' names no path.`);
  }
  return locate(repository, key);
}

export interface KeyListing {
  objects: (ObjectInfo & { key: string })[];
  commonPrefixes: string[];
  truncated: boolean;
  /** The last key or common prefix returned, to continue after. */
  last?: string;
}

export interface KeyListOptions {
  repository: RepositoryRecord;
  prefix: string;
  delimiter?: string;
  after?: string;
  limit: number;
}

/** Lists S3 keys of a bucket in either layout. */
export async function listKeys(exchange: S3Exchange, deps: GatewayDeps, options: KeyListOptions): Promise<KeyListing> {
  const { repository } = options;
  if (repository.s3Layout === 'plain') return listRef(exchange, deps, { ...options, ref: repository.defaultBranch, keyPrefix: '' });
  const slash = options.prefix.indexOf('/');
  if (slash > 0) return listRef(exchange, deps, { ...options, ref: options.prefix.slice(0, slash), keyPrefix: options.prefix.slice(0, slash + 1) });
  return listAcrossRefs(exchange, deps, options);
}

/** With a prefix that does not name a ref yet: refs become common prefixes (or are listed in turn). */
async function listAcrossRefs(exchange: S3Exchange, deps: GatewayDeps, options: KeyListOptions): Promise<KeyListing> {
  const { repository } = options;
  const [branches, tags] = await Promise.all([
    deps.core.repositories.listBranches(exchange.ctx, repository.name),
    deps.core.repositories.listTags(exchange.ctx, repository.name),
  ]);
  const refs = [...branches, ...tags].map((r) => `${r.name}/`).filter((r) => r.startsWith(options.prefix)).sort(compareKeys);
  const out: KeyListing = { objects: [], commonPrefixes: [], truncated: false };
  for (const refPrefix of refs) {
    if (options.after !== undefined && compareKeys(refPrefix, options.after) <= 0 && !options.after.startsWith(refPrefix)) continue;
    if (options.delimiter === '/') {
      if (options.after !== undefined && options.after.startsWith(refPrefix)) continue;
      if (out.commonPrefixes.length === options.limit) return { ...out, truncated: true };
      out.commonPrefixes.push(refPrefix);
      out.last = refPrefix;
      continue;
    }
    const left = options.limit - out.objects.length - out.commonPrefixes.length;
    const page = await listRef(exchange, deps, { ...options, prefix: refPrefix, limit: left, ref: refPrefix.slice(0, -1), keyPrefix: refPrefix });
    out.objects.push(...page.objects);
    out.commonPrefixes.push(...page.commonPrefixes);
    if (page.last !== undefined) out.last = page.last;
    if (page.truncated || out.objects.length + out.commonPrefixes.length === options.limit) return { ...out, truncated: true };
  }
  return out;
}

/** Lists one ref; its keys are `keyPrefix` + path. */
async function listRef(exchange: S3Exchange, deps: GatewayDeps, options: KeyListOptions & { ref: string; keyPrefix: string }): Promise<KeyListing> {
  const where = { repository: options.repository.name, ref: options.ref, keyPrefix: options.keyPrefix };
  const strip = (key: string): string => key.slice(where.keyPrefix.length);
  const after = options.after === undefined ? undefined : options.after.startsWith(where.keyPrefix) ? strip(options.after) : compareKeys(options.after, where.keyPrefix) < 0 ? undefined : '\u{10FFFF}';
  let page;
  try {
    page = await deps.core.objects.list(exchange.ctx, {
      repository: where.repository,
      ref: where.ref,
      prefix: strip(options.prefix),
      delimiter: options.delimiter,
      after,
      limit: options.limit,
    });
  } catch (error) {
    // A prefix naming a ref that does not exist lists nothing, as an empty prefix does in S3.
    if (isStrataError(error) && error.code === 'NotFound' && where.keyPrefix !== '') return { objects: [], commonPrefixes: [], truncated: false };
    throw error;
  }
  const objects = page.objects.map((o) => ({ ...o, key: where.keyPrefix + o.path }));
  const commonPrefixes = page.commonPrefixes.map((p) => where.keyPrefix + p);
  const lastObject = objects[objects.length - 1]?.key;
  const lastPrefix = commonPrefixes[commonPrefixes.length - 1];
  const last = lastObject === undefined ? lastPrefix : lastPrefix === undefined ? lastObject : compareKeys(lastObject, lastPrefix) > 0 ? lastObject : lastPrefix;
  return { objects, commonPrefixes, truncated: page.truncated, last };
}
