import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { RouteDeps } from '../build-server.ts';
import { ERROR_RESPONSES } from '../schemas.ts';

const Tally = z.object({ count: z.number(), bytes: z.number() });
const GcReportSchema = z.object({
  id: z.string(),
  dryRun: z.boolean(),
  startedAt: z.string(),
  finishedAt: z.string(),
  graceMs: z.number(),
  repositories: z.number(),
  commits: z.object({ kept: z.number(), expired: z.number().describe('expired by this run (or that would be, in a dry run)'), expiredBefore: z.number() }),
  blobs: z.object({
    listed: z.number(),
    reachable: z.number().describe('held by a kept version or another root'),
    young: Tally.describe('unreferenced but written or freshened inside the grace period'),
    collected: Tally.describe('deleted (or that would be, in a dry run)'),
  }),
  prepCache: z.object({ pruned: z.number().describe('recipe cache entries dropped because no kept version holds their source') }),
  phases: z.object({ rules: z.number(), mark: z.number(), fence: z.number(), sweep: z.number() }).describe('milliseconds each phase took'),
  rules: z.array(z.object({ kind: z.enum(['lifecycle', 'stale-branch']), repository: z.string(), branch: z.string(), rule: z.string(), objects: z.number().optional(), commit: z.string().optional(), error: z.string().optional() })),
}).meta({ id: 'GcReport' });

/** Garbage collection: run it (or a dry run) and read past runs. Needs storage:gc. */
export function registerGcRoutes(app: FastifyInstance, deps: RouteDeps & { gcGraceSeconds: number }): void {
  const api = app.withTypeProvider<ZodTypeProvider>();
  const tags = ['gc'];
  api.post('/gc', {
    schema: {
      tags,
      summary: 'Apply lifecycle and stale-branch rules, expire commits past retention, and delete every unreachable blob',
      body: z.strictObject({
        dryRun: z.boolean().default(false).describe('count what would go; change nothing'),
        graceSeconds: z.number().int().min(0).optional().describe("blobs and commits younger than this are kept (default: the server's STRATA_GC_GRACE_SECONDS)"),
      }).default({ dryRun: false }),
      response: { 200: GcReportSchema, ...ERROR_RESPONSES },
    },
  }, async (request) => deps.core.gc.collect(deps.context(request), { dryRun: request.body.dryRun, graceMs: (request.body.graceSeconds ?? deps.gcGraceSeconds) * 1000 }));

  api.get('/gc/runs', {
    schema: { tags, summary: 'Past garbage collections, newest first', querystring: z.strictObject({ limit: z.coerce.number().int().min(1).max(1000).default(20) }), response: { 200: z.object({ runs: z.array(GcReportSchema) }), ...ERROR_RESPONSES } },
  }, async (request) => ({ runs: await deps.core.gc.history(deps.context(request), request.query.limit) }));
}
