import { invalidArgument, notFound } from '../errors.ts';
import { resolveStrata, type DataVersion } from '../lineage/data-address.ts';
import type { LineageRecorder } from '../lineage/lineage-recorder.ts';
import { modelKey, runKey } from '../lineage/node-keys.ts';
import { assertRepositoryName } from '../names.ts';
import type { LineageEdge, LineageNodeInput } from '../ports/lineage-store.ts';
import type { AliasEvent, ModelAliasRecord, ModelVersionRecord, RegisteredModelRecord } from '../ports/model-store.ts';
import { authorize, type VersioningDeps } from '../versioning/deps.ts';
import type { ObjectService } from '../versioning/object-service.ts';
import type { CallContext } from '../versioning/types.ts';

/** A version as the registry shows it: with what erasures left on it (`trained-on-erased-data`). */
export interface ModelVersionView extends ModelVersionRecord {
  marks: Array<{ erasureId: string; mark: string }>;
}

export interface ModelView extends RegisteredModelRecord {
  versions: ModelVersionView[];
  aliases: ModelAliasRecord[];
}

export interface RegisterInput {
  model: string;
  /** The artifact: `repo@ref:path` (a file or a folder), resolved to its commit now. */
  source: string;
  runId?: string;
  description?: string;
  metadata?: Record<string, string>;
}

/** Where a model address points: an exact artifact at a commit. */
export interface ResolvedModel {
  version: ModelVersionRecord;
  /** The object address of `rest` inside the artifact (the artifact itself when `rest` is empty). */
  object: { repository: string; ref: string; path: string };
}

const ALIAS = /^[a-z][a-z0-9._-]{0,63}$/;
/** `model:name`, `model:name@alias`, `model:name/3`, each optionally followed by `/<path inside the artifact>`. */
const MODEL_ADDRESS = /^model:([a-z0-9][a-z0-9._-]*)(?:@([a-z][a-z0-9._-]*)|\/(\d+))?(?:\/(.*))?$/;

/**
 * The model registry: registered models, their versions (each an exact artifact linked to the
 * run that produced it) and aliases whose every move is recorded.
 */
export class ModelRegistryService {
  constructor(
    private readonly deps: VersioningDeps,
    private readonly objects: ObjectService,
    private readonly recorder: LineageRecorder,
  ) {}

  async create(ctx: CallContext, input: { name: string; description?: string; tags?: string[] }): Promise<RegisteredModelRecord> {
    await authorize(this.deps, ctx, { action: 'model:create' });
    assertRepositoryName(input.name);
    const model: RegisteredModelRecord = { name: input.name, description: input.description ?? '', tags: [...new Set(input.tags ?? [])].sort(), createdAt: this.deps.clock.now().toISOString(), createdBy: ctx.actor.id };
    await this.deps.metadata.models.createModel(model);
    return model;
  }

  async list(ctx: CallContext): Promise<RegisteredModelRecord[]> {
    await authorize(this.deps, ctx, { action: 'model:list' });
    return this.deps.metadata.models.listModels();
  }

  async get(ctx: CallContext, name: string): Promise<ModelView> {
    await authorize(this.deps, ctx, { action: 'model:read' });
    const model = await this.requireModel(name);
    const [versions, aliases] = await Promise.all([this.deps.metadata.models.listVersions(name), this.deps.metadata.models.listAliases(name)]);
    const marks = await this.deps.metadata.erasure.marksOf(versions.map((v) => modelKey(name, v.version)));
    const marksOf = (version: number) => marks.filter((m) => m.subject === modelKey(name, version)).map((m) => ({ erasureId: m.erasureId, mark: m.mark }));
    return { ...model, versions: versions.map((v) => ({ ...v, marks: marksOf(v.version) })), aliases };
  }

  /**
   * Registers the artifact as the model's next version (creating the model on first use) and
   * links it in the lineage graph: artifact → version (`registered-as`), run → version (`wrote`).
   */
  async register(ctx: CallContext, input: RegisterInput): Promise<ModelVersionRecord> {
    await authorize(this.deps, ctx, { action: 'model:register' });
    const match = /^([^@:/]+)(?:@([^:]+))?:(.*)$/.exec(input.source);
    if (!match) throw invalidArgument(`cannot read '${input.source}': expected repo@ref:path`);
    const [, repository = '', ref, path = ''] = match;
    const artifact = await resolveStrata({ deps: this.deps, objects: this.objects, ctx }, { repository, ref, path });
    if (input.runId !== undefined && !(await this.deps.metadata.runs.get(input.runId.toLowerCase()))) throw notFound(`run '${input.runId}' not found`);
    if (!(await this.deps.metadata.models.getModel(input.model))) {
      await this.create(ctx, { name: input.model }).catch((error: unknown) => {
        if ((error as { code?: string }).code !== 'Conflict') throw error;
      });
    }
    const data = artifact.data as { commit: string; path?: string; prefix?: string };
    const version = await this.deps.metadata.models.addVersion({
      model: input.model,
      repository,
      commit: data.commit,
      path: artifact.type === 'object' ? String(data.path) : String(data.prefix),
      runId: input.runId?.toLowerCase(),
      description: input.description ?? '',
      metadata: input.metadata ?? {},
      createdAt: this.deps.clock.now().toISOString(),
      createdBy: ctx.actor.id,
    });
    if (version.runId === undefined) delete version.runId;
    await this.link(ctx, version, artifact);
    return version;
  }

