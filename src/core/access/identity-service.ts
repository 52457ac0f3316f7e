import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { invalidArgument, isStrataError, notFound, StrataError } from '../errors.ts';
import { ANONYMOUS, type Actor } from '../ports/authorizer.ts';
import type { Clock } from '../ports/clock.ts';
import type { IdentityStore, PolicyRecord, PrincipalKind, PrincipalRecord, TokenRecord } from '../ports/identity-store.ts';
import { authorize, type VersioningDeps } from '../versioning/deps.ts';
import type { CallContext } from '../versioning/types.ts';
import { BUILT_IN_POLICIES, parsePolicyDocument, type Decision, type PolicyDocument } from './policy.ts';
import { EVERYONE, type PolicyAuthorizer } from './policy-authorizer.ts';

/** Principal ids: what shows in the audit log and in `${principal}` of policies. */
const PRINCIPAL_ID = /^[a-z0-9][a-z0-9._@+-]{0,127}$/i;
const POLICY_NAME = /^[a-z0-9][a-z0-9._-]{0,127}$/i;
const TOKEN = /^st_([a-z0-9]{16})_([A-Za-z0-9_-]{43})$/;
const BOOTSTRAP_KEY = 'bootstrap-admin';
const MAX_TOKEN_DAYS = 3650;

/** A token as listed: never its secret. */
export type TokenInfo = Omit<TokenRecord, 'secretHash'>;
/** A new token: the only time its secret is shown. */
export type NewToken = TokenInfo & { token: string };

export interface PrincipalInfo extends PrincipalRecord {
  groups: string[];
  policies: string[];
  /** For a group: its members. */
  members?: string[];
}

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

/**
 * Who may act: users, service accounts and groups, their API tokens, and the policies attached
 * to them. Every method is itself authorized (`principal:*`, `token:*`, `policy:*`), so managing
 * access takes access. The first principal, made by `bootstrap`, is an administrator.
 */
export class IdentityService {
  constructor(
    private readonly deps: Pick<VersioningDeps, 'authorizer' | 'clock'> & { identity: IdentityStore; policies: PolicyAuthorizer },
  ) {}

  private get store(): IdentityStore {
    return this.deps.identity;
  }

  private get clock(): Clock {
    return this.deps.clock;
  }

  /**
   * On a store without principals: creates `admin` as a user with the admin role and a token for
   * it, returned once. Otherwise: the administrator made then, and no token.
   */
  async bootstrap(admin: string): Promise<{ admin: string; token?: NewToken }> {
    assertPrincipalId(admin);
    const existing = await this.store.getSetting(BOOTSTRAP_KEY);
    if (existing !== undefined || (await this.store.countPrincipals()) > 0) return { admin: existing ?? admin };
    const at = this.clock.now().toISOString();
    try {
      await this.store.createPrincipal({ id: admin, kind: 'user', createdAt: at, createdBy: 'bootstrap' });
    } catch (error) {
      // Another process bootstrapped at the same moment: its administrator stands.
      if (isStrataError(error) && error.code === 'Conflict') return { admin: (await this.store.getSetting(BOOTSTRAP_KEY)) ?? admin };
      throw error;
    }
    await this.store.attach('admin', admin);
    const chosen = await this.store.setSettingOnce(BOOTSTRAP_KEY, admin);
    this.deps.policies.invalidate();
    return { admin: chosen, token: await this.issue({ principal: admin, name: 'bootstrap' }) };
  }

  /** The administrator `bootstrap` made, if any. */
  async bootstrapAdmin(): Promise<string | undefined> {
    return this.store.getSetting(BOOTSTRAP_KEY);
  }

  /** The actor a token stands for, or undefined when it is malformed, unknown, revoked, expired or its principal disabled. */
  async authenticate(token: string): Promise<Actor | undefined> {
    const match = TOKEN.exec(token);
    if (!match) return undefined;
    const [, id = '', secret = ''] = match;
    const record = await this.store.getToken(id);
    if (record === undefined || record.revokedAt !== undefined) return undefined;
    if (record.expiresAt !== undefined && Date.parse(record.expiresAt) <= this.clock.now().getTime()) return undefined;
    const sent = Buffer.from(sha256(secret), 'hex');
    const kept = Buffer.from(record.secretHash, 'hex');
    if (sent.length !== kept.length || !timingSafeEqual(sent, kept)) return undefined;
    const principal = await this.store.getPrincipal(record.principal);
    if (principal === undefined || principal.disabledAt !== undefined) return undefined;
    return { id: record.principal, ...(record.roles === undefined ? {} : { scope: record.roles }) };
  }

