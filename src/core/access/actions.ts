/**
 * Every action a service asks the Authorizer about: one closed list, so a policy can name only
 * what exists and a service cannot invent an action no policy knows (the authorizer refuses an
 * unknown one as an internal error). `<resource kind>:<verb>`.
 */
export const ACTIONS = [
  'repository:create', 'repository:read', 'repository:list', 'repository:update', 'repository:delete', 'repository:protect', 'repository:retention',
  'branch:create', 'branch:read', 'branch:list', 'branch:delete', 'branch:commit', 'branch:merge', 'branch:revert', 'branch:reset',
  'tag:create', 'tag:list', 'tag:delete',
  'commit:read',
  'object:read', 'object:list', 'object:write', 'object:delete',
  'dataset:create', 'dataset:read', 'dataset:list', 'dataset:update',
  'catalog:search',
  'lineage:read', 'lineage:write',
  'run:create', 'run:read', 'run:list', 'run:update',
  'model:create', 'model:read', 'model:list', 'model:register', 'model:alias',
  'recipe:run', 'recipe:apply', 'recipe:custom',
  'inference:write', 'inference:read', 'inference:delete', 'inference:retention', 'inference:prune', 'inference:prices', 'inference:compact',
  'audit:read', 'audit:sign', 'audit:prune',
  'storage:gc',
  'erasure:run', 'erasure:read',
  'access-key:create', 'access-key:list', 'access-key:revoke',
  'principal:create', 'principal:read', 'principal:list', 'principal:update',
  'token:create', 'token:list', 'token:revoke',
  'policy:read', 'policy:list', 'policy:write', 'policy:attach',
  // A request to an interface; only asked (and refused, and so audited) for callers without a valid credential.
  'api:call',
] as const;

export type Action = (typeof ACTIONS)[number];

const KNOWN = new Set<string>(ACTIONS);

export function isAction(name: string): name is Action {
  return KNOWN.has(name);
}

/** True when `pattern` (`object:read`, `object:*`, `*:read`, `*`) names `action`. */
export function actionMatches(pattern: string, action: string): boolean {
  if (pattern === '*' || pattern === action) return true;
  const [kind, verb] = pattern.split(':');
  const [actionKind, actionVerb] = action.split(':');
  return (kind === '*' || kind === actionKind) && (verb === '*' || verb === actionVerb);
}

/** Whether an action pattern can name anything: `*`, a listed action, or `kind:*` / `*:verb` of listed ones. */
export function isActionPattern(pattern: string): boolean {
  return pattern === '*' || ACTIONS.some((action) => actionMatches(pattern, action));
}
