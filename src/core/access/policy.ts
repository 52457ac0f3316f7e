import { z } from 'zod';
import { invalidArgument } from '../errors.ts';
import type { AccessRequest } from '../ports/authorizer.ts';
import { actionMatches, isActionPattern } from './actions.ts';

/**
 * Policies as in IAM: statements that allow or deny actions on resources. A request is allowed
 * when some statement of the principal's policies (its own and its groups') allows it and none
 * denies it: deny wins, and nothing is allowed by default.
 *
 * Resources are strings matched with `*` wildcards: `repository:<name>` for everything inside a
 * repository, `principal:<id>` for a principal's keys and tokens, or what else the service names
 * (`inference-archive/user:p:…`). `${principal}` in a pattern is the caller's id.
 */
export const StatementSchema = z.strictObject({
  effect: z.enum(['allow', 'deny']),
  actions: z.array(z.string().refine(isActionPattern, { message: 'names no action (see `strata policy actions`)' })).min(1),
  resources: z.array(z.string().min(1).max(500)).min(1).default(['*']),
});

export const PolicyDocumentSchema = z.strictObject({
  statements: z.array(StatementSchema).min(1).max(100),
});

export type Statement = z.output<typeof StatementSchema>;
export type PolicyDocument = z.output<typeof PolicyDocumentSchema>;

export function parsePolicyDocument(json: unknown): PolicyDocument {
  const parsed = PolicyDocumentSchema.safeParse(json);
  if (!parsed.success) throw invalidArgument(`invalid policy: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'policy'}: ${i.message}`).join('; ')}`);
  return parsed.data;
}

const READ_ACTIONS = [
  'repository:read', 'repository:list', 'branch:read', 'branch:list', 'tag:list', 'commit:read', 'object:read', 'object:list',
  'dataset:read', 'dataset:list', 'catalog:search', 'lineage:read', 'run:read', 'run:list', 'model:read', 'model:list',
];
/** What every signed-in principal may do to itself: see itself, manage its own tokens and S3 keys. */
const SELF: Statement = { effect: 'allow', actions: ['principal:read', 'token:*', 'access-key:*'], resources: ['principal:${principal}'] };

/** The built-in roles, attachable like any policy; their names are reserved. */
export const BUILT_IN_POLICIES: Readonly<Record<string, PolicyDocument>> = {
  admin: { statements: [{ effect: 'allow', actions: ['*'], resources: ['*'] }] },
  writer: {
    statements: [
      {
        effect: 'allow',
        actions: ['repository:*', 'branch:*', 'tag:*', 'commit:*', 'object:*', 'dataset:*', 'catalog:*', 'lineage:*', 'run:*', 'model:*', 'recipe:*', 'inference:write', 'inference:read'],
        resources: ['*'],
      },
      SELF,
    ],
  },
  reader: { statements: [{ effect: 'allow', actions: READ_ACTIONS, resources: ['*'] }, SELF] },
  auditor: { statements: [{ effect: 'allow', actions: [...READ_ACTIONS, 'audit:read', 'inference:read', 'principal:read', 'principal:list', 'policy:read', 'policy:list'], resources: ['*'] }, SELF] },
  'inference-writer': { statements: [{ effect: 'allow', actions: ['inference:write'], resources: ['*'] }, SELF] },
};

/** The string a request's resource patterns are matched against. */
export function resourceOf(request: Pick<AccessRequest, 'repository' | 'resource'>): string {
  if (request.repository !== undefined) return `repository:${request.repository}`;
  return request.resource ?? '';
}

/** `*` matches any run of characters; everything else literally. */
export function globMatches(pattern: string, text: string): boolean {
  const parts = pattern.split('*');
  if (parts.length === 1) return pattern === text;
  const first = parts[0] ?? '';
  const last = parts[parts.length - 1] ?? '';
  if (!text.startsWith(first) || text.length < first.length + last.length) return false;
  let at = first.length;
  for (const middle of parts.slice(1, -1)) {
    const found = text.indexOf(middle, at);
    if (found < 0) return false;
    at = found + middle.length;
  }
  return text.endsWith(last) && text.length - last.length >= at;
}

export interface Decision {
  allowed: boolean;
  /** The statement that decided (`policy#index`), or why nothing did. */
  reason: string;
}

/** Deny wins; then any allow; else not allowed. `policies` are (name, document) pairs. */
export function decide(policies: ReadonlyArray<[string, PolicyDocument]>, request: { principal: string; action: string; resource: string }): Decision {
  let allowedBy: string | undefined;
  for (const [name, document] of policies) {
    for (const [index, statement] of document.statements.entries()) {
      if (!statement.actions.some((pattern) => actionMatches(pattern, request.action))) continue;
      if (!statement.resources.some((pattern) => globMatches(pattern.replaceAll('${principal}', request.principal), request.resource))) continue;
      if (statement.effect === 'deny') return { allowed: false, reason: `denied by ${name}#${index + 1}` };
      allowedBy ??= `${name}#${index + 1}`;
    }
  }
  return allowedBy === undefined ? { allowed: false, reason: 'no statement allows it' } : { allowed: true, reason: `allowed by ${allowedBy}` };
}
