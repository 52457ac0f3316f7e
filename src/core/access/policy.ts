import { z } from 'zod';
import { invalidArgument } from '../errors.ts';
import type { AccessRequest } from '../ports/authorizer.ts';
import { actionMatches, isActionPattern } from './actions.ts';

/**
 * Policies as in IAM: statements that allow or deny actions on resources. A request is allowed
 * when some statement of the principal's policies (its own and its groups') allows it and none
 * denies it: deny wins, and nothing is allowed by default.
 *
 * Resources are strings matched with `*` wildcards. Data is named `repository:<name>/<ref>/<path>`
 * (a listing `repository:<name>/<ref>/<prefix>`; a repository-wide action, or one on a dataset,
 * `repository:<name>`),
 * and a pattern naming a part of that path names everything inside it: `repository:web` is the
 * whole repository, `repository:web/main` its branch main, `repository:web/*\/raw/` every ref's
 * `raw/` folder. Other resources: `principal:<id>` for a principal's keys and tokens, or what else
 * the service names (`inference-archive/user:p:…`). `${principal}` in a pattern is the caller's id.
 */
export const StatementSchema = z.strictObject({
  effect: z.enum(['allow', 'deny']),
  actions: z.array(z.string().refine(isActionPattern, { message: 'names no action (see `strata policy actions`)' })).min(1),
  resources: z.array(z.string().min(1).max(500)).min(1).default(['*']),
  /**
   * The statement applies only to data under a dataset carrying one of these classification
   * labels (on any ref: a dataset's prefix is labelled in every branch, tag and commit).
   */
  labels: z.array(z.string().regex(/^[\w.:+-]{1,64}$/, 'is not a label')).min(1).optional(),
  /** Principals and groups the statement does not apply to (`deny … except the privacy group`). */
  exceptPrincipals: z.array(z.string().min(1).max(128)).min(1).optional(),
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
        actions: ['repository:create', 'repository:read', 'repository:list', 'repository:update', 'repository:delete', 'branch:*', 'tag:*', 'commit:*', 'object:*', 'dataset:*', 'catalog:*', 'lineage:*', 'run:*', 'model:*', 'recipe:run', 'recipe:apply', 'inference:write', 'inference:read'],
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
export function resourceOf(request: Pick<AccessRequest, 'repository' | 'ref' | 'path' | 'resource'>): string {
  if (request.repository === undefined) return request.resource ?? '';
  if (request.ref === undefined) return `repository:${request.repository}`;
  return `repository:${request.repository}/${request.ref}${request.path === undefined || request.path === '' ? '' : `/${request.path}`}`;
}

/**
 * Whether `pattern` names `resource` or a part of it that contains it: any cut of the resource
 * at a '/' after its repository (with or without the '/'), so `repository:web/main` names
 * `repository:web/main/a/b.txt`.
 */
export function resourceMatches(pattern: string, resource: string): boolean {
  if (globMatches(pattern, resource)) return true;
  if (!resource.startsWith('repository:')) return false;
  for (let at = resource.indexOf('/'); at >= 0; at = resource.indexOf('/', at + 1)) {
    if (globMatches(pattern, resource.slice(0, at)) || globMatches(pattern, resource.slice(0, at + 1))) return true;
  }
  return false;
}

/** `*` matches any run of characters; everything else literally. */
export function globMatches(pattern: string, text: string): boolean {
  if (pattern === '*') return true;
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

/** The reason of a decision no statement made (neither allowed nor denied): what other grants may fill. */
export const NO_STATEMENT = 'no statement allows it';

export interface Decision {
  allowed: boolean;
  /** The statement that decided (`policy#index`), or why nothing did. */
  reason: string;
}

export interface DecisionRequest {
  principal: string;
  /** The principal and the groups it belongs to (what `exceptPrincipals` is matched against). */
  members: ReadonlySet<string>;
  action: string;
  resource: string;
  /** The classification labels of the data the request touches. */
  labels: readonly string[];
}

/** Whether any statement of `policies` has a label condition (only then are labels looked up). */
export function usesLabels(policies: ReadonlyArray<[string, PolicyDocument]>): boolean {
  return policies.some(([, document]) => document.statements.some((statement) => statement.labels !== undefined));
}

/** Whether the statement, already known to name the action, applies to the request's resource and principal. */
function applies(statement: Statement, request: DecisionRequest): boolean {
  if (!statement.resources.some((pattern) => resourceMatches(pattern === '*' ? pattern : pattern.replaceAll('${principal}', request.principal), request.resource))) return false;
  if (statement.labels !== undefined && !statement.labels.some((label) => request.labels.includes(label))) return false;
  return !(statement.exceptPrincipals ?? []).some((id) => request.members.has(id));
}

/** Deny wins; then any allow; else not allowed. `policies` are (name, document) pairs. */
export function decide(policies: ReadonlyArray<[string, PolicyDocument]>, request: DecisionRequest): Decision {
  let allowedBy: string | undefined;
  for (const [name, document] of policies) {
    for (const [index, statement] of document.statements.entries()) {
      if (!statement.actions.some((pattern) => actionMatches(pattern, request.action)) || !applies(statement, request)) continue;
      if (statement.effect === 'deny') return { allowed: false, reason: `denied by ${name}#${index + 1}` };
      allowedBy ??= `${name}#${index + 1}`;
    }
  }
  return allowedBy === undefined ? { allowed: false, reason: NO_STATEMENT } : { allowed: true, reason: `allowed by ${allowedBy}` };
}

/**
 * `decide` for many requests of one action (a listing's entries): the statements naming the
 * action are found once, then each request is matched against those only.
 */
export function decider(policies: ReadonlyArray<[string, PolicyDocument]>, action: string): (request: Omit<DecisionRequest, 'action'>) => Decision {
  const named: Array<{ statement: Statement; at: string }> = [];
  for (const [name, document] of policies) {
    for (const [index, statement] of document.statements.entries()) {
      if (statement.actions.some((pattern) => actionMatches(pattern, action))) named.push({ statement, at: `${name}#${index + 1}` });
    }
  }
  // With no statement naming anything below a repository, paths differ only by their labels:
  // the decision for an unlabelled path is the same for all of them.
  const pathBlind = named.every(({ statement }) => statement.resources.every((pattern) => pattern === '*' || !/[*/]/.test(pattern)));
  let unlabelled: Decision | undefined;
  return (request) => {
    if (pathBlind && request.labels.length === 0 && unlabelled !== undefined) return unlabelled;
    const full = { ...request, action };
    let allowedBy: string | undefined;
    for (const { statement, at } of named) {
      if (!applies(statement, full)) continue;
      if (statement.effect === 'deny') return remember({ allowed: false, reason: `denied by ${at}` });
      allowedBy ??= at;
    }
    return remember(allowedBy === undefined ? { allowed: false, reason: NO_STATEMENT } : { allowed: true, reason: `allowed by ${allowedBy}` });

    function remember(decision: Decision): Decision {
      if (pathBlind && request.labels.length === 0) unlabelled = decision;
      return decision;
    }
  };
}
