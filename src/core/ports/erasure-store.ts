/**
 * What erasure needs from the metadata database (`metadata.erasure`): the contents it
 * destroyed (consulted on every read), its signed certificates, the marks it leaves on what it
 * could not undo (a model trained on erased data), the staged rows holding an erased content,
 * and a scrub that leaves no deleted row's bytes in the database files.
 */

/** A content an erasure destroyed: reads of it answer `Erased` with the erasure's id. */
export interface ErasedContent {
  sha256: string;
  erasureId: string;
}

export interface ErasureRecord {
  id: string;
  createdAt: string;
  actor: string;
  /** What was asked, as typed (`repo@ref:path`, `source:<uri>`, `sha256:<hex>`, `dataset:<name>`). */
  target: string;
  /** The certificate, as the exact JSON text that was signed. */
  certificate: string;
  /** Base64 Ed25519 signature over `certificate` (empty when the process had no audit key). */
  signature: string;
  keyId: string;
}

/** A mark on something an erasure could not undo, e.g. `trained-on-erased-data` on `model:m/3`. */
export interface ErasureMark {
  /** A lineage node key. */
  subject: string;
  erasureId: string;
  mark: string;
}

export interface StagedHit {
  repository: string;
  branch: string;
  path: string;
  sha256: string;
}

export interface ErasureStore {
  /** Records destroyed contents (a content erased twice keeps its first erasure). */
  recordErased(contents: ErasedContent[], at: string): Promise<void>;
  /** How many contents were ever erased: the readers' cache reloads when it changes. */
  countErased(): Promise<number>;
  listErased(): Promise<ErasedContent[]>;
  saveErasure(record: ErasureRecord): Promise<void>;
  getErasure(id: string): Promise<ErasureRecord | undefined>;
  /** Newest first. */
  listErasures(limit: number): Promise<ErasureRecord[]>;
  addMarks(marks: ErasureMark[], at: string): Promise<void>;
  marksOf(subjects: string[]): Promise<ErasureMark[]>;
  /** Staged rows (of any branch) whose content is one of `sha256s`. */
  stagedWith(sha256s: string[]): Promise<StagedHit[]>;
  /** Multipart parts whose content is one of `sha256s`, by upload. */
  partsWith(sha256s: string[]): Promise<Array<{ uploadId: string; repository: string }>>;
  /**
   * Leaves no bytes of deleted rows in the database's files: SQLite (secure_delete on) merges the
   * full-text index and checkpoints the WAL into the main file, truncating it; PostgreSQL
   * vacuums the tables erasure deletes from (freed space is reused, not zeroed: see docs).
   */
  scrub(): Promise<void>;
}
