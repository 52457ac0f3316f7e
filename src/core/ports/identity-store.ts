import type { PolicyDocument } from '../access/policy.ts';

export type PrincipalKind = 'user' | 'service' | 'group';

/** A user, a service account, or a group of them. */
export interface PrincipalRecord {
  id: string;
  kind: PrincipalKind;
  createdAt: string;
  createdBy: string;
  /** A disabled principal's tokens and keys stop working; its history stays. */
  disabledAt?: string;
}

/** An API token: only the SHA-256 of its secret is kept. */
export interface TokenRecord {
  id: string;
  principal: string;
  secretHash: string;
  name: string;
  createdAt: string;
  expiresAt?: string;
  revokedAt?: string;
  /** When set, the token acts with at most these roles (policies) of its principal. */
  roles?: string[];
}

export interface PolicyRecord {
  name: string;
  document: PolicyDocument;
  updatedAt: string;
  updatedBy: string;
}

/**
 * Principals, groups, API tokens and policies. Every change to what decides an authorization
 * (policies, attachments, memberships, a principal disabled) bumps `version`, so caches in every
 * process can tell when to drop what they hold.
 */
export interface IdentityStore {
  /** Conflict if the id is taken. */
  createPrincipal(principal: PrincipalRecord): Promise<void>;
  getPrincipal(id: string): Promise<PrincipalRecord | undefined>;
  listPrincipals(): Promise<PrincipalRecord[]>;
  /** False if there is no such enabled principal. */
  disablePrincipal(id: string, at: string): Promise<boolean>;
  countPrincipals(): Promise<number>;

  addMember(group: string, member: string): Promise<void>;
  removeMember(group: string, member: string): Promise<boolean>;
  groupsOf(member: string): Promise<string[]>;
  membersOf(group: string): Promise<string[]>;

  /** Inserts or replaces. */
  putPolicy(policy: PolicyRecord): Promise<void>;
  getPolicy(name: string): Promise<PolicyRecord | undefined>;
  listPolicies(): Promise<PolicyRecord[]>;
  attach(policy: string, principal: string): Promise<void>;
  detach(policy: string, principal: string): Promise<boolean>;
  /** Policy names attached to any of these principals. */
  attachedTo(principals: string[]): Promise<Array<{ principal: string; policy: string }>>;

  createToken(token: TokenRecord): Promise<void>;
  getToken(id: string): Promise<TokenRecord | undefined>;
  listTokens(principal?: string): Promise<TokenRecord[]>;
  /** False if there is no such active token. */
  revokeToken(id: string, at: string): Promise<boolean>;

  /** Grows with every change that can alter a decision. */
  version(): Promise<number>;
  getSetting(key: string): Promise<string | undefined>;
  /** Sets the key only if unset; returns the value in force. */
  setSettingOnce(key: string, value: string): Promise<string>;
}
