import type { ObjectStore } from '../objects/object-store.ts';
import { permits } from '../access/permits.ts';
import { guardBranch } from '../protection/protection-rules.ts';
import type { AccessRequest, Authorizer } from '../ports/authorizer.ts';
import type { Clock } from '../ports/clock.ts';
import type { MetadataStore } from '../ports/metadata-store.ts';
import type { NodeStore } from './tree/node-store.ts';
import type { CallContext } from './types.ts';

/** What the versioning services need; built once by the composition root. */
export interface VersioningDeps {
  metadata: MetadataStore;
  nodes: NodeStore;
  objects: ObjectStore;
  authorizer: Authorizer;
  clock: Clock;
}

/** The one authorization check each service call makes before touching anything. */
export async function authorize(deps: Pick<VersioningDeps, 'authorizer'> & Partial<Pick<VersioningDeps, 'metadata'>>, ctx: CallContext, request: Omit<AccessRequest, 'actor'>): Promise<void> {
  await deps.authorizer.authorize({ actor: ctx.actor, ...request }, ctx);
  // A protected branch refuses direct changes whoever is allowed to make them (services without
  // the metadata store change no branch).
  if (deps.metadata !== undefined) await guardBranch(deps.metadata, request);
}

/** The names among `repositories` the caller may take `action` in (what a listing may show). */
export async function permitted(deps: Pick<VersioningDeps, 'authorizer'>, ctx: CallContext, { action, repositories }: { action: string; repositories: string[] }): Promise<Set<string>> {
  const allowed = await Promise.all(repositories.map((repository) => permits(deps.authorizer, { actor: ctx.actor, action, repository })));
  return new Set(repositories.filter((_, i) => allowed[i]));
}
