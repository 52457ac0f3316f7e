import { parseRetentionRules } from '../gc/retention.ts';
import { conflict, invalidArgument, notFound, StrataError } from '../errors.ts';
import { parseProtection } from '../protection/protection-rules.ts';
import { assertRefName, assertRepositoryName } from '../names.ts';
import { S3_LAYOUTS, type BranchRecord, type RepositoryRecord, type RepositorySettings, type S3Layout, type TagRecord } from '../ports/metadata-store.ts';
import { commitId } from './commit-id.ts';
import { authorize, permitted, type VersioningDeps } from './deps.ts';
import { requireBranch, requireRepository, resolveRef } from './refs.ts';
import { validateCorsRules, type CorsRule } from './cors.ts';
import type { CallContext } from './types.ts';

export type RepositoryInfo = RepositoryRecord;
export type BranchInfo = Omit<BranchRecord, 'repository'>;
export type TagInfo = Omit<TagRecord, 'repository'>;

export const DEFAULT_BRANCH = 'main';

/** Repositories, branches and tags: the namespace around commits. */
export class RepositoryService {
  constructor(private readonly deps: VersioningDeps) {}

  /** Creates a repository whose default branch points at an empty root commit. */
  async create(ctx: CallContext, input: { name: string; defaultBranch?: string; s3Layout?: S3Layout }): Promise<RepositoryInfo> {
    assertRepositoryName(input.name);
    const defaultBranch = input.defaultBranch ?? DEFAULT_BRANCH;
    assertRefName('branch', defaultBranch);
    await authorize(this.deps, ctx, { action: 'repository:create', repository: input.name });
    const createdAt = this.deps.clock.now().toISOString();
    const content = { treeId: null, parents: [], author: ctx.actor.id, message: 'Repository created', createdAt, metadata: {} };
    const root = { ...content, id: commitId(content), repository: input.name, generation: 0 };
    const record: RepositoryRecord = { name: input.name, defaultBranch, createdAt, createdBy: ctx.actor.id, s3Layout: input.s3Layout ?? 'ref', publicRead: false, auditReads: false };
    await this.deps.metadata.createRepository(record, root);
    return record;
  }

  async get(ctx: CallContext, name: string): Promise<RepositoryInfo> {
    await authorize(this.deps, ctx, { action: 'repository:read', repository: name });
    return requireRepository(this.deps, name);
  }

  /** Changes how the S3 gateway lays out keys, whether anonymous S3 reads are allowed, and the CORS rules. */
  async update(ctx: CallContext, name: string, settings: RepositorySettings): Promise<RepositoryInfo> {
    if (settings.s3Layout !== undefined && !S3_LAYOUTS.includes(settings.s3Layout)) {
      throw invalidArgument(`invalid S3 layout '${settings.s3Layout}': use ${S3_LAYOUTS.join(' or ')}`);
    }
    if (settings.cors !== undefined && settings.cors !== null) validateCorsRules(settings.cors);
    const protection = settings.protection === undefined || settings.protection === null ? settings.protection : parseProtection(settings.protection);
    const retention = settings.retention === undefined || settings.retention === null ? settings.retention : parseRetentionRules(settings.retention);
    await requireRepository(this.deps, name);
    const { protection: _protection, retention: _retention, ...others } = settings;
    if (Object.keys(others).length > 0 || (protection === undefined && retention === undefined)) await authorize(this.deps, ctx, { action: 'repository:update', repository: name });
    // Protecting a branch, or lifting its protection, is its own right: a writer of the branch does not hold it.
    if (protection !== undefined) await authorize(this.deps, ctx, { action: 'repository:protect', repository: name });
    // So is deciding how long history stays: shortening it lets garbage collection destroy versions.
    if (retention !== undefined) await authorize(this.deps, ctx, { action: 'repository:retention', repository: name });
    await this.deps.metadata.updateRepository(name, { ...others, ...(protection === undefined ? {} : { protection }), ...(retention === undefined ? {} : { retention }) });
    return requireRepository(this.deps, name);
  }

  /**
   * The CORS rules, without a caller: a browser's preflight carries no credentials, and any
   * browser can learn the rules by sending one. Undefined when the repository has none.
   */
  /**
   * Who created (owns) a repository, without a caller: creating a bucket must tell "taken" from
   * "yours" (S3's BucketAlreadyExists and BucketAlreadyOwnedByYou), which names no more than that.
   */
  async ownerOf(name: string): Promise<string | undefined> {
    return (await this.deps.metadata.getRepository(name))?.createdBy;
  }

  async corsRules(name: string): Promise<CorsRule[] | undefined> {
    return (await requireRepository(this.deps, name)).cors;
  }

