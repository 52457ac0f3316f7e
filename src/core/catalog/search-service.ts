import { permits } from '../access/permits.ts';
import { invalidArgument } from '../errors.ts';
import { compareKeys } from '../keys.ts';
import type { Entry } from '../objects/entry.ts';
import type { DatasetRecord } from '../ports/metadata-store.ts';
import type { PropertyFilter, SearchDocument, SearchHit, SearchIndexState, SearchKind, SearchQuery, SearchScope } from '../ports/search-index.ts';
import { authorize, permitted, type VersioningDeps } from '../versioning/deps.ts';
import type { ObjectService } from '../versioning/object-service.ts';
import { requireCommit, requireRepository } from '../versioning/refs.ts';
import { diffTrees, type TreeChange } from '../versioning/tree/tree-diff.ts';
import type { CallContext } from '../versioning/types.ts';
import { CARD_NAME, readDatasetCard } from './dataset-card.ts';
import { indexText, searchWords } from './search-text.ts';

export interface SearchInput {
  /** Words to look for, in any order; each matches whole words and word prefixes. '' lists by filters only. */
  text: string;
  /** Datasets, objects or both (default). */
  kinds?: SearchKind[];
  repository?: string;
  type?: string;
  tag?: string;
  owner?: string;
  license?: string;
  /** Default 20, at most 1000. */
  limit?: number;
  offset?: number;
}

export interface SearchResponse {
  hits: SearchHit[];
  total: number;
}

export interface SearchServiceOptions {
  /** Object changes applied per transaction while bringing the index up to a commit. Default 2,000. */
  batch?: number;
}
const MAX_LIMIT = 1000;
/** A refresh applying this many changes is a bulk load: the engine's statistics are updated after it. */
const BULK = 10_000;
const TYPE = /^[\w.+-]+(\/([\w.+-]+|\*))?$/;

/**
 * The catalog search: datasets (name, description, tags, labels, properties, card) and the
 * objects of each repository's default branch (path, extracted title and author, column names,
 * tags). Dataset documents change with the dataset; object documents follow the default branch,
 * brought up to its head before every search (and at the end of an ingest), by applying the tree
 * diff since the last indexed commit — O(changes), resumable, safe with several processes.
 */
export class SearchService {
  constructor(
    private readonly deps: VersioningDeps,
    private readonly objects: ObjectService,
    private readonly options: SearchServiceOptions = {},
  ) {}

