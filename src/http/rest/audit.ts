import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { MAX_AUDIT_PAGE } from '../../core/audit/audit-service.ts';
import type { RouteDeps } from '../build-server.ts';
import { ERROR_RESPONSES } from '../schemas.ts';

const Seq = z.coerce.number().int().min(0);
const EntrySchema = z.object({
  seq: z.number(),
  time: z.string(),
  actor: z.string(),
  action: z.string().describe('<resource kind>:<verb>, e.g. object:write, branch:commit, object:read'),
  resource: z.string().describe('repository[@ref][:path], or what the call named'),
  outcome: z.string().describe('ok, denied, or the error code the action failed with'),
  requestId: z.string().nullable(),
  source: z.string().nullable().describe("the client's address, or cli"),
  detailsDigest: z.string().nullable().describe('hex SHA-256 of the details JSON'),
  leafHash: z.string().describe('hex SHA-256(0x00 ‖ encoded entry), RFC 9162'),
  prunedAt: z.string().nullable().describe('when retention emptied the entry (only its hash is left)'),
  details: z.unknown().optional(),
  detailsJson: z.string().optional(),
}).meta({ id: 'AuditEntry' });
const HeadSchema = z.object({
  treeSize: z.number(),
  rootHash: z.string(),
  timestamp: z.string(),
  keyId: z.string(),
  signature: z.string().describe('base64 Ed25519 signature'),
}).meta({ id: 'AuditTreeHead' });
const Hashes = z.array(z.string());

/**
 * The audit log over HTTP: entries, signed tree heads, inclusion and consistency proofs, the
 * public key, and a server-side verification. Every route is a GET: the log has no write route.
 */
export function registerAuditRoutes(app: FastifyInstance, deps: RouteDeps): void {
  const api = app.withTypeProvider<ZodTypeProvider>();
  const tags = ['audit'];
  api.get('/audit/entries', {
    schema: {
      tags,
      summary: 'Audit entries in order, filtered by seq range, actor, action or resource prefix',
      querystring: z.strictObject({
        from: Seq.optional(),
        to: Seq.optional(),
        actor: z.string().optional(),
        action: z.string().optional(),
        resource: z.string().optional().describe('entries whose resource starts with this'),
        limit: z.coerce.number().int().min(1).max(MAX_AUDIT_PAGE).default(100),
        details: z.stringbool().optional().describe("include each entry's details as their exact JSON"),
      }),
      response: { 200: z.object({ entries: z.array(EntrySchema) }), ...ERROR_RESPONSES },
    },
  }, async (request) => ({ entries: await deps.core.audit.entries(deps.context(request), request.query) }));

  api.get('/audit/entries/:seq', {
    schema: { tags, summary: 'One audit entry with its details', params: z.object({ seq: Seq }), response: { 200: EntrySchema, ...ERROR_RESPONSES } },
  }, async (request) => deps.core.audit.entry(deps.context(request), request.params.seq));

  api.get('/audit/heads', {
    schema: {
      tags,
      summary: 'Signed tree heads in order of size',
      querystring: z.strictObject({ fromSize: Seq.optional(), limit: z.coerce.number().int().min(1).max(MAX_AUDIT_PAGE).optional() }),
      response: { 200: z.object({ heads: z.array(HeadSchema) }), ...ERROR_RESPONSES },
    },
  }, async (request) => ({ heads: await deps.core.audit.heads(deps.context(request), request.query) }));

  api.get('/audit/heads/latest', {
    schema: { tags, summary: 'The latest signed tree head', response: { 200: HeadSchema, ...ERROR_RESPONSES } },
  }, async (request) => deps.core.audit.latestHead(deps.context(request)));

  api.get('/audit/proofs/inclusion', {
    schema: {
      tags,
      summary: 'RFC 9162 inclusion proof of an entry in the tree of treeSize entries (default: the latest signed head)',
      querystring: z.strictObject({ seq: Seq, treeSize: Seq.optional() }),
      response: { 200: z.object({ seq: z.number(), treeSize: z.number(), leafHash: z.string(), rootHash: z.string(), proof: Hashes }), ...ERROR_RESPONSES },
    },
  }, async (request) => deps.core.audit.inclusionProof(deps.context(request), request.query.seq, request.query.treeSize));

  api.get('/audit/proofs/consistency', {
    schema: {
      tags,
      summary: 'RFC 9162 consistency proof that the tree of `first` entries is a prefix of the tree of `second`',
      querystring: z.strictObject({ first: Seq, second: Seq }),
      response: { 200: z.object({ first: z.number(), second: z.number(), firstRoot: z.string(), secondRoot: z.string(), proof: Hashes }), ...ERROR_RESPONSES },
    },
  }, async (request) => deps.core.audit.consistencyProof(deps.context(request), request.query.first, request.query.second));

  api.get('/audit/public-key', {
    schema: { tags, summary: 'The Ed25519 public key (SPKI PEM) that signs tree heads, and its id', response: { 200: z.object({ keyId: z.string(), publicKeyPem: z.string() }), ...ERROR_RESPONSES } },
  }, async (request) => deps.core.audit.publicKey(deps.context(request)));

  const Problem = z.object({ kind: z.string(), seq: z.number().optional(), range: z.tuple([z.number(), z.number()]).optional(), treeSize: z.number().optional(), movedFrom: z.number().optional(), message: z.string() });
  api.get('/audit/verify', {
    schema: {
      tags,
      summary: 'Recompute the whole log and check every signed head; names each changed, moved, deleted or inserted entry',
      response: { 200: z.object({ ok: z.boolean(), entries: z.number(), heads: z.number(), size: z.number(), verifiedThrough: z.number(), problems: z.array(Problem) }), ...ERROR_RESPONSES },
    },
  }, async (request) => deps.core.audit.verify(deps.context(request)));
}
