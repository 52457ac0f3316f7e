import type { NewToken, PrincipalInfo, TokenInfo } from '../core/access/identity-service.ts';
import type { Decision, PolicyDocument } from '../core/access/policy.ts';
import type { PolicyRecord, PrincipalKind, PrincipalRecord } from '../core/ports/identity-store.ts';
import type { StrataCore } from '../core/strata.ts';
import type { CallContext } from '../core/versioning/types.ts';

export type { Decision, NewToken, PolicyDocument, PolicyRecord, PrincipalInfo, PrincipalKind, PrincipalRecord, TokenInfo };

/** Who may act and how: `api.identity.createToken({ name: 'laptop' })`, `api.identity.check(…)`. */
export interface IdentityApi {
  whoami(): Promise<PrincipalInfo & { scope?: string[] }>;
  createPrincipal(input: { id: string; kind: PrincipalKind }): Promise<PrincipalInfo>;
  listPrincipals(): Promise<PrincipalRecord[]>;
  getPrincipal(id: string): Promise<PrincipalInfo>;
  disablePrincipal(id: string): Promise<void>;
  addMember(group: string, member: string): Promise<PrincipalInfo>;
  removeMember(group: string, member: string): Promise<PrincipalInfo>;
  createToken(input: { principal?: string; name: string; expiresInDays?: number; roles?: string[] }): Promise<NewToken>;
  listTokens(input?: { principal?: string }): Promise<TokenInfo[]>;
  revokeToken(id: string): Promise<void>;
  putPolicy(name: string, document: unknown): Promise<PolicyRecord>;
  getPolicy(name: string): Promise<{ name: string; builtIn: boolean; document: PolicyDocument }>;
  listPolicies(): Promise<Array<{ name: string; builtIn: boolean }>>;
  attach(policy: string, principal: string): Promise<PrincipalInfo>;
  detach(policy: string, principal: string): Promise<PrincipalInfo>;
  check(input: { principal: string; action: string; resource?: string }): Promise<Decision>;
}

export function localIdentityApi(core: StrataCore, ctx: CallContext): IdentityApi {
  const { identity } = core;
  return {
    whoami: () => identity.whoami(ctx),
    createPrincipal: (input) => identity.createPrincipal(ctx, input),
    listPrincipals: () => identity.listPrincipals(ctx),
    getPrincipal: (id) => identity.getPrincipal(ctx, id),
    disablePrincipal: (id) => identity.disablePrincipal(ctx, id),
    addMember: (group, member) => identity.addMember(ctx, { group, member }),
    removeMember: (group, member) => identity.removeMember(ctx, { group, member }),
    createToken: (input) => identity.createToken(ctx, input),
    listTokens: (input = {}) => identity.listTokens(ctx, input),
    revokeToken: (id) => identity.revokeToken(ctx, id),
    putPolicy: (name, document) => identity.putPolicy(ctx, { name, document }),
    getPolicy: (name) => identity.getPolicy(ctx, name),
    listPolicies: () => identity.listPolicies(ctx),
    attach: (policy, principal) => identity.attach(ctx, { policy, principal }),
    detach: (policy, principal) => identity.detach(ctx, { policy, principal }),
    check: (input) => identity.check(ctx, input),
  };
}

type Query = Record<string, string | number | boolean | undefined>;
type Json = <T>(method: string, path: string, options?: { query?: Query; body?: unknown }) => Promise<T>;

export function httpIdentityApi(json: Json): IdentityApi {
  const principal = (id: string): string => `/principals/${encodeURIComponent(id)}`;
  return {
    whoami: () => json('GET', '/whoami'),
    createPrincipal: (input) => json('POST', '/principals', { body: input }),
    listPrincipals: async () => (await json<{ principals: PrincipalRecord[] }>('GET', '/principals')).principals,
    getPrincipal: (id) => json('GET', principal(id)),
    disablePrincipal: async (id) => {
      await json('POST', `${principal(id)}/disable`);
    },
    addMember: (group, member) => json('PUT', `${principal(group)}/members/${encodeURIComponent(member)}`),
    removeMember: (group, member) => json('DELETE', `${principal(group)}/members/${encodeURIComponent(member)}`),
    createToken: (input) => json('POST', '/tokens', { body: input }),
    listTokens: async (input = {}) => (await json<{ tokens: TokenInfo[] }>('GET', '/tokens', { query: { ...input } })).tokens,
    revokeToken: async (id) => {
      await json('DELETE', `/tokens/${encodeURIComponent(id)}`);
    },
    putPolicy: (name, document) => json('PUT', `/policies/${encodeURIComponent(name)}`, { body: document }),
    getPolicy: (name) => json('GET', `/policies/${encodeURIComponent(name)}`),
    listPolicies: async () => (await json<{ policies: Array<{ name: string; builtIn: boolean }> }>('GET', '/policies')).policies,
    attach: (policy, id) => json('PUT', `${principal(id)}/policies/${encodeURIComponent(policy)}`),
    detach: (policy, id) => json('DELETE', `${principal(id)}/policies/${encodeURIComponent(policy)}`),
    check: (input) => json('POST', '/access/check', { body: input }),
  };
}
