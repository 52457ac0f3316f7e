import { StrataError } from '../errors.ts';
import { ANONYMOUS, type AccessRequest, type Authorizer } from '../ports/authorizer.ts';
import type { IdentityStore } from '../ports/identity-store.ts';
import { isAction } from './actions.ts';
import type { DatasetLabels } from './dataset-labels.ts';
import { BUILT_IN_POLICIES, decide, decider, NO_STATEMENT, resourceOf, usesLabels, type Decision, type PolicyDocument } from './policy.ts';

/**
 * The group every principal belongs to without being added: policies attached to it apply to
 * all (`deny reading pii data except to privacy`). Its deny statements bind anonymous readers of
 * a public-read repository too.
 */
export const EVERYONE = 'everyone';

/** What anyone may do, unauthenticated, in a repository marked public-read. */
const PUBLIC_READ = new Set(['repository:read', 'branch:read', 'branch:list', 'tag:list', 'commit:read', 'object:read', 'object:list']);

/**
 * Strata's own background work (the search indexer reading dataset cards) acts as `strata:<part>`,
 * an id no credential can carry (principal ids have no ':'); it may read, nothing else.
 */
const SYSTEM_READS = new Set(['object:read', 'object:list', 'repository:read', 'branch:read', 'commit:read']);

/** What a repository grants by itself, besides policies. */
export interface RepositoryAccess {
  owner: string;
  publicRead: boolean;
  authenticatedRead: boolean;
}

/** The resource kinds a repository's owner acts on in it without a policy saying so. */
/** What ownership never grants: branch protection and retention (shortening it destroys history) stay with policies. */
const OWNER_NEVER = new Set(['repository:protect', 'repository:retention']);
const OWNER_KINDS = new Set(['repository', 'branch', 'tag', 'commit', 'object', 'dataset']);

/** How long a process trusts its cached grants before asking the store whether any changed. */
const VERSION_TTL_MS = 1_000;

interface Grants {
  policies: ReadonlyArray<[string, PolicyDocument]>;
  /** The principal, its groups and `everyone`. */
  members: ReadonlySet<string>;
  labelled: boolean;
}

/**
 * Decides every request from the policies attached to the principal and its groups (built-in
 * roles or stored policies). Grants are cached per principal; the cache is dropped when the
 * identity store's version moves, which another process's change shows within `VERSION_TTL_MS`
 * and this process's own at once (`invalidate`).
 */
export class PolicyAuthorizer implements Authorizer {
  private readonly grants = new Map<string, Promise<Grants | undefined>>();
  private version: { value: number; checkedAt: number } | undefined;

  constructor(
    private readonly deps: { identity: IdentityStore; labels: DatasetLabels; repositoryAccess(repository: string): Promise<RepositoryAccess | undefined>; now(): number },
  ) {}

  async authorize(request: AccessRequest): Promise<void> {
    const decision = await this.explain(request);
    if (!decision.allowed) {
      const what = resourceOf(request);
      throw new StrataError('Forbidden', `${request.actor.id} may not ${request.action}${what === '' ? '' : ` on ${what}`}`, { details: { action: request.action, reason: decision.reason } });
    }
  }

  async permits(request: AccessRequest): Promise<boolean> {
    return (await this.explain(request)).allowed;
  }

  /** One grants lookup and one label read for all the paths; each decision made as `explain` would. */
  async permitsEach(request: AccessRequest, paths: readonly string[]): Promise<boolean[]> {
    const principal = request.actor.id;
    const grants = principal === ANONYMOUS || principal.startsWith('strata:') || !isAction(request.action) ? undefined : await this.grantsOf(principal);
    if (grants === undefined || request.repository === undefined) return Promise.all(paths.map((path) => this.permits({ ...request, path })));
    const labelsOf = grants.labelled ? await this.deps.labels.matcher(request.repository) : () => [];
    const scope = request.actor.scope;
    const all = decider(grants.policies, request.action);
    const scoped = scope === undefined ? undefined : decider(grants.policies.filter(([name]) => scope.includes(name)), request.action);
    const decided = paths.map((path) => {
      const target = { principal, members: grants.members, resource: resourceOf({ ...request, path }), labels: labelsOf(path) };
      const decision = all(target);
      return decision.allowed ? scoped === undefined || scoped(target).allowed : decision.reason === NO_STATEMENT ? undefined : false;
    });
    // Entries no statement decided fall to the repository's own grants (ownership, authenticated-read).
    if (!decided.includes(undefined)) return decided as boolean[];
    const fallback = scope === undefined ? (await this.repositoryGrant(principal, request)).allowed : false;
    return decided.map((d) => d ?? fallback);
  }

