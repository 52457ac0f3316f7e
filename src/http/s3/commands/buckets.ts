import { isStrataError } from '../../../core/errors.ts';
import { requireBucket } from '../addressing.ts';
import { readSmallBody } from '../body.ts';
import { s3Error } from '../errors.ts';
import { requestBytes, isoDate, sendEmpty, sendXml, type GatewayDeps, type S3Exchange } from '../exchange.ts';
import { parseXml } from '../xml.ts';

export async function listBuckets(exchange: S3Exchange, deps: GatewayDeps): Promise<void> {
  exchange.log.operation = 'ListBuckets';
  if (exchange.auth.principal === undefined) throw s3Error.accessDenied();
  const repositories = await deps.core.repositories.list(exchange.ctx);
  const principal = exchange.auth.principal;
  sendXml(exchange, 'ListAllMyBucketsResult', {
    Owner: { ID: principal, DisplayName: principal },
    Buckets: { Bucket: repositories.map((r) => ({ Name: r.name, CreationDate: isoDate(r.createdAt), BucketRegion: deps.region })) },
  });
}

/** CreateBucket makes a repository with the plain layout, for generic S3 tools. */
export async function createBucket(exchange: S3Exchange, deps: GatewayDeps): Promise<void> {
  exchange.log.operation = 'CreateBucket';
  const name = exchange.bucket ?? '';
  exchange.log.repository = name;
  const body = await readSmallBody(requestBytes(exchange));
  if (body.trim() !== '' && parseXml(body)?.CreateBucketConfiguration === undefined) throw s3Error.malformedXml();
  try {
    await deps.core.repositories.create(exchange.ctx, { name, s3Layout: 'plain' });
  } catch (error) {
    if (isStrataError(error) && error.code === 'Conflict') throw s3Error.bucketAlreadyOwnedByYou();
    if (isStrataError(error) && error.code === 'InvalidArgument') throw s3Error.invalidBucketName();
    throw error;
  }
  sendEmpty(exchange, 200, { location: `/${name}` });
}

export async function headBucket(exchange: S3Exchange, deps: GatewayDeps): Promise<void> {
  exchange.log.operation = 'HeadBucket';
  await requireBucket(exchange, deps);
  sendEmpty(exchange, 200, { 'x-amz-bucket-region': deps.region });
}

/** DeleteBucket fails with BucketNotEmpty while any branch holds an object, as S3 does. */
export async function deleteBucket(exchange: S3Exchange, deps: GatewayDeps): Promise<void> {
  exchange.log.operation = 'DeleteBucket';
  const repository = await requireBucket(exchange, deps);
  for (const branch of await deps.core.repositories.listBranches(exchange.ctx, repository.name)) {
    const page = await deps.core.objects.list(exchange.ctx, { repository: repository.name, ref: branch.name, limit: 1 });
    if (page.objects.length > 0) throw s3Error.bucketNotEmpty();
  }
  await deps.core.repositories.delete(exchange.ctx, repository.name);
  sendEmpty(exchange, 204);
}

export async function getBucketLocation(exchange: S3Exchange, deps: GatewayDeps): Promise<void> {
  exchange.log.operation = 'GetBucketLocation';
  await requireBucket(exchange, deps);
  // us-east-1 is reported as an empty constraint, as S3 does.
  sendXml(exchange, 'LocationConstraint', deps.region === 'us-east-1' ? {} : { '#text': deps.region });
}

/** Every commit is a version, so versioning is always Enabled. */
export async function getBucketVersioning(exchange: S3Exchange, deps: GatewayDeps): Promise<void> {
  exchange.log.operation = 'GetBucketVersioning';
  await requireBucket(exchange, deps);
  sendXml(exchange, 'VersioningConfiguration', { Status: 'Enabled' });
}
