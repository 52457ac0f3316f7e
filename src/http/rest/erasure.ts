import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { RouteDeps } from '../build-server.ts';
import { ERROR_RESPONSES } from '../schemas.ts';

const Version = z.object({ repository: z.string(), path: z.string(), sha256: z.string() });
const CertificateSchema = z.object({
  format: z.literal('strata-erasure/1'),
  id: z.string(),
  target: z.string(),
  reason: z.string().nullable(),
  actor: z.string(),
  dryRun: z.boolean(),
  startedAt: z.string(),
  finishedAt: z.string(),
  contents: z.array(z.string()).describe('content hashes the target named'),
  objectVersions: z.array(Version).describe('every path, in any readable commit, that held one of them'),
  shards: z.array(z.object({ repository: z.string(), path: z.string(), sha256: z.string(), removed: z.number(), kept: z.number(), branches: z.array(z.string()) })).describe('recipe outputs rewritten without the derived records'),
  records: z.array(z.string()),
  tokenFiles: z.array(z.string()),
  staged: z.array(z.object({ repository: z.string(), branch: z.string(), path: z.string(), sha256: z.string() })),
  uploads: z.array(z.string()),
  inference: z.object({ records: z.array(z.string()), partitions: z.array(z.string()), payloads: z.array(z.string()), commit: z.string().nullable() }),
  prepCache: z.object({ entries: z.number(), segments: z.array(z.string()) }),
  marked: z.array(z.object({ subject: z.string(), mark: z.string() })).describe('what cannot be undone: model versions trained on the data, runs that read it'),
  commits: z.array(z.object({ repository: z.string(), branch: z.string(), commit: z.string() })),
  destroyed: z.array(z.string()).describe('contents whose reads now answer 451 Erased'),
  blobs: z.array(z.string()),
  shared: z.array(z.string()).describe('chunks kept because a content not erased is made of them too'),
  checks: z.array(z.object({ sha256: z.string(), absent: z.boolean() })),
  audit: z.object({ action: z.literal('erasure:run'), resource: z.string() }),
}).meta({ id: 'ErasureCertificate' });

const RecordSchema = z.object({
  certificate: CertificateSchema,
  text: z.string().describe('the exact text the signature is over'),
  signature: z.string().describe("Ed25519 over the certificate's exact JSON text, base64; empty when the server has no signing key"),
  keyId: z.string(),
}).meta({ id: 'ErasureRecord' });

const VerificationSchema = z.object({
  id: z.string(),
  valid: z.boolean(),
  signature: z.enum(['valid', 'invalid', 'unsigned']),
  checked: z.number(),
  present: z.array(z.string()).describe('blobs of the certificate found in the store again'),
}).meta({ id: 'ErasureVerification' });

const IdParams = z.object({ id: z.string() });

/** Erasure along lineage (needs erasure:run) and its certificates (erasure:read). */
export function registerErasureRoutes(app: FastifyInstance, deps: RouteDeps): void {
  const api = app.withTypeProvider<ZodTypeProvider>();
  const tags = ['erasure'];
  api.post('/erasures', {
    schema: {
      tags,
      summary: 'Erase a content, its copies and every record derived from it; answers the signed certificate (or, in a dry run, the plan)',
      body: z.strictObject({
        target: z.string().min(1).describe('`repo@ref:path`, `source:<uri>`, `sha256:<hex>` or `dataset:<name>`'),
        reason: z.string().max(2000).optional(),
        dryRun: z.boolean().default(false).describe('list everything the erasure would reach; change nothing'),
      }),
      response: { 200: CertificateSchema, ...ERROR_RESPONSES },
    },
  }, async (request) => deps.core.erasure.erase(deps.context(request), request.body));

  api.get('/erasures', {
    schema: {
      tags,
      summary: 'Erasures done, newest first',
      querystring: z.strictObject({ limit: z.coerce.number().int().min(1).max(1000).default(50) }),
      response: { 200: z.object({ erasures: z.array(z.object({ id: z.string(), createdAt: z.string(), actor: z.string(), target: z.string(), keyId: z.string() })) }), ...ERROR_RESPONSES },
    },
  }, async (request) => ({ erasures: await deps.core.erasure.list(deps.context(request), request.query.limit) }));

  api.get('/erasures/:id', {
    schema: { tags, summary: 'An erasure certificate with its signature', params: IdParams, response: { 200: RecordSchema, ...ERROR_RESPONSES } },
  }, async (request) => deps.core.erasure.show(deps.context(request), request.params.id));

  api.post('/erasures/:id/verify', {
    schema: { tags, summary: "Check the certificate's signature and that none of its blobs is in the store again", params: IdParams, response: { 200: VerificationSchema, ...ERROR_RESPONSES } },
  }, async (request) => deps.core.erasure.verify(deps.context(request), request.params.id));
}
