import type { AuditHeadView, AuditService } from '../audit/audit-service.ts';
import { isStrataError } from '../errors.ts';
import type { RetentionRules } from '../gc/retention.ts';
import type { InferenceService } from '../inference/inference-service.ts';
import type { ExcludedSource } from '../lineage/exact-provenance.ts';
import { datasetsOf } from '../lineage/label-propagation.ts';
import type { LineageNodeView, LineageService } from '../lineage/lineage-service.ts';
import { modelKey } from '../lineage/node-keys.ts';
import type { DatasetRecord } from '../ports/metadata-store.ts';
import type { RunService } from '../runs/run-service.ts';
import { authorize, type VersioningDeps } from '../versioning/deps.ts';
import type { CallContext } from '../versioning/types.ts';
import type { ModelRegistryService } from './model-registry-service.ts';

export const MODEL_REPORT_FORMAT = 'strata-model-report/1';

/** A section the caller may not read: why, instead of its content. */
export interface Withheld {
  withheld: string;
}

export interface DatasetCard {
  name: string;
  owner: string;
  license: string | null;
  labels: string[];
  source: string | null;
}

export interface PreparationStep {
  index: number;
  name: string;
  /** `v<version> <parameters as JSON>`, as the run recorded it. */
  settings: string;
  /** Records in, out and dropped by reason (from the run's metrics). */
  counts: Record<string, number>;
}

/**
 * What an auditor asks of a model version (in the spirit of the EU AI Act's technical
 * documentation and data-governance articles, model cards and datasheets): which exact data,
 * prepared how, from which sources under which licences, what was left out and why, what erasure
 * touched it, who uses it, how long its data is kept, and the audit log's signed head when the
 * report was made. Each section names the command that reproduces it.
 */
export interface ModelReport {
  format: typeof MODEL_REPORT_FORMAT;
  generatedAt: string;
  generatedBy: string;
  model: { name: string; version: number; description: string; artifact: string; registeredAt: string; registeredBy: string; aliases: string[]; metadata: Record<string, string> };
  run: null | Withheld | { id: string; job: string; kind: string; status: string; startedAt: string; endedAt: string | null; user: string; host: string | null; code: Record<string, unknown> | null; params: Record<string, string>; env: Record<string, string>; metrics: Record<string, number> };
  training: Array<{ key: string; datasets: DatasetCard[] }>;
  preparation: Array<{ run: string; recipe: string; recipeHash: string; status: string; steps: PreparationStep[]; sources: number; written: number; excluded: number; unreadable: number }>;
  sources: { count: number; licences: Array<{ licence: string; sources: number }>; labels: Array<{ label: string; datasets: string[] }>; removed: Array<{ label: string; run: string }> };
  excluded: ExcludedSource[];
  unreadable: Array<{ key: string; reason: string; run: string }>;
  erasures: Array<{ subject: string; erasureId: string; mark: string }>;
  inference: Withheld | Array<{ application: string; records: number }>;
  retention: Array<{ repository: string; rules: RetentionRules | null }>;
  audit: Withheld | AuditHeadView;
  /** Per section, the command that reproduces it. */
  reproduce: Record<string, string>;
}

type Parts = { models: ModelRegistryService; runs: RunService; lineage: LineageService; inference: InferenceService; audit: AuditService };

/** Excluded and unreadable sources listed in a report (the counts are whole). */
const LISTED = 1000;

/** Builds the model report from the registry, the run, lineage, the catalog, the archive and the audit log. */
export class ModelReportService {
  constructor(
    private readonly deps: VersioningDeps,
    private readonly parts: Parts,
  ) {}

  /** A head signed now when the caller may sign (so it covers every entry so far), else the latest signed one. */
  private async auditHead(ctx: CallContext): Promise<AuditHeadView | Withheld> {
    const signed = await withheld(() => this.parts.audit.sign(ctx));
    return 'withheld' in signed ? withheld(() => this.parts.audit.latestHead(ctx)) : signed;
  }

