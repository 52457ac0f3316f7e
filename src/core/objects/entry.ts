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
  /**
   * Stored response headers given by the writer, lowercase names: cache-control,
   * content-disposition, content-encoding, content-language, expires, x-amz-checksum-*.
   */
  headers?: Record<string, string>;
  /** S3 object tags. */
  tags?: Record<string, string>;
  /** The S3 ETag when it is not `md5` (a multipart upload's `md5-of-part-md5s-N`). */
  etag?: string;
  /** Sizes of the parts of a multipart upload, in order (S3 GetObject `partNumber`). */
  partSizes?: number[];
  /** Where an ingested object came from. */
  provenance?: Provenance;
  /** Metadata extracted at ingest (format-specific fields; `error` when extraction failed). */
  extracted?: Record<string, string | number | boolean>;
}

export interface Provenance {
  /** The original location: `file:///…`, `s3://…`, `https://…`. */
  source: string;
  /** Its modification time at the source (ISO 8601), when known. */
  modified?: string;
}

/** What a writer says about an object besides its bytes. */
export interface ObjectTemplate {
  contentType?: string;
  metadata?: Record<string, string>;
  headers?: Record<string, string>;
  tags?: Record<string, string>;
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
  const metadata = sortedMap(entry.metadata);
  if (metadata) out.metadata = metadata;
  const headers = sortedMap(entry.headers);
  if (headers) out.headers = headers;
  const tags = sortedMap(entry.tags);
  if (tags) out.tags = tags;
  if (entry.etag !== undefined) out.etag = entry.etag;
  if (entry.partSizes !== undefined) out.partSizes = entry.partSizes;
  if (entry.provenance !== undefined) {
    out.provenance = entry.provenance.modified === undefined ? { source: entry.provenance.source } : { source: entry.provenance.source, modified: entry.provenance.modified };
  }
  if (entry.extracted !== undefined && Object.keys(entry.extracted).length > 0) {
    out.extracted = Object.fromEntries(Object.entries(entry.extracted).sort(([a], [b]) => (a < b ? -1 : 1)));
  }
  return out;
}

function sortedMap(map: Record<string, string> | undefined): Record<string, string> | undefined {
  if (map === undefined || Object.keys(map).length === 0) return undefined;
  return Object.fromEntries(Object.entries(map).sort(([a], [b]) => (a < b ? -1 : 1)));
}

/** The S3 ETag of an entry, quoted as S3 sends it. */
export function etagOf(entry: Entry): string {
  return `"${entry.etag ?? entry.md5}"`;
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
