/**
 * Keys of lineage nodes: one stable text per exact version, readable in CLI output and usable
 * as an address (`strata lineage upstream <key>`). Repository names hold neither ':' nor '@',
 * commit ids and SHA-256 digests are hex, so each form parses unambiguously.
 */
/** An object version: a path holding a given content (the same content at the same path in many commits is one node). */
export const objectKey = (repository: string, path: string, sha256: string): string => `object:${repository}:${path}@${sha256}`;
/** A dataset version: everything under `prefix` ('' or ending in '/') at one commit. */
export const datasetKey = (repository: string, commit: string, prefix: string): string => `dataset:${repository}@${commit}:${prefix}`;
export const runKey = (id: string): string => `run:${id}`;
export const modelKey = (model: string, version: number): string => `model:${model}/${version}`;
/** An OpenLineage job (JobEvents carry no run). */
export const jobKey = (namespace: string, name: string): string => `job:${namespace}:${name}`;
/** A dataset outside Strata, named as OpenLineage names it. */
export const externalKey = (namespace: string, name: string): string => `external:${namespace}:${name}`;

/** Node keys a user may type as an address; `model:` addresses go through the registry instead. */
export const NODE_KEY_PREFIX = /^(object|dataset|run|job|external|inference|application):/;
/** One inference record by its id: resolved to the aggregate node it belongs to. */
export const INFERENCE_RECORD_ADDRESS = /^inference:([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/;

/** The first 12 hex digits of a commit id, for labels. */
export function shortCommit(id: string): string {
  return id.slice(0, 12);
}