  async report(ctx: CallContext, address: string): Promise<ModelReport> {
    await authorize(this.deps, ctx, { action: 'model:read' });
    const { version } = await this.parts.models.resolve(ctx, address);
    const key = modelKey(version.model, version.version);
    const [model, aliases, catalog] = await Promise.all([this.deps.metadata.models.getModel(version.model), this.deps.metadata.models.listAliases(version.model), this.deps.metadata.listDatasets({})]);
    const { upstream, provenance, labels } = await this.parts.lineage.trace(ctx, { address: key });
    const run = version.runId === undefined ? null : await withheld(() => this.parts.runs.get(ctx, version.runId as string));
    const recipeRuns = upstream.nodes.filter((n) => n.type === 'run' && n.data.recordLineage === true);
    const preparation = [];
    for (const node of recipeRuns) {
      const prep = await withheld(() => this.parts.runs.get(ctx, node.key.slice('run:'.length)));
      if ('withheld' in prep) continue;
      preparation.push({
        run: prep.id,
        recipe: prep.params.recipe ?? prep.job,
        recipeHash: prep.params['recipe.hash'] ?? '',
        status: prep.status,
        steps: stepsOf(prep.params, prep.metrics),
        sources: prep.metrics.sources?.value ?? 0,
        written: prep.metrics['records.written']?.value ?? 0,
        excluded: Number(node.data.excludedTotal ?? 0),
        unreadable: Number(node.data.unreadableTotal ?? 0),
      });
    }
    const training = run === null || 'withheld' in run ? [] : run.inputs.map((input) => ({ key: input.key, datasets: datasetsOf(input as Pick<LineageNodeView, 'type' | 'data'>, catalog).map(card) }));
    const repositories = new Set<string>([version.repository, ...provenance.sources.flatMap((s) => (typeof s.data.repository === 'string' ? [s.data.repository] : []))]);
    const retention = [];
    for (const name of [...repositories].sort()) retention.push({ repository: name, rules: (await this.deps.metadata.getRepository(name))?.retention ?? null });
    const marks = await this.deps.metadata.erasure.marksOf([key, ...(version.runId === undefined ? [] : [`run:${version.runId}`])]);
    return {
      format: MODEL_REPORT_FORMAT,
      generatedAt: this.deps.clock.now().toISOString(),
      generatedBy: ctx.actor.id,
      model: {
        name: version.model,
        version: version.version,
        description: version.description || model?.description || '',
        artifact: `${version.repository}@${version.commit}:${version.path}`,
        registeredAt: version.createdAt,
        registeredBy: version.createdBy,
        aliases: aliases.filter((a) => a.version === version.version).map((a) => a.alias).sort(),
        metadata: version.metadata,
      },
      run: run === null ? null : 'withheld' in run ? run : { id: run.id, job: run.job, kind: run.kind, status: run.status, startedAt: run.startedAt, endedAt: run.endedAt ?? null, user: run.user, host: run.host ?? null, code: (run.code as Record<string, unknown> | undefined) ?? null, params: run.params, env: run.env, metrics: Object.fromEntries(Object.entries(run.metrics).map(([k, m]) => [k, m.value])) },
      training,
      preparation,
      sources: { count: provenance.sources.length, licences: labels.licences, labels: labels.labels.map((l) => ({ label: l.label, datasets: [...new Set(l.from.map((o) => o.dataset))].sort() })), removed: labels.removed.map((r) => ({ label: r.label, run: r.run })) },
      excluded: provenance.excluded.slice(0, LISTED),
      unreadable: provenance.unreadable.slice(0, LISTED),
      erasures: marks,
      inference: await withheld(async () => {
        const result = await this.parts.inference.query(ctx, `SELECT application, count(*) AS records FROM inference WHERE model_version = '${version.model}/${version.version}' GROUP BY 1 ORDER BY 1`);
        return result.rows.map((row) => ({ application: String(row[0]), records: Number(row[1]) }));
      }),
      retention,
      audit: await this.auditHead(ctx),
      reproduce: {
        model: `strata model show ${version.model}`,
        run: version.runId === undefined ? '(no run recorded)' : `strata run show ${version.runId}`,
        sources: `strata lineage provenance ${key} --json`,
        labels: `strata lineage labels ${key}`,
        inference: `strata inference query "SELECT application, count(*) FROM inference WHERE model_version = '${version.model}/${version.version}' GROUP BY 1"`,
        erasures: 'strata erase list',
        retention: `strata retention show ${version.repository}`,
        audit: 'strata audit heads',
      },
    };
  }
}

/** The section, or why the caller may not see it (a report never needs more rights than its parts). */
async function withheld<T>(read: () => Promise<T>): Promise<T | Withheld> {
  try {
    return await read();
  } catch (error) {
    // Forbidden: the caller may not read it; NotFound: there is none; InvalidArgument: this Strata cannot make it (no signing key).
    if (isStrataError(error) && (error.code === 'Forbidden' || error.code === 'NotFound' || error.code === 'InvalidArgument')) return { withheld: error.message };
    throw error;
  }
}

function card(d: DatasetRecord): DatasetCard {
  return { name: d.name, owner: d.owner, license: d.license ?? null, labels: d.labels, source: d.source ?? null };
}

/** A recipe run's steps from its parameters (`step.<i>.<name>`) with their counts from its metrics (`step.<i>.<name>.…`). */
function stepsOf(params: Record<string, string>, metrics: Record<string, { value: number }>): PreparationStep[] {
  const steps: PreparationStep[] = [];
  for (const [key, settings] of Object.entries(params)) {
    const match = /^step\.(\d+)\.(.+)$/.exec(key);
    if (!match) continue;
    const prefix = `${key}.`;
    const counts = Object.fromEntries(Object.entries(metrics).filter(([m]) => m.startsWith(prefix)).map(([m, v]) => [m.slice(prefix.length), v.value]));
    steps.push({ index: Number(match[1]), name: match[2] ?? '', settings, counts });
  }
  return steps.sort((a, b) => a.index - b.index);
}
