import { permits, permitsEach } from '../access/permits.ts';
import { isStrataError } from '../errors.ts';
import type { AccessRequest, Authorizer } from '../ports/authorizer.ts';
import type { Clock } from '../ports/clock.ts';
import type { CallContext } from '../versioning/types.ts';
import type { AuditEvent } from './audit-entry.ts';
import type { AuditLog } from './audit-log.ts';

/** Verbs that change nothing; anything else is a state change and always audited. */
const READ_VERBS = new Set(['read', 'list', 'search', 'apply']);

/** Reads of data (object bytes and listings, over the API or S3), audited where a repository asks. */
const DATA_READS = new Set(['object:read', 'object:list']);

/** How long a repository's "audit reads" setting is trusted before it is read again. */
const READS_SETTING_TTL_MS = 5_000;

/**
 * Where a call's frame rides: on the CallContext the wrapper hands the service, which passes it
 * on to the services it calls and to `authorize`. Not AsyncLocalStorage: on Node 20 an active
 * one puts a hook on every promise the process creates, and that tax was the largest single cost
 * of a 4 KiB S3 GET (bench/RESULTS.md). A symbol key: spread copies it, JSON and the audit
 * entry's `input` never show it.
 */
const FRAME = Symbol('audit frame');
type Framed = CallContext & { [FRAME]?: Frame };

/** One top-level service call: the actions it was allowed to take, and who called. */
interface Frame {
  call: string;
  ctx: CallContext | undefined;
  input: unknown[];
  requests: AccessRequest[];
  /** An untraced call: what it is allowed to do is not collected. */
  discard?: boolean;
}

/**
 * Turns service calls into audit entries without each service writing them. Every service call
 * passes the one authorization check; the recorder wraps that check (a refusal is appended as
 * `denied` at once) and wraps each service so that, when its call settles, every action it was
 * allowed to take is appended with the call's outcome (`ok` or the error code) before the caller
 * sees the result. State changes are always recorded; reads only in repositories that ask for it.
 */
export class AuditRecorder {
  private readonly readsAudited = new Map<string, { on: boolean; at: number }>();

  constructor(
    private readonly log: AuditLog,
    private readonly deps: { clock: Clock; auditsReads(repository: string): Promise<boolean> },
  ) {}

  /** The authorizer services call, recording refusals and collecting what was allowed. */
  authorizer(inner: Authorizer): Authorizer {
    return {
      authorize: async (request, context) => {
        const frame = frameOf(context);
        try {
          await inner.authorize(request);
        } catch (error) {
          await this.log.append(this.event(request, frame, 'denied'));
          throw error;
        }
        if (frame !== undefined) {
          if (frame.discard !== true) frame.requests.push(request);
        } else if (await this.audited(request)) await this.log.append(this.event(request, undefined, 'ok'));
      },
      // Deciding what a listing shows is not an action: nothing to record.
      permits: (request) => permits(inner, request),
      permitsEach: (request, paths) => permitsEach(inner, request, paths),
    };
  }

  /**
   * The service with every method's call recorded; `name` prefixes the call in the details.
   * `untraced` methods change nothing anyone can see on their own (content stored but not yet
   * staged), or run for the life of the process (a worker serving tasks, whose frame would
   * otherwise collect forever): the calls that make effects visible are the ones recorded.
   */
  wrap<T extends object>(service: T, name: string, options: { untraced?: ReadonlyArray<keyof T & string>; brief?: ReadonlyArray<keyof T & string> } = {}): T {
    const skip = new Set<string>(options.untraced ?? []);
    const brief = new Set<string>(options.brief ?? []);
    return new Proxy(service, {
      get: (target, property, receiver) => {
        const value: unknown = Reflect.get(target, property, receiver);
        if (typeof value !== 'function' || typeof property !== 'string') return value;
        const method = value as (...args: unknown[]) => unknown;
        return (...args: unknown[]) => {
          const ctx = contextOf(args[0]);
          if (frameOf(ctx) !== undefined) return method.apply(target, args);
          if (skip.has(property)) {
            // A frame that is never settled, so what the call is allowed to do is not recorded.
            return method.apply(target, withFrame(args, { call: property, ctx: undefined, input: [], requests: [], discard: true }));
          }
          // A brief call's input is a batch of payloads (inference records): the entry counts them instead of copying them.
          const input = brief.has(property) ? args.slice(1).map((a) => (Array.isArray(a) ? { items: a.length } : a)) : args.slice(1);
          const frame: Frame = { call: `${name}.${property}`, ctx, input, requests: [] };
          const result = method.apply(target, withFrame(args, frame));
          if (!isPromise(result)) {
            void this.settle(frame, 'ok').catch(() => undefined);
            return result;
          }
          return result.then(
            async (value: unknown) => {
              await this.settle(frame, 'ok', checksOf(value));
              return value;
            },
            async (error: unknown) => {
              await this.settle(frame, isStrataError(error) ? error.code : 'Internal', isStrataError(error) ? { error: error.message, ...checksOf(error.details) } : undefined);
              throw error;
            },
          );
        };
      },
    });
  }

  /** Forgets a repository's cached read setting (after this process changed it). */
  forget(repository: string): void {
    this.readsAudited.delete(repository);
  }

