/** The model registry's records. Adapter: `adapters/db/model-queries.ts`. */
export interface RegisteredModelRecord {
  name: string;
  description: string;
  tags: string[];
  createdAt: string;
  createdBy: string;
}

/** One version of a model: an exact artifact (a file or a prefix at a commit). */
export interface ModelVersionRecord {
  model: string;
  /** 1, 2, 3 … in registration order. */
  version: number;
  repository: string;
  commit: string;
  /** A file, or a prefix ending in '/' ('' for the whole commit). */
  path: string;
  /** The run that produced it. */
  runId?: string;
  description: string;
  metadata: Record<string, string>;
  createdAt: string;
  createdBy: string;
}

export interface ModelAliasRecord {
  model: string;
  alias: string;
  version: number;
  updatedAt: string;
  updatedBy: string;
}

/** One move of an alias: set (`to`), moved (`from` → `to`) or removed (`from` only). */
export interface AliasEvent {
  model: string;
  alias: string;
  from?: number;
  to?: number;
  at: string;
  actor: string;
}

export interface ModelStore {
  /** Inserts a model; Conflict if the name exists. */
  createModel(model: RegisteredModelRecord): Promise<void>;
  getModel(name: string): Promise<RegisteredModelRecord | undefined>;
  listModels(): Promise<RegisteredModelRecord[]>;
  /** Inserts the next version (1 + the highest so far), atomically; returns it. */
  addVersion(version: Omit<ModelVersionRecord, 'version'>): Promise<ModelVersionRecord>;
  getVersion(model: string, version: number): Promise<ModelVersionRecord | undefined>;
  /** In version order. */
  listVersions(model: string): Promise<ModelVersionRecord[]>;
  /**
   * Atomically points the alias at `event.to` (or removes it when `to` is absent) and appends the
   * event to the alias history; `event.from` is filled in with the previous version.
   */
  moveAlias(event: AliasEvent): Promise<AliasEvent>;
  getAlias(model: string, alias: string): Promise<ModelAliasRecord | undefined>;
  listAliases(model: string): Promise<ModelAliasRecord[]>;
  /** Oldest first. */
  aliasHistory(model: string): Promise<AliasEvent[]>;
}
