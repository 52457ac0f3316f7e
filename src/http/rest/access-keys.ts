import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { RouteDeps } from '../build-server.ts';
import { AccessKeySchema, ERROR_RESPONSES } from '../schemas.ts';

/** S3 access keys. The secret is returned once, by the create call. */
export function registerAccessKeyRoutes(app: FastifyInstance, deps: RouteDeps): void {
  const api = app.withTypeProvider<ZodTypeProvider>();
  const tags = ['access keys'];
  api.get('/access-keys', {
    schema: { tags, summary: "List S3 access keys (without secrets): a principal's, or every key (admin)", querystring: z.strictObject({ principal: z.string().optional() }), response: { 200: z.object({ accessKeys: z.array(AccessKeySchema) }), ...ERROR_RESPONSES } },
  }, async (request) => ({ accessKeys: await deps.core.accessKeys.list(deps.context(request), request.query) }));

  api.post('/access-keys', {
    schema: {
      tags,
      summary: 'Issue an S3 access key for a principal (default: the caller), or import an existing id and secret; the only response that shows the secret',
      body: z.strictObject({ principal: z.string().optional(), id: z.string().optional(), secret: z.string().optional() }),
      response: { 201: AccessKeySchema.extend({ secret: z.string() }), ...ERROR_RESPONSES },
    },
  }, async (request, reply) => reply.status(201).send(await deps.core.accessKeys.create(deps.context(request), request.body)));

  api.delete('/access-keys/:id', {
    schema: { tags, summary: 'Revoke an S3 access key (takes effect at once)', params: z.object({ id: z.string() }), response: { 204: z.null(), ...ERROR_RESPONSES } },
  }, async (request, reply) => {
    await deps.core.accessKeys.revoke(deps.context(request), request.params.id);
    return reply.status(204).send(null);
  });
}
