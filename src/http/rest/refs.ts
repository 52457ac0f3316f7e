import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { RouteDeps } from '../build-server.ts';
import { BranchParams, BranchSchema, ERROR_RESPONSES, RepoParams, TagSchema } from '../schemas.ts';

export function registerRefRoutes(app: FastifyInstance, deps: RouteDeps): void {
  const api = app.withTypeProvider<ZodTypeProvider>();
  api.get('/repositories/:repo/branches', {
    schema: { tags: ['branches'], summary: 'List branches', params: RepoParams, response: { 200: z.object({ branches: z.array(BranchSchema) }), ...ERROR_RESPONSES } },
  }, async (request) => ({ branches: await deps.core.repositories.listBranches(deps.context(request), request.params.repo) }));

  api.post('/repositories/:repo/branches', {
    schema: {
      tags: ['branches'],
      summary: 'Create a branch at any ref (O(1): no data is copied)',
      params: RepoParams,
      body: z.object({ name: z.string(), from: z.string().optional() }),
      response: { 201: BranchSchema, ...ERROR_RESPONSES },
    },
  }, async (request, reply) =>
    reply.status(201).send(await deps.core.repositories.createBranch(deps.context(request), { repository: request.params.repo, ...request.body })),
  );

  api.get('/repositories/:repo/branches/:branch', {
    schema: { tags: ['branches'], summary: 'Get a branch', params: BranchParams, response: { 200: BranchSchema, ...ERROR_RESPONSES } },
  }, async (request) => deps.core.repositories.getBranch(deps.context(request), { repository: request.params.repo, name: request.params.branch }));

  api.delete('/repositories/:repo/branches/:branch', {
    schema: { tags: ['branches'], summary: 'Delete a branch and its staged changes', params: BranchParams, response: { 204: z.null(), ...ERROR_RESPONSES } },
  }, async (request, reply) => {
    await deps.core.repositories.deleteBranch(deps.context(request), { repository: request.params.repo, name: request.params.branch });
    return reply.status(204).send(null);
  });

  api.get('/repositories/:repo/tags', {
    schema: { tags: ['tags'], summary: 'List tags', params: RepoParams, response: { 200: z.object({ tags: z.array(TagSchema) }), ...ERROR_RESPONSES } },
  }, async (request) => ({ tags: await deps.core.repositories.listTags(deps.context(request), request.params.repo) }));

  api.post('/repositories/:repo/tags', {
    schema: {
      tags: ['tags'],
      summary: 'Create a tag at any ref',
      params: RepoParams,
      body: z.object({ name: z.string(), ref: z.string() }),
      response: { 201: TagSchema, ...ERROR_RESPONSES },
    },
  }, async (request, reply) =>
    reply.status(201).send(await deps.core.repositories.createTag(deps.context(request), { repository: request.params.repo, ...request.body })),
  );

  api.delete('/repositories/:repo/tags/:tag', {
    schema: { tags: ['tags'], summary: 'Delete a tag', params: z.object({ repo: z.string(), tag: z.string() }), response: { 204: z.null(), ...ERROR_RESPONSES } },
  }, async (request, reply) => {
    await deps.core.repositories.deleteTag(deps.context(request), { repository: request.params.repo, name: request.params.tag });
    return reply.status(204).send(null);
  });
}
