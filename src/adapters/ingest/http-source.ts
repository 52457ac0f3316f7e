import { Readable } from 'node:stream';
import { fetch, type Dispatcher } from 'undici';
import type { IngestSource, SourceItem } from '../../core/ports/ingest-source.ts';

/**
 * Web addresses. Each is stored at `<host>/<path>`; a HEAD request gives its size and
 * Last-Modified, which is what lets a re-run skip unchanged pages.
 */
export class HttpSource implements IngestSource {
  constructor(
    readonly uri: string,
    private readonly urls: string[],
    /** How connections are made (a guarded one for server-side ingest); default: undici's global one. */
    private readonly dispatcher?: Dispatcher,
  ) {}

  async *list(): AsyncIterable<SourceItem> {
    for (const url of this.urls) {
      const parsed = new URL(url);
      const path = `${parsed.host}${parsed.pathname === '/' ? '/index.html' : parsed.pathname}`.replace(/\/$/, '/index.html');
      const item: SourceItem = { path: decodeURIComponent(path), location: url };
      const head = await fetch(url, { method: 'HEAD', ...this.via() }).catch(() => undefined);
      if (head?.ok === true) {
        const length = Number(head.headers.get('content-length') ?? Number.NaN);
        if (Number.isSafeInteger(length)) item.size = length;
        const modified = Date.parse(head.headers.get('last-modified') ?? '');
        if (!Number.isNaN(modified)) item.modified = new Date(modified).toISOString();
      }
      yield item;
    }
  }

  async open(item: SourceItem, signal?: AbortSignal): Promise<AsyncIterable<Uint8Array>> {
    const response = await fetch(item.location, { ...(signal === undefined ? {} : { signal }), ...this.via() }).catch((error: unknown) => {
      // undici says "fetch failed"; the reason (a refused address, a DNS failure) is the cause.
      const cause = error instanceof Error && error.cause instanceof Error ? error.cause : error;
      throw cause instanceof Error ? new Error(`GET ${item.location}: ${cause.message}`) : error;
    });
    if (!response.ok || response.body === null) throw new Error(`GET ${item.location} answered ${response.status} ${response.statusText}`);
    return Readable.fromWeb(response.body as import('node:stream/web').ReadableStream<Uint8Array>);
  }

  private via(): { dispatcher?: Dispatcher } {
    return this.dispatcher === undefined ? {} : { dispatcher: this.dispatcher };
  }
}
