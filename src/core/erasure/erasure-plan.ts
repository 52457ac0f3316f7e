import { invalidArgument, notFound } from '../errors.ts';
import { objectKey } from '../lineage/node-keys.ts';
import type { Entry } from '../objects/entry.ts';
import type { LineageNode } from '../ports/lineage-store.ts';
import type { VersioningDeps } from '../versioning/deps.ts';
import type { ObjectService } from '../versioning/object-service.ts';
import type { CallContext, ObjectInfo } from '../versioning/types.ts';
import { readableCommits, scanRepository } from './store-scan.ts';

/** What `strata erase` was asked to erase, parsed. */
export type ErasureTarget =
  | { kind: 'object'; repository: string; ref: string; path: string }
  | { kind: 'source'; uri: string }
  | { kind: 'content'; sha256: string }
  | { kind: 'dataset'; name: string };

export function parseTarget(text: string): ErasureTarget {
  const content = /^sha256:([0-9a-f]{64})$/.exec(text);
  if (content) return { kind: 'content', sha256: content[1] as string };
  if (text.startsWith('source:') && text.length > 'source:'.length) return { kind: 'source', uri: text.slice('source:'.length) };
  if (text.startsWith('dataset:') && text.length > 'dataset:'.length) return { kind: 'dataset', name: text.slice('dataset:'.length) };
  const object = /^([^@:/]+)@([^:]+):(.+)$/.exec(text);
  if (object) return { kind: 'object', repository: object[1] as string, ref: object[2] as string, path: object[3] as string };
  throw invalidArgument(`cannot erase '${text}': name repo@ref:path, source:<uri>, sha256:<64 hex digits> or dataset:<name>`);
}

/** A path holding an erased content, in some commit or staged. */
export interface ErasedVersion {
  repository: string;
  path: string;
  sha256: string;
}

type Scope = { deps: VersioningDeps; objects: ObjectService; ctx: CallContext };

/**
 * The contents a target names. An object: the content at that ref. A content hash: itself. A
 * source URI: every content ever ingested from it (its provenance), on any commit. A dataset:
 * every content ever under its prefix, on any readable commit of its repository.
 */
export async function seedContents(scope: Scope, target: ErasureTarget): Promise<Set<string>> {
  const { deps } = scope;
  switch (target.kind) {
    case 'content':
      return new Set([target.sha256]);
    case 'object': {
      const info = await scope.objects.stat(scope.ctx, target);
      return new Set([info.sha256]);
    }
    case 'source': {
      const found = new Set<string>();
      for (const repository of await deps.metadata.listRepositories()) {
        await scanRepository(deps, repository.name, (_, entry) => {
          if (entry.provenance?.source === target.uri) found.add(entry.sha256);
        });
        for (const branch of await deps.metadata.listBranches(repository.name)) {
          for (const row of await deps.metadata.listStaged(repository.name, branch.name, { limit: 1_000_000 })) {
            if (row.entry?.provenance?.source === target.uri) found.add(row.entry.sha256);
          }
        }
      }
      if (found.size === 0) throw notFound(`nothing ingested from ${target.uri} is stored`);
      return found;
    }
    case 'dataset': {
      const dataset = await deps.metadata.getDataset(target.name);
      if (!dataset) throw notFound(`dataset '${target.name}' not found`);
      const found = new Set<string>();
      await scanRepository(deps, dataset.repository, (path, entry) => {
        if (path.startsWith(dataset.prefix)) found.add(entry.sha256);
      });
      if (found.size === 0) throw notFound(`dataset '${target.name}' has never held an object`);
      return found;
    }
  }
}

/** What one pass over every readable commit of every repository found. */
export interface StoreScan {
  /** Every (repository, path) that ever held an erased content. */
  versions: ErasedVersion[];
  /** Entries by content hash, for each content the erasure may destroy (to find its blobs). */
  entries: Map<string, Entry>;
  /** Chunk manifests of every content seen, by manifest id → content hash (shared chunks stay). */
  manifests: Map<string, string>;
  /** Every distinct version of the inference archive's partitions. */
  partitions: ObjectInfo[];
}

/**
 * Walks every readable commit of every repository once (each tree node read once) and finds
 * the paths holding any of `contents` — copies by S3 CopyObject or by a put of identical bytes
 * in other repositories included, since they share the content hash.
 */