  /** One entry per distinct action and resource of the call (a batch of writes to one branch is one entry, with a count). */
  private async settle(frame: Frame, outcome: string, result?: Record<string, unknown>): Promise<void> {
    const events = new Map<string, { event: AuditEvent; count: number }>();
    for (const request of frame.requests) {
      if (request.action === 'repository:update' && request.repository !== undefined) this.forget(request.repository);
      if (!(await this.audited(request))) continue;
      const event = this.event(request, frame, outcome);
      if (result !== undefined) event.details = { ...(event.details as object), ...result };
      const key = `${event.action}\u0000${event.resource}`;
      const seen = events.get(key);
      if (seen === undefined) events.set(key, { event, count: 1 });
      else seen.count += 1;
    }
    if (events.size === 0) return;
    await this.log.appendAll([...events.values()].map(({ event, count }) => (count === 1 ? event : { ...event, details: { ...(event.details as object), count } })));
  }

  private async audited(request: AccessRequest): Promise<boolean> {
    const verb = request.action.slice(request.action.indexOf(':') + 1);
    if (!READ_VERBS.has(verb)) return true;
    if (request.repository === undefined || !DATA_READS.has(request.action)) return false;
    const now = Date.now();
    const cached = this.readsAudited.get(request.repository);
    if (cached !== undefined && now - cached.at < READS_SETTING_TTL_MS) return cached.on;
    const on = await this.deps.auditsReads(request.repository).catch(() => false);
    this.readsAudited.set(request.repository, { on, at: now });
    return on;
  }

  private event(request: AccessRequest, frame: Frame | undefined, outcome: string): AuditEvent {
    const ctx = frame?.ctx;
    const event: AuditEvent = {
      time: this.deps.clock.now().toISOString(),
      actor: request.actor.id,
      action: request.action,
      resource: resourceOf(request, frame?.input[0]),
      outcome,
    };
    if (ctx?.requestId !== undefined) event.requestId = ctx.requestId;
    if (ctx?.source !== undefined) event.source = ctx.source;
    if (frame !== undefined) event.details = { call: frame.call, input: sanitize(frame.input, 0) };
    return event;
  }
}

/** A protected branch's check outcomes in a call's result or error: recorded with the call's entry. */
function checksOf(value: unknown): { checks: unknown } | undefined {
  const checks = typeof value === 'object' && value !== null ? (value as { checks?: unknown }).checks : undefined;
  return Array.isArray(checks) ? { checks: sanitize(checks, 0) } : undefined;
}

function isPromise(value: unknown): value is Promise<unknown> {
  return typeof (value as { then?: unknown } | null)?.then === 'function';
}

function frameOf(ctx: CallContext | undefined): Frame | undefined {
  const framed: Framed | undefined = ctx;
  return framed?.[FRAME];
}

/** The arguments with the call's context replaced by one carrying `frame` (the caller's is not changed). */
function withFrame(args: unknown[], frame: Frame): unknown[] {
  const ctx = contextOf(args[0]);
  if (ctx === undefined) return args;
  return [{ ...ctx, [FRAME]: frame }, ...args.slice(1)];
}

function contextOf(value: unknown): CallContext | undefined {
  return typeof value === 'object' && value !== null && 'actor' in value ? (value as CallContext) : undefined;
}

/** `repository`, `repository@ref`, `repository@ref:path`, or the call's first argument when it names something. */
function resourceOf(request: AccessRequest, input: unknown): string {
  if (request.resource !== undefined) return request.resource;
  const fields = typeof input === 'object' && input !== null ? (input as Record<string, unknown>) : {};
  let resource = request.repository ?? (typeof input === 'string' ? input : typeof fields.name === 'string' ? fields.name : '');
  const named = /^(branch|tag):/.test(request.action) && request.repository !== undefined ? fields.name : undefined;
  const ref = request.ref ?? fields.branch ?? fields.ref ?? fields.tag ?? named;
  if (typeof ref === 'string') resource += `@${ref}`;
  const objects = Array.isArray(fields.objects) ? (fields.objects as Array<{ path?: unknown }>) : [];
  const path = request.path ?? fields.path ?? (objects.length === 1 ? objects[0]?.path : undefined);
  if (typeof path === 'string') resource += `:${path}`;
  return resource;
}

/** Keys whose values are secrets or personal identifiers: never copied into an entry. */
const SECRET_KEY = /secret|password|token|credential|private|^user$|^session$/i;
const MAX_STRING = 1024;
const MAX_ITEMS = 100;

/** The call's input as plain JSON: payloads become their size, streams and functions a marker, secrets are not kept. */
function sanitize(value: unknown, depth: number): unknown {
  if (value === null || typeof value === 'number' || typeof value === 'boolean') return value;
  if (typeof value === 'string') return value.length > MAX_STRING ? `${value.slice(0, MAX_STRING)}… (${value.length} characters)` : value;
  if (typeof value === 'bigint') return value.toString();
  if (typeof value !== 'object') return undefined;
  if (value instanceof Uint8Array) return { bytes: value.byteLength };
  if (value instanceof Date) return value.toISOString();
  if (typeof AbortSignal !== 'undefined' && value instanceof AbortSignal) return undefined;
  if (Symbol.asyncIterator in value || typeof (value as { pipe?: unknown }).pipe === 'function') return '[stream]';
  if (depth >= 5) return '[…]';
  if (Array.isArray(value)) {
    const items = value.slice(0, MAX_ITEMS).map((v) => sanitize(v, depth + 1) ?? null);
    return value.length > MAX_ITEMS ? [...items, `… ${value.length - MAX_ITEMS} more`] : items;
  }
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    if (SECRET_KEY.test(key)) {
      out[key] = '[redacted]';
      continue;
    }
    const clean = sanitize(v, depth + 1);
    if (clean !== undefined) out[key] = clean;
  }
  return out;
}
