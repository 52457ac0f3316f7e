import { compareKeys } from '../keys.ts';
import { sameEntry, type Entry } from '../objects/entry.ts';
import type { CommitRecord } from '../ports/metadata-store.ts';
import type { VersioningDeps } from './deps.ts';
import { requireBranch, requireCommit } from './refs.ts';
import { diffTrees } from './tree/tree-diff.ts';
import { getTreeEntry } from './tree/tree-reader.ts';

/** The version id of a branch's staged (uncommitted) entry, as S3 names unversioned objects. */
export const STAGED_VERSION_ID = 'null';
/** How far back along the first-parent chain versions are collected. */
export const MAX_VERSION_COMMITS = 1000;

/** One version of a key: a distinct content along a branch's history, or its deletion. */
export interface ObjectVersion {
  path: string;
  /** The commit that wrote it, or `null` for the branch's staged entry. */
  versionId: string;
  isLatest: boolean;
  lastModified: string;
  /** Absent for a delete marker. */
  entry?: Entry;
}

export interface VersionListing {
  versions: ObjectVersion[];
  truncated: boolean;
  nextKeyMarker?: string;
  nextVersionIdMarker?: string;
}

export interface VersionListOptions {
  repository: string;
  branch: string;
  prefix?: string;
  keyMarker?: string;
  versionIdMarker?: string;
  limit: number;
}

/**
 * Versions of the keys under a prefix, newest first per key: the staged entry, then each commit
 * on the branch's first-parent chain that changed the key (up to MAX_VERSION_COMMITS commits).
 * The whole candidate set is gathered before paging, so cost grows with history under the prefix.
 */
export async function listVersions(deps: VersioningDeps, options: VersionListOptions): Promise<VersionListing> {
  const prefix = options.prefix ?? '';
  const branch = await requireBranch(deps, options.repository, options.branch);
  const byKey = new Map<string, ObjectVersion[]>();
  const add = (version: Omit<ObjectVersion, 'isLatest'>): void => {
    const list = byKey.get(version.path) ?? [];
    list.push({ ...version, isLatest: list.length === 0 });
    byKey.set(version.path, list);
  };
  const head = await requireCommit(deps, options.repository, branch.head);
  for (const row of await deps.metadata.listStaged(options.repository, options.branch, { prefix, limit: 100_000 })) {
    const committed = await getTreeEntry(deps.nodes, head.treeId, row.path);
    const unchanged = row.entry === null ? committed === undefined : committed !== undefined && sameEntry(committed, row.entry);
    if (unchanged) continue;
    const version: Omit<ObjectVersion, 'isLatest'> = { path: row.path, versionId: STAGED_VERSION_ID, lastModified: row.entry?.mtime ?? new Date().toISOString() };
    if (row.entry) version.entry = row.entry;
    add(version);
  }
  // History before an expired commit was garbage-collected: the walk ends at the last kept one.
  const expired = await deps.metadata.gc.expiredCommits(options.repository);
  let commit: CommitRecord | undefined = head;
  for (let walked = 0; commit && walked < MAX_VERSION_COMMITS; walked++) {
    const parentId: string | undefined = commit.parents[0];
    const parent: CommitRecord | undefined = parentId === undefined || expired.has(parentId) ? undefined : await requireCommit(deps, options.repository, parentId);
    // The oldest commit walked shows its whole tree, so every key has at least one version.
    const left = parent === undefined || walked === MAX_VERSION_COMMITS - 1 ? null : parent.treeId;
    for await (const change of diffTrees(deps.nodes, { left, right: commit.treeId, prefix })) {
      const version: Omit<ObjectVersion, 'isLatest'> = { path: change.path, versionId: commit.id, lastModified: change.right?.mtime ?? commit.createdAt };
      if (change.right) version.entry = change.right;
      add(version);
    }
    commit = parent;
  }
  return page(byKey, options);
}

function page(byKey: Map<string, ObjectVersion[]>, options: VersionListOptions): VersionListing {
  const keys = [...byKey.keys()].sort(compareKeys);
  const out: ObjectVersion[] = [];
  for (const key of keys) {
    if (options.keyMarker !== undefined && compareKeys(key, options.keyMarker) < 0) continue;
    let versions = byKey.get(key) ?? [];
    if (options.keyMarker !== undefined && key === options.keyMarker) {
      const at = options.versionIdMarker ? versions.findIndex((v) => v.versionId === options.versionIdMarker) : versions.length - 1;
      versions = versions.slice(at + 1);
    }
    for (const version of versions) {
      if (out.length === options.limit) {
        const last = out[out.length - 1] as ObjectVersion;
        return { versions: out, truncated: true, nextKeyMarker: last.path, nextVersionIdMarker: last.versionId };
      }
      out.push(version);
    }
  }
  return { versions: out, truncated: false };
}
