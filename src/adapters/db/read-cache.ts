/**
 * Point reads that every request on the read path repeats (the repository, the branch head, the
 * staged row of a path, the access key), kept for as long as the database has not changed.
 *
 * Validity rests on `changeToken`: a value that differs whenever any connection, in this process
 * or another, has changed the database since it was last read (SQLite: `data_version` and this
 * connection's `total_changes()`). Each read asks for the token first: a new token drops every
 * entry, and a value loaded under an older token is not kept. So a read never returns what a
 * write acknowledged before the read started has replaced — S3's read-after-write, across
 * processes. When the engine cannot tell cheaply (`changeToken` gives undefined), nothing is kept.
 *
 * Any write anywhere drops everything: coarse, and still right for the workload it serves (a
 * training job reading the same few refs many thousands of times between writes).
 */
export class ChangeTokenCache {
  private token: string | undefined;
  private readonly entries = new Map<string, unknown>();

  constructor(
    private readonly changeToken: () => string | undefined,
    private readonly limit = 10_000,
  ) {}

  async get<T>(key: string, load: () => Promise<T>): Promise<T> {
    const token = this.changeToken();
    if (token === undefined) return load();
    if (token !== this.token) {
      this.entries.clear();
      this.token = token;
    }
    if (this.entries.has(key)) return this.entries.get(key) as T;
    const value = await load();
    if (this.token === token) {
      if (this.entries.size >= this.limit) this.entries.clear();
      // Frozen: every caller shares the object, and one changing it would change it for all.
      this.entries.set(key, typeof value === 'object' && value !== null ? Object.freeze(value) : value);
    }
    return value;
  }
}
