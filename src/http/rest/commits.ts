import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { MergeStrategy } from '../../core/versioning/types.ts';
import type { RouteDeps } from '../build-server.ts';
import { BranchParams, ChangeSchema, CommitSchema, ERROR_RESPONSES, MergeResultSchema, MergeStrategySchema, MetadataSchema, RefParams, RepoParams } from '../schemas.ts';

export function registerCommitRoutes(app: FastifyInstance, deps: RouteDeps): void {
  const api = app.withTypeProvider<ZodTypeProvider>();
  const tags = ['commits'];
  api.post('/repositories/:repo/branches/:branch/commits', {
    schema: {
      tags,
      summary: "Commit the branch's staged changes",
      description: 'Takes every change staged on the branch, whoever staged it (as lakeFS does), unless `only` names the paths or prefixes to commit: each item takes the path itself and everything under `item/`.',
      params: BranchParams,
      body: z.object({ message: z.string(), metadata: MetadataSchema.optional(), only: z.array(z.string()).min(1).optional() }),
      response: { 201: CommitSchema, ...ERROR_RESPONSES },
    },
  }, async (request, reply) =>
    reply.status(201).send(await deps.core.commits.commit(deps.context(request), { repository: request.params.repo, branch: request.params.branch, ...request.body })),
  );

  api.get('/repositories/:repo/branches/:branch/status', {
    schema: { tags, summary: 'Uncommitted changes of a branch', params: BranchParams, querystring: z.object({ prefix: z.string().optional() }), response: { 200: z.object({ changes: z.array(ChangeSchema) }), ...ERROR_RESPONSES } },
  }, async (request) => ({
    changes: await deps.core.commits.status(deps.context(request), { repository: request.params.repo, branch: request.params.branch, prefix: request.query.prefix }),
  }));

  api.delete('/repositories/:repo/branches/:branch/staging', {
    schema: { tags, summary: 'Drop staged changes (all, or under a prefix)', params: BranchParams, querystring: z.object({ prefix: z.string().optional() }), response: { 200: z.object({ reset: z.number().int() }), ...ERROR_RESPONSES } },
  }, async (request) => ({
    reset: await deps.core.commits.reset(deps.context(request), { repository: request.params.repo, branch: request.params.branch, prefix: request.query.prefix }),
  }));

  api.get('/repositories/:repo/refs/:ref/log', {
    schema: { tags, summary: 'History of a ref, newest first', params: RefParams, querystring: z.object({ limit: z.coerce.number().int().min(1).max(10000).optional() }), response: { 200: z.object({ commits: z.array(CommitSchema) }), ...ERROR_RESPONSES } },
  }, async (request) => ({ commits: await deps.core.commits.log(deps.context(request), { repository: request.params.repo, ref: request.params.ref, limit: request.query.limit }) }));

  api.get('/repositories/:repo/refs/:ref/commit', {
    schema: { tags, summary: 'The commit a ref points at', params: RefParams, response: { 200: CommitSchema, ...ERROR_RESPONSES } },
  }, async (request) => deps.core.commits.show(deps.context(request), { repository: request.params.repo, ref: request.params.ref }));

  api.get('/repositories/:repo/diff', {
    schema: {
      tags,
      summary: 'Differences between two refs',
      params: RepoParams,
      querystring: z.object({ left: z.string(), right: z.string(), prefix: z.string().optional(), limit: z.coerce.number().int().min(1).optional() }),
      response: { 200: z.object({ changes: z.array(ChangeSchema) }), ...ERROR_RESPONSES },
    },
  }, async (request) => ({ changes: await deps.core.commits.diff(deps.context(request), { repository: request.params.repo, ...request.query }) }));

  api.post('/repositories/:repo/branches/:branch/merge', {
    schema: {
      tags,
      summary: 'Three-way merge of a ref into this branch',
      params: BranchParams,
      body: z.object({ source: z.string(), strategy: MergeStrategySchema.optional(), message: z.string().optional(), metadata: MetadataSchema.optional() }),
      response: { 200: MergeResultSchema, ...ERROR_RESPONSES },
    },
  }, async (request) =>
    deps.core.merges.merge(deps.context(request), {
      repository: request.params.repo,
      destination: request.params.branch,
      ...request.body,
      strategy: request.body.strategy as MergeStrategy | undefined,
    }),
  );

  api.post('/repositories/:repo/branches/:branch/revert', {
    schema: {
      tags,
      summary: 'Add a commit that undoes another',
      params: BranchParams,
      body: z.object({ ref: z.string(), parent: z.number().int().min(1).optional() }),
      response: { 201: z.object({ commit: CommitSchema }), ...ERROR_RESPONSES },
    },
  }, async (request, reply) =>
    reply.status(201).send(await deps.core.merges.revert(deps.context(request), { repository: request.params.repo, branch: request.params.branch, ...request.body })),
  );
}
