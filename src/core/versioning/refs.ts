import { invalidArgument, notFound, StrataError } from '../errors.ts';
import { assertRefName, assertRepositoryName, COMMIT_ID, isCommitIdPrefix } from '../names.ts';
import type { BranchRecord, CommitRecord, RepositoryRecord } from '../ports/metadata-store.ts';
import type { VersioningDeps } from './deps.ts';
import type { ResolvedRef } from './types.ts';

export async function requireRepository(deps: VersioningDeps, name: string): Promise<RepositoryRecord> {
  assertRepositoryName(name);
  const repository = await deps.metadata.getRepository(name);
  if (!repository) throw notFound(`repository '${name}' not found`);
  return repository;
}

export async function requireBranch(deps: VersioningDeps, repository: string, name: string): Promise<BranchRecord> {
  assertRefName('branch', name);
  const branch = await deps.metadata.getBranch(repository, name);
  if (!branch) {
    await requireRepository(deps, repository);
    throw notFound(`branch '${name}' not found in repository '${repository}'`);
  }
  return branch;
}

export async function requireCommit(deps: VersioningDeps, repository: string, id: string): Promise<CommitRecord> {
  const commit = await deps.metadata.getCommit(repository, id);
  if (!commit) throw notFound(`commit ${id} not found in repository '${repository}'`);
  return commit;
}

/**
 * Resolves a ref: a branch name, else a tag name, else a full commit id, else a unique commit-id
 * prefix of at least 4 hex digits. Branch reads see staged changes; the others are immutable.
 */
export async function resolveRef(deps: VersioningDeps, repository: string, ref: string): Promise<ResolvedRef> {
  if (ref.length === 0) throw invalidArgument('ref is empty');
  const branch = await deps.metadata.getBranch(repository, ref);
  if (branch) return { kind: 'branch', name: ref, commit: await requireCommit(deps, repository, branch.head) };
  const tag = await deps.metadata.getTag(repository, ref);
  if (tag) return { kind: 'tag', name: ref, commit: await requireCommit(deps, repository, tag.commitId) };
  if (COMMIT_ID.test(ref)) {
    const commit = await deps.metadata.getCommit(repository, ref);
    if (commit) return { kind: 'commit', name: ref, commit: await unexpired(deps, repository, commit) };
  }
  if (isCommitIdPrefix(ref)) {
    const ids = await deps.metadata.findCommitIds(repository, ref, 2);
    if (ids.length > 1) throw invalidArgument(`commit id prefix '${ref}' is ambiguous`);
    const id = ids[0];
    if (id !== undefined) return { kind: 'commit', name: id, commit: await unexpired(deps, repository, await requireCommit(deps, repository, id)) };
  }
  await requireRepository(deps, repository);
  throw notFound(`ref '${ref}' not found in repository '${repository}'`);
}

/**
 * A commit read by id: Gone when garbage collection gave up its tree (the log still shows it).
 * Branch heads and tagged commits never expire, so only reads by id ask.
 */
async function unexpired(deps: VersioningDeps, repository: string, commit: CommitRecord): Promise<CommitRecord> {
  const expiry = await deps.metadata.gc.commitExpiry(repository, commit.id);
  if (expiry === undefined) return commit;
  throw new StrataError('Gone', `commit ${commit.id.slice(0, 12)} of '${repository}' has expired under the rule '${expiry.rule}' (${expiry.expiredAt}); its objects were garbage-collected`, {
    details: { reason: 'expired-commit', commit: commit.id, rule: expiry.rule, expiredAt: expiry.expiredAt },
  });
}
