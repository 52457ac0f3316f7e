/**
 * An entry: what a tree or a staging row records for one object path.
 * Contents live in the blob store under `sha256` (whole) or `manifest` (chunked).
 */
export interface Entry {
  /** SHA-256 of the whole content, lowercase hex. */
  sha256: string;
  /** Content length in bytes. */
  size: number;
  /** MD5 of the whole content, lowercase hex (the S3 ETag of single-part objects). */
  md5: string;
  /** MIME type given by the writer; `application/octet-stream` by default. */
  contentType: string;
  /** When the entry was written (ISO 8601). */
  mtime: string;
  /** Hash of the chunk manifest when the content is stored as content-defined chunks. */
  manifest?: string;
  /** User metadata (S3 x-amz-meta-*), keys sorted for canonical encoding. */
  metadata?: Record<string, string>;
}

export const DEFAULT_CONTENT_TYPE = 'application/octet-stream';

/** Canonical form: fixed field order, metadata keys sorted, absent fields omitted. */
export function canonicalEntry(entry: Entry): Entry {
  const out: Entry = {
    sha256: entry.sha256,
    size: entry.size,
    md5: entry.md5,
    contentType: entry.contentType,
    mtime: entry.mtime,
  };
  if (entry.manifest !== undefined) out.manifest = entry.manifest;
  if (entry.metadata !== undefined && Object.keys(entry.metadata).length > 0) {
    out.metadata = Object.fromEntries(Object.entries(entry.metadata).sort(([a], [b]) => (a < b ? -1 : 1)));
  }
  return out;
}

/**
 * True when two entries describe the same object version: same bytes, type and metadata.
 * `mtime` is left out on purpose: writing identical bytes again is not a new version, so a
 * re-run import changes nothing and commits nothing.
 */
export function sameEntry(a: Entry, b: Entry): boolean {
  return JSON.stringify({ ...canonicalEntry(a), mtime: '' }) === JSON.stringify({ ...canonicalEntry(b), mtime: '' });
}

/** True when two entries hold the same bytes, whatever their metadata. */
export function sameContent(a: Entry, b: Entry): boolean {
  return a.sha256 === b.sha256 && a.size === b.size;
}
