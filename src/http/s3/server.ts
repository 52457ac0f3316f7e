import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import pino from 'pino';
import { Counter, type Registry } from 'prom-client';
import { isStrataError, toStrataError } from '../../core/errors.ts';
import type { StrataCore } from '../../core/strata.ts';
import { requireBucket } from './addressing.ts';
import { authenticate, type Authentication } from './auth/authenticate.ts';
import { queryPairs, type SignableRequest } from './auth/canonical.ts';
import { fromStrataError, S3Error, s3Error } from './errors.ts';
import type { GatewayDeps, S3Exchange } from './exchange.ts';
import { applyCors, preflight } from './commands/cors.ts';
import { isFormUpload, postObject } from './commands/post-object.ts';
import { route, type Route } from './router.ts';
import { xmlDocument } from './xml.ts';
import { hostAllowed, hostRefusal } from '../host-check.ts';

/** The two log calls the gateway makes (pino's and Fastify's loggers both fit). */
export interface S3Logger {
  info(fields: object, message: string): void;
  error(fields: object, message: string): void;
}

export interface S3ServerOptions {
  core: StrataCore;
  /** The region reported to clients and accepted in signatures (any region is accepted). */
  region?: string;
  /** Host suffix for virtual-host addressing: `<bucket>.<domain>`. Path-style always works. */
  domain?: string;
  maxUploadBytes?: number;
  logger?: S3Logger;
  /** Where to register the gateway's Prometheus metrics (the REST server's, so /metrics shows both). */
  registry?: Registry;
  now?: () => number;
  /** Host names answered besides IP addresses, localhost and `domain` (see `hostAllowed`). */
  allowedHosts?: readonly string[];
}

/**
 * The S3 gateway: a plain node:http server, because S3 dispatches on method, query and headers
 * rather than on routes, and bodies must stream through untouched (aws-chunked, checksums).
 */
export function buildS3Server(options: S3ServerOptions): Server {
  const deps: GatewayDeps = { core: options.core, region: options.region ?? 'us-east-1', maxUploadBytes: options.maxUploadBytes ?? 5 * 1024 ** 3 };
  const logger: S3Logger = options.logger ?? pino({ level: 'info' });
  const now = options.now ?? Date.now;
  const requests = new Counter({
    name: 'strata_s3_requests_total',
    help: 'S3 gateway requests by operation and status',
    labelNames: ['operation', 'status'],
    registers: options.registry ? [options.registry] : [],
  });
  const bytes = new Counter({ name: 'strata_s3_bytes_total', help: 'S3 gateway body bytes by direction', labelNames: ['direction'], registers: options.registry ? [options.registry] : [] });
  const onRequest = (req: IncomingMessage, res: ServerResponse, expect: { continue: boolean; unmet?: boolean } = { continue: false }): void => {
    const started = performance.now();
    // A client that hangs up mid-body makes the request stream emit 'error'; whoever reads the
    // body sees the failure through iteration, and an unread body must not crash the process.
    req.on('error', () => undefined);
    const exchange = newExchange(req, res, { domain: options.domain, expectContinue: expect.continue });
    if (expect.unmet === true) exchange.rejected = s3Error.expectationFailed();
    if (!hostAllowed(req.headers.host, { allowed: options.allowedHosts ?? [], domain: options.domain })) exchange.rejected = s3Error.accessDenied(hostRefusal(req.headers.host ?? ''));
    void handle(exchange, deps, { now, logger, domain: options.domain }).finally(() => {
      const entry = {
        requestId: exchange.id,
        actor: exchange.ctx.actor.id,
        operation: exchange.log.operation,
        repository: exchange.log.repository,
        key: exchange.log.key,
        status: res.statusCode,
        bytesIn: exchange.log.bytesIn,
        bytesOut: exchange.log.bytesOut,
        ms: Math.round((performance.now() - started) * 10) / 10,
      };
      logger.info(entry, 's3 request');
      requests.inc({ operation: exchange.log.operation, status: String(res.statusCode) });
      bytes.inc({ direction: 'in' }, exchange.log.bytesIn);
      bytes.inc({ direction: 'out' }, exchange.log.bytesOut);
    });
  };
  const server = createServer((req, res) => {
    onRequest(req, res);
  });
  // `Expect: 100-continue`: the 100 waits until the command reads the body (S3Exchange.expectContinue),
  // instead of node sending it before anyone looked at the signature.
  server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => {
    onRequest(req, res, { continue: true });
  });
  // Any other Expect value: node would answer 417 by itself, even to an empty header (which some
  // clients send and AWS ignores). Empty means no expectation; anything else is unmet (RFC 9110 §10.1.1).
  server.on('checkExpectation', (req: IncomingMessage, res: ServerResponse) => {
    onRequest(req, res, { continue: false, unmet: (req.headers.expect ?? '').trim() !== '' });
  });
  server.keepAliveTimeout = 65_000;
  return server;
}