  /**
   * Refuses a request that carried no valid credential, through the authorizer, so the refusal
   * is an audit entry under `anonymous` (whatever identity the request claimed). Always throws.
   */
  async refuseUnauthenticated(ctx: CallContext, request: { resource: string; reason: string }): Promise<never> {
    await authorize(this.deps, { ...ctx, actor: { id: ANONYMOUS } }, { action: 'api:call', resource: request.resource }).catch(() => undefined);
    throw new StrataError('Unauthorized', request.reason);
  }

  async whoami(ctx: CallContext): Promise<PrincipalInfo & { scope?: string[] }> {
    const info = await this.describe(ctx.actor.id);
    return { ...info, ...(ctx.actor.scope === undefined ? {} : { scope: ctx.actor.scope }) };
  }

  async createPrincipal(ctx: CallContext, input: { id: string; kind: PrincipalKind }): Promise<PrincipalInfo> {
    assertPrincipalId(input.id);
    if (!['user', 'service', 'group'].includes(input.kind)) throw invalidArgument(`a principal is a user, a service or a group, not '${input.kind as string}'`);
    await authorize(this.deps, ctx, { action: 'principal:create', resource: `principal:${input.id}` });
    await this.store.createPrincipal({ id: input.id, kind: input.kind, createdAt: this.clock.now().toISOString(), createdBy: ctx.actor.id });
    return this.describe(input.id);
  }

  async getPrincipal(ctx: CallContext, id: string): Promise<PrincipalInfo> {
    await authorize(this.deps, ctx, { action: 'principal:read', resource: `principal:${id}` });
    return this.describe(id);
  }

  async listPrincipals(ctx: CallContext): Promise<PrincipalRecord[]> {
    await authorize(this.deps, ctx, { action: 'principal:list', resource: 'principal:*' });
    return this.store.listPrincipals();
  }

  /** Disables a user or service: its tokens and keys stop working at once. */
  async disablePrincipal(ctx: CallContext, id: string): Promise<void> {
    await authorize(this.deps, ctx, { action: 'principal:update', resource: `principal:${id}` });
    if (id === ctx.actor.id) throw invalidArgument('a principal cannot disable itself');
    if (!(await this.store.disablePrincipal(id, this.clock.now().toISOString()))) throw notFound(`no enabled principal '${id}'`);
    this.deps.policies.invalidate();
  }

  async addMember(ctx: CallContext, input: { group: string; member: string }): Promise<PrincipalInfo> {
    await authorize(this.deps, ctx, { action: 'principal:update', resource: `principal:${input.group}` });
    const group = await this.requirePrincipal(input.group);
    if (group.kind !== 'group') throw invalidArgument(`'${input.group}' is a ${group.kind}, not a group`);
    const member = await this.requirePrincipal(input.member);
    if (member.kind === 'group') throw invalidArgument('groups hold users and services, not other groups');
    await this.store.addMember(input.group, input.member);
    this.deps.policies.invalidate();
    return this.describe(input.group);
  }

  async removeMember(ctx: CallContext, input: { group: string; member: string }): Promise<PrincipalInfo> {
    await authorize(this.deps, ctx, { action: 'principal:update', resource: `principal:${input.group}` });
    if (!(await this.store.removeMember(input.group, input.member))) throw notFound(`'${input.member}' is not in group '${input.group}'`);
    this.deps.policies.invalidate();
    return this.describe(input.group);
  }

