import { etagOf } from '../../../core/objects/entry.ts';
import { locateForWrite, requireBucket, type Located } from '../addressing.ts';
import { checkObjectAcl } from './acl.ts';
import { readSmallBody } from '../body.ts';
import { s3Error } from '../errors.ts';
import { requestBytes, isoDate, sendEmpty, sendXml, type GatewayDeps, type S3Exchange } from '../exchange.ts';
import { templateFromRequest } from '../object-headers.ts';
import { keyword, many, parseXml } from '../xml.ts';
import { copySource } from './copy-object.ts';
import { checkDeclaredSize, checksumHeaders, requestBody, writeExpectation } from './put-object.ts';

async function target(exchange: S3Exchange, deps: GatewayDeps): Promise<Located> {
  const repository = await requireBucket(exchange, deps);
  exchange.log.key = exchange.key;
  return locateForWrite(repository, exchange.key ?? '');
}

function uploadAddress(exchange: S3Exchange, at: Located): { repository: string; path: string; uploadId: string } {
  return { repository: at.repository, path: at.path, uploadId: exchange.query.get('uploadId') ?? '' };
}

function partNumber(exchange: S3Exchange): number {
  const text = exchange.query.get('partNumber') ?? '';
  if (!/^\d{1,5}$/.test(text)) throw s3Error.invalidArgument('Part number must be an integer between 1 and 10000, inclusive');
  return Number(text);
}

export async function createMultipartUpload(exchange: S3Exchange, deps: GatewayDeps): Promise<void> {
  exchange.log.operation = 'CreateMultipartUpload';
  const at = await target(exchange, deps);
  checkObjectAcl(exchange, await requireBucket(exchange, deps));
  const upload = await deps.core.multipart.create(exchange.ctx, { repository: at.repository, branch: at.ref, path: at.path, template: templateFromRequest(exchange) });
  sendXml(exchange, 'InitiateMultipartUploadResult', { Bucket: exchange.bucket, Key: exchange.key, UploadId: upload.id });
}

export async function uploadPart(exchange: S3Exchange, deps: GatewayDeps): Promise<void> {
  exchange.log.operation = 'UploadPart';
  const at = await target(exchange, deps);
  checkDeclaredSize(exchange, deps.maxUploadBytes);
  const body = requestBody(exchange);
  const part = await deps.core.multipart.uploadPart(exchange.ctx, { ...uploadAddress(exchange, at), partNumber: partNumber(exchange), body: body.stream, maxBytes: deps.maxUploadBytes });
  sendEmpty(exchange, 200, { etag: `"${part.content.md5}"`, ...body.checksums });
}

export async function uploadPartCopy(exchange: S3Exchange, deps: GatewayDeps): Promise<void> {
  exchange.log.operation = 'UploadPartCopy';
  const at = await target(exchange, deps);
  const source = await copySource(exchange, deps);
  const rangeHeader = exchange.header('x-amz-copy-source-range');
  let range: { start: number; end: number } | undefined;
  if (rangeHeader !== undefined) {
    const match = /^bytes=(\d+)-(\d+)$/.exec(rangeHeader);
    if (!match || Number(match[1]) > Number(match[2])) {
      throw s3Error.invalidArgument('The x-amz-copy-source-range value must be of the form bytes=first-last where first and last are the zero-based offsets of the first and last bytes to copy');
    }
    // A well-formed range that reaches past the source is InvalidRange, as AWS answers it.
    if (Number(match[2]) >= source.info.size) throw s3Error.invalidRange(source.info.size);
    range = { start: Number(match[1]), end: Number(match[2]) + 1 };
  }
  const { part } = await deps.core.multipart.copyPart(exchange.ctx, { ...uploadAddress(exchange, at), partNumber: partNumber(exchange), source: source.at, range });
  sendXml(exchange, 'CopyPartResult', { LastModified: isoDate(part.lastModified), ETag: `"${part.content.md5}"` });
}

