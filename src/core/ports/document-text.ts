/** The text of a document format that needs parsing (PDF, DOCX, HTML's main content). */
export interface DocumentText {
  text: string;
  title?: string;
  pages?: number;
}

/** Reads the text of document formats for recipes' extract step. Adapter: unpdf, mammoth, Readability. */
export interface DocumentTextExtractor {
  handles(contentType: string): boolean;
  /** Rejects when the bytes are not a readable document of the type. */
  extract(contentType: string, bytes: Uint8Array): Promise<DocumentText>;
}
