import type { RepositoryRecord } from '../../../core/ports/metadata-store.ts';
import { requireBucket } from '../addressing.ts';
import { readSmallBody } from '../body.ts';
import { S3Error, s3Error } from '../errors.ts';
import { requestBytes, sendEmpty, sendXml, type GatewayDeps, type S3Exchange } from '../exchange.ts';
import { parseXml, type XmlElement } from '../xml.ts';
import { statForRead } from './get-object.ts';

const ALL_USERS = 'http://acs.amazonaws.com/groups/global/AllUsers';
const AUTHENTICATED_USERS = 'http://acs.amazonaws.com/groups/global/AuthenticatedUsers';

/** How a repository is read besides by policy: what its ACL can say. */
export interface ReadAccess {
  publicRead: boolean;
  authenticatedRead: boolean;
}

/**
 * A bucket canned ACL (`x-amz-acl`) as the repository's read access. Strata's model: the creator
 * owns the repository; others act through policies, plus everyone (`public-read`) or every
 * signed-in principal (`authenticated-read`) may read. ACLs that grant writes are refused.
 */
export function bucketCannedAcl(value: string | undefined): ReadAccess | undefined {
  switch (value) {
    case undefined:
      return undefined;
    case 'private':
      return { publicRead: false, authenticatedRead: false };
    case 'public-read':
      return { publicRead: true, authenticatedRead: false };
    case 'authenticated-read':
      return { publicRead: false, authenticatedRead: true };
    default:
      throw s3Error.notImplemented(`x-amz-acl: ${value} (Strata grants private, public-read or authenticated-read on a bucket; writes by policy only)`);
  }
}

/**
 * An object's canned ACL or grant headers on PutObject, CopyObject and CreateMultipartUpload.
 * Objects have no ACL of their own: they are read as their repository is. So an ACL that says
 * what the repository already grants is accepted, and one that would grant more is refused
 * rather than silently ignored.
 */
export function checkObjectAcl(exchange: S3Exchange, repository: RepositoryRecord): void {
  const grant = [...exchange.signable.headers.keys()].find((name) => name.startsWith('x-amz-grant-'));
  if (grant !== undefined) throw s3Error.notImplemented(`${grant} (objects are read as their repository is; see PutBucketAcl)`);
  const acl = exchange.header('x-amz-acl');
  if (acl === undefined || acl === 'private' || acl === 'bucket-owner-full-control' || acl === 'bucket-owner-read') return;
  const granted = (acl === 'public-read' && repository.publicRead) || (acl === 'authenticated-read' && (repository.authenticatedRead === true || repository.publicRead));
  if (!granted) throw s3Error.notImplemented(`x-amz-acl: ${acl} on an object (objects are read as their repository is; set the bucket's ACL instead)`);
}

function accessOf(repository: RepositoryRecord): ReadAccess {
  return { publicRead: repository.publicRead, authenticatedRead: repository.authenticatedRead === true };
}

/**
 * GetBucketAcl and GetObjectAcl: the repository's owner has full control; READ for AllUsers
 * (public-read) or AuthenticatedUsers (authenticated-read). An object's ACL is its repository's.
 */
export async function getAcl(exchange: S3Exchange, deps: GatewayDeps): Promise<void> {
  exchange.log.operation = exchange.key === undefined ? 'GetBucketAcl' : 'GetObjectAcl';
  const repository = await requireBucket(exchange, deps);
  if (exchange.key !== undefined) await statForRead(exchange, deps, { key: exchange.key, versionId: exchange.query.get('versionId') });
  const owner = { ID: repository.createdBy, DisplayName: repository.createdBy };
  const group = (uri: string): XmlElement => ({ Grantee: { '@xmlns:xsi': 'http://www.w3.org/2001/XMLSchema-instance', '@xsi:type': 'Group', URI: uri }, Permission: 'READ' });
  const grants: XmlElement[] = [{ Grantee: { '@xmlns:xsi': 'http://www.w3.org/2001/XMLSchema-instance', '@xsi:type': 'CanonicalUser', ...owner }, Permission: 'FULL_CONTROL' }];
  if (repository.publicRead) grants.push(group(ALL_USERS));
  if (repository.authenticatedRead === true) grants.push(group(AUTHENTICATED_USERS));
  sendXml(exchange, 'AccessControlPolicy', { Owner: owner, AccessControlList: { Grant: grants } });
}

