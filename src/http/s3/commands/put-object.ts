import { etagOf } from '../../../core/objects/entry.ts';
import type { WriteExpectation } from '../../../core/versioning/object-service.ts';
import { locateForWrite, requireBucket } from '../addressing.ts';
import { checkObjectAcl } from './acl.ts';
import { bodyExpectations, verifiedBody } from '../body.ts';
import { s3Error } from '../errors.ts';
import { requestBytes, sendEmpty, type GatewayDeps, type S3Exchange } from '../exchange.ts';
import { templateFromRequest } from '../object-headers.ts';

/** The request body, decoded and verified as the request's signature and headers require. */
export function requestBody(exchange: S3Exchange): { stream: AsyncIterable<Uint8Array>; checksums: Record<string, string> } {
  const expectations = bodyExpectations((name) => exchange.header(name));
  return verifiedBody(requestBytes(exchange), exchange.auth.payload, expectations);
}

/** Refuses, before reading a byte, a body declared larger than the upload limit. */
export function checkDeclaredSize(exchange: S3Exchange, limit: number): void {
  const declared = Number(exchange.header('x-amz-decoded-content-length') ?? exchange.header('content-length') ?? '0');
  if (declared > limit) throw s3Error.entityTooLarge(`Your proposed upload exceeds the maximum allowed size of ${limit} bytes`);
}

/** If-None-Match: * and If-Match on writes. */
export function writeExpectation(exchange: S3Exchange): WriteExpectation | undefined {
  const ifNoneMatch = exchange.header('if-none-match');
  if (ifNoneMatch !== undefined) {
    // AWS takes only `*` on writes and answers 501 to an ETag; so does Strata (MinIO, which
    // accepts ETags, differs).
    if (ifNoneMatch.trim() !== '*') throw s3Error.notImplemented('If-None-Match on writes other than *');
    return { absent: true };
  }
  const ifMatch = exchange.header('if-match');
  return ifMatch === undefined ? undefined : { etag: ifMatch.trim() };
}

/** PutObject: streams the body into the branch's staging once every check has passed. */
export async function putObject(exchange: S3Exchange, deps: GatewayDeps): Promise<void> {
  exchange.log.operation = 'PutObject';
  const repository = await requireBucket(exchange, deps);
  const at = locateForWrite(repository, exchange.key ?? '');
  exchange.log.key = exchange.key;
  checkObjectAcl(exchange, repository);
  checkDeclaredSize(exchange, deps.maxUploadBytes);
  const body = requestBody(exchange);
  const template = templateFromRequest(exchange);
  const info = await deps.core.objects.put(exchange.ctx, {
    repository: at.repository,
    branch: at.ref,
    path: at.path,
    body: body.stream,
    contentType: template.contentType,
    metadata: template.metadata,
    // Checksums are known only once the body has been read.
    headers: () => ({ ...template.headers, ...body.checksums }),
    tags: template.tags,
    maxBytes: deps.maxUploadBytes,
    expect: writeExpectation(exchange),
  });
  sendEmpty(exchange, 200, { etag: etagOf(info), ...checksumHeaders(info.headers) });
}

export function checksumHeaders(headers: Record<string, string> | undefined): Record<string, string> {
  return Object.fromEntries(Object.entries(headers ?? {}).filter(([name]) => name.startsWith('x-amz-checksum-')));
}
