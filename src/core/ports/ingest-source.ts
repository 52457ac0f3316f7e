/**
 * Where an ingest reads from: a local folder, a list of paths or URLs, an S3 prefix. Adapters
 * live in `src/adapters/ingest/`; the ingest service sees only this port.
 */
export interface SourceItem {
  /** Path relative to the source root, `/`-separated; stored at `<prefix>/<path>`. */
  path: string;
  /** Where the item came from: `file:///abs/path`, `s3://bucket/key`, `https://…`. */
  location: string;
  size?: number;
  /** Last modification at the source (ISO 8601), when the source knows it. */
  modified?: string;
}

export interface IngestSource {
  /** The source as given, recorded in the ingest commit. */
  readonly uri: string;
  /** Every item, in a stable order. */
  list(): AsyncIterable<SourceItem>;
  /** The item's bytes; rejects when the item cannot be read. */
  open(item: SourceItem, signal?: AbortSignal): Promise<AsyncIterable<Uint8Array>>;
}