  async search(ctx: CallContext, input: SearchInput): Promise<SearchResponse> {
    await authorize(this.deps, ctx, { action: 'catalog:search' });
    const limit = input.limit ?? 20;
    const offset = input.offset ?? 0;
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) throw invalidArgument(`limit must be an integer from 1 to ${MAX_LIMIT}`);
    if (!Number.isInteger(offset) || offset < 0) throw invalidArgument('offset must be a non-negative integer');
    if (input.type !== undefined && !TYPE.test(input.type)) throw invalidArgument(`invalid type '${input.type}': use a media type (application/pdf), a top-level type (image) or image/*`);
    const { readable, all } = await this.readableRepositories(ctx, input.repository);
    const stale = new Set(await this.deps.metadata.search.staleRepositories());
    for (const repository of readable) if (stale.has(repository)) await this.refresh(repository);
    const query = { words: searchWords(input.text), kinds: input.kinds ?? ['dataset', 'object'], limit, offset };
    const filters = await this.propertyFilters(input);
    // Every repository readable and none asked for: no repository condition for the planner to weigh.
    const scope = all ? {} : { repositories: readable };
    // Objects are indexed from default branches: what a rule hides is asked there, each repository's read once.
    const branches = new Map<string, Promise<string>>();
    const defaultBranch = (repository: string): Promise<string> => {
      let branch = branches.get(repository);
      if (branch === undefined) branches.set(repository, (branch = this.deps.metadata.getRepository(repository).then((r) => r?.defaultBranch ?? 'main')));
      return branch;
    };
    const hidden = await this.hiddenScopes(ctx, { repositories: readable, defaultBranch });
    const result = await this.deps.metadata.search.search({ ...query, ...filters, ...(input.type === undefined ? {} : { type: input.type }), ...scope, ...(hidden.length > 0 ? { hidden } : {}) });
    // Path rules (not tied to a dataset) are applied hit by hit: a page may come out shorter, never leak.
    const shown = await Promise.all(result.hits.map(async (hit) => {
      const request = { actor: ctx.actor, repository: hit.repository, path: hit.path };
      return hit.kind === 'dataset' ? permits(this.deps.authorizer, { ...request, action: 'dataset:read' }) : permits(this.deps.authorizer, { ...request, action: 'object:list', ref: await defaultBranch(hit.repository) });
    }));
    return { ...result, hits: result.hits.filter((_, i) => shown[i]) };
  }

  /** The labelled datasets of `repositories` the caller may not list (by a label rule): their documents stay out. */
  private async hiddenScopes(ctx: CallContext, input: { repositories: string[]; defaultBranch(repository: string): Promise<string> }): Promise<SearchScope[]> {
    const readable = new Set(input.repositories);
    const labelled = (await this.deps.metadata.listDatasets({})).filter((d) => d.labels.length > 0 && readable.has(d.repository));
    const hidden: SearchScope[] = [];
    for (const dataset of labelled) {
      const listable = await permits(this.deps.authorizer, { actor: ctx.actor, action: 'object:list', repository: dataset.repository, path: dataset.prefix, ref: await input.defaultBranch(dataset.repository) });
      if (!listable) hidden.push({ repository: dataset.repository, prefix: dataset.prefix });
    }
    return hidden;
  }

  /**
   * Brings the repository's object documents up to its default branch head. Changes are applied
   * in path order, `options.batch` at a time, each batch moving the recorded state by compare-and-swap:
   * a refresh cut short is continued by the next one, and two processes refreshing at once never
   * apply a change twice or out of order. Returns the number of changed paths applied.
   */
  async refresh(repository: string, onProgress?: (applied: number) => void): Promise<number> {
    const applied = await this.catchUp(repository, onProgress);
    if (applied >= BULK) await this.deps.metadata.search.updateStatistics();
    return applied;
  }

  private async catchUp(repository: string, onProgress?: (applied: number) => void): Promise<number> {
    let applied = 0;
    for (let rounds = 0; rounds < 100; rounds++) {
      const record = await this.deps.metadata.getRepository(repository);
      const branch = record && (await this.deps.metadata.getBranch(repository, record.defaultBranch));
      if (!branch) return applied;
      const state = await this.deps.metadata.search.getState(repository);
      if (state.target === null && state.commit === branch.head) return applied;
      const done = await this.applyTowards({
        repository,
        start: state,
        target: state.target ?? branch.head,
        onApplied: (n) => {
          applied += n;
          onProgress?.(applied);
        },
      });
      if (done) await this.refreshCards(repository, done);
    }
    return applied;
  }

  /** Writes (or rewrites) a dataset's document: its record and card. */
  async indexDataset(dataset: DatasetRecord): Promise<void> {
    const card = await this.readCard(dataset);
    const properties = Object.entries(dataset.properties).flatMap(([key, value]) => [key, value]);
    const document: SearchDocument = {
      kind: 'dataset',
      repository: dataset.repository,
      path: dataset.prefix,
      dataset: dataset.name,
      name: indexText(dataset.name),
      title: indexText(dataset.description),
      tags: indexText(...dataset.tags, ...dataset.labels),
      body: indexText(dataset.source, ...properties, card),
      tagList: [...new Set([...dataset.tags, ...dataset.labels])],
      contentType: '',
      size: 0,
      summary: dataset.description,
      owner: dataset.owner,
    };
    if (dataset.license !== undefined) document.license = dataset.license;
    await this.deps.metadata.search.putDataset(document);
  }

  /**
   * Applies the diff from the state's commit to `target`, batch by batch. Returns the README
   * paths that changed when the state reached the target, or undefined when another refresher
   * moved the state first (the caller starts over from the new state).
   */
  private async applyTowards(input: { repository: string; start: SearchIndexState; target: string; onApplied: (n: number) => void }): Promise<Set<string> | undefined> {
    const { repository, start, target, onApplied } = input;
    const left = start.commit === null ? null : (await requireCommit(this.deps, repository, start.commit)).treeId;
    const right = (await requireCommit(this.deps, repository, target)).treeId;
    const cards = new Set<string>();
    let state = start;
    let batch: TreeChange[] = [];
    const flush = async (last: boolean): Promise<boolean> => {
      const to: SearchIndexState = last ? { commit: target, target: null, cursor: null } : { commit: state.commit, target, cursor: batch.at(-1)?.path ?? state.cursor };
      const ok = await this.deps.metadata.search.applyBatch({
        repository,
        from: state,
        to,
        upserts: batch.flatMap((c) => (c.right ? [objectDocument(repository, c.path, c.right)] : [])),
        deletes: batch.flatMap((c) => (c.right ? [] : [c.path])),
      });
      if (ok) onApplied(batch.length);
      state = to;
      batch = [];
      return ok;
    };
    for await (const change of diffTrees(this.deps.nodes, { left, right })) {
      if (start.cursor !== null && compareKeys(change.path, start.cursor) <= 0) continue;
      if (change.path === CARD_NAME || change.path.endsWith(`/${CARD_NAME}`)) cards.add(change.path);
      batch.push(change);
      if (batch.length >= (this.options.batch ?? 2000) && !(await flush(false))) return undefined;
    }
    return (await flush(true)) ? cards : undefined;
  }

  /** Re-indexes the datasets whose card (README.md at their prefix) changed. */
  private async refreshCards(repository: string, cards: Set<string>): Promise<void> {
    if (cards.size === 0) return;
    for (const dataset of await this.deps.metadata.listDatasets({ repository })) {
      if (cards.has(`${dataset.prefix}${CARD_NAME}`)) await this.indexDataset(dataset);
    }
  }

  /** The card as committed on the default branch (what the object documents reflect too). */
  private async readCard(dataset: DatasetRecord): Promise<string | undefined> {
    const repository = await this.deps.metadata.getRepository(dataset.repository);
    if (!repository) return undefined;
    const system: CallContext = { actor: { id: 'strata:search' } };
    return readDatasetCard(this.objects, system, { repository: dataset.repository, ref: repository.defaultBranch, prefix: dataset.prefix });
  }

  /**
   * Tag, owner and license filters with the datasets that carry each value, so objects inside
   * those datasets match too. The catalog holds datasets by the thousand, so they are read whole.
   */
  private async propertyFilters(input: SearchInput): Promise<Pick<SearchQuery, 'tag' | 'owner' | 'license'>> {
    if (input.tag === undefined && input.owner === undefined && input.license === undefined) return {};
    const datasets = await this.deps.metadata.listDatasets({});
    const filter = (value: string, carries: (d: DatasetRecord) => boolean): PropertyFilter => ({
      value,
      scopes: datasets.filter(carries).map((d) => ({ repository: d.repository, prefix: d.prefix })),
    });
    const out: Pick<SearchQuery, 'tag' | 'owner' | 'license'> = {};
    const { tag, owner, license } = input;
    if (tag !== undefined) out.tag = filter(tag, (d) => d.tags.includes(tag) || d.labels.includes(tag));
    if (owner !== undefined) out.owner = filter(owner, (d) => d.owner === owner);
    if (license !== undefined) out.license = filter(license, (d) => d.license === license);
    return out;
  }

  /** The repositories the caller may read, narrowed to `only` when given; `all` when that is every one. */
  private async readableRepositories(ctx: CallContext, only: string | undefined): Promise<{ readable: string[]; all: boolean }> {
    const names = only === undefined ? (await this.deps.metadata.listRepositories()).map((r) => r.name) : [(await requireRepository(this.deps, only)).name];
    const allowed = await permitted(this.deps, ctx, { action: 'object:list', repositories: names });
    const readable = names.filter((name) => allowed.has(name));
    return { readable, all: only === undefined && readable.length === names.length };
  }
}

/** What is searchable about an object: its path, extracted title, author and columns, its tags. */
export function objectDocument(repository: string, path: string, entry: Entry): SearchDocument {
  const extracted = entry.extracted ?? {};
  const text = (key: string): string | undefined => (typeof extracted[key] === 'string' ? extracted[key] : undefined);
  const tags = Object.entries(entry.tags ?? {});
  return {
    kind: 'object',
    repository,
    path,
    name: indexText(path),
    title: indexText(text('title')),
    tags: indexText(...tags.flat()),
    body: indexText(text('author'), text('columns'), text('language')),
    tagList: tags.flatMap(([key, value]) => [key, `${key}=${value}`]),
    contentType: entry.contentType,
    size: entry.size,
    summary: text('title') ?? '',
  };
}
