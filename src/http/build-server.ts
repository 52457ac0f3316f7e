import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import { pipeline } from 'node:stream';
import Fastify, { type FastifyError, type FastifyInstance, type FastifyRequest } from 'fastify';
import { jsonSchemaTransform, serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import { isStrataError, StrataError, toStrataError } from '../core/errors.ts';
import type { StrataCore } from '../core/strata.ts';
import { ANONYMOUS, type Actor } from '../core/ports/authorizer.ts';
import type { CallContext } from '../core/versioning/types.ts';
import { HTTP_STATUS, type ErrorBody } from './errors.ts';
import { createServerMetrics, type ServerMetrics } from './metrics.ts';
import { registerAccessKeyRoutes } from './rest/access-keys.ts';
import { registerIdentityRoutes } from './rest/identity.ts';
import { registerCommitRoutes } from './rest/commits.ts';
import { registerDatasetRoutes } from './rest/datasets.ts';
import { registerIngestRoutes } from './rest/ingest.ts';
import { registerLineageRoutes } from './rest/lineage.ts';
import { registerModelRoutes } from './rest/models.ts';
import { registerRecipeRoutes } from './rest/recipes.ts';
import { registerAuditRoutes } from './rest/audit.ts';
import { registerGcRoutes } from './rest/gc.ts';
import { registerErasureRoutes } from './rest/erasure.ts';
import { DEFAULT_GC_GRACE_SECONDS } from '../core/gc/gc-service.ts';
import { registerInferenceRoutes } from './rest/inference.ts';
import { registerOtlpRoutes } from './otlp/traces.ts';
import { registerRunRoutes } from './rest/runs.ts';
import { registerObjectRoutes } from './rest/objects.ts';
import { registerRefRoutes } from './rest/refs.ts';
import { registerRepositoryRoutes } from './rest/repositories.ts';
import { registerPartRoute, registerUploadRoutes } from './rest/uploads.ts';
import type { ServerIngestPolicy } from '../app/ingest-source.ts';
import { hostAllowed, hostRefusal } from './host-check.ts';
import { authenticateSigV4, checkEmptyPayload, claimsSigV4, payloadCheck } from './rest-sigv4.ts';

export interface BuildServerOptions {
  core: StrataCore;
  /** pino level; 'silent' in tests. */
  logLevel?: string;
  /** Largest object upload in bytes. */
  maxUploadBytes?: number;
  /** Largest inference batch or OTLP export request in bytes (default 32 MiB). */
  maxInferenceBodyBytes?: number;
  version?: string;
  /** Host names answered besides IP addresses and localhost (see `hostAllowed`). */
  allowedHosts?: readonly string[];
  /** What REST ingest may read on the server; default: no server paths, no private networks, no s3://. */
  ingest?: ServerIngestPolicy;
  /** Garbage collection's grace period when a request names none (default 3600 s). */
  gcGraceSeconds?: number;
}

export const API_PREFIX = '/api/v1';

declare module 'fastify' {
  interface FastifyInstance {
    /** The server's Prometheus registry and HTTP metrics; other listeners register theirs here. */
    metrics: ServerMetrics;
  }
  interface FastifyRequest {
    /** The authenticated principal (and its token's scope); set before any route runs. */
    actor: Actor | undefined;
    /** The body's SHA-256 a SigV4 signature covers, until the body is checked against it. */
    signedSha256: string | undefined;
  }
}
/** Paths anyone may fetch: liveness, metrics for scrapers, and the API's own description. */
const PUBLIC_PATHS = [/^\/healthz$/, /^\/metrics$/, new RegExp(`^${API_PREFIX}/openapi[.]json$`), new RegExp(`^${API_PREFIX}/docs(/.*)?$`)];

/** What every route receives. */
export interface RouteDeps {
  core: StrataCore;
  maxUploadBytes: number;
  context(request: FastifyRequest): CallContext;
}

/** Builds the REST server without starting it, so callers (and tests) choose where it listens. */
export async function buildServer(options: BuildServerOptions): Promise<FastifyInstance> {
  const app = Fastify({
    logger: { level: options.logLevel ?? 'info' },
    requestIdHeader: 'x-request-id',
  });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  installErrorHandling(app);
  const metrics = createServerMetrics();
  app.decorate('metrics', metrics);
  app.decorateRequest('actor', undefined);
  app.decorateRequest('signedSha256', undefined);
  app.addHook('onRequest', async (request) => {
    if (!hostAllowed(request.headers.host, { allowed: options.allowedHosts ?? [] })) throw new StrataError('Forbidden', hostRefusal(request.headers.host ?? ''));
    const path = request.url.split('?')[0] ?? '';
    if (PUBLIC_PATHS.some((pattern) => pattern.test(path))) return;
    request.actor = await authenticate(options.core, request);
  });
  // A SigV4 signature covers the body through x-amz-content-sha256: checked as the body streams in.
  app.addHook('preParsing', async (request, _reply, payload) => {
    const sha256 = request.signedSha256;
    if (sha256 === undefined) return payload;
    request.signedSha256 = undefined;
    const checked = payloadCheck(sha256);
    // pipeline, not pipe: a client that goes away mid-body fails the checked stream too.
    pipeline(payload, checked, () => undefined);
    return checked;
  });
  app.addHook('preHandler', (request, _reply, done) => {
    // preParsing did not run (no body): the signature must have been over an empty one.
    if (request.signedSha256 === undefined) {
      done();
      return;
    }
    try {
      checkEmptyPayload(request.signedSha256);
      done();
    } catch (error) {
      done(error as Error);
    }
  });
  app.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url ?? 'unmatched';
    metrics.requests.inc({ method: request.method, route, status: String(reply.statusCode) });
    metrics.duration.observe({ method: request.method, route }, reply.elapsedTime / 1000);
    done();
  });

  await app.register(fastifySwagger, {
    openapi: {
      info: { title: 'Strata API', version: options.version ?? '0.0.0', description: 'Versioned data for generative AI: repositories, branches, commits, objects.' },
    },
    transform: jsonSchemaTransform,
  });
  await app.register(fastifySwaggerUi, { routePrefix: `${API_PREFIX}/docs` });

  app.get(`${API_PREFIX}/openapi.json`, { schema: { hide: true } }, () => app.swagger());
  app.get('/healthz', { schema: { hide: true } }, () => ({ status: 'ok' }));
  app.get('/metrics', { schema: { hide: true } }, async (_request, reply) => {
    void reply.header('content-type', metrics.registry.contentType);
    const texts = await Promise.all([metrics.registry.metrics(), ...metrics.sources.map((source) => source())]);
    return texts.join('\n');
  });

  const deps: RouteDeps = {
    core: options.core,
    maxUploadBytes: options.maxUploadBytes ?? 5 * 1024 ** 3,
    context: (request) => ({ actor: request.actor ?? { id: ANONYMOUS }, requestId: request.id, source: request.ip }),
  };
  await app.register(
    async (api) => {
      registerRepositoryRoutes(api, deps);
      registerAccessKeyRoutes(api, deps);
      registerIdentityRoutes(api, deps);
      registerDatasetRoutes(api, deps);
      registerIngestRoutes(api, { ...deps, version: options.version ?? '0.0.0', ingest: options.ingest ?? { roots: [], forbidden: [], allowPrivateNetworks: false, allowS3: false } });
      registerRefRoutes(api, deps);
      registerCommitRoutes(api, deps);
      registerRunRoutes(api, deps);
      registerModelRoutes(api, deps);
      registerLineageRoutes(api, deps);
      registerRecipeRoutes(api, deps);
      registerAuditRoutes(api, deps);
      registerGcRoutes(api, { ...deps, gcGraceSeconds: options.gcGraceSeconds ?? DEFAULT_GC_GRACE_SECONDS });
      registerErasureRoutes(api, deps);
      registerInferenceRoutes(api, { ...deps, maxBodyBytes: options.maxInferenceBodyBytes ?? 32 * 1024 ** 2 });
      registerUploadRoutes(api, deps);
      await api.register(async (objects) => {
        registerObjectRoutes(objects, deps);
        registerPartRoute(objects, deps);
        return Promise.resolve();
      });
    },
    { prefix: API_PREFIX },
  );
  // OTLP's own path, outside /api/v1; its protobuf body parser stays inside this plugin.
  await app.register(async (otlp) => {
    registerOtlpRoutes(otlp, { ...deps, maxBodyBytes: options.maxInferenceBodyBytes ?? 32 * 1024 ** 2 });
    return Promise.resolve();
  });
  return app;
}

