import type { OpenLineageEvent } from '../lineage/openlineage-events.ts';

/**
 * Sends OpenLineage events to an outside consumer (Marquez, DataHub, another Strata). Adapter:
 * `adapters/lineage/http-lineage-emitter.ts`. Contract: never throws and never holds up the
 * caller for long — a consumer that is down must not fail a run; failures are logged and counted.
 */
export interface LineageEmitter {
  emit(events: OpenLineageEvent[]): Promise<void>;
}
