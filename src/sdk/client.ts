import { Readable } from 'node:stream';
import { mapConcurrent } from '../core/concurrency.ts';
import { ERROR_CODES, StrataError, type ErrorCode } from '../core/errors.ts';
import { httpRecipesApi, type RecipesApi } from './recipes-api.ts';
import { httpAuditApi, type AuditApi } from './audit-api.ts';
import { httpGcApi, type GcApi } from './gc-api.ts';
import { httpErasureApi, type ErasureApi } from './erasure-api.ts';
import { httpIdentityApi, type IdentityApi } from './identity-api.ts';
import { httpInferenceApi, type InferenceApi } from './inference-api.ts';
import { httpLineageApi, httpModelsApi, httpRunsApi, type LineageApi, type ModelsApi, type RunsApi } from './lineage-api.ts';
import type { StorageUsage, SearchInput, SearchResponse, DatasetFilter, DatasetInput, DatasetRecord, DatasetVersion, ObjectRef, Preview, IngestRequest, IngestSummary, AccessKeyInfo, AccessKeyRecord, RepositorySettings, BranchInfo, CommitInfo, ListResult, MergeResult, ObjectChange, ObjectInfo, RepositoryInfo, StrataApi, TagInfo, UploadInput } from './api.ts';

export interface StrataClientOptions {
  /** Base URL of a `strata serve`, e.g. http://127.0.0.1:8420 */
  endpoint: string;
  /** An API token (`strata token create`), sent as `Authorization: Bearer`. */
  token?: string;
}

type Query = Record<string, string | number | boolean | undefined>;

/** Typed client for Strata's REST API (`/api/v1`). Errors come back as `StrataError`. */
export class StrataClient implements StrataApi {
  private readonly base: string;
  readonly runs: RunsApi;
  readonly models: ModelsApi;
  readonly lineage: LineageApi;
  readonly recipes: RecipesApi;
  readonly audit: AuditApi;
  readonly inference: InferenceApi;
  readonly identity: IdentityApi;
  readonly gc: GcApi;
  readonly erasure: ErasureApi;

  constructor(private readonly options: StrataClientOptions) {
    this.base = `${options.endpoint.replace(/\/+$/, '')}/api/v1`;
    const json = <T>(method: string, path: string, request?: { query?: Query; body?: unknown }): Promise<T> => this.json<T>(method, path, request);
    this.runs = httpRunsApi(json);
    this.models = httpModelsApi(json);
    this.lineage = httpLineageApi(json);
    this.recipes = httpRecipesApi(json);
    this.audit = httpAuditApi(json);
    this.inference = httpInferenceApi(json);
    this.identity = httpIdentityApi(json);
    this.gc = httpGcApi(json);
    this.erasure = httpErasureApi(json);
  }

  listRepositories = async (): Promise<RepositoryInfo[]> => (await this.json<{ repositories: RepositoryInfo[] }>('GET', '/repositories')).repositories;
  createRepository = (input: { name: string; defaultBranch?: string }): Promise<RepositoryInfo> => this.json('POST', '/repositories', { body: input });
  getRepository = (name: string): Promise<RepositoryInfo> => this.json('GET', `/repositories/${enc(name)}`);
  updateRepository = (name: string, settings: RepositorySettings): Promise<RepositoryInfo> => this.json('PATCH', `/repositories/${enc(name)}`, { body: settings });
  createAccessKey = (input: { principal?: string; id?: string; secret?: string }): Promise<AccessKeyRecord> => this.json('POST', '/access-keys', { body: input });
  listAccessKeys = async (input: { principal?: string } = {}): Promise<AccessKeyInfo[]> => (await this.json<{ accessKeys: AccessKeyInfo[] }>('GET', '/access-keys', { query: { ...input } })).accessKeys;
  revokeAccessKey = async (id: string): Promise<void> => {
    await this.json('DELETE', `/access-keys/${enc(id)}`);
  };
  createDataset = (input: DatasetInput): Promise<DatasetRecord> => this.json('POST', '/datasets', { body: input });
  listDatasets = async (filter: DatasetFilter = {}): Promise<DatasetRecord[]> => (await this.json<{ datasets: DatasetRecord[] }>('GET', '/datasets', { query: { ...filter } })).datasets;
  showDataset = (input: { name: string; ref?: string }): Promise<{ dataset: DatasetRecord; version: DatasetVersion }> => this.json('GET', `/datasets/${enc(input.name)}`, { query: { ref: input.ref } });
  search = (input: SearchInput): Promise<SearchResponse> => {
    const { text, kinds, ...filters } = input;
    const kind = kinds?.length === 1 ? kinds[0] : undefined;
    return this.json('GET', '/search', { query: { q: text, kind, ...filters } });
  };
  tagDataset = (input: { name: string; add?: string[]; remove?: string[]; field?: 'tags' | 'labels' }): Promise<DatasetRecord> =>
    this.json('POST', `/datasets/${enc(input.name)}/tags`, { body: { add: input.add, remove: input.remove, field: input.field } });
  preview = (input: ObjectRef & { rows?: number; bytes?: number }): Promise<Preview> =>
    this.json('GET', `/repositories/${enc(input.repository)}/refs/${enc(input.ref)}/preview`, { query: { path: input.path, rows: input.rows, bytes: input.bytes } });
  /** Runs on the server: the source must be reachable from it. Progress is not streamed. */
  ingest = (input: IngestRequest): Promise<IngestSummary> => this.json('POST', `/repositories/${enc(input.repository)}/ingest`, { body: input });
  deleteRepository = async (name: string): Promise<void> => {
    await this.json('DELETE', `/repositories/${enc(name)}`);
  };

