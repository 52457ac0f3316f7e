/** The rows of a columnar file (Parquet), as JSON values, a batch at a time. */
export interface TableReader {
  /** Whether this reader reads files of the content type. */
  reads(contentType: string): boolean;
  rows(body: AsyncIterable<Uint8Array>, contentType: string): AsyncIterable<Array<Record<string, unknown>>>;
}

/** Sends a merge check's webhook: a POST of `body` (JSON) with `headers`, answered within the timeout or failed. */
export interface WebhookSender {
  post(url: string, body: string, options: { timeoutMs: number; headers: Record<string, string> }): Promise<{ status: number; body: string }>;
}
