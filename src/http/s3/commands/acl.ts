import { S3Error } from '../errors.ts';
import { requireBucket } from '../addressing.ts';
import { sendXml, type GatewayDeps, type S3Exchange } from '../exchange.ts';
import type { XmlElement } from '../xml.ts';
import { statForRead } from './get-object.ts';

const ALL_USERS = 'http://acs.amazonaws.com/groups/global/AllUsers';

/**
 * GetBucketAcl and GetObjectAcl, read-only: Strata has no per-object ACLs, so the answer states
 * its actual model — the repository's creator has full control; a public-read repository also
 * grants READ to everyone. Changing ACLs is NotImplemented (access is governed by keys).
 */
export async function getAcl(exchange: S3Exchange, deps: GatewayDeps): Promise<void> {
  exchange.log.operation = exchange.key === undefined ? 'GetBucketAcl' : 'GetObjectAcl';
  const repository = await requireBucket(exchange, deps);
  if (exchange.key !== undefined) await statForRead(exchange, deps, { key: exchange.key, versionId: exchange.query.get('versionId') });
  const owner = { ID: repository.createdBy, DisplayName: repository.createdBy };
  const grants: XmlElement[] = [{ Grantee: { '@xmlns:xsi': 'http://www.w3.org/2001/XMLSchema-instance', '@xsi:type': 'CanonicalUser', ...owner }, Permission: 'FULL_CONTROL' }];
  if (repository.publicRead) grants.push({ Grantee: { '@xmlns:xsi': 'http://www.w3.org/2001/XMLSchema-instance', '@xsi:type': 'Group', URI: ALL_USERS }, Permission: 'READ' });
  sendXml(exchange, 'AccessControlPolicy', { Owner: owner, AccessControlList: { Grant: grants } });
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