  listBranches = async (repository: string): Promise<BranchInfo[]> => (await this.json<{ branches: BranchInfo[] }>('GET', `/repositories/${enc(repository)}/branches`)).branches;
  createBranch = (input: { repository: string; name: string; from?: string }): Promise<BranchInfo> =>
    this.json('POST', `/repositories/${enc(input.repository)}/branches`, { body: { name: input.name, from: input.from } });
  deleteBranch = async (input: { repository: string; name: string }): Promise<void> => {
    await this.json('DELETE', `/repositories/${enc(input.repository)}/branches/${enc(input.name)}`);
  };
  listTags = async (repository: string): Promise<TagInfo[]> => (await this.json<{ tags: TagInfo[] }>('GET', `/repositories/${enc(repository)}/tags`)).tags;
  createTag = (input: { repository: string; name: string; ref: string }): Promise<TagInfo> =>
    this.json('POST', `/repositories/${enc(input.repository)}/tags`, { body: { name: input.name, ref: input.ref } });
  deleteTag = async (input: { repository: string; name: string }): Promise<void> => {
    await this.json('DELETE', `/repositories/${enc(input.repository)}/tags/${enc(input.name)}`);
  };

  putObject = async (input: UploadInput): Promise<ObjectInfo> => {
    const headers: Record<string, string> = { 'content-type': input.contentType ?? 'application/octet-stream' };
    if (input.size !== undefined) headers['content-length'] = String(input.size);
    for (const [key, value] of Object.entries(input.metadata ?? {})) headers[`x-strata-meta-${key}`] = value;
    const response = await this.request('PUT', `${branchPath(input)}/objects`, {
      query: { path: input.path },
      headers,
      body: Readable.from(input.body),
    });
    return (await response.json()) as ObjectInfo;
  };

  putObjects = async (inputs: UploadInput[], options: { concurrency?: number; onDone?: (info: ObjectInfo) => void } = {}): Promise<ObjectInfo[]> => {
    return mapConcurrent(inputs, options.concurrency ?? 8, async (input) => {
      const info = await this.putObject(input);
      options.onDone?.(info);
      return info;
    });
  };

  getObject = async (input: { repository: string; ref: string; path: string; range?: { start: number; end: number } }): Promise<{ info: ObjectInfo; body: AsyncIterable<Uint8Array> }> => {
    const info = await this.statObject(input);
    const headers: Record<string, string> = input.range ? { range: `bytes=${input.range.start}-${input.range.end - 1}` } : {};
    if (input.range && input.range.end <= input.range.start) return { info, body: Readable.from([]) };
    const response = await this.request('GET', `${refPath(input)}/objects`, { query: { path: input.path }, headers });
    if (!response.body) throw new StrataError('Internal', 'empty response body');
    return { info, body: Readable.fromWeb(response.body) };
  };

  statObject = (input: { repository: string; ref: string; path: string }): Promise<ObjectInfo> => this.json('GET', `${refPath(input)}/stat`, { query: { path: input.path } });
  usage = (input: { repository: string; ref: string; prefix?: string }): Promise<StorageUsage> => this.json('GET', `${refPath(input)}/usage`, { query: { prefix: input.prefix } });
  listObjects = (input: { repository: string; ref: string; prefix?: string; delimiter?: string; after?: string; limit?: number }): Promise<ListResult> =>
    this.json('GET', `${refPath(input)}/list`, { query: { prefix: input.prefix, delimiter: input.delimiter, after: input.after, limit: input.limit } });
  deleteObject = async (input: { repository: string; branch: string; path: string }): Promise<void> => {
    await this.json('DELETE', `${branchPath(input)}/objects`, { query: { path: input.path } });
  };
  deletePrefix = async (input: { repository: string; branch: string; prefix: string }): Promise<number> =>
    (await this.json<{ deleted: number }>('DELETE', `${branchPath(input)}/objects`, { query: { path: input.prefix, recursive: true } })).deleted;

