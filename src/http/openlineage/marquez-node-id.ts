import { notFound } from '../../core/errors.ts';
import { externalKey, jobKey, runKey } from '../../core/lineage/node-keys.ts';
import type { StrataCore } from '../../core/strata.ts';
import type { CallContext } from '../../core/versioning/types.ts';

/**
 * Reads a Marquez node id — `dataset:<namespace>:<name>` or `job:<namespace>:<name>` — as a
 * Strata address. Namespaces may hold ':' themselves (`postgres://host:5432`), so every split
 * is tried against what exists. Strata's own datasets (`strata://…` namespace, name
 * `<repository>/<path>`) resolve to their version on the default branch now; a job to its
 * latest run. Anything else is taken as a Strata address as is.
 */
export async function resolveMarquezNodeId(core: StrataCore, ctx: CallContext, nodeId: string): Promise<string> {
  const match = /^(dataset|job):(.+)$/.exec(nodeId);
  if (!match) return nodeId;
  const [, kind, rest = ''] = match;
  for (let i = rest.indexOf(':'); i > 0; i = rest.indexOf(':', i + 1)) {
    const namespace = rest.slice(0, i);
    const name = rest.slice(i + 1);
    if (name === '') continue;
    const found = kind === 'job' ? await jobNode(core, ctx, { namespace, name }) : await datasetNode(core, ctx, { namespace, name });
    if (found !== undefined) return found;
  }
  throw notFound(`no lineage recorded for ${nodeId}`);
}

async function jobNode(core: StrataCore, ctx: CallContext, { namespace, name }: { namespace: string; name: string }): Promise<string | undefined> {
  const key = jobKey(namespace, name);
  if ((await core.lineage.exists([key])).length > 0) return key;
  const [latest] = await core.runs.list(ctx, { namespace, job: name, limit: 1 });
  return latest && runKey(latest.id);
}

async function datasetNode(core: StrataCore, ctx: CallContext, { namespace, name }: { namespace: string; name: string }): Promise<string | undefined> {
  if (namespace === core.openLineageSettings.namespace || namespace.startsWith('strata://')) {
    const slash = name.indexOf('/');
    const address = slash < 0 ? `${name}:` : `${name.slice(0, slash)}:${name.slice(slash + 1)}`;
    try {
      return await core.lineage.resolveKey(ctx, address);
    } catch (error) {
      if ((error as { code?: string }).code !== 'NotFound') throw error;
      return undefined;
    }
  }
  const key = externalKey(namespace, name);
  return (await core.lineage.exists([key])).length > 0 ? key : undefined;
}
