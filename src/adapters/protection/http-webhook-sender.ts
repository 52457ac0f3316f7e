import { fetch, type Dispatcher } from 'undici';
import type { WebhookSender } from '../../core/ports/merge-check-io.ts';
import { guardedDispatcher } from '../ingest/network-guard.ts';

/** Longest answer kept: a check's message, not a download. */
const MAX_ANSWER = 64 * 1024;

/**
 * Merge-check webhooks over HTTP. Whoever may protect a branch names the URL, so by default the
 * connection is refused to loopback, private and link-local addresses (checked where it is made,
 * redirects not followed), as server-side ingest is; `allowPrivateNetworks` lifts that.
 */
export class HttpWebhookSender implements WebhookSender {
  private readonly dispatcher: Dispatcher | undefined;

  constructor(options: { allowPrivateNetworks: boolean }) {
    this.dispatcher = options.allowPrivateNetworks ? undefined : guardedDispatcher();
  }

  async post(url: string, body: string, options: { timeoutMs: number; headers: Record<string, string> }): Promise<{ status: number; body: string }> {
    const response = await fetch(url, {
      method: 'POST',
      headers: { ...options.headers, 'content-type': 'application/json', 'user-agent': 'strata-merge-check' },
      body,
      redirect: 'manual',
      signal: AbortSignal.timeout(options.timeoutMs),
      ...(this.dispatcher === undefined ? {} : { dispatcher: this.dispatcher }),
    }).catch((error: unknown) => {
      // undici says "fetch failed"; the reason (a refused address, a timeout) is the cause.
      const cause = (error as { cause?: { message?: string } }).cause?.message;
      throw new Error(cause ?? (error as Error).message);
    });
    const text = await response.text();
    return { status: response.status, body: text.slice(0, MAX_ANSWER) };
  }
}
