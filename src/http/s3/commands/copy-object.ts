import { etagOf } from '../../../core/objects/entry.ts';
import type { ObjectInfo } from '../../../core/versioning/types.ts';
import { locateForWrite, requireBucket, type Located } from '../addressing.ts';
import { checkObjectAcl } from './acl.ts';
import { decode } from '../auth/canonical.ts';
import { s3Error } from '../errors.ts';
import { isoDate, sendXml, type GatewayDeps, type S3Exchange } from '../exchange.ts';
import { matchesEtag, templateFromRequest } from '../object-headers.ts';
import { statForRead } from './get-object.ts';
import { writeExpectation } from './put-object.ts';

/** The object named by `x-amz-copy-source` (`[/]bucket/key[?versionId=…]`), checked against the copy-source conditions. */
export async function copySource(exchange: S3Exchange, deps: GatewayDeps): Promise<{ info: ObjectInfo; at: Located; versionId?: string }> {
  const header = exchange.header('x-amz-copy-source') ?? '';
  const [path = '', query = ''] = header.split('?');
  const decoded = decode(path.replaceAll('+', '%2B')).replace(/^\//, '');
  const slash = decoded.indexOf('/');
  if (slash <= 0) throw s3Error.invalidArgument('Copy Source must mention the source bucket and key: sourcebucket/sourcekey');
  const versionId = /^versionId=(.+)$/.exec(query)?.[1];
  const source = { ...exchange, bucket: decoded.slice(0, slash), log: { ...exchange.log } };
  const found = await statForRead(source, deps, { key: decoded.slice(slash + 1), versionId: versionId === undefined ? undefined : decode(versionId) });
  checkCopyConditions(exchange, found.info);
  return found;
}

function checkCopyConditions(exchange: S3Exchange, info: ObjectInfo): void {
  const etag = etagOf(info);
  const modified = Math.floor(Date.parse(info.mtime) / 1000);
  const time = (name: string): number | undefined => {
    const value = exchange.header(name);
    const parsed = value === undefined ? Number.NaN : Date.parse(value);
    return Number.isNaN(parsed) ? undefined : Math.floor(parsed / 1000);
  };
  const ifMatch = exchange.header('x-amz-copy-source-if-match');
  const ifNoneMatch = exchange.header('x-amz-copy-source-if-none-match');
  const unmodifiedSince = time('x-amz-copy-source-if-unmodified-since');
  const modifiedSince = time('x-amz-copy-source-if-modified-since');
  if (ifMatch !== undefined && !matchesEtag(ifMatch, etag)) throw s3Error.preconditionFailed('x-amz-copy-source-If-Match');
  if (ifMatch === undefined && unmodifiedSince !== undefined && modified > unmodifiedSince) throw s3Error.preconditionFailed('x-amz-copy-source-If-Unmodified-Since');
  if (ifNoneMatch !== undefined && matchesEtag(ifNoneMatch, etag)) throw s3Error.preconditionFailed('x-amz-copy-source-If-None-Match');
  if (ifNoneMatch === undefined && modifiedSince !== undefined && modified <= modifiedSince) throw s3Error.preconditionFailed('x-amz-copy-source-If-Modified-Since');
}

/** CopyObject: zero-copy within and across repositories. */
export async function copyObject(exchange: S3Exchange, deps: GatewayDeps): Promise<void> {
  exchange.log.operation = 'CopyObject';
  const source = await copySource(exchange, deps);
  const repository = await requireBucket(exchange, deps);
  const target = locateForWrite(repository, exchange.key ?? '');
  exchange.log.key = exchange.key;
  checkObjectAcl(exchange, repository);
  const metadataDirective = (exchange.header('x-amz-metadata-directive') ?? 'COPY').toUpperCase();
  const taggingDirective = (exchange.header('x-amz-tagging-directive') ?? 'COPY').toUpperCase();
  if (!['COPY', 'REPLACE'].includes(metadataDirective) || !['COPY', 'REPLACE'].includes(taggingDirective)) {
    throw s3Error.invalidArgument('Unknown metadata or tagging directive.');
  }
  const sameObject = source.at.repository === target.repository && source.at.ref === target.ref && source.at.path === target.path;
  if (sameObject && metadataDirective === 'COPY' && taggingDirective === 'COPY') {
    throw s3Error.invalidRequest("This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.");
  }
  const requested = templateFromRequest(exchange);
  const info = await deps.core.objects.copy(exchange.ctx, {
    source: source.at,
    target: { repository: target.repository, branch: target.ref, path: target.path },
    replace: {
      ...(metadataDirective === 'REPLACE'
        ? { contentType: requested.contentType, metadata: requested.metadata, headers: requested.headers }
        : { contentType: source.info.contentType, metadata: source.info.metadata, headers: source.info.headers }),
      tags: taggingDirective === 'REPLACE' ? (requested.tags ?? {}) : source.info.tags,
    },
    expect: writeExpectation(exchange),
  });
  if (source.versionId !== undefined) exchange.res.setHeader('x-amz-copy-source-version-id', source.versionId);
  sendXml(exchange, 'CopyObjectResult', { LastModified: isoDate(info.mtime), ETag: etagOf(info) });
}