/**
 * `Authorization: Bearer <token>`, or 401. No header (a browser's cookie, an `x-strata-actor`
 * claim, a proxy's say-so) stands in for a credential; a refusal is audited under `anonymous`.
 */
async function authenticate(core: StrataCore, request: FastifyRequest): Promise<Actor> {
  const ctx: CallContext = { actor: { id: ANONYMOUS }, requestId: request.id, source: request.ip };
  const resource = `${request.method} ${request.url.split('?')[0] ?? ''}`;
  if (claimsSigV4(request)) {
    const signed = await authenticateSigV4(core, request);
    if ('refused' in signed) return core.identity.refuseUnauthenticated(ctx, { resource, reason: signed.refused });
    if (signed.sha256 !== undefined) request.signedSha256 = signed.sha256;
    return signed.actor;
  }
  const header = request.headers.authorization;
  const bearer = header !== undefined && /^bearer\s+/i.test(header) ? header.replace(/^bearer\s+/i, '').trim() : undefined;
  const actor = bearer === undefined ? undefined : await core.identity.authenticate(bearer);
  if (actor !== undefined) return actor;
  const reason = header === undefined ? 'authentication required: send Authorization: Bearer <token> (create one with `strata token create`)' : 'the token is not valid: unknown, revoked, expired, or its principal disabled';
  return core.identity.refuseUnauthenticated(ctx, { resource, reason });
}

function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const strata = classify(error);
    const status = HTTP_STATUS[strata.code];
    if (status >= 500) request.log.error({ err: error }, strata.message);
    const body: ErrorBody = { code: strata.code, message: strata.message };
    if (strata.details !== undefined) body.details = strata.details;
    void reply.status(status).send(body);
  });
  app.setNotFoundHandler((request, reply) => {
    void reply.status(404).send({ code: 'NotFound', message: `no route ${request.method} ${request.url.split('?')[0] ?? ''}` });
  });
}

/** Framework errors (validation, body parsing) become InvalidArgument; the rest pass through toStrataError. */
function classify(error: FastifyError): StrataError {
  if (isStrataError(error)) return error;
  if (error.validation !== undefined) return new StrataError('InvalidArgument', `invalid request: ${error.message}`);
  if (error.name === 'AbortError') return new StrataError('InvalidArgument', 'request aborted by the client');
  if (typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 500) {
    return new StrataError(error.statusCode === 413 ? 'PayloadTooLarge' : 'InvalidArgument', error.message);
  }
  return toStrataError(error);
}
