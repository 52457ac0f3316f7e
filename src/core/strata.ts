import { ObjectStore, DEFAULT_OBJECT_STORE_OPTIONS, type ObjectStoreOptions } from './objects/object-store.ts';
import type { Authorizer } from './ports/authorizer.ts';
import { IdentityService } from './access/identity-service.ts';
import { PolicyAuthorizer } from './access/policy-authorizer.ts';
import { DatasetLabels } from './access/dataset-labels.ts';
import { MergeChecks } from './protection/merge-checks.ts';
import type { TableReader, WebhookSender } from './ports/merge-check-io.ts';
import type { SecretSealer } from './ports/secret-sealer.ts';
import type { StepSandbox } from './ports/step-sandbox.ts';
import type { BlobStore } from './ports/blob-store.ts';
import { systemClock, type Clock } from './ports/clock.ts';
import type { MetadataStore } from './ports/metadata-store.ts';
import { CommitService } from './versioning/commit-service.ts';
import { MergeService } from './versioning/merge-service.ts';
import { AccessKeyService } from './access/access-key-service.ts';
import { DatasetService } from './catalog/dataset-service.ts';
import { SearchService, type SearchServiceOptions } from './catalog/search-service.ts';
import { IngestService } from './ingest/ingest-service.ts';
import { LineageRecorder } from './lineage/lineage-recorder.ts';
import { LineageService } from './lineage/lineage-service.ts';
import type { OpenLineageSettings } from './lineage/openlineage-events.ts';
import { OpenLineageService } from './lineage/openlineage-service.ts';
import { ModelRegistryService } from './models/model-registry-service.ts';
import type { LineageEmitter } from './ports/lineage-emitter.ts';
import type { LanguageDetector } from './ports/language-detector.ts';
import { RunService } from './runs/run-service.ts';
import { PrepCache } from './prep/prep-cache.ts';
import { PrepService } from './prep/prep-service.ts';
import type { TaskQueue } from './ports/task-queue.ts';
import type { SourceMapper } from './ports/source-mapper.ts';
import type { ShardEncoder } from './ports/shard-encoder.ts';
import type { DocumentTextExtractor } from './ports/document-text.ts';
import type { ModuleCompiler } from './ports/module-compiler.ts';
import type { MetadataExtractor } from './ports/metadata-extractor.ts';
import { MIN_PART_SIZE, MultipartService } from './versioning/multipart-service.ts';
import { ObjectService } from './versioning/object-service.ts';
import { RepositoryService } from './versioning/repository-service.ts';
import { NodeStore } from './versioning/tree/node-store.ts';
import { AuditLog, DEFAULT_AUDIT_LOG_OPTIONS, type AuditLogOptions } from './audit/audit-log.ts';
import { AuditRecorder } from './audit/audit-recorder.ts';
import { AuditService, DEFAULT_AUDIT_RETENTION, type AuditRetention } from './audit/audit-service.ts';
import type { AuditSigner } from './ports/audit-signer.ts';
import { inferenceKeyOf } from './inference/inference-lineage.ts';
import { ModelReportService } from './models/model-report.ts';
import { InferenceService, type InferenceOptions } from './inference/inference-service.ts';
import type { ArchiveEngine, TokenCounter } from './ports/archive-engine.ts';
import { StrataError } from './errors.ts';
import { GcService } from './gc/gc-service.ts';
import { ErasedContents } from './erasure/erased-contents.ts';
import { ErasureService } from './erasure/erasure-service.ts';

export interface StrataCoreOptions {
  metadata: MetadataStore;
  blobs: BlobStore;
  /** Decides every request; default: the policies of the identity store (`PolicyAuthorizer`). */
  authorizer?: Authorizer;
  clock?: Clock;
  objectStore?: ObjectStoreOptions;
  /** Smallest multipart part but the last (S3: 5 MiB). */
  minPartSize?: number;
  /** Metadata extraction at ingest; default: content type only (octet-stream). */
  extractor?: MetadataExtractor;
  search?: SearchServiceOptions;
  /** Language identification for the `language` recipe step. */
  languageDetector?: LanguageDetector;
  /** How Strata names itself in OpenLineage events, and where it sends them (optional). */
  openLineage?: { settings?: Partial<OpenLineageSettings>; emitter?: LineageEmitter };
  /**
   * The queue recipe runs hand tasks to `strata worker` processes through (PostgreSQL only), how
   * long a task may run before it counts as lost, and how often it is tried again.
   */
  tasks?: { queue: TaskQueue; expireInSeconds: number; retryLimit: number };
  /** PDF, DOCX and HTML main-content text for recipes. */
  documentText?: DocumentTextExtractor;
  /** TypeScript custom recipe steps. */
  moduleCompiler?: ModuleCompiler;
  /** Where custom recipe steps run, isolated (none: recipes with custom steps are refused). */
  stepSandbox?: StepSandbox;
  /** Recipe shard formats besides JSON Lines (zstd, Parquet, WebDataset). */
  shardEncoder?: ShardEncoder;
  /** Where recipe runs map sources: a thread pool; in the calling thread when absent. */
  mapper?: SourceMapper;
  /** The key that signs audit tree heads (none: entries are still appended, heads are not signed), and how often heads are due. */
  audit?: { signer?: AuditSigner; log?: Partial<AuditLogOptions>; retention?: Partial<AuditRetention> };
  /** Seals S3 secret keys at rest with a key outside the database (none: stored as given). */
  secrets?: SecretSealer;
  /** Parquet rows for the schema checks of protected branches. */
  tables?: TableReader;
  /** How webhook checks of protected branches are sent (none: a webhook check fails). */
  webhooks?: WebhookSender;
  /** The inference archive: Parquet and SQL engine, token counter, and its settings. */
  inference?: { engine?: ArchiveEngine; tokens?: TokenCounter; options?: Partial<InferenceOptions> };
}

