import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { isStrataError, StrataError } from '../../core/errors.ts';
import type { CallContext } from '../../core/versioning/types.ts';
import type { RouteDeps } from '../build-server.ts';
import { BranchParams, ERROR_RESPONSES, ObjectSchema } from '../schemas.ts';

/**
 * Multipart uploads over REST, with S3's semantics (the same core service the S3 gateway uses):
 * parts are uploaded in any order and in parallel, each stored and deduplicated as it arrives;
 * completing writes one manifest naming the parts' chunks, so no byte is copied. Every part but
 * the last is at least 5 MiB.
 */
const UploadParams = BranchParams.extend({ uploadId: z.string().min(1) });
const PartParams = UploadParams.extend({ partNumber: z.coerce.number().int() });
const PathQuery = z.object({ path: z.string().min(1) });
const UploadSchema = z.object({ uploadId: z.string(), path: z.string(), initiatedAt: z.string() }).meta({ id: 'Upload' });
const PartSchema = z.object({ partNumber: z.number().int(), etag: z.string().describe("The part's MD5 in hex, quoted as S3 does"), size: z.number().int() });

/** Creating, completing and aborting: JSON bodies. */
export function registerUploadRoutes(app: FastifyInstance, deps: RouteDeps): void {
  const api = app.withTypeProvider<ZodTypeProvider>();
  const tags = ['objects'];

  api.post('/repositories/:repo/branches/:branch/uploads', {
    schema: {
      tags,
      summary: 'Start a multipart upload of one object (upload its parts in parallel, then complete it)',
      params: BranchParams,
      body: z.object({ path: z.string().min(1), contentType: z.string().optional(), metadata: z.record(z.string(), z.string()).optional() }),
      response: { 201: UploadSchema, ...ERROR_RESPONSES },
    },
  }, async (request, reply) => {
    const { path, contentType, metadata } = request.body;
    const upload = await deps.core.multipart.create(deps.context(request), {
      repository: request.params.repo,
      branch: request.params.branch,
      path,
      template: { ...(contentType === undefined ? {} : { contentType }), ...(metadata === undefined ? {} : { metadata }) },
    });
    return reply.status(201).send({ uploadId: upload.id, path: upload.path, initiatedAt: upload.initiatedAt });
  });

  api.post('/repositories/:repo/branches/:branch/uploads/:uploadId/complete', {
    schema: {
      tags,
      summary: 'Complete a multipart upload: the parts in order make the object, staged on the branch',
      params: UploadParams,
      querystring: PathQuery,
      body: z.object({ parts: z.array(z.object({ partNumber: z.number().int(), etag: z.string() })).min(1) }),
      response: { 201: ObjectSchema, ...ERROR_RESPONSES },
    },
  }, async (request, reply) => {
    const ctx = deps.context(request);
    await uploadOnBranch(deps, ctx, { params: request.params, path: request.query.path });
    const info = await deps.core.multipart.complete(ctx, {
      repository: request.params.repo,
      branch: request.params.branch,
      path: request.query.path,
      uploadId: request.params.uploadId,
      parts: request.body.parts,
    });
    return reply.status(201).send(info);
  });

  api.delete('/repositories/:repo/branches/:branch/uploads/:uploadId', {
    schema: { tags, summary: 'Abort a multipart upload (its parts are left to garbage collection)', params: UploadParams, querystring: PathQuery, response: { 204: z.null(), ...ERROR_RESPONSES } },
  }, async (request, reply) => {
    const ctx = deps.context(request);
    await uploadOnBranch(deps, ctx, { params: request.params, path: request.query.path });
    await deps.core.multipart.abort(ctx, { repository: request.params.repo, path: request.query.path, uploadId: request.params.uploadId });
    return reply.status(204).send(null);
  });
}

/** The upload named by the URL must be one started on the URL's branch (the id alone decides nothing). */
async function uploadOnBranch(deps: RouteDeps, ctx: CallContext, { params, path }: { params: { repo: string; branch: string; uploadId: string }; path: string }): Promise<void> {
  // A completed upload is gone: completing it again is answered by the core (S3's idempotent complete).
  const upload = await deps.core.multipart.get(ctx, { repository: params.repo, path, uploadId: params.uploadId }).catch((error: unknown) => {
    if (isStrataError(error) && error.details?.reason === 'no-such-upload') return undefined;
    throw error;
  });
  if (upload !== undefined && upload.branch !== params.branch) throw new StrataError('NotFound', `upload '${params.uploadId}' was not started on branch '${params.branch}'`, { details: { reason: 'no-such-upload' } });
}

/** Uploading a part: the raw body, streamed (registered where the object routes take raw bodies). */
export function registerPartRoute(app: FastifyInstance, deps: RouteDeps): void {
  const api = app.withTypeProvider<ZodTypeProvider>();
  api.put('/repositories/:repo/branches/:branch/uploads/:uploadId/parts/:partNumber', {
    schema: {
      tags: ['objects'],
      summary: 'Upload one part (1 to 10,000) of a multipart upload; the body is the raw bytes. Uploading a part number again replaces it.',
      params: PartParams,
      querystring: PathQuery,
      response: { 200: PartSchema, ...ERROR_RESPONSES, 413: ERROR_RESPONSES[400] },
    },
  }, async (request) => {
    const part = await deps.core.multipart.uploadPart(deps.context(request), {
      repository: request.params.repo,
      path: request.query.path,
      uploadId: request.params.uploadId,
      partNumber: request.params.partNumber,
      body: (request.body as AsyncIterable<Uint8Array> | undefined) ?? request.raw,
      maxBytes: deps.maxUploadBytes,
    });
    return { partNumber: part.partNumber, etag: `"${part.content.md5}"`, size: part.content.size };
  });
}