  /** Issues a token for the caller (or, with the right, another principal); `roles` limit it to some of the principal's policies. */
  async createToken(ctx: CallContext, input: { principal?: string; name: string; expiresInDays?: number; roles?: string[] }): Promise<NewToken> {
    const principal = input.principal ?? ctx.actor.id;
    await authorize(this.deps, ctx, { action: 'token:create', resource: `principal:${principal}` });
    const record = await this.requirePrincipal(principal);
    if (record.kind === 'group') throw invalidArgument('tokens are issued to users and services, not groups');
    if (record.disabledAt !== undefined) throw invalidArgument(`principal '${principal}' is disabled`);
    if (input.roles !== undefined) {
      const attached = new Set((await this.store.attachedTo([principal, ...(await this.store.groupsOf(principal))])).map((a) => a.policy));
      const foreign = input.roles.filter((role) => !attached.has(role));
      if (foreign.length > 0) throw invalidArgument(`a token's roles must be among its principal's: ${principal} has no ${foreign.join(', ')}`);
    }
    // A token made with a scoped token is scoped no wider.
    const scope = ctx.actor.scope === undefined || ctx.actor.id !== principal ? input.roles : (input.roles ?? ctx.actor.scope).filter((role) => ctx.actor.scope?.includes(role));
    return this.issue({ principal, name: input.name, expiresInDays: input.expiresInDays, roles: scope });
  }

  async listTokens(ctx: CallContext, input: { principal?: string } = {}): Promise<TokenInfo[]> {
    await authorize(this.deps, ctx, { action: 'token:list', resource: `principal:${input.principal ?? '*'}` });
    return (await this.store.listTokens(input.principal)).map(({ secretHash: _hash, ...info }) => info);
  }

  async revokeToken(ctx: CallContext, id: string): Promise<void> {
    const token = await this.store.getToken(id);
    await authorize(this.deps, ctx, { action: 'token:revoke', resource: `principal:${token?.principal ?? '*'}` });
    if (token === undefined || !(await this.store.revokeToken(id, this.clock.now().toISOString()))) throw notFound(`no active token '${id}'`);
  }

  async putPolicy(ctx: CallContext, input: { name: string; document: unknown }): Promise<PolicyRecord> {
    if (!POLICY_NAME.test(input.name)) throw invalidArgument(`invalid policy name '${input.name}': letters, digits, '.', '_' and '-', up to 128`);
    if (input.name in BUILT_IN_POLICIES) throw invalidArgument(`'${input.name}' is a built-in role and cannot be changed`);
    const document = parsePolicyDocument(input.document);
    await authorize(this.deps, ctx, { action: 'policy:write', resource: `policy:${input.name}` });
    const record = { name: input.name, document, updatedAt: this.clock.now().toISOString(), updatedBy: ctx.actor.id };
    await this.store.putPolicy(record);
    this.deps.policies.invalidate();
    return record;
  }

  async getPolicy(ctx: CallContext, name: string): Promise<{ name: string; builtIn: boolean; document: PolicyDocument }> {
    await authorize(this.deps, ctx, { action: 'policy:read', resource: `policy:${name}` });
    const builtIn = BUILT_IN_POLICIES[name];
    if (builtIn !== undefined) return { name, builtIn: true, document: builtIn };
    const stored = await this.store.getPolicy(name);
    if (stored === undefined) throw notFound(`no policy '${name}'`);
    return { name, builtIn: false, document: stored.document };
  }

  async listPolicies(ctx: CallContext): Promise<Array<{ name: string; builtIn: boolean }>> {
    await authorize(this.deps, ctx, { action: 'policy:list', resource: 'policy:*' });
    const stored = await this.store.listPolicies();
    return [...Object.keys(BUILT_IN_POLICIES).map((name) => ({ name, builtIn: true })), ...stored.map((p) => ({ name: p.name, builtIn: false }))];
  }

  async attach(ctx: CallContext, input: { policy: string; principal: string }): Promise<PrincipalInfo> {
    await authorize(this.deps, ctx, { action: 'policy:attach', resource: `principal:${input.principal}` });
    if (input.principal !== EVERYONE) await this.requirePrincipal(input.principal);
    if (!(input.policy in BUILT_IN_POLICIES) && (await this.store.getPolicy(input.policy)) === undefined) throw notFound(`no policy '${input.policy}'`);
    await this.store.attach(input.policy, input.principal);
    this.deps.policies.invalidate();
    return this.describe(input.principal);
  }