export const DEFAULT_INFERENCE_OPTIONS: InferenceOptions = { repository: 'inference-archive', inlineBytes: 64 * 1024, recentDays: 7 };

const NO_ENGINE: ArchiveEngine = {
  toParquet: () => Promise.reject(new StrataError('Unavailable', 'this process has no archive engine')),
  fromParquet: () => Promise.reject(new StrataError('Unavailable', 'this process has no archive engine')),
  query: () => Promise.reject(new StrataError('Unavailable', 'this process has no archive engine')),
};

export const DEFAULT_OPENLINEAGE: OpenLineageSettings = { namespace: 'strata://local', producer: 'urn:strata:0.0.0' };

/** Records nothing but the generic content type; the composition root plugs in a real one. */
const NO_EXTRACTION: MetadataExtractor = {
  start: () => ({ update: () => undefined, finish: () => Promise.resolve({ contentType: 'application/octet-stream', fields: {} }) }),
};

/** The services of Strata's core, wired over the given ports. */
export interface StrataCore {
  repositories: RepositoryService;
  objects: ObjectService;
  commits: CommitService;
  merges: MergeService;
  multipart: MultipartService;
  accessKeys: AccessKeyService;
  /** Principals, groups, API tokens and policies. */
  identity: IdentityService;
  /** The policy decisions themselves (`strata access check`), without auditing. */
  policies: PolicyAuthorizer;
  ingest: IngestService;
  datasets: DatasetService;
  search: SearchService;
  runs: RunService;
  models: ModelRegistryService;
  lineage: LineageService;
  openLineage: OpenLineageService;
  /** Data preparation recipes. */
  prep: PrepService;
  /** The tamper-evident audit log: reading, proofs, verification. */
  audit: AuditService;
  /** Every model call's input, output, usage and cost. */
  inference: InferenceService;
  /** Garbage collection and retention. */
  gc: GcService;
  /** Erasure along lineage, with signed certificates. */
  erasure: ErasureService;
  /** What an auditor asks of a model version, in one document. */
  reports: ModelReportService;
  /** How this Strata names itself in OpenLineage events. */
  openLineageSettings: OpenLineageSettings;
  /** Releases the metadata store. */
  close(): Promise<void>;
}

