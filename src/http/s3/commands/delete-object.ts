import { isStrataError } from '../../../core/errors.ts';
import type { RepositoryRecord } from '../../../core/ports/metadata-store.ts';
import { locateForWrite, requireBucket } from '../addressing.ts';
import { bodyExpectations, readSmallBody, verifiedBody } from '../body.ts';
import { fromStrataError, S3Error, s3Error } from '../errors.ts';
import { requestBytes, sendEmpty, sendXml, type GatewayDeps, type S3Exchange } from '../exchange.ts';
import type { XmlElement } from '../xml.ts';
import { keyword, many, parseXml } from '../xml.ts';

const MAX_DELETE_KEYS = 1000;

/**
 * Stages the deletion; a key that does not exist is not an error (S3 answers 204 either way).
 * With a version id, deletes that version if it is the current one (the one before it becomes
 * current); past versions are immutable history.
 */
async function deleteKey(exchange: S3Exchange, deps: GatewayDeps, target: { repository: RepositoryRecord; key: string; versionId?: string }): Promise<void> {
  const at = locateForWrite(target.repository, target.key);
  const address = { repository: at.repository, branch: at.ref, path: at.path };
  if (target.versionId === undefined) {
    await deps.core.objects.delete(exchange.ctx, { ...address, ifExists: true });
    return;
  }
  try {
    await deps.core.objects.deleteVersion(exchange.ctx, { ...address, versionId: target.versionId });
  } catch (error) {
    if (isStrataError(error) && error.code === 'NotFound') throw s3Error.noSuchVersion();
    throw error;
  }
}

export async function deleteObject(exchange: S3Exchange, deps: GatewayDeps): Promise<void> {
  exchange.log.operation = 'DeleteObject';
  const repository = await requireBucket(exchange, deps);
  exchange.log.key = exchange.key;
  const versionId = exchange.query.get('versionId');
  await deleteKey(exchange, deps, { repository, key: exchange.key ?? '', versionId });
  sendEmpty(exchange, 204, versionId === undefined ? {} : { 'x-amz-version-id': versionId });
}

/** DeleteObjects (POST ?delete): up to 1,000 keys, verbose or quiet. */
export async function deleteObjects(exchange: S3Exchange, deps: GatewayDeps): Promise<void> {
  exchange.log.operation = 'DeleteObjects';
  const repository = await requireBucket(exchange, deps);
  const body = verifiedBody(requestBytes(exchange), exchange.auth.payload, bodyExpectations((name) => exchange.header(name)));
  const document = parseXml(await readSmallBody(body.stream));
  const request = document?.Delete as { Object?: unknown; Quiet?: unknown } | undefined;
  if (!request) throw s3Error.malformedXml();
  const objects = many(request.Object) as { Key?: unknown; VersionId?: unknown }[];
  if (objects.length === 0 || objects.length > MAX_DELETE_KEYS) throw s3Error.malformedXml();
  const quiet = keyword(request.Quiet) === 'true';
  const deleted: XmlElement[] = [];
  const errors: XmlElement[] = [];
  for (const object of objects) {
    if (typeof object.Key !== 'string') throw s3Error.malformedXml();
    try {
      const versionId = typeof object.VersionId === 'string' ? object.VersionId : undefined;
      await deleteKey(exchange, deps, { repository, key: object.Key, versionId });
      if (!quiet) deleted.push({ Key: object.Key, VersionId: versionId });
    } catch (error) {
      const failure = error instanceof S3Error ? error : isStrataError(error) ? fromStrataError(error) : undefined;
      if (!failure) throw error;
      errors.push({ Key: object.Key, Code: failure.code, Message: failure.message });
    }
  }
  sendXml(exchange, 'DeleteResult', { Deleted: deleted, Error: errors });
}
