import { isStrataError } from '../../../core/errors.ts';
import { requireBucket } from '../addressing.ts';
import { readSmallBody } from '../body.ts';
import { s3Error } from '../errors.ts';
import { requestBytes, isoDate, sendEmpty, sendXml, type GatewayDeps, type S3Exchange } from '../exchange.ts';
import { keyword, parseXml } from '../xml.ts';
import { bucketCannedAcl } from './acl.ts';

const MAX_BUCKETS = 10_000;

/**
 * ListBuckets with `prefix`, `max-buckets` (1–10,000) and `continuation-token` (the last name
 * of the previous page, opaque to clients).
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListBuckets.html
 */
export async function listBuckets(exchange: S3Exchange, deps: GatewayDeps): Promise<void> {
  exchange.log.operation = 'ListBuckets';
  if (exchange.auth.principal === undefined) throw s3Error.accessDenied();
  const limitText = exchange.query.get('max-buckets');
  const limit = limitText === undefined ? MAX_BUCKETS : Number(limitText);
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_BUCKETS) throw s3Error.invalidArgument(`max-buckets must be an integer from 1 to ${MAX_BUCKETS}`);
  const prefix = exchange.query.get('prefix') ?? '';
  const token = exchange.query.get('continuation-token');
  const after = token === undefined ? undefined : Buffer.from(token, 'base64url').toString('utf8');
  const matching = (await deps.core.repositories.list(exchange.ctx)).filter((r) => r.name.startsWith(prefix) && (after === undefined || r.name > after));
  const page = matching.slice(0, limit);
  const last = page[page.length - 1];
  const principal = exchange.auth.principal;
  sendXml(exchange, 'ListAllMyBucketsResult', {
    Owner: { ID: principal, DisplayName: principal },
    Buckets: { Bucket: page.map((r) => ({ Name: r.name, CreationDate: isoDate(r.createdAt), BucketRegion: deps.region })) },
    ContinuationToken: matching.length > limit && last ? Buffer.from(last.name, 'utf8').toString('base64url') : undefined,
    Prefix: exchange.query.has('prefix') ? prefix : undefined,
  });
}

/** CreateBucket makes a repository with the plain layout, for generic S3 tools. */
export async function createBucket(exchange: S3Exchange, deps: GatewayDeps): Promise<void> {
  exchange.log.operation = 'CreateBucket';
  const name = exchange.bucket ?? '';
  exchange.log.repository = name;
  const body = await readSmallBody(requestBytes(exchange));
  if (body.trim() !== '' && parseXml(body)?.CreateBucketConfiguration === undefined) throw s3Error.malformedXml();
  const access = bucketCannedAcl(exchange.header('x-amz-acl'));
  try {
    await deps.core.repositories.create(exchange.ctx, { name, s3Layout: 'plain' });
    if (access !== undefined) await deps.core.repositories.update(exchange.ctx, name, access);
  } catch (error) {
    if (isStrataError(error) && error.code === 'Conflict') {
      // Another principal's bucket: BucketAlreadyExists. One's own: AWS answers 200 to a
      // CreateBucket repeated in us-east-1 (its legacy region), 409 BucketAlreadyOwnedByYou elsewhere.
      if ((await deps.core.repositories.ownerOf(name)) !== exchange.ctx.actor.id) throw s3Error.bucketAlreadyExists();
      if (deps.region !== 'us-east-1') throw s3Error.bucketAlreadyOwnedByYou();
    } else if (isStrataError(error) && error.code === 'InvalidArgument') {
      throw s3Error.invalidBucketName();
    } else {
      throw error;
    }
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

/**
 * PutBucketVersioning: every commit is a version and history cannot be switched off, so
 * `Enabled` is accepted (it is the state already) and `Suspended` is refused with the reason.
 */
export async function putBucketVersioning(exchange: S3Exchange, deps: GatewayDeps): Promise<void> {
  exchange.log.operation = 'PutBucketVersioning';
  await requireBucket(exchange, deps);
  const document = parseXml(await readSmallBody(requestBytes(exchange)));
  const configuration = document?.VersioningConfiguration as { Status?: unknown; MfaDelete?: unknown } | undefined;
  if (!configuration) throw s3Error.malformedXml();
  const status = keyword(configuration.Status);
  if (keyword(configuration.MfaDelete) === 'Enabled') throw s3Error.notImplemented('MFA delete');
  if (status === 'Suspended') {
    throw s3Error.invalidRequest('Versioning cannot be suspended on a Strata repository: every commit is a version and past versions are immutable history. Delete objects or use retention to remove data.');
  }
  if (status !== 'Enabled') throw s3Error.malformedXml();
  sendEmpty(exchange, 200);
}
