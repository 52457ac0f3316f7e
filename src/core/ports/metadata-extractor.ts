/** A value extracted from a file: flat, so it can be shown, filtered and indexed. */
export type ExtractedValue = string | number | boolean;

/** What is known about a file's contents once it has been read. */
export interface Extraction {
  /** MIME type sniffed from the bytes (the file name only breaks ties between text formats). */
  contentType: string;
  /** Format-specific fields: encoding, title, counts, dimensions… */
  fields: Record<string, ExtractedValue>;
  /** Why extraction failed, when it did; the object is stored all the same. */
  error?: string;
}

/** Watches one file's bytes as they stream by, then says what the file is. */
export interface ExtractionSession {
  update(bytes: Uint8Array): void;
  finish(): Promise<Extraction>;
}

/** Metadata extraction at ingest. Adapter: `src/adapters/extract/`. */
export interface MetadataExtractor {
  start(input: { path: string; size?: number }): ExtractionSession;
}
