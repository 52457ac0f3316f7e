import { StrataError } from '../errors.ts';
import { ANONYMOUS, type AccessRequest, type Authorizer } from '../ports/authorizer.ts';
import type { IdentityStore } from '../ports/identity-store.ts';
import { isAction } from './actions.ts';
import { BUILT_IN_POLICIES, decide, resourceOf, type Decision, type PolicyDocument } from './policy.ts';

/** What anyone may do, unauthenticated, in a repository marked public-read. */
const PUBLIC_READ = new Set(['repository:read', 'branch:read', 'branch:list', 'tag:list', 'commit:read', 'object:read', 'object:list']);

/**
 * Strata's own background work (the search indexer reading dataset cards) acts as `strata:<part>`,
 * an id no credential can carry (principal ids have no ':'); it may read, nothing else.
 */
const SYSTEM_READS = new Set(['object:read', 'object:list', 'repository:read', 'branch:read', 'commit:read']);

/** How long a process trusts its cached grants before asking the store whether any changed. */
const VERSION_TTL_MS = 1_000;

type Grants = ReadonlyArray<[string, PolicyDocument]>;

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
    private readonly deps: { identity: IdentityStore; isPublicRead(repository: string): Promise<boolean>; now(): number },
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

  /** The decision and the statement that made it (`strata access check`). */
  async explain(request: AccessRequest): Promise<Decision> {
    if (!isAction(request.action)) throw new StrataError('Internal', `the action '${request.action}' is not in the closed list of actions`);
    const principal = request.actor.id;
    if (principal === ANONYMOUS) {
      const open = request.repository !== undefined && PUBLIC_READ.has(request.action) && (await this.deps.isPublicRead(request.repository));
      return open ? { allowed: true, reason: `repository ${request.repository ?? ''} is public-read` } : { allowed: false, reason: 'not authenticated' };
    }
    if (principal.startsWith('strata:')) return SYSTEM_READS.has(request.action) ? { allowed: true, reason: `${principal} is Strata's own reader` } : { allowed: false, reason: `${principal} may only read` };
    const grants = await this.grantsOf(principal);
    if (grants === undefined) return { allowed: false, reason: `no enabled principal '${principal}'` };
    const target = { principal, action: request.action, resource: resourceOf(request) };
    const decision = decide(grants, target);
    const scope = request.actor.scope;
    if (!decision.allowed || scope === undefined) return decision;
    const scoped = decide(grants.filter(([name]) => scope.includes(name)), target);
    return scoped.allowed ? scoped : { allowed: false, reason: `outside the token's roles (${scope.join(', ')})` };
  }

  /** Drops cached grants: this process changed a policy, an attachment or a membership. */
  invalidate(): void {
    this.grants.clear();
    this.version = undefined;
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
    const record = await this.deps.identity.getPrincipal(principal);
    if (record === undefined || record.disabledAt !== undefined || record.kind === 'group') return undefined;
    const names = new Set((await this.deps.identity.attachedTo([principal, ...(await this.deps.identity.groupsOf(principal))])).map((a) => a.policy));
    const grants: Array<[string, PolicyDocument]> = [];
    for (const name of [...names].sort()) {
      const document = BUILT_IN_POLICIES[name] ?? (await this.deps.identity.getPolicy(name))?.document;
      if (document !== undefined) grants.push([name, document]);
    }
    return grants;
  }

  private async checkVersion(): Promise<void> {
    const now = this.deps.now();
    if (this.version !== undefined && now - this.version.checkedAt < VERSION_TTL_MS) return;
    const value = await this.deps.identity.version();
    if (this.version !== undefined && this.version.value !== value) this.grants.clear();
    this.version = { value, checkedAt: now };
  }
}