/** Unique per process start and cheap: a random prefix and a counter, 16 hex digits. */
const REQUEST_ID_PREFIX = randomBytes(4).toString('hex').toUpperCase();
let requestCounter = 0;
function nextRequestId(): string {
  requestCounter = (requestCounter + 1) % 0x100000000;
  return REQUEST_ID_PREFIX + requestCounter.toString(16).toUpperCase().padStart(8, '0');
}

function newExchange(req: IncomingMessage, res: ServerResponse, options: { domain: string | undefined; expectContinue: boolean }): S3Exchange {
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  const rawPath = q < 0 ? url : url.slice(0, q);
  const rawQuery = q < 0 ? '' : url.slice(q + 1);
  const headers = new Map<string, string[]>();
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    const name = (req.rawHeaders[i] ?? '').toLowerCase();
    const list = headers.get(name) ?? [];
    list.push(fromWire(req.rawHeaders[i + 1] ?? ''));
    headers.set(name, list);
  }
  const signable: SignableRequest = { method: req.method ?? 'GET', rawPath, rawQuery, headers };
  let located: { bucket?: string; key?: string; rejected?: S3Error };
  try {
    located = address(rawPath, req.headers.host, options.domain);
  } catch (error) {
    if (!(error instanceof S3Error)) throw error;
    located = { rejected: error };
  }
  const { bucket, key } = located;
  const query = new Map<string, string>();
  for (const [name, value] of queryPairs(rawQuery)) if (!query.has(name)) query.set(name, value);
  const id = nextRequestId();
  return {
    id,
    method: signable.method,
    bucket,
    key,
    query,
    header: (name) => {
      const values = headers.get(name);
      return values === undefined ? undefined : values.join(',');
    },
    signable,
    raw: req,
    res,
    auth: { principal: undefined, payload: { kind: 'plain' } },
    expectContinue: options.expectContinue,
    ...(located.rejected === undefined ? {} : { rejected: located.rejected }),
    ctx: { actor: { id: 'anonymous' }, requestId: id, source: req.socket.remoteAddress },
    log: { operation: 'Unknown', bytesIn: 0, bytesOut: 0 },
  };
}

/** Path-style `/bucket/key`, or virtual-host `bucket.<domain>` with the whole path as the key. */
function address(rawPath: string, host: string | undefined, domain: string | undefined): { bucket?: string; key?: string } {
  const hostname = (host ?? '').replace(/:\d+$/, '').toLowerCase();
  const path = rawPath.startsWith('/') ? rawPath.slice(1) : rawPath;
  if (domain !== undefined && hostname.endsWith(`.${domain}`)) {
    const bucket = hostname.slice(0, -domain.length - 1);
    return { bucket, key: path === '' ? undefined : decodeStrict(path) };
  }
  if (path === '') return {};
  const slash = path.indexOf('/');
  if (slash < 0) return { bucket: decodeStrict(path) };
  const key = path.slice(slash + 1);
  return { bucket: decodeStrict(path.slice(0, slash)), key: key === '' ? undefined : decodeStrict(key) };
}

/**
 * Node hands header values over as latin1 (one character per byte); clients sign the UTF-8 text
 * those bytes spell (user metadata such as `x-amz-meta-title: café`). Decoded once here, the
 * signature covers exactly the bytes received and commands see the text the client sent.
 */
function fromWire(value: string): string {
  // eslint-disable-next-line no-control-regex
  return /[^\x00-\x7f]/.test(value) ? Buffer.from(value, 'latin1').toString('utf8') : value;
}

/**
 * Percent-decodes a path segment; bytes that are not valid UTF-8 (including overlong forms and
 * encoded surrogates, which decodeURIComponent refuses) are InvalidURI: stored under their
 * literal encoded text, `bad%FF` would have overwritten the key `bad%25FF`. A `+` in a path is
 * a plus sign, not a space.
 */
function decodeStrict(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    throw s3Error.invalidUri();
  }
}

/** The path a V2 signature covers: `/bucket/key` as sent, whichever addressing was used. */
function resourcePath(exchange: S3Exchange, domain: string | undefined): string {
  const hostname = (exchange.header('host') ?? '').replace(/:\d+$/, '').toLowerCase();
  if (domain !== undefined && hostname.endsWith(`.${domain}`) && exchange.bucket !== undefined) return `/${exchange.bucket}${exchange.signable.rawPath}`;
  return exchange.signable.rawPath;
}