/**
 * PutBucketAcl (a canned `x-amz-acl` or an AccessControlPolicy body) and PutObjectAcl (accepted
 * when it says what the repository grants). Grants other than the owner's FULL_CONTROL and READ
 * for AllUsers or AuthenticatedUsers are refused: access beyond that is by policy.
 */
export async function putAcl(exchange: S3Exchange, deps: GatewayDeps): Promise<void> {
  exchange.log.operation = exchange.key === undefined ? 'PutBucketAcl' : 'PutObjectAcl';
  const repository = await requireBucket(exchange, deps);
  const body = await readSmallBody(requestBytes(exchange));
  const wanted = bucketCannedAcl(exchange.header('x-amz-acl')) ?? (body.trim() === '' ? undefined : fromPolicy(body, repository));
  if (wanted === undefined) throw s3Error.invalidArgument('PutAcl needs x-amz-acl or an AccessControlPolicy body');
  if (exchange.key !== undefined) {
    await statForRead(exchange, deps, { key: exchange.key, versionId: exchange.query.get('versionId') });
    const current = accessOf(repository);
    if (wanted.publicRead !== current.publicRead || wanted.authenticatedRead !== current.authenticatedRead) {
      throw s3Error.notImplemented('an object ACL other than its repository\'s (objects are read as their repository is; set the bucket\'s ACL instead)');
    }
  } else {
    await deps.core.repositories.update(exchange.ctx, repository.name, wanted);
  }
  sendEmpty(exchange, 200);
}

/** The read access an AccessControlPolicy document grants, if Strata's model can hold it. */
function fromPolicy(body: string, repository: RepositoryRecord): ReadAccess {
  const policy = parseXml(body)?.AccessControlPolicy as { AccessControlList?: { Grant?: unknown } } | undefined;
  if (policy === undefined) throw s3Error.malformedXml();
  const list = policy.AccessControlList?.Grant;
  const grants = (Array.isArray(list) ? list : list === undefined ? [] : [list]) as Array<{ Grantee?: { ID?: unknown; URI?: unknown }; Permission?: unknown }>;
  const access: ReadAccess = { publicRead: false, authenticatedRead: false };
  for (const grant of grants) {
    const { Grantee: grantee = {}, Permission: permission } = grant;
    if (grantee.ID === repository.createdBy && permission === 'FULL_CONTROL') continue;
    if (grantee.URI === ALL_USERS && permission === 'READ') access.publicRead = true;
    else if (grantee.URI === AUTHENTICATED_USERS && permission === 'READ') access.authenticatedRead = true;
    else throw s3Error.notImplemented(`the grant of ${JSON.stringify(permission)} to ${JSON.stringify(grantee.ID ?? grantee.URI ?? 'someone')} (Strata grants READ to AllUsers or AuthenticatedUsers; the rest is by policy)`);
  }
  return access;
}

/** Bucket configurations Strata does not have: S3's own "there is none" answers. */
const ABSENT: Record<string, [code: string, message: string]> = {
  policy: ['NoSuchBucketPolicy', 'The bucket policy does not exist'],
  lifecycle: ['NoSuchLifecycleConfiguration', 'The lifecycle configuration does not exist'],
  website: ['NoSuchWebsiteConfiguration', 'The specified bucket does not have a website configuration'],
  tagging: ['NoSuchTagSet', 'The TagSet does not exist'],
};

export const ABSENT_BUCKET_CONFIGURATIONS = Object.keys(ABSENT);

export async function getAbsentConfiguration(exchange: S3Exchange, deps: GatewayDeps): Promise<void> {
  const name = ABSENT_BUCKET_CONFIGURATIONS.find((n) => exchange.query.has(n)) ?? 'policy';
  exchange.log.operation = `GetBucket${name[0]?.toUpperCase() ?? ''}${name.slice(1)}`;
  await requireBucket(exchange, deps);
  const [code, message] = ABSENT[name] ?? ['NotImplemented', 'not implemented'];
  throw new S3Error(code, 404, message);
}
