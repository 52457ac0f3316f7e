import { mapConcurrent } from '../core/concurrency.ts';
import { invalidArgument } from '../core/errors.ts';
import type { StrataCore } from '../core/strata.ts';
import type { CallContext, ObjectInfo } from '../core/versioning/types.ts';
import { ingestFilter } from '../core/ingest/filter.ts';
import type { IngestSource } from '../core/ports/ingest-source.ts';
import type { ObjectRef, Preview, StrataApi, UploadInput } from './api.ts';
import { localLineageApi, localModelsApi, localRunsApi } from './lineage-api.ts';
import { localRecipesApi } from './recipes-api.ts';
import { localAuditApi } from './audit-api.ts';
import { localGcApi } from './gc-api.ts';
import { localErasureApi } from './erasure-api.ts';
import { DEFAULT_GC_GRACE_SECONDS } from '../core/gc/gc-service.ts';
import { localIdentityApi } from './identity-api.ts';
import { localInferenceApi } from './inference-api.ts';

/** Objects staged per transaction by `putObjects`. */
const STAGE_BATCH = 500;

export interface LocalApiOptions {
  /** Where calls come from, for the audit log (`cli` from the command line). */
  source?: string;
  /** Opens an ingest source (the composition root knows the adapters). */
  openSource?: (source: string, options: { followSymlinks?: boolean }) => Promise<IngestSource>;
  /** Recorded on ingest commits: version, user, host. */
  provenance?: Record<string, string>;
  /** Garbage collection's default grace period (STRATA_GC_GRACE_SECONDS). */
  gcGraceSeconds?: number;
  /** Previews objects (the composition root knows DuckDB). */
  preview?: (ctx: CallContext, input: ObjectRef & { rows?: number; bytes?: number }) => Promise<Preview>;
}

/** StrataApi over in-process core services, acting as `actor`. */
export function createLocalApi(core: StrataCore, actor: string, options: LocalApiOptions = {}): StrataApi {
  const ctx: CallContext = { actor: { id: actor }, source: options.source ?? 'local' };
  return {
    runs: localRunsApi(core, ctx),
    models: localModelsApi(core, ctx),
    lineage: localLineageApi(core, ctx),
    recipes: localRecipesApi(core, ctx),
    audit: localAuditApi(core, ctx),
    inference: localInferenceApi(core, ctx),
    identity: localIdentityApi(core, ctx),
    erasure: localErasureApi(core, ctx),
    gc: localGcApi(core, ctx, { graceSeconds: options.gcGraceSeconds ?? DEFAULT_GC_GRACE_SECONDS }),
    createDataset: (input) => core.datasets.create(ctx, input),
    listDatasets: (filter) => core.datasets.list(ctx, filter),
    showDataset: async (input) => ({ dataset: await core.datasets.get(ctx, input.name), version: await core.datasets.version(ctx, input) }),
    tagDataset: (input) => core.datasets.tag(ctx, input),
    search: (input) => core.search.search(ctx, input),
    preview: (input) => {
      if (!options.preview) throw invalidArgument('preview is not available in this process');
      return options.preview(ctx, input);
    },
    ingest: async (input, progress) => {
      if (!options.openSource) throw invalidArgument('ingest is not available in this process');
      const source = await options.openSource(input.source, { followSymlinks: input.followSymlinks });
      return core.ingest.run(ctx, {
        source,
        repository: input.repository,
        branch: input.branch,
        prefix: input.prefix ?? '',
        accept: ingestFilter(input.include, input.exclude),
        concurrency: input.concurrency,
        provenance: options.provenance,
        onItem: progress?.onItem,
        onListed: progress?.onListed,
      });
    },
    listRepositories: () => core.repositories.list(ctx),
    createRepository: (input) => core.repositories.create(ctx, input),
    getRepository: (name) => core.repositories.get(ctx, name),
    deleteRepository: (name) => core.repositories.delete(ctx, name),
    updateRepository: (name, settings) => core.repositories.update(ctx, name, settings),
    createAccessKey: (input) => core.accessKeys.create(ctx, input),
    listAccessKeys: (input = {}) => core.accessKeys.list(ctx, input),
    revokeAccessKey: (id) => core.accessKeys.revoke(ctx, id),
    listBranches: (repository) => core.repositories.listBranches(ctx, repository),
    createBranch: (input) => core.repositories.createBranch(ctx, input),
    deleteBranch: (input) => core.repositories.deleteBranch(ctx, input),
    listTags: (repository) => core.repositories.listTags(ctx, repository),
    createTag: (input) => core.repositories.createTag(ctx, input),
    deleteTag: (input) => core.repositories.deleteTag(ctx, input),
    putObject: (input) => core.objects.put(ctx, input),
    putObjects: (inputs, options) => putBatched(core, ctx, { inputs, ...options }),
    getObject: (input) => core.objects.get(ctx, input),
    statObject: (input) => core.objects.stat(ctx, input),
    usage: (input) => core.objects.usage(ctx, input),
    listObjects: (input) => core.objects.list(ctx, input),
    deleteObject: async (input) => {
      await core.objects.delete(ctx, input);
    },
    deletePrefix: (input) => core.objects.deletePrefix(ctx, input),
    commit: (input) => core.commits.commit(ctx, input),
    status: (input) => core.commits.status(ctx, input),
    reset: (input) => core.commits.reset(ctx, input),
    log: (input) => core.commits.log(ctx, input),
    show: (input) => core.commits.show(ctx, input),
    diff: (input) => core.commits.diff(ctx, input),
    merge: (input) => core.merges.merge(ctx, input),
    revert: (input) => core.merges.revert(ctx, input),
    close: () => core.close(),
  };
}

/**
 * Stores contents with bounded parallelism, then stages them in batches: one transaction per
 * STAGE_BATCH objects instead of one per object. An object counts as written once staged.
 */
async function putBatched(
  core: StrataCore,
  ctx: CallContext,
  input: { inputs: UploadInput[]; concurrency?: number; onDone?: (info: ObjectInfo) => void },
): Promise<ObjectInfo[]> {
  const target = input.inputs[0];
  if (target && input.inputs.some((item) => item.repository !== target.repository || item.branch !== target.branch)) {
    throw invalidArgument('putObjects writes to one repository and branch at a time');
  }
  const results: ObjectInfo[] = [];
  for (let start = 0; start < input.inputs.length; start += STAGE_BATCH) {
    const batch = input.inputs.slice(start, start + STAGE_BATCH);
    const contents = await mapConcurrent(batch, input.concurrency ?? 8, (item) =>
      core.objects.writeContent(ctx, { repository: item.repository, branch: item.branch, body: item.body }),
    );
    const first = batch[0] as UploadInput;
    const staged = await core.objects.stage(ctx, {
      repository: first.repository,
      branch: first.branch,
      objects: batch.map((item, i) => ({ path: item.path, content: contents[i] as Awaited<ReturnType<typeof core.objects.writeContent>>, contentType: item.contentType, metadata: item.metadata })),
    });
    for (const info of staged) input.onDone?.(info);
    results.push(...staged);
  }
  return results;
}
