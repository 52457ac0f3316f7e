import { permits } from '../access/permits.ts';
import { invalidArgument, notFound } from '../errors.ts';
import { assertPrefix, assertRepositoryName } from '../names.ts';
import type { DatasetFilter, DatasetRecord } from '../ports/metadata-store.ts';
import { authorize, type VersioningDeps } from '../versioning/deps.ts';
import type { ObjectService } from '../versioning/object-service.ts';
import { requireRepository, resolveRef } from '../versioning/refs.ts';
import type { CallContext } from '../versioning/types.ts';
import { readDatasetCard } from './dataset-card.ts';
import type { SearchService } from './search-service.ts';

export interface DatasetInput {
  name: string;
  repository: string;
  prefix?: string;
  owner?: string;
  description?: string;
  license?: string;
  source?: string;
  tags?: string[];
  labels?: string[];
  properties?: Record<string, string>;
}

/** What a dataset holds at one version (commit or branch state). */
export interface DatasetVersion {
  ref: string;
  commit: string;
  objects: number;
  /** Sum of the objects' sizes. */
  logicalBytes: number;
  /** Bytes of the distinct contents among them (identical files stored once). */
  physicalBytes: number;
  byType: Record<string, { objects: number; bytes: number }>;
  /** Columns of the tabular files (as extracted at ingest), by path; at most 50 files. */
  schemas: Record<string, string>;
  /** Earliest and latest modification time of the objects' sources, when recorded. */
  sources?: { from: string; to: string };
  /** The dataset card: `README.md` at the prefix, as text (first 64 KiB). */
  card?: string;
}

const TAG = /^[\w.:+-]{1,64}$/;
const SCHEMA_FILES = 50;

/** The dataset catalog: named prefixes of repositories with owner, license, tags, labels and a card. */
export class DatasetService {
  constructor(
    private readonly deps: VersioningDeps,
    private readonly objects: ObjectService,
    /** `labelsChanged` is called after a dataset's prefix or labels may have changed (label rules read them). */
    private readonly parts: { search: SearchService; labelsChanged(): void },
  ) {}

  private get search(): SearchService {
    return this.parts.search;
  }

  private labelsChanged(): void {
    this.parts.labelsChanged();
  }

  async create(ctx: CallContext, input: DatasetInput): Promise<DatasetRecord> {
    assertRepositoryName(input.name);
    await requireRepository(this.deps, input.repository);
    const prefix = normalizePrefix(input.prefix ?? '');
    await authorize(this.deps, ctx, { action: 'dataset:create', repository: input.repository });
    const now = this.deps.clock.now().toISOString();
    const dataset: DatasetRecord = {
      name: input.name,
      repository: input.repository,
      prefix,
      owner: input.owner ?? ctx.actor.id,
      description: input.description ?? '',
      tags: checkTags(input.tags ?? []),
      labels: checkTags(input.labels ?? []),
      properties: input.properties ?? {},
      createdAt: now,
      createdBy: ctx.actor.id,
      updatedAt: now,
    };
    if (input.license !== undefined) dataset.license = input.license;
    if (input.source !== undefined) dataset.source = input.source;
    await this.deps.metadata.createDataset(dataset);
    this.labelsChanged();
    await this.search.indexDataset(dataset);
    return dataset;
  }

  async get(ctx: CallContext, name: string): Promise<DatasetRecord> {
    const dataset = await this.deps.metadata.getDataset(name);
    if (!dataset) throw notFound(`dataset '${name}' not found`);
    await authorize(this.deps, ctx, { action: 'dataset:read', repository: dataset.repository, path: dataset.prefix });
    return dataset;
  }

  async list(ctx: CallContext, filter: DatasetFilter = {}): Promise<DatasetRecord[]> {
    await authorize(this.deps, ctx, { action: 'dataset:list' });
    const all = await this.deps.metadata.listDatasets(filter);
    const shown = await Promise.all(all.map((d) => permits(this.deps.authorizer, { actor: ctx.actor, action: 'dataset:read', repository: d.repository, path: d.prefix })));
    return all.filter((_, i) => shown[i]);
  }

  /** Adds and removes tags (or labels). */
  async tag(ctx: CallContext, input: { name: string; add?: string[]; remove?: string[]; field?: 'tags' | 'labels' }): Promise<DatasetRecord> {
    const dataset = await this.get(ctx, input.name);
    await authorize(this.deps, ctx, { action: 'dataset:update', repository: dataset.repository });
    const field = input.field ?? 'tags';
    const kept = dataset[field].filter((t) => !(input.remove ?? []).includes(t));
    const updated = { ...dataset, [field]: [...new Set([...kept, ...checkTags(input.add ?? [])])].sort(), updatedAt: this.deps.clock.now().toISOString() };
    await this.deps.metadata.updateDataset(updated);
    this.labelsChanged();
    await this.search.indexDataset(updated);
    return updated;
  }

  /** The dataset's contents at a ref (default: the repository's default branch), summarised. */
  async version(ctx: CallContext, input: { name: string; ref?: string }): Promise<DatasetVersion> {
    const dataset = await this.get(ctx, input.name);
    const repository = await requireRepository(this.deps, dataset.repository);
    const ref = input.ref ?? repository.defaultBranch;
    const resolved = await resolveRef(this.deps, dataset.repository, ref);
    const version: DatasetVersion = { ref, commit: resolved.commit.id, objects: 0, logicalBytes: 0, physicalBytes: 0, byType: {}, schemas: {} };
    const contents = new Map<string, number>();
    let from: string | undefined;
    let to: string | undefined;
    for (let after: string | undefined; ; ) {
      const page = await this.objects.list(ctx, { repository: dataset.repository, ref, prefix: dataset.prefix, after, limit: 5000 });
      for (const object of page.objects) {
        version.objects++;
        version.logicalBytes += object.size;
        contents.set(object.sha256, object.size);
        const type = (version.byType[object.contentType] ??= { objects: 0, bytes: 0 });
        type.objects++;
        type.bytes += object.size;
        const columns = object.extracted?.columns;
        if (typeof columns === 'string' && Object.keys(version.schemas).length < SCHEMA_FILES) version.schemas[object.path] = columns;
        const modified = object.provenance?.modified;
        if (modified !== undefined) {
          if (from === undefined || modified < from) from = modified;
          if (to === undefined || modified > to) to = modified;
        }
      }
      if (!page.truncated) break;
      after = page.nextAfter;
    }
    version.physicalBytes = [...contents.values()].reduce((sum, size) => sum + size, 0);
    if (from !== undefined && to !== undefined) version.sources = { from, to };
    const card = await readDatasetCard(this.objects, ctx, { repository: dataset.repository, ref, prefix: dataset.prefix });
    if (card !== undefined) version.card = card;
    return version;
  }
}

function normalizePrefix(prefix: string): string {
  assertPrefix(prefix);
  return prefix === '' || prefix.endsWith('/') ? prefix : `${prefix}/`;
}

function checkTags(tags: string[]): string[] {
  for (const tag of tags) if (!TAG.test(tag)) throw invalidArgument(`invalid tag '${tag}': use up to 64 letters, digits, '.', ':', '+', '_' or '-'`);
  return [...new Set(tags)].sort();
}
