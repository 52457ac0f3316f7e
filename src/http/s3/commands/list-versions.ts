import { etagOf } from '../../../core/objects/entry.ts';
import { requireBucket } from '../addressing.ts';
import { awsEncode } from '../auth/canonical.ts';
import { s3Error } from '../errors.ts';
import { isoDate, sendXml, type GatewayDeps, type S3Exchange } from '../exchange.ts';
import type { XmlElement } from '../xml.ts';

/**
 * ListObjectVersions: the versions of a key are its distinct contents along the branch's history
 * (version id = the commit that wrote it; `null` = staged, not yet committed). Plain layout lists
 * the default branch; ref layout needs a prefix naming the branch (`<branch>/…`).
 */
export async function listObjectVersions(exchange: S3Exchange, deps: GatewayDeps): Promise<void> {
  exchange.log.operation = 'ListObjectVersions';
  const repository = await requireBucket(exchange, deps);
  const prefix = exchange.query.get('prefix') ?? '';
  if (exchange.query.get('delimiter')) throw s3Error.notImplemented('ListObjectVersions with a delimiter');
  const encode = exchange.query.get('encoding-type') === 'url' ? (t: string) => awsEncode(t, true) : (t: string) => t;
  const limit = Math.min(Number(exchange.query.get('max-keys') ?? '1000') || 1000, 1000);
  let branch = repository.defaultBranch;
  let keyPrefix = '';
  if (repository.s3Layout === 'ref') {
    const slash = prefix.indexOf('/');
    if (slash <= 0) throw s3Error.invalidArgument(`In bucket '${repository.name}' the prefix must start with '<branch>/' to list versions.`);
    branch = prefix.slice(0, slash);
    keyPrefix = prefix.slice(0, slash + 1);
  }
  const strip = (key: string | undefined): string | undefined => (key === undefined ? undefined : key.startsWith(keyPrefix) ? key.slice(keyPrefix.length) : '');
  const listing = await deps.core.objects.listVersions(exchange.ctx, {
    repository: repository.name,
    branch,
    prefix: prefix.slice(keyPrefix.length),
    keyMarker: strip(exchange.query.get('key-marker') || undefined),
    versionIdMarker: exchange.query.get('version-id-marker') || undefined,
    limit,
  });
  const versions: XmlElement[] = [];
  const markers: XmlElement[] = [];
  for (const version of listing.versions) {
    const common = { Key: encode(keyPrefix + version.path), VersionId: version.versionId, IsLatest: version.isLatest, LastModified: isoDate(version.lastModified) };
    const owner = { ID: repository.createdBy, DisplayName: repository.createdBy };
    if (version.entry) versions.push({ ...common, ETag: etagOf(version.entry), Size: version.entry.size, Owner: owner, StorageClass: 'STANDARD' });
    else markers.push({ ...common, Owner: owner });
  }
  sendXml(exchange, 'ListVersionsResult', {
    Name: repository.name,
    Prefix: encode(prefix),
    KeyMarker: encode(exchange.query.get('key-marker') ?? ''),
    VersionIdMarker: exchange.query.get('version-id-marker') ?? '',
    NextKeyMarker: listing.nextKeyMarker === undefined ? undefined : encode(keyPrefix + listing.nextKeyMarker),
    NextVersionIdMarker: listing.nextVersionIdMarker,
    MaxKeys: limit,
    EncodingType: exchange.query.get('encoding-type'),
    IsTruncated: listing.truncated,
    Version: versions,
    DeleteMarker: markers,
  });
}
