import { invalidArgument, notFound } from '../errors.ts';
import type { LineageNodeInput } from '../ports/lineage-store.ts';
import type { ObjectService } from '../versioning/object-service.ts';
import type { VersioningDeps } from '../versioning/deps.ts';
import { requireRepository, resolveRef } from '../versioning/refs.ts';
import type { CallContext } from '../versioning/types.ts';
import { datasetKey, externalKey, objectKey, shortCommit } from './node-keys.ts';

/** Data named by an address, resolved to the exact version it is now (a model version when read by a run). */
export interface DataVersion extends LineageNodeInput {
  type: 'object' | 'dataset' | 'external' | 'model';
}

const STRATA_ADDRESS = /^([^@:/]+)(?:@([^:]+))?(?::(.*))?$/;
const URI = /^([a-z][a-z0-9+.-]*):\/\/([^/]*)\/?(.*)$/i;

export function objectVersion(input: { repository: string; path: string; entry: { sha256: string; size: number }; commit?: string }): DataVersion {
  const { repository, path, entry, commit } = input;
  const data: Record<string, unknown> = { repository, path, sha256: entry.sha256, size: entry.size };
  if (commit !== undefined) data.commit = commit;
  return { key: objectKey(repository, path, entry.sha256), type: 'object', label: `${repository}:${path}`, data };
}

export function datasetVersion(repository: string, commit: string, prefix: string): DataVersion {
  return { key: datasetKey(repository, commit, prefix), type: 'dataset', label: `${repository}@${shortCommit(commit)}:${prefix}`, data: { repository, commit, prefix } };
}

export function externalVersion(namespace: string, name: string): DataVersion {
  return { key: externalKey(namespace, name), type: 'external', label: `${namespace}/${name}`, data: { namespace, name } };
}

/**
 * Resolves `repo@ref:path` (ref: branch, tag or commit; default branch when absent), `repo:path`,
 * `repo@ref` or a URI. A path ending in '/' (or empty) is a dataset version; a file is an object
 * version; a path that is no file but a folder is the folder. `s3://bucket/key` is Strata's when
 * the bucket is one of its repositories (read through the repository's S3 layout); other URIs
 * are external datasets named the OpenLineage way (namespace `scheme://authority`, name the rest).
 */
/** What resolving an address needs: the stores, the object service and the caller. */
export interface AddressScope {
  deps: VersioningDeps;
  objects: ObjectService;
  ctx: CallContext;
}

export async function resolveDataAddress(scope: AddressScope, address: string): Promise<DataVersion> {
  const { deps } = scope;
  const uri = URI.exec(address);
  if (uri) {
    const [, scheme = '', authority = '', rest = ''] = uri;
    if (scheme.toLowerCase() === 's3' && (await deps.metadata.getRepository(authority))) return resolveS3Key(scope, { bucket: authority, key: rest });
    return externalVersion(`${scheme.toLowerCase()}://${authority}`, rest);
  }
  const match = STRATA_ADDRESS.exec(address);
  if (!match) throw invalidArgument(`cannot read '${address}': expected repo@ref:path or a URI`);
  const [, repository = '', ref, path = ''] = match;
  return resolveStrata(scope, { repository, ref, path });
}

async function resolveS3Key(scope: AddressScope, { bucket, key }: { bucket: string; key: string }): Promise<DataVersion> {
  const repository = await requireRepository(scope.deps, bucket);
  if (repository.s3Layout === 'plain') return resolveStrata(scope, { repository: bucket, path: key });
  const slash = key.indexOf('/');
  const ref = slash < 0 ? key : key.slice(0, slash);
  if (ref === '') throw invalidArgument(`s3://${bucket}/${key} names no ref (the bucket uses the <ref>/<path> layout)`);
  return resolveStrata(scope, { repository: bucket, ref, path: slash < 0 ? '' : key.slice(slash + 1) });
}

export async function resolveStrata(scope: AddressScope, input: { repository: string; ref?: string; path: string }): Promise<DataVersion> {
  const { deps, objects, ctx } = scope;
  const repository = await requireRepository(deps, input.repository);
  const resolved = await resolveRef(deps, input.repository, input.ref ?? repository.defaultBranch);
  const commit = resolved.commit.id;
  if (input.path === '' || input.path.endsWith('/')) return datasetVersion(input.repository, commit, input.path);
  try {
    const info = await objects.stat(ctx, { repository: input.repository, ref: commit, path: input.path });
    return objectVersion({ repository: input.repository, path: input.path, entry: info, commit });
  } catch (error) {
    if ((error as { code?: string }).code !== 'NotFound') throw error;
  }
  const folder = `${input.path}/`;
  const page = await objects.list(ctx, { repository: input.repository, ref: commit, prefix: folder, limit: 1 });
  if (page.objects.length === 0) throw notFound(`nothing at ${input.repository}@${shortCommit(commit)}:${input.path}`);
  return datasetVersion(input.repository, commit, folder);
}
