import type { DatasetRecord } from '../ports/metadata-store.ts';

/** How long a process trusts a repository's labelled prefixes before reading them again. */
const LABELS_TTL_MS = 1_000;

const NONE: string[] = [];

interface Labelled {
  prefix: string;
  labels: readonly string[];
}

/**
 * The classification labels of a path: those of every dataset of its repository whose prefix
 * contains it, on any ref (a label follows the prefix, not a branch, so reading an older commit
 * or a tag does not escape it). A listed prefix carries a dataset's labels only when it lies
 * inside that dataset; the entries of a wider listing are decided one by one.
 *
 * Read per repository and cached; this process's dataset changes drop the cache at once
 * (`invalidate`), another process's show within `LABELS_TTL_MS`.
 */
export class DatasetLabels {
  private readonly cache = new Map<string, { at: number; entries: Promise<Labelled[]> }>();

  constructor(private readonly deps: { datasets(repository: string): Promise<DatasetRecord[]>; now(): number }) {}

  async of(repository: string, path: string): Promise<string[]> {
    return (await this.matcher(repository))(path);
  }

  /** The labels of any path of the repository, answered without waiting (for a listing's entries). */
  async matcher(repository: string): Promise<(path: string) => string[]> {
    const entries = await this.entriesOf(repository);
    return (path) => {
      let labels: Set<string> | undefined;
      for (const entry of entries) if (path.startsWith(entry.prefix)) for (const label of entry.labels) (labels ??= new Set()).add(label);
      return labels === undefined ? NONE : [...labels];
    };
  }

  invalidate(): void {
    this.cache.clear();
  }

  private entriesOf(repository: string): Promise<Labelled[]> {
    const now = this.deps.now();
    const cached = this.cache.get(repository);
    if (cached !== undefined && now - cached.at < LABELS_TTL_MS) return cached.entries;
    const entries = this.deps.datasets(repository).then((datasets) => datasets.filter((d) => d.labels.length > 0).map((d) => ({ prefix: d.prefix, labels: d.labels })));
    if (this.cache.size > 10_000) this.cache.clear();
    this.cache.set(repository, { at: now, entries });
    entries.catch(() => this.cache.delete(repository));
    return entries;
  }
}
