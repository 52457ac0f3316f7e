import { Readable } from 'node:stream';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { StrataError } from '../../core/errors.ts';
import type { ObjectInfo } from '../../core/versioning/types.ts';
import type { RouteDeps } from '../build-server.ts';
import { parseRange } from '../range.ts';
import { BranchParams, ERROR_RESPONSES, ListSchema, ObjectSchema, RefParams } from '../schemas.ts';

/** Request headers `x-strata-meta-<key>` carry user metadata, as S3's x-amz-meta-*. */
export const META_HEADER_PREFIX = 'x-strata-meta-';
const PathQuery = z.object({ path: z.string().min(1) });

/**
 * Object routes. Registered in their own plugin scope: uploads take the raw request stream,
 * whatever its content type, so a 10 GiB upload is never buffered.
 */
export function registerObjectRoutes(app: FastifyInstance, deps: RouteDeps): void {
  app.removeAllContentTypeParsers();
  // The body is the payload stream as the preParsing hooks left it (a signed body is checked as it flows).
  app.addContentTypeParser('*', (_request, payload, done) => {
    done(null, payload);
  });
  const api = app.withTypeProvider<ZodTypeProvider>();
  const tags = ['objects'];

  api.put('/repositories/:repo/branches/:branch/objects', {
    schema: {
      tags,
      summary: 'Upload an object to a branch (staged until committed). The body is the raw content.',
      params: BranchParams,
      querystring: PathQuery,
      response: { 201: ObjectSchema, ...ERROR_RESPONSES, 413: ERROR_RESPONSES[400] },
    },
  }, async (request, reply) => {
    const info = await deps.core.objects.put(deps.context(request), {
      repository: request.params.repo,
      branch: request.params.branch,
      path: request.query.path,
      body: (request.body as AsyncIterable<Uint8Array> | undefined) ?? request.raw,
      contentType: headerValue(request, 'content-type'),
      metadata: userMetadata(request),
      maxBytes: deps.maxUploadBytes,
    });
    return reply.status(201).send(info);
  });

  api.delete('/repositories/:repo/branches/:branch/objects', {
    schema: {
      tags,
      summary: 'Stage the deletion of an object, or of everything under a prefix with recursive=true',
      params: BranchParams,
      querystring: z.object({ path: z.string().min(1), recursive: z.stringbool().optional() }),
      response: { 200: z.object({ deleted: z.number().int() }), ...ERROR_RESPONSES },
    },
  }, async (request) => {
    const address = { repository: request.params.repo, branch: request.params.branch };
    if (request.query.recursive === true) {
      return { deleted: await deps.core.objects.deletePrefix(deps.context(request), { ...address, prefix: request.query.path }) };
    }
    await deps.core.objects.delete(deps.context(request), { ...address, path: request.query.path });
    return { deleted: 1 };
  });

  api.get('/repositories/:repo/refs/:ref/stat', {
    schema: { tags, summary: "An object's entry at a ref", params: RefParams, querystring: PathQuery, response: { 200: ObjectSchema, ...ERROR_RESPONSES } },
  }, async (request) => deps.core.objects.stat(deps.context(request), { repository: request.params.repo, ref: request.params.ref, path: request.query.path }));

  api.get('/repositories/:repo/refs/:ref/usage', {
    schema: {
      tags,
      summary: 'Objects under a prefix at a ref: count, logical bytes, distinct-content bytes and bytes stored after chunk deduplication',
      params: RefParams,
      querystring: z.object({ prefix: z.string().optional() }),
      response: { 200: z.object({ objects: z.number(), logicalBytes: z.number(), distinctBytes: z.number(), storedBytes: z.number(), chunks: z.number() }), ...ERROR_RESPONSES },
    },
  }, async (request) => deps.core.objects.usage(deps.context(request), { repository: request.params.repo, ref: request.params.ref, prefix: request.query.prefix }));

  api.get('/repositories/:repo/refs/:ref/list', {
    schema: {
      tags,
      summary: 'List objects at a ref, with prefix, any delimiter and pagination',
      params: RefParams,
      querystring: z.object({
        prefix: z.string().optional(),
        delimiter: z.string().optional(),
        after: z.string().optional(),
        limit: z.coerce.number().int().min(1).max(10000).optional(),
      }),
      response: { 200: ListSchema, ...ERROR_RESPONSES },
    },
  }, async (request) => deps.core.objects.list(deps.context(request), { repository: request.params.repo, ref: request.params.ref, ...request.query }));

  api.get('/repositories/:repo/refs/:ref/objects', {
    schema: {
      tags,
      summary: 'Download an object (supports a single Range)',
      params: RefParams,
      querystring: PathQuery,
      response: { 200: z.unknown(), 206: z.unknown(), 416: ERROR_RESPONSES[400], ...ERROR_RESPONSES },
    },
  }, async (request, reply) => {
    const ctx = deps.context(request);
    const address = { repository: request.params.repo, ref: request.params.ref, path: request.query.path };
    const info = await deps.core.objects.stat(ctx, address);
    const range = parseRange(headerValue(request, 'range'), info.size);
    setObjectHeaders(reply, info);
    if (range === 'unsatisfiable') {
      void reply.header('content-range', `bytes */${info.size}`);
      return reply.status(416).send({ code: 'InvalidArgument', message: `range not satisfiable for an object of ${info.size} bytes` });
    }
    // Read from the entry just stat'ed: one lookup, and the bytes of exactly that version.
    const body = await deps.core.objects.read({ ...ctx, signal: abortSignalOf(reply) }, info, { range });
    if (range) {
      void reply.status(206).header('content-range', `bytes ${range.start}-${range.end - 1}/${info.size}`).header('content-length', range.end - range.start);
    } else {
      void reply.header('content-length', info.size);
    }
    return reply.serializer((payload: unknown) => payload as string).send(Readable.from(body, { objectMode: false }));
  });
}

function setObjectHeaders(reply: FastifyReply, info: ObjectInfo): void {
  void reply
    .header('content-type', info.contentType)
    .header('etag', `"${info.md5}"`)
    .header('last-modified', new Date(info.mtime).toUTCString())
    .header('accept-ranges', 'bytes')
    .header('x-strata-sha256', info.sha256);
  for (const [key, value] of Object.entries(info.metadata ?? {})) void reply.header(`${META_HEADER_PREFIX}${key}`, value);
}

function headerValue(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function userMetadata(request: FastifyRequest): Record<string, string> | undefined {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (!name.startsWith(META_HEADER_PREFIX) || value === undefined) continue;
    const key = name.slice(META_HEADER_PREFIX.length);
    if (key === '') throw new StrataError('InvalidArgument', `empty metadata key in header '${name}'`);
    out[key] = Array.isArray(value) ? value.join(',') : value;
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

/** Aborts reading from storage when the response closes early (the client went away). */
function abortSignalOf(reply: FastifyReply): AbortSignal {
  const controller = new AbortController();
  reply.raw.once('close', () => {
    if (!reply.raw.writableFinished) controller.abort();
  });
  return controller.signal;
}