async function handle(exchange: S3Exchange, deps: GatewayDeps, env: { now: () => number; logger: S3Logger; domain: string | undefined }): Promise<void> {
  try {
    if (exchange.rejected !== undefined) throw exchange.rejected;
    if (exchange.key !== undefined && Buffer.byteLength(exchange.key, 'utf8') > 1024) throw s3Error.keyTooLong();
    // A browser's CORS preflight carries no credentials: answered from the bucket's rules alone.
    if (exchange.method === 'OPTIONS' && exchange.bucket !== undefined) {
      await preflight(exchange, deps);
      return;
    }
    await applyCors(exchange, deps);
    // A browser form upload carries its credentials in the form (a signed policy), not the request.
    if (isFormUpload(exchange)) {
      await postObject(exchange, deps, env.now());
      return;
    }
    const auth: Authentication = await authenticate(exchange.signable, { resourcePath: resourcePath(exchange, env.domain), keys: deps.core.accessKeys, now: env.now() }).catch(async (error: unknown) => {
      await auditRefusedSignature(exchange, deps, error);
      throw error;
    });
    exchange.auth = auth;
    if (auth.principal !== undefined) exchange.ctx = { ...exchange.ctx, actor: { id: auth.principal } };
    // Anonymous callers learn nothing about the API beyond AccessDenied.
    const chosen = auth.principal === undefined ? await anonymousRoute(exchange, deps) : route(exchange);
    await chosen.command(exchange, deps);
  } catch (error) {
    sendError(exchange, error, env.logger);
  }
}

/**
 * A request whose credential was refused (unknown key, bad signature, expired or skewed) acted as
 * no one: an audit entry under `anonymous` with S3's reason, as an unsigned refusal is.
 */
async function auditRefusedSignature(exchange: S3Exchange, deps: GatewayDeps, error: unknown): Promise<void> {
  if (!(error instanceof S3Error) || (error.status !== 403 && error.status !== 400)) return;
  const resource = `S3 ${exchange.method} ${exchange.signable.rawPath}`;
  await deps.core.identity.refuseUnauthenticated(exchange.ctx, { resource, reason: `S3 credential refused: ${error.code}` }).catch(() => undefined);
}

/**
 * The route of an unsigned request, if anonymous callers may take it; a refusal is an audit entry
 * under `anonymous`, as REST's 401s are, and the caller sees only AccessDenied.
 */
async function anonymousRoute(exchange: S3Exchange, deps: GatewayDeps): Promise<Route> {
  try {
    const chosen = routeAnonymous(exchange);
    await allowAnonymous(exchange, deps, chosen.access);
    return chosen;
  } catch (error) {
    const resource = `S3 ${exchange.method} ${exchange.signable.rawPath}`;
    await deps.core.identity.refuseUnauthenticated(exchange.ctx, { resource, reason: 'unsigned S3 request outside a public-read repository' }).catch(() => undefined);
    throw error;
  }
}

function routeAnonymous(exchange: S3Exchange): Route {
  try {
    return route(exchange);
  } catch {
    throw s3Error.accessDenied();
  }
}

/** Anonymous requests may only read, and only from a repository marked public-read. */
async function allowAnonymous(exchange: S3Exchange, deps: GatewayDeps, access: 'read' | 'write' | 'account'): Promise<void> {
  if (access !== 'read' || exchange.bucket === undefined) throw s3Error.accessDenied();
  const repository = await requireBucket(exchange, deps).catch(() => undefined);
  if (!repository?.publicRead) throw s3Error.accessDenied();
}

function sendError(exchange: S3Exchange, error: unknown, logger: S3Logger): void {
  const { res } = exchange;
  const gone = !(error instanceof S3Error) && !isStrataError(error) && isClientGone(exchange, error);
  const failure = error instanceof S3Error ? error : isStrataError(error) ? fromStrataError(error) : gone ? s3Error.incompleteBody() : fromStrataError(toStrataError(error));
  // A client that hung up is the client's doing: worth a line, not an alert.
  if (gone) logger.info({ requestId: exchange.id, reason: (error as { code?: unknown } | undefined)?.code }, 'client went away mid-request');
  else if (failure.status >= 500) logger.error({ err: error, requestId: exchange.id }, failure.message);
  if (res.headersSent) {
    // The body had started: all that is left is to cut the connection so the client sees it.
    res.destroy();
    return;
  }
  const resource = exchange.signable.rawPath;
  const body = Buffer.from(xmlDocument('Error', { Code: failure.code, Message: failure.message, Resource: resource, RequestId: exchange.id, ...failure.extra }, { namespace: false }), 'utf8');
  const headers: Record<string, string> = { 'x-amz-request-id': exchange.id, server: 'Strata', 'content-type': 'application/xml', 'content-length': String(body.length) };
  // A body left unread would be drained before the next request; closing is cheaper.
  if (!exchange.raw.complete) headers.connection = 'close';
  res.writeHead(failure.status, headers);
  res.end(exchange.method === 'HEAD' ? undefined : body);
}

/** A request stream that ended early is the client's doing; anything else is internal. */
function isClientGone(exchange: S3Exchange, error: unknown): boolean {
  const code = (error as { code?: unknown } | undefined)?.code;
  return code === 'ECONNRESET' || code === 'ERR_STREAM_PREMATURE_CLOSE' || code === 'ECONNABORTED' || exchange.raw.destroyed;
}
