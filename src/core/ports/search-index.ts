/**
 * The catalog's full-text index: one document per dataset and per object of each repository's
 * default branch. Adapters: SQLite FTS5 and PostgreSQL full-text search (a `tsvector` with a GIN
 * index), both behind the same query; both pass
 * `test/conformance/search-index-suite.ts`.
 *
 * Text is indexed and queried as the words `searchWords()` (core/catalog/search-text.ts) makes of
 * it, so the two engines see the same tokens and return the same documents.
 */
export type SearchKind = 'dataset' | 'object';

/** One searchable thing. Text fields hold words already normalised by `searchWords()`. */
export interface SearchDocument {
  kind: SearchKind;
  repository: string;
  /** The object's path, or the dataset's prefix. */
  path: string;
  /** The dataset's name (datasets only). */
  dataset?: string;
  /** Words of the name: the dataset's name, or the object's path. Weighted highest. */
  name: string;
  /** Words of the extracted title (objects) or the description (datasets). */
  title: string;
  /** Words of the tags and labels. */
  tags: string;
  /** Everything else: column names, authors, card text, properties. */
  body: string;
  /** Exact tags and labels, for the tag filter. */
  tagList: string[];
  /** The object's content type; '' for datasets. */
  contentType: string;
  /** The object's size; 0 for datasets. */
  size: number;
  /** Shown in results: the extracted title or the description, as written. */
  summary: string;
  /** The dataset's owner and license (datasets only; objects inherit them through their datasets). */
  owner?: string;
  license?: string;
}

/** How far a repository's object documents have been brought up to its default branch. */
export interface SearchIndexState {
  /** The commit whose objects the index holds; null before the first refresh. */
  commit: string | null;
  /** The commit being applied, when a refresh is under way (or was interrupted). */
  target: string | null;
  /** The last path of the target applied so far (changes are applied in path order). */
  cursor: string | null;
}

export interface SearchBatch {
  repository: string;
  /** The state the batch was computed from; the batch is refused if the state has moved. */
  from: SearchIndexState;
  to: SearchIndexState;
  /** Object documents to insert or replace (by repository and path). */
  upserts: SearchDocument[];
  /** Object paths whose documents go. */
  deletes: string[];
}

/** A dataset's place: objects of `repository` whose path starts with `prefix`. */
export interface SearchScope {
  repository: string;
  prefix: string;
}

/**
 * A dataset property to filter on: dataset documents match on their own value; object documents
 * match when they lie inside one of `scopes` (the datasets carrying the value, found by the caller).
 */
export interface PropertyFilter {
  value: string;
  scopes: SearchScope[];
}

export interface SearchQuery {
  /** Words to match (all of them, each also as a prefix); none matches everything the filters let through. */
  words: string[];
  kinds: SearchKind[];
  /** Only documents of these repositories (the caller may read them); all when absent. */
  repositories?: string[];
  /** Leave out the documents under these prefixes (datasets the caller may not read, by a label rule). */
  hidden?: SearchScope[];
  /**
   * Content type: exact (`application/pdf`), or a top-level type (`image`, `image/*`). A dataset
   * matches when it holds an object of the type.
   */
  type?: string;
  /** Tags and labels; objects also match on their own tags (`key` or `key=value`). */
  tag?: PropertyFilter;
  owner?: PropertyFilter;
  license?: PropertyFilter;
  limit: number;
  offset: number;
}

export interface SearchHit {
  kind: SearchKind;
  repository: string;
  path: string;
  dataset?: string;
  summary: string;
  contentType: string;
  size: number;
  /** Higher is better; comparable within one result list only. */
  score: number;
}

export interface SearchResult {
  hits: SearchHit[];
  /** How many documents match in all (not only this page). */
  total: number;
}

export interface SearchIndex {
  getState(repository: string): Promise<SearchIndexState>;
  /** Repositories whose default-branch head is not what the index holds (or whose refresh is under way). */
  staleRepositories(): Promise<string[]>;
  /**
   * Atomically: checks the repository's state is still `batch.from`, applies the upserts and
   * deletes, and sets the state to `batch.to`. Returns false, changing nothing, when another
   * refresher moved the state first.
   */
  applyBatch(batch: SearchBatch): Promise<boolean>;
  /** Inserts or replaces the document of dataset `document.dataset`. */
  putDataset(document: SearchDocument): Promise<void>;
  deleteDataset(name: string): Promise<void>;
  /** Drops every document and the state of a repository. */
  dropRepository(repository: string): Promise<void>;
  /**
   * Brings the engine's planner statistics up to date after a bulk change (PostgreSQL plans a
   * freshly loaded table as nearly empty until it is analysed). May take a while; idempotent.
   */
  updateStatistics(): Promise<void>;
  /** Ranked matches: best first; ties by kind (datasets first), repository, then dataset name or object path. */
  search(query: SearchQuery): Promise<SearchResult>;
}
