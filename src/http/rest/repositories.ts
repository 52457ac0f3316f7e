import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { RouteDeps } from '../build-server.ts';
import { ProtectionRuleSchema } from '../../core/protection/protection-rules.ts';
import { RetentionRulesSchema } from '../../core/gc/retention.ts';
import { ERROR_RESPONSES, RepoParams, RepositorySchema } from '../schemas.ts';

export function registerRepositoryRoutes(app: FastifyInstance, deps: RouteDeps): void {
  const api = app.withTypeProvider<ZodTypeProvider>();
  const tags = ['repositories'];
  api.get('/repositories', {
    schema: { tags, summary: 'List repositories', response: { 200: z.object({ repositories: z.array(RepositorySchema) }), ...ERROR_RESPONSES } },
  }, async (request) => ({ repositories: await deps.core.repositories.list(deps.context(request)) }));

  api.post('/repositories', {
    schema: {
      tags,
      summary: 'Create a repository (its default branch starts at an empty commit)',
      body: z.object({ name: z.string(), defaultBranch: z.string().optional() }),
      response: { 201: RepositorySchema, ...ERROR_RESPONSES },
    },
  }, async (request, reply) => reply.status(201).send(await deps.core.repositories.create(deps.context(request), request.body)));

  api.get('/repositories/:repo', {
    schema: { tags, summary: 'Get a repository', params: RepoParams, response: { 200: RepositorySchema, ...ERROR_RESPONSES } },
  }, async (request) => deps.core.repositories.get(deps.context(request), request.params.repo));

  api.patch('/repositories/:repo', {
    schema: {
      tags,
      summary: "Change a repository's settings (S3 key layout, anonymous reads, audited reads) its branch protection rules (needs repository:protect) or its retention rules (needs repository:retention)",
      params: RepoParams,
      body: z.strictObject({
        s3Layout: z.enum(['ref', 'plain']).optional(),
        publicRead: z.boolean().optional(),
        authenticatedRead: z.boolean().optional().describe('every authenticated principal may read it'),
        auditReads: z.boolean().optional(),
        protection: z.array(ProtectionRuleSchema).nullable().optional().describe('replaces every rule; null or [] lifts all protection'),
        retention: RetentionRulesSchema.nullable().optional().describe('replaces the retention rules (needs repository:retention); null keeps everything'),
      }),
      response: { 200: RepositorySchema, ...ERROR_RESPONSES },
    },
  }, async (request) => deps.core.repositories.update(deps.context(request), request.params.repo, request.body));

  api.delete('/repositories/:repo', {
    schema: { tags, summary: 'Delete a repository with its branches, tags, commits and staged changes', params: RepoParams, response: { 204: z.null(), ...ERROR_RESPONSES } },
  }, async (request, reply) => {
    await deps.core.repositories.delete(deps.context(request), request.params.repo);
    return reply.status(204).send(null);
  });
}