  async detach(ctx: CallContext, input: { policy: string; principal: string }): Promise<PrincipalInfo> {
    await authorize(this.deps, ctx, { action: 'policy:attach', resource: `principal:${input.principal}` });
    if (input.principal === ctx.actor.id && input.policy === 'admin') throw invalidArgument('an administrator cannot take the admin role from itself (another administrator can)');
    if (!(await this.store.detach(input.policy, input.principal))) throw notFound(`policy '${input.policy}' is not attached to '${input.principal}'`);
    this.deps.policies.invalidate();
    return this.describe(input.principal);
  }

  /**
   * Would `principal` be allowed `action` on `resource` (`repository:<name>` or another resource
   * string), and which statement decides. Needs `policy:read`.
   */
  async check(ctx: CallContext, input: { principal: string; action: string; resource?: string }): Promise<Decision> {
    await authorize(this.deps, ctx, { action: 'policy:read', resource: `principal:${input.principal}` });
    const resource = input.resource ?? '';
    const target = resource.startsWith('repository:') ? dataTarget(resource.slice('repository:'.length)) : { resource };
    try {
      return await this.deps.policies.explain({ actor: { id: input.principal }, action: input.action, ...target });
    } catch (error) {
      if (isStrataError(error) && error.code === 'Internal') throw invalidArgument(`unknown action '${input.action}' (see \`strata policy actions\`)`);
      throw error;
    }
  }

  private async issue(input: { principal: string; name: string; expiresInDays?: number; roles?: string[] }): Promise<NewToken> {
    if (input.name.length === 0 || input.name.length > 200) throw invalidArgument('a token needs a name of 1 to 200 characters');
    const days = input.expiresInDays;
    if (days !== undefined && !(Number.isInteger(days) && days >= 1 && days <= MAX_TOKEN_DAYS)) throw invalidArgument(`expiry must be a whole number of days from 1 to ${MAX_TOKEN_DAYS}`);
    const now = this.clock.now();
    const id = randomBytes(10).toString('hex').slice(0, 16);
    const secret = randomBytes(32).toString('base64url');
    const record: TokenRecord = {
      id,
      principal: input.principal,
      secretHash: sha256(secret),
      name: input.name,
      createdAt: now.toISOString(),
      ...(days === undefined ? {} : { expiresAt: new Date(now.getTime() + days * 86_400_000).toISOString() }),
      ...(input.roles === undefined ? {} : { roles: input.roles }),
    };
    await this.store.createToken(record);
    const { secretHash: _hash, ...info } = record;
    return { ...info, token: `st_${id}_${secret}` };
  }

  private async requirePrincipal(id: string): Promise<PrincipalRecord> {
    const record = await this.store.getPrincipal(id);
    if (record === undefined) throw notFound(`no principal '${id}'`);
    return record;
  }

  private async describe(id: string): Promise<PrincipalInfo> {
    if (id === EVERYONE) {
      const policies = (await this.store.attachedTo([id])).map((a) => a.policy);
      return { id, kind: 'group', createdAt: '', createdBy: 'strata', groups: [], policies, members: [] };
    }
    const record = await this.requirePrincipal(id);
    const groups = record.kind === 'group' ? [] : await this.store.groupsOf(id);
    const policies = (await this.store.attachedTo([id])).map((a) => a.policy);
    const members = record.kind === 'group' ? { members: await this.store.membersOf(id) } : {};
    return { ...record, groups, policies, ...members };
  }
}

/** `web`, `web/main` or `web/main/a/b.txt` as the repository, ref and path a request names. */
function dataTarget(name: string): { repository: string; ref?: string; path?: string } {
  const [repository = '', ref, ...path] = name.split('/');
  if (ref === undefined || ref === '') return { repository };
  return path.length === 0 ? { repository, ref } : { repository, ref, path: path.join('/') };
}

function assertPrincipalId(id: string): void {
  if (!PRINCIPAL_ID.test(id) || id === 'anonymous' || id === EVERYONE) {
    throw invalidArgument(`invalid principal '${id}': up to 128 letters, digits, '.', '_', '@', '+' or '-', starting with a letter or digit (and not 'anonymous' or '${EVERYONE}')`);
  }
}
