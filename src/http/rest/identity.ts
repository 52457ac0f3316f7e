import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { RouteDeps } from '../build-server.ts';
import { ERROR_RESPONSES } from '../schemas.ts';

const Principal = z.object({ id: z.string(), kind: z.enum(['user', 'service', 'group']), createdAt: z.string(), createdBy: z.string(), disabledAt: z.string().optional() }).meta({ id: 'Principal' });
const PrincipalInfo = Principal.extend({ groups: z.array(z.string()), policies: z.array(z.string()), members: z.array(z.string()).optional(), scope: z.array(z.string()).optional() }).meta({ id: 'PrincipalInfo' });
const Token = z.object({ id: z.string(), principal: z.string(), name: z.string(), createdAt: z.string(), expiresAt: z.string().optional(), revokedAt: z.string().optional(), roles: z.array(z.string()).optional() }).meta({ id: 'Token' });
const Policy = z.object({ name: z.string(), builtIn: z.boolean(), document: z.record(z.string(), z.unknown()) }).meta({ id: 'Policy' });
const Decision = z.object({ allowed: z.boolean(), reason: z.string() }).meta({ id: 'AccessDecision' });
const Id = z.object({ id: z.string() });

/** Principals, groups, API tokens and policies; every route is itself authorized. */
export function registerIdentityRoutes(app: FastifyInstance, deps: RouteDeps): void {
  const api = app.withTypeProvider<ZodTypeProvider>();
  const tags = ['identity and access'];
  const { identity } = deps.core;

  api.get('/whoami', { schema: { tags, summary: 'The authenticated principal, its groups, policies and token scope', response: { 200: PrincipalInfo, ...ERROR_RESPONSES } } }, async (request) => identity.whoami(deps.context(request)));

  api.get('/principals', { schema: { tags, summary: 'Users, services and groups', response: { 200: z.object({ principals: z.array(Principal) }), ...ERROR_RESPONSES } } }, async (request) => ({
    principals: await identity.listPrincipals(deps.context(request)),
  }));
  api.post('/principals', {
    schema: { tags, summary: 'Create a user, service account or group', body: z.strictObject({ id: z.string(), kind: z.enum(['user', 'service', 'group']) }), response: { 201: PrincipalInfo, ...ERROR_RESPONSES } },
  }, async (request, reply) => reply.status(201).send(await identity.createPrincipal(deps.context(request), request.body)));
  api.get('/principals/:id', { schema: { tags, summary: 'A principal with its groups, policies (and members)', params: Id, response: { 200: PrincipalInfo, ...ERROR_RESPONSES } } }, async (request) => identity.getPrincipal(deps.context(request), request.params.id));
  api.post('/principals/:id/disable', { schema: { tags, summary: 'Disable a user or service: its tokens and keys stop working at once', params: Id, response: { 204: z.null(), ...ERROR_RESPONSES } } }, async (request, reply) => {
    await identity.disablePrincipal(deps.context(request), request.params.id);
    return reply.status(204).send(null);
  });
  const Member = z.object({ id: z.string(), member: z.string() });
  api.put('/principals/:id/members/:member', { schema: { tags, summary: 'Add a user or service to a group', params: Member, response: { 200: PrincipalInfo, ...ERROR_RESPONSES } } }, async (request) =>
    identity.addMember(deps.context(request), { group: request.params.id, member: request.params.member }),
  );
  api.delete('/principals/:id/members/:member', { schema: { tags, summary: 'Remove a member from a group', params: Member, response: { 200: PrincipalInfo, ...ERROR_RESPONSES } } }, async (request) =>
    identity.removeMember(deps.context(request), { group: request.params.id, member: request.params.member }),
  );
  const Attachment = z.object({ id: z.string(), policy: z.string() });
  api.put('/principals/:id/policies/:policy', { schema: { tags, summary: 'Attach a policy or built-in role to a principal', params: Attachment, response: { 200: PrincipalInfo, ...ERROR_RESPONSES } } }, async (request) =>
    identity.attach(deps.context(request), { policy: request.params.policy, principal: request.params.id }),
  );
  api.delete('/principals/:id/policies/:policy', { schema: { tags, summary: 'Detach a policy from a principal', params: Attachment, response: { 200: PrincipalInfo, ...ERROR_RESPONSES } } }, async (request) =>
    identity.detach(deps.context(request), { policy: request.params.policy, principal: request.params.id }),
  );

  api.get('/tokens', { schema: { tags, summary: "API tokens (never their secrets): a principal's, or all (admin)", querystring: z.strictObject({ principal: z.string().optional() }), response: { 200: z.object({ tokens: z.array(Token) }), ...ERROR_RESPONSES } } }, async (request) => ({
    tokens: await identity.listTokens(deps.context(request), request.query),
  }));
  api.post('/tokens', {
    schema: {
      tags,
      summary: 'Issue an API token (default: for the caller); the only response that shows it',
      body: z.strictObject({ principal: z.string().optional(), name: z.string(), expiresInDays: z.number().int().optional(), roles: z.array(z.string()).optional() }),
      response: { 201: Token.extend({ token: z.string() }), ...ERROR_RESPONSES },
    },
  }, async (request, reply) => reply.status(201).send(await identity.createToken(deps.context(request), request.body)));
  api.delete('/tokens/:id', { schema: { tags, summary: 'Revoke a token (takes effect at once)', params: Id, response: { 204: z.null(), ...ERROR_RESPONSES } } }, async (request, reply) => {
    await identity.revokeToken(deps.context(request), request.params.id);
    return reply.status(204).send(null);
  });

  api.get('/policies', { schema: { tags, summary: 'Built-in roles and stored policies', response: { 200: z.object({ policies: z.array(z.object({ name: z.string(), builtIn: z.boolean() })) }), ...ERROR_RESPONSES } } }, async (request) => ({
    policies: await identity.listPolicies(deps.context(request)),
  }));
  api.get('/policies/:name', { schema: { tags, summary: 'A policy document', params: z.object({ name: z.string() }), response: { 200: Policy, ...ERROR_RESPONSES } } }, async (request) => identity.getPolicy(deps.context(request), request.params.name));
  api.put('/policies/:name', {
    schema: { tags, summary: 'Create or replace a policy: { statements: [{ effect, actions, resources }] }', params: z.object({ name: z.string() }), body: z.unknown(), response: { 200: z.object({ name: z.string(), updatedAt: z.string(), updatedBy: z.string() }), ...ERROR_RESPONSES } },
  }, async (request) => {
    const { name, updatedAt, updatedBy } = await identity.putPolicy(deps.context(request), { name: request.params.name, document: request.body });
    return { name, updatedAt, updatedBy };
  });
  api.post('/access/check', {
    schema: { tags, summary: 'Would a principal be allowed an action on a resource, and which statement decides', body: z.strictObject({ principal: z.string(), action: z.string(), resource: z.string().optional() }), response: { 200: Decision, ...ERROR_RESPONSES } },
  }, async (request) => identity.check(deps.context(request), request.body));
}
