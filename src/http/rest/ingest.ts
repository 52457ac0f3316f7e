import { hostname } from 'node:os';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { openIngestSource, type ServerIngestPolicy } from '../../app/ingest-source.ts';
import { previewObject } from '../../app/preview.ts';
import { ingestFilter } from '../../core/ingest/filter.ts';
import type { RouteDeps } from '../build-server.ts';
import { CommitSchema, ERROR_RESPONSES, RefParams, RepoParams } from '../schemas.ts';

const Failure = z.object({ path: z.string(), error: z.string() });

/** Server-side ingest: the server reads the source (a path on the server, s3:// or http(s)://). */
export function registerIngestRoutes(app: FastifyInstance, deps: RouteDeps & { version: string; ingest: ServerIngestPolicy }): void {
  const api = app.withTypeProvider<ZodTypeProvider>();
  api.get('/repositories/:repo/refs/:ref/preview', {
    schema: {
      tags: ['ingest'],
      summary: 'Preview an object: the first rows of a table (CSV, TSV, JSONL, Parquet), the first bytes of a text, or its extracted metadata',
      params: RefParams,
      querystring: z.object({ path: z.string(), rows: z.coerce.number().int().min(0).max(1000).optional(), bytes: z.coerce.number().int().min(0).max(1024 * 1024).optional() }),
      response: {
        200: z.object({
          path: z.string(),
          contentType: z.string(),
          kind: z.enum(['table', 'text', 'metadata']),
          columns: z.array(z.string()).optional(),
          rows: z.array(z.record(z.string(), z.unknown())).optional(),
          text: z.string().optional(),
          truncated: z.boolean().optional(),
          fields: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(),
        }),
        ...ERROR_RESPONSES,
      },
    },
  }, async (request) => previewObject(deps.core, deps.context(request), { repository: request.params.repo, ref: request.params.ref, ...request.query }));

  api.post('/repositories/:repo/ingest', {
    schema: {
      tags: ['ingest'],
      summary: 'Ingest a source into a branch with provenance, in one commit (none when nothing changed)',
      params: RepoParams,
      body: z.strictObject({
        source: z.string().min(1).describe('a path on the server under STRATA_INGEST_ROOTS, @list-file, s3://bucket/prefix[?endpoint=…] (when STRATA_INGEST_S3 allows) or http(s):// URL (public addresses unless STRATA_INGEST_ALLOW_PRIVATE_NETWORKS)'),
        branch: z.string(),
        prefix: z.string().optional(),
        include: z.array(z.string()).optional(),
        exclude: z.array(z.string()).optional(),
        followSymlinks: z.boolean().optional(),
        concurrency: z.number().int().min(1).max(64).optional(),
        repository: z.string().optional().describe('ignored: the path names the repository'),
      }),
      response: {
        200: z.object({
          source: z.string(),
          repository: z.string(),
          branch: z.string(),
          prefix: z.string(),
          items: z.number(),
          bytes: z.number(),
          stored: z.number(),
          unchanged: z.number(),
          failed: z.array(Failure),
          extractionErrors: z.array(Failure),
          commit: CommitSchema.optional(),
        }),
        ...ERROR_RESPONSES,
      },
    },
  }, async (request) => {
    const ctx = deps.context(request);
    const body = request.body;
    // Relative paths are taken from the first root, never from the server's working directory.
    const source = await openIngestSource(body.source, { cwd: deps.ingest.roots[0] ?? '/', followSymlinks: body.followSymlinks, server: deps.ingest });
    return deps.core.ingest.run(ctx, {
      source,
      repository: request.params.repo,
      branch: body.branch,
      prefix: body.prefix ?? '',
      accept: ingestFilter(body.include, body.exclude),
      concurrency: body.concurrency,
      provenance: { 'ingest.strata-version': deps.version, 'ingest.user': ctx.actor.id, 'ingest.host': hostname() },
    });
  });
}