  async list(ctx: CallContext): Promise<RepositoryInfo[]> {
    await authorize(this.deps, ctx, { action: 'repository:list' });
    // Only the repositories the caller may read are named (as S3 ListBuckets shows only one's own).
    const all = await this.deps.metadata.listRepositories();
    const readable = await permitted(this.deps, ctx, { action: 'repository:read', repositories: all.map((r) => r.name) });
    return all.filter((r) => readable.has(r.name));
  }

  /** Deletes the repository's refs, commits and staging; blobs are left to garbage collection. */
  async delete(ctx: CallContext, name: string): Promise<void> {
    const repository = await requireRepository(this.deps, name);
    await authorize(this.deps, ctx, { action: 'repository:delete', repository: name });
    if ((repository.protection ?? []).length > 0) {
      throw new StrataError('Forbidden', `repository '${name}' has protected branches; lift its protection rules first (repository:protect)`, { details: { reason: 'protected-branch' } });
    }
    await this.deps.metadata.deleteRepository(name);
  }

  /** Creates a branch at any ref in O(1): a new row pointing at an existing commit. */
  async createBranch(ctx: CallContext, input: { repository: string; name: string; from?: string }): Promise<BranchInfo> {
    assertRefName('branch', input.name);
    const repository = await requireRepository(this.deps, input.repository);
    await authorize(this.deps, ctx, { action: 'branch:create', repository: input.repository });
    const source = await resolveRef(this.deps, input.repository, input.from ?? repository.defaultBranch);
    if (await this.deps.metadata.getTag(input.repository, input.name)) {
      throw conflict(`a tag named '${input.name}' exists; branch and tag names must differ`);
    }
    const record = { repository: input.repository, name: input.name, head: source.commit.id, createdAt: this.deps.clock.now().toISOString(), createdBy: ctx.actor.id };
    await this.deps.metadata.createBranch(record);
    return withoutRepository(record);
  }

  async getBranch(ctx: CallContext, input: { repository: string; name: string }): Promise<BranchInfo> {
    await authorize(this.deps, ctx, { action: 'branch:read', repository: input.repository });
    return withoutRepository(await requireBranch(this.deps, input.repository, input.name));
  }

  async listBranches(ctx: CallContext, repository: string): Promise<BranchInfo[]> {
    await requireRepository(this.deps, repository);
    await authorize(this.deps, ctx, { action: 'branch:list', repository });
    return (await this.deps.metadata.listBranches(repository)).map(withoutRepository);
  }

  /** Deletes a branch and its staged changes. The default branch cannot be deleted. */
  async deleteBranch(ctx: CallContext, input: { repository: string; name: string }): Promise<void> {
    const repository = await requireRepository(this.deps, input.repository);
    await requireBranch(this.deps, input.repository, input.name);
    if (repository.defaultBranch === input.name) {
      throw invalidArgument(`cannot delete '${input.name}': it is the default branch of '${input.repository}'`);
    }
    await authorize(this.deps, ctx, { action: 'branch:delete', repository: input.repository, ref: input.name });
    await this.deps.metadata.deleteBranch(input.repository, input.name);
  }

  /** Creates an immutable tag at any ref (a branch's head commit, never its staging). */
  async createTag(ctx: CallContext, input: { repository: string; name: string; ref: string }): Promise<TagInfo> {
    assertRefName('tag', input.name);
    await requireRepository(this.deps, input.repository);
    await authorize(this.deps, ctx, { action: 'tag:create', repository: input.repository });
    const target = await resolveRef(this.deps, input.repository, input.ref);
    if (await this.deps.metadata.getBranch(input.repository, input.name)) {
      throw conflict(`a branch named '${input.name}' exists; branch and tag names must differ`);
    }
    const record = { repository: input.repository, name: input.name, commitId: target.commit.id, createdAt: this.deps.clock.now().toISOString(), createdBy: ctx.actor.id };
    await this.deps.metadata.createTag(record);
    return withoutRepository(record);
  }

  async listTags(ctx: CallContext, repository: string): Promise<TagInfo[]> {
    await requireRepository(this.deps, repository);
    await authorize(this.deps, ctx, { action: 'tag:list', repository });
    return (await this.deps.metadata.listTags(repository)).map(withoutRepository);
  }

  async deleteTag(ctx: CallContext, input: { repository: string; name: string }): Promise<void> {
    assertRefName('tag', input.name);
    await requireRepository(this.deps, input.repository);
    await authorize(this.deps, ctx, { action: 'tag:delete', repository: input.repository });
    if (!(await this.deps.metadata.deleteTag(input.repository, input.name))) {
      throw notFound(`tag '${input.name}' not found in repository '${input.repository}'`);
    }
  }
}

function withoutRepository<T extends { repository: string }>(record: T): Omit<T, 'repository'> {
  const { repository: _repository, ...rest } = record;
  return rest;
}