export async function completeMultipartUpload(exchange: S3Exchange, deps: GatewayDeps): Promise<void> {
  exchange.log.operation = 'CompleteMultipartUpload';
  const at = await target(exchange, deps);
  const document = parseXml(await readSmallBody(requestBytes(exchange)));
  const request = document?.CompleteMultipartUpload as { Part?: unknown } | undefined;
  if (!request) throw s3Error.malformedXml();
  const parts = (many(request.Part) as { PartNumber?: unknown; ETag?: unknown }[]).map((part) => {
    const number = keyword(part.PartNumber);
    if (number === undefined || typeof part.ETag !== 'string' || !/^\d+$/.test(number)) throw s3Error.malformedXml();
    return { partNumber: Number(number), etag: part.ETag };
  });
  const info = await deps.core.multipart.complete(exchange.ctx, { ...uploadAddress(exchange, at), branch: at.ref, parts, expect: writeExpectation(exchange) });
  for (const [name, value] of Object.entries(checksumHeaders(info.headers))) exchange.res.setHeader(name, value);
  sendXml(exchange, 'CompleteMultipartUploadResult', {
    Location: `/${exchange.bucket ?? ''}/${exchange.key ?? ''}`,
    Bucket: exchange.bucket,
    Key: exchange.key,
    ETag: etagOf(info),
  });
}

export async function abortMultipartUpload(exchange: S3Exchange, deps: GatewayDeps): Promise<void> {
  exchange.log.operation = 'AbortMultipartUpload';
  const at = await target(exchange, deps);
  await deps.core.multipart.abort(exchange.ctx, uploadAddress(exchange, at));
  sendEmpty(exchange, 204);
}

export async function listParts(exchange: S3Exchange, deps: GatewayDeps): Promise<void> {
  exchange.log.operation = 'ListParts';
  const at = await target(exchange, deps);
  const limit = Math.min(Number(exchange.query.get('max-parts') ?? '1000') || 1000, 1000);
  const after = Number(exchange.query.get('part-number-marker') ?? '0') || 0;
  const address = uploadAddress(exchange, at);
  const upload = await deps.core.multipart.get(exchange.ctx, address);
  const parts = await deps.core.multipart.listParts(exchange.ctx, { ...address, after, limit: limit + 1 });
  const shown = parts.slice(0, limit);
  const principal = { ID: upload.initiator, DisplayName: upload.initiator };
  sendXml(exchange, 'ListPartsResult', {
    Bucket: exchange.bucket,
    Key: exchange.key,
    UploadId: upload.id,
    Initiator: principal,
    Owner: principal,
    StorageClass: 'STANDARD',
    PartNumberMarker: after,
    NextPartNumberMarker: shown[shown.length - 1]?.partNumber ?? after,
    MaxParts: limit,
    IsTruncated: parts.length > limit,
    Part: shown.map((p) => ({ PartNumber: p.partNumber, LastModified: isoDate(p.lastModified), ETag: `"${p.content.md5}"`, Size: p.content.size })),
  });
}

export async function listMultipartUploads(exchange: S3Exchange, deps: GatewayDeps): Promise<void> {
  exchange.log.operation = 'ListMultipartUploads';
  const repository = await requireBucket(exchange, deps);
  if (exchange.query.get('delimiter')) throw s3Error.notImplemented('ListMultipartUploads with a delimiter');
  const limit = Math.min(Number(exchange.query.get('max-uploads') ?? '1000') || 1000, 1000);
  const prefix = exchange.query.get('prefix') ?? '';
  const keyMarker = exchange.query.get('key-marker') || undefined;
  const uploadIdMarker = exchange.query.get('upload-id-marker') || undefined;
  // Uploads are stored by path; in the ref layout the key adds `<branch>/`, so filter after mapping.
  const toKey = (u: { branch: string; path: string }): string => (repository.s3Layout === 'plain' ? u.path : `${u.branch}/${u.path}`);
  const all = await deps.core.multipart.list(exchange.ctx, { repository: repository.name, limit: 10_000 });
  const matching = all
    .map((u) => ({ ...u, key: toKey(u) }))
    .filter((u) => u.key.startsWith(prefix))
    .filter((u) => keyMarker === undefined || u.key > keyMarker || (u.key === keyMarker && uploadIdMarker !== undefined && u.id > uploadIdMarker))
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : a.id < b.id ? -1 : 1));
  const shown = matching.slice(0, limit);
  const last = shown[shown.length - 1];
  sendXml(exchange, 'ListMultipartUploadsResult', {
    Bucket: repository.name,
    KeyMarker: keyMarker ?? '',
    UploadIdMarker: uploadIdMarker ?? '',
    NextKeyMarker: last?.key,
    NextUploadIdMarker: last?.id,
    Prefix: prefix,
    MaxUploads: limit,
    IsTruncated: matching.length > limit,
    Upload: shown.map((u) => ({
      Key: u.key,
      UploadId: u.id,
      Initiator: { ID: u.initiator, DisplayName: u.initiator },
      Owner: { ID: u.initiator, DisplayName: u.initiator },
      StorageClass: 'STANDARD',
      Initiated: isoDate(u.initiatedAt),
    })),
  });
}