  /** The decision and the statement that made it (`strata access check`). */
  async explain(request: AccessRequest): Promise<Decision> {
    if (!isAction(request.action)) throw new StrataError('Internal', `the action '${request.action}' is not in the closed list of actions`);
    const principal = request.actor.id;
    if (principal === ANONYMOUS) return this.explainAnonymous(request);
    if (principal.startsWith('strata:')) return SYSTEM_READS.has(request.action) ? { allowed: true, reason: `${principal} is Strata's own reader` } : { allowed: false, reason: `${principal} may only read` };
    const grants = await this.grantsOf(principal);
    if (grants === undefined) return { allowed: false, reason: `no enabled principal '${principal}'` };
    const target = { principal, members: grants.members, action: request.action, resource: resourceOf(request), labels: await this.labelsFor(grants, request) };
    const decision = decide(grants.policies, target);
    const scope = request.actor.scope;
    // What no statement decides, the repository's own grants may: its owner, or authenticated-read.
    // A scoped token acts within its roles only, so it takes no such grant.
    if (!decision.allowed && decision.reason === NO_STATEMENT && scope === undefined) {
      const grant = await this.repositoryGrant(principal, request);
      if (grant.allowed) return grant;
    }
    if (!decision.allowed || scope === undefined) return decision;
    // `decision` saw every deny attached (`everyone`'s label rules too); the scope only narrows the allows.
    const scoped = decide(grants.policies.filter(([name]) => scope.includes(name)), target);
    return scoped.allowed ? scoped : { allowed: false, reason: `outside the token's roles (${scope.join(', ')})` };
  }

  /**
   * S3's model under the policies: a repository's creator owns it and may do in it what its
   * owner may (`OWNER_KINDS`, never `repository:protect` nor `repository:retention`); an authenticated-read repository may be
   * read by every signed-in principal. Only asked where no statement decided; a deny still wins.
   */
  private async repositoryGrant(principal: string, request: AccessRequest): Promise<Decision> {
    const none = { allowed: false, reason: NO_STATEMENT };
    if (request.repository === undefined) return none;
    const access = await this.deps.repositoryAccess(request.repository);
    if (access === undefined) return none;
    const kind = request.action.slice(0, request.action.indexOf(':'));
    if (access.owner === principal && OWNER_KINDS.has(kind) && !OWNER_NEVER.has(request.action)) return { allowed: true, reason: `${principal} owns repository ${request.repository}` };
    if (access.authenticatedRead && PUBLIC_READ.has(request.action)) return { allowed: true, reason: `repository ${request.repository} is authenticated-read` };
    return none;
  }

  private async explainAnonymous(request: AccessRequest): Promise<Decision> {
    const open = request.repository !== undefined && PUBLIC_READ.has(request.action) && ((await this.deps.repositoryAccess(request.repository))?.publicRead ?? false);
    if (!open) return { allowed: false, reason: 'not authenticated' };
    const everyone = await this.grantsOf(EVERYONE);
    if (everyone !== undefined) {
      const target = { principal: ANONYMOUS, members: everyone.members, action: request.action, resource: resourceOf(request), labels: await this.labelsFor(everyone, request) };
      const denied = decide(everyone.policies.map(([name, document]) => [name, { statements: document.statements.filter((s) => s.effect === 'deny') }] as [string, PolicyDocument]), target);
      if (denied.reason !== NO_STATEMENT) return denied;
    }
    return { allowed: true, reason: `repository ${request.repository ?? ''} is public-read` };
  }

  private async labelsFor(grants: Grants, request: AccessRequest): Promise<string[]> {
    if (!grants.labelled || request.repository === undefined || request.path === undefined) return [];
    return this.deps.labels.of(request.repository, request.path);
  }

  /** Drops cached grants: this process changed a policy, an attachment or a membership. */
  invalidate(): void {
    this.grants.clear();
    this.version = undefined;
  }

  /** Drops cached dataset labels: this process created or relabelled a dataset. */
  invalidateLabels(): void {
    this.deps.labels.invalidate();
  }

  private async grantsOf(principal: string): Promise<Grants | undefined> {
    await this.checkVersion();
    let found = this.grants.get(principal);
    if (found === undefined) {
      found = this.load(principal);
      if (this.grants.size > 10_000) this.grants.clear();
      this.grants.set(principal, found);
      found.catch(() => this.grants.delete(principal));
    }
    return found;
  }

  private async load(principal: string): Promise<Grants | undefined> {
    let members: string[];
    if (principal === EVERYONE) {
      members = [EVERYONE];
    } else {
      const record = await this.deps.identity.getPrincipal(principal);
      if (record === undefined || record.disabledAt !== undefined || record.kind === 'group') return undefined;
      members = [principal, ...(await this.deps.identity.groupsOf(principal)), EVERYONE];
    }
    const names = new Set((await this.deps.identity.attachedTo(members)).map((a) => a.policy));
    const policies: Array<[string, PolicyDocument]> = [];
    for (const name of [...names].sort()) {
      const document = BUILT_IN_POLICIES[name] ?? (await this.deps.identity.getPolicy(name))?.document;
      if (document !== undefined) policies.push([name, document]);
    }
    return { policies, members: new Set(members), labelled: usesLabels(policies) };
  }

  private async checkVersion(): Promise<void> {
    const now = this.deps.now();
    if (this.version !== undefined && now - this.version.checkedAt < VERSION_TTL_MS) return;
    const value = await this.deps.identity.version();
    if (this.version !== undefined && this.version.value !== value) this.grants.clear();
    this.version = { value, checkedAt: now };
  }
}
