import { globMatches } from '../access/policy.ts';
import { isStrataError } from '../errors.ts';
import type { RepositoryRecord } from '../ports/metadata-store.ts';
import { ruleFor as protectionRuleFor } from '../protection/protection-rules.ts';
import type { CommitService } from '../versioning/commit-service.ts';
import type { ObjectService } from '../versioning/object-service.ts';
import type { RepositoryService } from '../versioning/repository-service.ts';
import type { CallContext } from '../versioning/types.ts';

/** The services lifecycle and stale-branch rules act through, as the principal running them. */
export interface RefRuleActions {
  objects: ObjectService;
  commits: CommitService;
  repositories: RepositoryService;
}

/** What one rule did (or, in a dry run, would do) on one branch. */
export interface RefRuleOutcome {
  kind: 'lifecycle' | 'stale-branch';
  repository: string;
  branch: string;
  /** The rule as written, e.g. `lifecycle logs/ 30d` or `stale-branch exp-* 14d`. */
  rule: string;
  /** Lifecycle: objects deleted by the commit. */
  objects?: number;
  commit?: string;
  /** Why the rule could not act (a protected branch, a refusal); the run goes on. */
  error?: string;
}

const DAY_MS = 24 * 60 * 60 * 1000;
/** Deletions per lifecycle commit; a rule with more expires them over several runs. */
const LIFECYCLE_BATCH = 10_000;

/**
 * Applies the repositories' lifecycle rules (objects under a prefix older than N days deleted by
 * a commit, a normal commit in the log) and stale-branch rules (branches without a commit for N
 * days deleted; never the default branch nor a protected one). Through the services, so the
 * principal running them needs the rights and protected branches refuse as they would anyone.
 */
export async function applyRefRules(actions: RefRuleActions, ctx: CallContext, input: { repositories: RepositoryRecord[]; now: Date; dryRun: boolean }): Promise<RefRuleOutcome[]> {
  const outcomes: RefRuleOutcome[] = [];
  for (const repository of input.repositories) {
    const rules = repository.retention;
    if (!rules || (rules.lifecycle.length === 0 && rules.staleBranches.length === 0)) continue;
    const branches = await actions.repositories.listBranches(ctx, repository.name);
    for (const rule of rules.lifecycle) {
      for (const branch of branches.filter((b) => rule.branches.some((p) => globMatches(p, b.name)))) {
        outcomes.push(await expirePrefix(actions, ctx, { repository: repository.name, branch: branch.name, prefix: rule.prefix, days: rule.days, now: input.now, dryRun: input.dryRun }));
      }
    }
    for (const rule of rules.staleBranches) {
      for (const branch of branches) {
        if (branch.name === repository.defaultBranch || !globMatches(rule.pattern, branch.name)) continue;
        if (protectionRuleFor(repository.protection, branch.name) !== undefined) continue;
        const head = await actions.commits.show(ctx, { repository: repository.name, ref: branch.head });
        if (input.now.getTime() - Date.parse(head.createdAt) < rule.days * DAY_MS) continue;
        outcomes.push(await deleteStale(actions, ctx, { repository: repository.name, branch: branch.name, rule: `stale-branch ${rule.pattern} ${rule.days}d`, dryRun: input.dryRun }));
      }
    }
  }
  return outcomes;
}

async function expirePrefix(
  actions: RefRuleActions,
  ctx: CallContext,
  input: { repository: string; branch: string; prefix: string; days: number; now: Date; dryRun: boolean },
): Promise<RefRuleOutcome> {
  const rule = `lifecycle ${input.prefix === '' ? '(all)' : input.prefix} ${input.days}d`;
  const outcome: RefRuleOutcome = { kind: 'lifecycle', repository: input.repository, branch: input.branch, rule, objects: 0 };
  const before = input.now.getTime() - input.days * DAY_MS;
  const expired: string[] = [];
  try {
    let after: string | undefined;
    do {
      const page = await actions.objects.list(ctx, { repository: input.repository, ref: input.branch, prefix: input.prefix, after, limit: 1000 });
      for (const object of page.objects) if (Date.parse(object.mtime) < before) expired.push(object.path);
      after = page.truncated ? page.nextAfter : undefined;
    } while (after !== undefined && expired.length < LIFECYCLE_BATCH);
    const batch = expired.slice(0, LIFECYCLE_BATCH);
    outcome.objects = batch.length;
    if (input.dryRun || batch.length === 0) return outcome;
    for (const path of batch) await actions.objects.delete(ctx, { repository: input.repository, branch: input.branch, path, ifExists: true });
    const commit = await actions.commits.commit(ctx, {
      repository: input.repository,
      branch: input.branch,
      message: `${rule}: ${batch.length} object(s) older than ${input.days} days deleted`,
      metadata: { 'strata.lifecycle': rule },
      only: batch,
    });
    outcome.commit = commit.id;
  } catch (error) {
    outcome.error = isStrataError(error) ? error.message : String(error);
  }
  return outcome;
}

async function deleteStale(actions: RefRuleActions, ctx: CallContext, input: { repository: string; branch: string; rule: string; dryRun: boolean }): Promise<RefRuleOutcome> {
  const outcome: RefRuleOutcome = { kind: 'stale-branch', repository: input.repository, branch: input.branch, rule: input.rule };
  if (input.dryRun) return outcome;
  try {
    await actions.repositories.deleteBranch(ctx, { repository: input.repository, name: input.branch });
  } catch (error) {
    outcome.error = isStrataError(error) ? error.message : String(error);
  }
  return outcome;
}
