import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { invalidArgument } from '../../core/errors.ts';
import type { OpenLineageEvent } from '../../core/lineage/openlineage-events.ts';
import { OPENLINEAGE_SCHEMA } from './openlineage-schema.ts';

/**
 * OpenLineage events are checked against the 2-0-2 core schema (JSON Schema 2020-12) with Ajv,
 * formats included (date-time, uri, uuid), compiled once on first use.
 */
let validator: ValidateFunction | undefined;

function compile(): ValidateFunction {
  const ajv = new Ajv2020({ allErrors: false, strict: false });
  (addFormats as unknown as (ajv: Ajv2020) => void)(ajv);
  return ajv.compile(OPENLINEAGE_SCHEMA);
}

/** The event if it is valid; else InvalidArgument naming where and why (prefixed with `where`). */
export function validateOpenLineageEvent(event: unknown, where = 'event'): OpenLineageEvent {
  validator ??= compile();
  if (validator(event)) return event as OpenLineageEvent;
  throw invalidArgument(`${where} is not a valid OpenLineage 2-0-2 event: ${describe(validator.errors ?? [], event)}`);
}

/**
 * Ajv reports every branch of the top-level `oneOf`; the useful error is the deepest one of the
 * branch the event was meant for (a `run` means RunEvent, a `dataset` DatasetEvent, else JobEvent).
 */
function describe(errors: ErrorObject[], event: unknown): string {
  const branch = typeof event === 'object' && event !== null ? ('run' in event ? 'RunEvent' : 'dataset' in event ? 'DatasetEvent' : 'JobEvent') : undefined;
  const relevant = errors.filter((e) => e.keyword !== 'oneOf' && (branch === undefined || e.schemaPath.includes(`/${branch}/`) || !e.schemaPath.includes('Event/')));
  const chosen = [...(relevant.length > 0 ? relevant : errors)].sort((a, b) => b.instancePath.length - a.instancePath.length)[0];
  if (!chosen) return 'it does not match the schema';
  const at = chosen.instancePath === '' ? 'the event' : chosen.instancePath;
  const extra = chosen.keyword === 'enum' ? ` (${(chosen.params as { allowedValues: unknown[] }).allowedValues.join(', ')})` : '';
  return `${at} ${chosen.message ?? 'is invalid'}${extra}`;
}
