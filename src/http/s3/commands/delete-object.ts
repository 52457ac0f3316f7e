import { isStrataError } from '../../../core/errors.ts';
import type { RepositoryRecord } from '../../../core/ports/metadata-store.ts';
import { locateForWrite, requireBucket } from '../addressing.ts';
import { bodyExpectations, readSmallBody, verifiedBody } from '../body.ts';
import { S3Error, s3Error } from '../errors.ts';
import { countIn, sendEmpty, sendXml, type GatewayDeps, type S3Exchange } from '../exchange.ts';
import type { XmlElement } from '../xml.ts';
import { many, parseXml } from '../xml.ts';

const MAX_DELETE_KEYS = 1000;

/** Stages the deletion; a key that does not exist is not an error (S3 answers 204 either way). */
async function deleteKey(exchange: S3Exchange, deps: GatewayDeps, { repository, key }: { repository: RepositoryRecord; key: string }): Promise<void> {
  const at = locateForWrite(repository, key);
  await deps.core.objects.delete(exchange.ctx, { repository: at.repository, branch: at.ref, path: at.path, ifExists: true });
}

export async function deleteObject(exchange: S3Exchange, deps: GatewayDeps): Promise<void> {
  exchange.log.operation = 'DeleteObject';
  if (exchange.query.has('versionId')) throw s3Error.notImplemented('deleting a version (versions are immutable commits)');
  const repository = await requireBucket(exchange, deps);
  exchange.log.key = exchange.key;
  await deleteKey(exchange, deps, { repository, key: exchange.key ?? '' });
  sendEmpty(exchange, 204);
}

/** DeleteObjects (POST ?delete): up to 1,000 keys, verbose or quiet. */
export async function deleteObjects(exchange: S3Exchange, deps: GatewayDeps): Promise<void> {
  exchange.log.operation = 'DeleteObjects';
  const repository = await requireBucket(exchange, deps);
  const body = verifiedBody(countIn(exchange.raw, exchange), exchange.auth.payload, bodyExpectations((name) => exchange.header(name)));
  const document = parseXml(await readSmallBody(body.stream));
  const request = document?.Delete as { Object?: unknown; Quiet?: unknown } | undefined;
  if (!request) throw s3Error.malformedXml();
  const objects = many(request.Object) as { Key?: unknown; VersionId?: unknown }[];
  if (objects.length === 0 || objects.length > MAX_DELETE_KEYS) throw s3Error.malformedXml();
  const quiet = request.Quiet === 'true';
  const deleted: XmlElement[] = [];
  const errors: XmlElement[] = [];
  for (const object of objects) {
    if (typeof object.Key !== 'string') throw s3Error.malformedXml();
    try {
      if (object.VersionId !== undefined) throw s3Error.notImplemented('deleting a version (versions are immutable commits)');
      await deleteKey(exchange, deps, { repository, key: object.Key });
      if (!quiet) deleted.push({ Key: object.Key });
    } catch (error) {
      const failure = error instanceof S3Error ? error : isStrataError(error) ? { code: error.code === 'Forbidden' ? 'AccessDenied' : 'InternalError', message: error.message } : undefined;
      if (!failure) throw error;
      errors.push({ Key: object.Key, Code: failure.code, Message: failure.message });
    }
  }
  sendXml(exchange, 'DeleteResult', { Deleted: deleted, Error: errors });
}