export function createStrataCore(options: StrataCoreOptions): StrataCore {
  const clock = options.clock ?? systemClock;
  const auditLog = new AuditLog({ store: options.metadata.audit, blobs: options.blobs, clock, ...(options.audit?.signer ? { signer: options.audit.signer } : {}) }, { ...DEFAULT_AUDIT_LOG_OPTIONS, ...options.audit?.log });
  const recorder = new AuditRecorder(auditLog, { clock, auditsReads: async (name) => (await options.metadata.getRepository(name))?.auditReads ?? false });
  const labels = new DatasetLabels({ datasets: (repository) => options.metadata.listDatasets({ repository }), now: () => clock.now().getTime() });
  const policies = new PolicyAuthorizer({ identity: options.metadata.identity, labels, repositoryAccess: async (name) => { const r = await options.metadata.getRepository(name); return r && { owner: r.createdBy, publicRead: r.publicRead, authenticatedRead: r.authenticatedRead === true }; }, now: () => clock.now().getTime() });
  const deps = {
    metadata: options.metadata,
    nodes: new NodeStore(options.blobs),
    objects: new ObjectStore(options.blobs, options.objectStore ?? DEFAULT_OBJECT_STORE_OPTIONS),
    authorizer: recorder.authorizer(options.authorizer ?? policies),
    clock,
  };
  const erased = new ErasedContents(options.metadata.erasure);
  deps.objects.erased = erased;
  const audited = <T extends object>(service: T, name: string, how: { untraced?: ReadonlyArray<keyof T & string>; brief?: ReadonlyArray<keyof T & string> } = {}): T => recorder.wrap(service, name, how);
  const commits = new CommitService(deps);
  const objects = new ObjectService(deps);
  const search = new SearchService(deps, objects, options.search);
  const lineageRecorder = new LineageRecorder(deps, objects);
  const lineage = new LineageService(deps, objects);
  const models = new ModelRegistryService(deps, objects, lineageRecorder);
  lineage.setModelResolver((ctx, address) => models.nodeKey(ctx, address));
  const openLineageSettings = { ...DEFAULT_OPENLINEAGE, ...options.openLineage?.settings };
  const datasets = new DatasetService(deps, objects, { search, labelsChanged: () => { labels.invalidate(); } });
  const runs = new RunService(deps, { objects, recorder: lineageRecorder, openLineage: { settings: openLineageSettings, emitter: options.openLineage?.emitter } });
  runs.setModelResolver((ctx, address) => models.versionNode(ctx, address));
  const prep = new PrepService(deps, { objects, commits, runs, recorder: lineageRecorder, datasets, cache: new PrepCache(options.metadata.prepCache, options.blobs), env: { language: options.languageDetector, ...(options.shardEncoder ? { shards: options.shardEncoder } : {}), ...(options.documentText ? { documents: options.documentText } : {}), ...(options.moduleCompiler ? { compiler: options.moduleCompiler } : {}), ...(options.stepSandbox ? { sandbox: options.stepSandbox } : {}) }, ...(options.tasks ? { tasks: options.tasks } : {}), ...(options.mapper ? { mapper: options.mapper } : {}) });
  const repositories = new RepositoryService(deps);
  const inference = new InferenceService(deps, {
    objects,
    commits,
    repositories,
    models,
    recorder: lineageRecorder,
    engine: options.inference?.engine ?? NO_ENGINE,
    ...(options.inference?.tokens ? { tokens: options.inference.tokens } : {}),
    options: { ...DEFAULT_INFERENCE_OPTIONS, ...options.inference?.options },
  });
  lineage.setInferenceResolver(async (ctx, id) => {
    const record = await inference.get(ctx, id);
    return inferenceKeyOf({ application: record.application, time: record.time, model: record.model, model_version: record.modelVersion });
  });
  const auditService = new AuditService({ authorizer: deps.authorizer, clock, blobs: options.blobs }, auditLog, { ...DEFAULT_AUDIT_RETENTION, ...options.audit?.retention });
  const auditedRepositories = audited(repositories, 'repositories');
  const auditedObjects = audited(objects, 'objects', { untraced: ['writeContent'] });
  const auditedCommits = audited(commits, 'commits');
  return {
    repositories: auditedRepositories,
    objects: auditedObjects,
    commits: auditedCommits,
    gc: audited(new GcService({ ...deps, blobs: options.blobs }, { objects: auditedObjects, commits: auditedCommits, repositories: auditedRepositories }, options.tasks), 'gc', { untraced: ['serveTasks'] }),
    merges: audited(new MergeService(deps, commits, new MergeChecks({ read: (entry) => deps.objects.read(entry), labelsOf: (repository, path) => labels.of(repository, path), recipeValidator: (ctx, recipe) => prep.validator(ctx, recipe), ...(options.audit?.signer ? { signer: options.audit.signer } : {}), ...(options.tables ? { tables: options.tables } : {}), ...(options.webhooks ? { webhooks: options.webhooks } : {}) })), 'merges'),
    multipart: audited(new MultipartService(deps, objects, { minPartSize: options.minPartSize ?? MIN_PART_SIZE }), 'multipart'),
    accessKeys: audited(new AccessKeyService(deps, options.secrets), 'accessKeys', { untraced: ['resolve', 'sealStored'] }),
    identity: audited(new IdentityService({ ...deps, identity: options.metadata.identity, policies }), 'identity', { untraced: ['authenticate', 'bootstrap', 'bootstrapAdmin'] }),
    policies,
    ingest: audited(new IngestService(deps, { objects, commits, search, extractor: options.extractor ?? NO_EXTRACTION }), 'ingest'),
    datasets: audited(datasets, 'datasets'),
    search: audited(search, 'search'),
    runs: audited(runs, 'runs'),
    models: audited(models, 'models'),
    lineage: audited(lineage, 'lineage'),
    openLineage: audited(new OpenLineageService(deps, { objects, recorder: lineageRecorder, strataNamespace: openLineageSettings.namespace }), 'openLineage'),
    prep: audited(prep, 'prep', { untraced: ['serveTasks'] }),
    inference: audited(inference, 'inference', { brief: ['log'] }),
    erasure: audited(new ErasureService(deps, { objects, commits, inference, search, erased, blobs: options.blobs, ...(options.audit?.signer ? { signer: options.audit.signer } : {}) }), 'erasure', { untraced: ['marksOf'] }),
    audit: auditService,
    reports: audited(new ModelReportService(deps, { models, runs, lineage, inference, audit: auditService }), 'reports'),
    openLineageSettings,
    close: async () => {
      await options.tasks?.queue.stop();
      await options.mapper?.close();
      await options.metadata.close();
    },
  };
}