  commit = (input: { repository: string; branch: string; message: string; metadata?: Record<string, string>; only?: string[] }): Promise<CommitInfo> =>
    this.json('POST', `${branchPath(input)}/commits`, { body: { message: input.message, metadata: input.metadata, only: input.only } });
  status = async (input: { repository: string; branch: string; prefix?: string }): Promise<ObjectChange[]> =>
    (await this.json<{ changes: ObjectChange[] }>('GET', `${branchPath(input)}/status`, { query: { prefix: input.prefix } })).changes;
  reset = async (input: { repository: string; branch: string; prefix?: string }): Promise<number> =>
    (await this.json<{ reset: number }>('DELETE', `${branchPath(input)}/staging`, { query: { prefix: input.prefix } })).reset;
  log = async (input: { repository: string; ref: string; limit?: number }): Promise<CommitInfo[]> =>
    (await this.json<{ commits: CommitInfo[] }>('GET', `${refPath(input)}/log`, { query: { limit: input.limit } })).commits;
  show = (input: { repository: string; ref: string }): Promise<CommitInfo> => this.json('GET', `${refPath(input)}/commit`);
  diff = async (input: { repository: string; left: string; right: string; prefix?: string; limit?: number }): Promise<ObjectChange[]> =>
    (await this.json<{ changes: ObjectChange[] }>('GET', `/repositories/${enc(input.repository)}/diff`, { query: { left: input.left, right: input.right, prefix: input.prefix, limit: input.limit } })).changes;
  merge = (input: { repository: string; source: string; destination: string; strategy?: string; message?: string; metadata?: Record<string, string> }): Promise<MergeResult> =>
    this.json('POST', `/repositories/${enc(input.repository)}/branches/${enc(input.destination)}/merge`, {
      body: { source: input.source, strategy: input.strategy, message: input.message, metadata: input.metadata },
    });
  revert = (input: { repository: string; branch: string; ref: string; parent?: number }): Promise<{ commit: CommitInfo }> =>
    this.json('POST', `${branchPath(input)}/revert`, { body: { ref: input.ref, parent: input.parent } });

  close = (): Promise<void> => Promise.resolve();

  private async json<T>(method: string, path: string, options: { query?: Query; body?: unknown } = {}): Promise<T> {
    const init = options.body === undefined ? {} : { body: JSON.stringify(options.body), headers: { 'content-type': 'application/json' } };
    const response = await this.request(method, path, { query: options.query, ...init });
    if (response.status === 204) return undefined as T;
    return (await response.json()) as T;
  }

  private async request(
    method: string,
    path: string,
    options: { query?: Query; headers?: Record<string, string>; body?: string | Readable },
  ): Promise<Response> {
    const url = new URL(this.base + path);
    for (const [key, value] of Object.entries(options.query ?? {})) if (value !== undefined) url.searchParams.set(key, String(value));
    const headers = { ...options.headers, ...(this.options.token === undefined ? {} : { authorization: `Bearer ${this.options.token}` }) };
    let response: Response;
    try {
      response = await fetch(url, {
        method,
        headers,
        body: options.body as RequestInit['body'],
        ...(options.body instanceof Readable ? { duplex: 'half' } : {}),
      });
    } catch (error) {
      throw new StrataError('Unavailable', `cannot reach Strata at ${this.options.endpoint}: ${(error as Error).message}`, { cause: error });
    }
    if (response.ok) return response;
    throw await errorFrom(response);
  }
}

async function errorFrom(response: Response): Promise<StrataError> {
  const text = await response.text();
  try {
    const body = JSON.parse(text) as { code?: string; message?: string; details?: Record<string, unknown> };
    const code = ERROR_CODES.includes(body.code as ErrorCode) ? (body.code as ErrorCode) : 'Internal';
    return new StrataError(code, body.message ?? `HTTP ${response.status}`, { details: body.details });
  } catch {
    return new StrataError(response.status >= 500 ? 'Internal' : 'InvalidArgument', `HTTP ${response.status}: ${text.slice(0, 200)}`);
  }
}

const enc = encodeURIComponent;
const branchPath = (input: { repository: string; branch: string }): string => `/repositories/${enc(input.repository)}/branches/${enc(input.branch)}`;
const refPath = (input: { repository: string; ref: string }): string => `/repositories/${enc(input.repository)}/refs/${enc(input.ref)}`;
