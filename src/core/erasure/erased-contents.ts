import { StrataError } from '../errors.ts';
import type { ErasureStore } from '../ports/erasure-store.ts';

/** How long a process trusts its copy of the erased set before asking the database again. */
const REFRESH_MS = 1000;

/** The error every read of an erased content answers (REST 451, S3 AccessDenied, CLI exit 11). */
export function erasedError(sha256: string, erasureId: string): StrataError {
  return new StrataError('Erased', `this content was erased (erasure ${erasureId}) and is unavailable for legal reasons`, { details: { reason: 'erased', erasure: erasureId, sha256 } });
}

/**
 * The contents erasures destroyed, as every read path consults them. The set is small (what
 * was erased, never what was kept) and only grows, so each process holds it whole and reloads
 * it when the count in the database changes, asking at most once a second: another process's
 * erasure is seen within a second (its blobs are gone by then anyway: a read in that second
 * fails as a missing blob), this process's at once.
 */
export class ErasedContents {
  private erased = new Map<string, string>();
  private count = -1;
  private checkedAt = 0;
  private loading: Promise<void> | undefined;

  constructor(
    private readonly store: ErasureStore,
    private readonly now: () => number = Date.now,
  ) {}

  /** The erasure that destroyed `sha256`, if any. */
  async erasureOf(sha256: string): Promise<string | undefined> {
    await this.fresh();
    return this.erased.get(sha256);
  }

  /** Throws `Erased` when `sha256` was erased. */
  async check(sha256: string): Promise<void> {
    const id = await this.erasureOf(sha256);
    if (id !== undefined) throw erasedError(sha256, id);
  }

  /** After this process recorded an erasure: the next check reloads. */
  invalidate(): void {
    this.checkedAt = 0;
    this.count = -1;
  }

  private fresh(): Promise<void> {
    if (this.now() - this.checkedAt < REFRESH_MS) return Promise.resolve();
    this.loading ??= this.reload().finally(() => {
      this.loading = undefined;
    });
    return this.loading;
  }

  private async reload(): Promise<void> {
    const count = await this.store.countErased();
    if (count !== this.count) {
      this.erased = new Map((await this.store.listErased()).map((c) => [c.sha256, c.erasureId]));
      this.count = count;
    }
    this.checkedAt = this.now();
  }
}