  private async link(ctx: CallContext, version: ModelVersionRecord, artifact: DataVersion): Promise<void> {
    const node = modelNode(version);
    const nodes: LineageNodeInput[] = [node, artifact];
    const [modelId, artifactId] = await this.recorder.nodes(nodes);
    const edges: LineageEdge[] = [{ src: artifactId as number, dst: modelId as number, type: 'registered-as' }];
    if (version.runId !== undefined) {
      const [run] = await this.deps.metadata.lineage.getNodes([runKey(version.runId)]);
      if (run) edges.push({ src: run.id, dst: modelId as number, type: 'wrote' });
    }
    await this.recorder.edges(edges);
    await this.recorder.recordMembers(ctx, artifact);
  }

  /** Points an alias at a version (or removes it with `version` undefined); every move is kept. */
  async setAlias(ctx: CallContext, input: { model: string; alias: string; version?: number }): Promise<AliasEvent> {
    await authorize(this.deps, ctx, { action: 'model:alias' });
    await this.requireModel(input.model);
    if (!ALIAS.test(input.alias)) throw invalidArgument(`invalid alias '${input.alias}': lowercase letters, digits, '.', '_' and '-', starting with a letter`);
    if (input.version !== undefined && !(await this.deps.metadata.models.getVersion(input.model, input.version))) throw notFound(`model ${input.model} has no version ${input.version}`);
    if (input.version === undefined && !(await this.deps.metadata.models.getAlias(input.model, input.alias))) throw notFound(`model ${input.model} has no alias '${input.alias}'`);
    const event: AliasEvent = { model: input.model, alias: input.alias, at: this.deps.clock.now().toISOString(), actor: ctx.actor.id };
    if (input.version !== undefined) event.to = input.version;
    return this.deps.metadata.models.moveAlias(event);
  }

  async aliasHistory(ctx: CallContext, model: string): Promise<AliasEvent[]> {
    await authorize(this.deps, ctx, { action: 'model:read' });
    await this.requireModel(model);
    return this.deps.metadata.models.aliasHistory(model);
  }

  /**
   * Resolves `model:name@alias`, `model:name/3` or `model:name` (the latest version), optionally
   * followed by `/<path>` inside a folder artifact.
   */
  async resolve(ctx: CallContext, address: string): Promise<ResolvedModel> {
    await authorize(this.deps, ctx, { action: 'model:read' });
    const match = MODEL_ADDRESS.exec(address);
    if (!match) throw invalidArgument(`cannot read '${address}': expected model:<name>@<alias> or model:<name>/<version>`);
    const [, name = '', alias, number, rest = ''] = match;
    await this.requireModel(name);
    const version = await this.pick(name, alias, number);
    const object = { repository: version.repository, ref: version.commit, path: version.path };
    if (rest !== '') {
      if (version.path !== '' && !version.path.endsWith('/')) throw invalidArgument(`model ${name}/${version.version} is the file ${version.path}; it has no '${rest}' inside`);
      object.path = `${version.path}${rest}`;
    }
    return { version, object };
  }

  /** The model version node a model address names (what a run that reads it links to). */
  async versionNode(ctx: CallContext, address: string): Promise<DataVersion> {
    const key = await this.nodeKey(ctx, address);
    const [model = '', version = ''] = key.slice('model:'.length).split('/');
    const record = (await this.deps.metadata.models.getVersion(model, Number(version))) as ModelVersionRecord;
    return { ...modelNode(record), type: 'model' };
  }

  /** The lineage node key of a model address. */
  async nodeKey(ctx: CallContext, address: string): Promise<string> {
    await authorize(this.deps, ctx, { action: 'model:read' });
    const match = MODEL_ADDRESS.exec(address);
    if (!match) throw invalidArgument(`cannot read '${address}': expected model:<name>@<alias> or model:<name>/<version>`);
    const [, name = '', alias, number] = match;
    await this.requireModel(name);
    const version = await this.pick(name, alias, number);
    return modelKey(version.model, version.version);
  }

  private async pick(name: string, alias: string | undefined, number: string | undefined): Promise<ModelVersionRecord> {
    if (alias !== undefined) {
      const found = await this.deps.metadata.models.getAlias(name, alias);
      if (!found) throw notFound(`model ${name} has no alias '${alias}'`);
      return (await this.deps.metadata.models.getVersion(name, found.version)) as ModelVersionRecord;
    }
    if (number !== undefined) {
      const version = await this.deps.metadata.models.getVersion(name, Number(number));
      if (!version) throw notFound(`model ${name} has no version ${number}`);
      return version;
    }
    const versions = await this.deps.metadata.models.listVersions(name);
    const latest = versions[versions.length - 1];
    if (!latest) throw notFound(`model ${name} has no versions`);
    return latest;
  }

  private async requireModel(name: string): Promise<RegisteredModelRecord> {
    const model = await this.deps.metadata.models.getModel(name);
    if (!model) throw notFound(`model '${name}' not found`);
    return model;
  }
}

export function modelNode(version: ModelVersionRecord): LineageNodeInput {
  return {
    key: modelKey(version.model, version.version),
    type: 'model',
    label: `${version.model}/${version.version}`,
    data: { model: version.model, version: version.version, repository: version.repository, commit: version.commit, path: version.path, runId: version.runId },
  };
}