export async function scanStore(scope: Scope, input: { contents: ReadonlySet<string>; archive: string }): Promise<StoreScan> {
  const { deps } = scope;
  const versions = new Map<string, ErasedVersion>();
  const entries = new Map<string, Entry>();
  const manifests = new Map<string, string>();
  const partitions = new Map<string, ObjectInfo>();
  for (const repository of await deps.metadata.listRepositories()) {
    const name = repository.name;
    await scanRepository(deps, name, (path, entry) => {
      if (entry.manifest !== undefined) manifests.set(entry.manifest, entry.sha256);
      if (name === input.archive && path.startsWith('records/') && path.endsWith('.parquet')) partitions.set(entry.sha256, { path, ...entry });
      if (!input.contents.has(entry.sha256)) return;
      versions.set(objectKey(name, path, entry.sha256), { repository: name, path, sha256: entry.sha256 });
      entries.set(entry.sha256, entry);
    });
    // Staged contents: an erased one may be staged only (its manifest and chunks must go too),
    // and a staged one may share chunks with an erased one (those stay).
    for (const branch of await deps.metadata.listBranches(name)) {
      for (const row of await deps.metadata.listStaged(name, branch.name, { limit: 1_000_000 })) {
        const entry = row.entry;
        if (!entry) continue;
        if (entry.manifest !== undefined) manifests.set(entry.manifest, entry.sha256);
        if (input.contents.has(entry.sha256) && !entries.has(entry.sha256)) entries.set(entry.sha256, entry);
      }
    }
  }
  return { versions: [...versions.values()].sort(byKey), entries, manifests, partitions: [...partitions.values()] };
}

const byKey = (a: ErasedVersion, b: ErasedVersion): number => (objectKey(a.repository, a.path, a.sha256) < objectKey(b.repository, b.path, b.sha256) ? -1 : 1);

/** What the lineage graph says was made from the erased versions. */
export interface Downstream {
  /** Object versions made from an erased one by a recipe, record by record (`derived-from`). */
  shards: ErasedVersion[];
  /** Model versions and runs anywhere downstream. */
  models: LineageNode[];
  runs: LineageNode[];
}

/** Edges of this many levels are followed downstream (a walk stops earlier when nothing is new). */
const MAX_DEPTH = 100;

/**
 * Walks the lineage graph downstream from the erased object versions: the objects recipes
 * derived from them record by record (one `derived-from` edge away), and every run and model
 * version reached at any depth (those cannot be rewritten; they are marked).
 */
export async function walkDownstream(deps: VersioningDeps, versions: ErasedVersion[]): Promise<Downstream> {
  const lineage = deps.metadata.lineage;
  const start = await lineage.getNodes(versions.map((v) => objectKey(v.repository, v.path, v.sha256)));
  const seen = new Set(start.map((n) => n.id));
  const startIds = new Set(seen);
  const derived = new Set<number>();
  let frontier = [...seen];
  for (let depth = 0; depth < MAX_DEPTH && frontier.length > 0; depth++) {
    const next: number[] = [];
    for (const edge of await lineage.edgesOf(frontier, 'downstream')) {
      if (edge.type === 'derived-from' && startIds.has(edge.src)) derived.add(edge.dst);
      if (seen.has(edge.dst)) continue;
      seen.add(edge.dst);
      next.push(edge.dst);
    }
    frontier = next;
  }
  const reached = await lineage.getNodesById([...seen].filter((id) => !startIds.has(id)));
  const shards = reached
    .filter((n) => derived.has(n.id) && n.type === 'object')
    .map((n) => ({ repository: String(n.data.repository), path: String(n.data.path), sha256: String(n.data.sha256) }));
  return { shards, models: reached.filter((n) => n.type === 'model'), runs: reached.filter((n) => n.type === 'run') };
}

/** The commits of a repository that are still readable, with their trees (for per-commit lookups). */
export async function commitTrees(deps: VersioningDeps, repository: string): Promise<Array<{ id: string; treeId: string | null }>> {
  return (await readableCommits(deps.metadata, repository)).map((c) => ({ id: c.id, treeId: c.treeId }));
}
