import type { OpenLineageEvent } from '../../core/lineage/openlineage-events.ts';
import type { LineageEmitter } from '../../core/ports/lineage-emitter.ts';

export interface HttpLineageEmitterOptions {
  /** The consumer's endpoint, e.g. Marquez's `http://marquez:5000/api/v1/lineage`. */
  url: string;
  /** Per attempt. */
  timeoutMs?: number;
  /** Attempts per event (1 + retries), with 200 ms, 400 ms … between them. */
  attempts?: number;
  /** Told about events that could not be delivered; default: one line on stderr. */
  onError?: (message: string) => void;
}

/**
 * OpenLineage's HTTP transport: each event POSTed as JSON, as the OpenLineage clients do.
 * Delivery is best effort with a few retries — lineage must never fail or stall a run — and
 * every event given up on is reported.
 */
export class HttpLineageEmitter implements LineageEmitter {
  /** Events delivered and given up on, for tests and /metrics. */
  readonly counts = { sent: 0, failed: 0 };

  constructor(private readonly options: HttpLineageEmitterOptions) {}

  async emit(events: OpenLineageEvent[]): Promise<void> {
    for (const event of events) {
      const error = await this.deliver(event);
      if (error === undefined) {
        this.counts.sent++;
        continue;
      }
      this.counts.failed++;
      const report = this.options.onError ?? ((message: string) => process.stderr.write(`strata: ${message}\n`));
      report(`OpenLineage event not delivered to ${this.options.url}: ${error}`);
    }
  }

  /** undefined when delivered; else why not. */
  private async deliver(event: OpenLineageEvent): Promise<string | undefined> {
    const attempts = this.options.attempts ?? 3;
    let reason = '';
    for (let attempt = 1; attempt <= attempts; attempt++) {
      try {
        const response = await fetch(this.options.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(event),
          signal: AbortSignal.timeout(this.options.timeoutMs ?? 5000),
        });
        await response.arrayBuffer();
        if (response.ok) return undefined;
        reason = `HTTP ${response.status}`;
        // A 4xx will not change on retry.
        if (response.status < 500) return reason;
      } catch (error) {
        reason = (error as Error).message;
      }
      if (attempt < attempts) await new Promise((resolve) => setTimeout(resolve, 200 * 2 ** (attempt - 1)));
    }
    return reason;
  }
}
