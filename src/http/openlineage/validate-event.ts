import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { invalidArgument } from '../../core/errors.ts';
import type { OpenLineageEvent } from '../../core/lineage/openlineage-events.ts';
import { OPENLINEAGE_SCHEMA } from './openlineage-schema.ts';

/**
 * OpenLineage events are checked against the 2-0-2 core schema (JSON Schema 2020-12) with Ajv,
 * formats included (date-time, uri, uuid), compiled once on first use, in two strengths:
 *
 * - the *core*, which an event must satisfy to be accepted: its kind, event type, event time,
 *   run id, job namespace and name, producer, schema URL, dataset namespaces and names. Facets
 *   only have to be objects.
 * - the *whole* schema, whose further complaints (a facet without `_producer` or `_schemaURL`,
 *   `_deleted: null`, a producer that is not an absolute URI) are warnings: real producers send
 *   such events (Marquez accepts them), and their facets are kept as sent.
 */
let strict: ValidateFunction | undefined;
let core: ValidateFunction | undefined;

/** The facet definitions the core does not check beyond "an object". */
const FACETS = ['BaseFacet', 'RunFacet', 'JobFacet', 'DatasetFacet', 'InputDatasetFacet', 'OutputDatasetFacet'];

type Schema = { $defs: Record<string, { properties?: Record<string, unknown> } & Record<string, unknown>> } & Record<string, unknown>;

function coreSchema(): Schema {
  const schema = structuredClone(OPENLINEAGE_SCHEMA) as unknown as Schema;
  for (const name of FACETS) schema.$defs[name] = { type: 'object' };
  const base = schema.$defs.BaseEvent;
  if (base?.properties) base.properties.producer = { type: 'string', minLength: 1 };
  return schema;
}

function compile(schema: object, allErrors: boolean): ValidateFunction {
  const ajv = new Ajv2020({ allErrors, strict: false });
  (addFormats as unknown as (ajv: Ajv2020) => void)(ajv);
  return ajv.compile(schema);
}

/** An event the core accepts, with what the whole schema says of it. */
export interface CheckedEvent {
  event: OpenLineageEvent;
  /** Each deviation from the whole schema: a JSON pointer into the event and what is wrong there. */
  warnings: string[];
}

/**
 * The event if its core is valid, with a warning per deviation of the rest; else InvalidArgument
 * naming the JSON pointer and the reason (prefixed with `where`), `details.path` holding the pointer.
 */
export function checkOpenLineageEvent(event: unknown, where = 'event'): CheckedEvent {
  core ??= compile(coreSchema(), false);
  if (!core(event)) {
    const error = relevant(core.errors ?? [], event)[0];
    throw invalidArgument(`${where} is not a valid OpenLineage 2-0-2 event: ${describe(error)}`, { path: error?.instancePath ?? '' });
  }
  strict ??= compile(OPENLINEAGE_SCHEMA, true);
  // The core held, so the event's own branch has no error at its root: errors there are the
  // other `oneOf` branches' (a run event is not a dataset event), not deviations.
  const warnings = strict(event) ? [] : [...new Set((strict.errors ?? []).filter((e) => e.instancePath !== '' && e.keyword !== 'oneOf').map(describe))].sort();
  return { event: event as OpenLineageEvent, warnings };
}

/** The event if the whole schema holds (what Strata emits must pass this); else InvalidArgument. */
export function validateOpenLineageEvent(event: unknown, where = 'event'): OpenLineageEvent {
  const checked = checkOpenLineageEvent(event, where);
  if (checked.warnings.length > 0) throw invalidArgument(`${where} is not a valid OpenLineage 2-0-2 event: ${checked.warnings[0] ?? ''}`);
  return checked.event;
}

/**
 * Ajv reports every branch of the top-level `oneOf`; the useful errors are those of the branch
 * the event was meant for (a `run` means RunEvent, a `dataset` DatasetEvent, else JobEvent),
 * deepest first.
 */
function relevant(errors: ErrorObject[], event: unknown): ErrorObject[] {
  const branch = typeof event === 'object' && event !== null ? ('run' in event ? 'RunEvent' : 'dataset' in event ? 'DatasetEvent' : 'JobEvent') : undefined;
  const mine = errors.filter((e) => e.keyword !== 'oneOf' && (branch === undefined || e.schemaPath.includes(`/${branch}/`) || !e.schemaPath.includes('Event/')));
  return [...(mine.length > 0 ? mine : errors)].sort((a, b) => b.instancePath.length - a.instancePath.length);
}

function describe(error: ErrorObject | undefined): string {
  if (!error) return 'it does not match the schema';
  const at = error.instancePath === '' ? 'the event' : error.instancePath;
  const extra = error.keyword === 'enum' ? ` (${(error.params as { allowedValues: unknown[] }).allowedValues.join(', ')})` : '';
  return `${at} ${error.message ?? 'is invalid'}${extra}`;
}
