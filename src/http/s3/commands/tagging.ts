import { locateForWrite, requireBucket } from '../addressing.ts';
import { readSmallBody } from '../body.ts';
import { decode } from '../auth/canonical.ts';
import { S3Error, s3Error } from '../errors.ts';
import { requestBytes, sendEmpty, sendXml, type GatewayDeps, type S3Exchange } from '../exchange.ts';
import { many, parseXml } from '../xml.ts';
import { statForRead } from './get-object.ts';

const MAX_TAGS = 10;

function checkTags(tags: Record<string, string>): Record<string, string> {
  const entries = Object.entries(tags);
  if (entries.length > MAX_TAGS) throw new S3Error('BadRequest', 400, 'Object tags cannot be greater than 10');
  for (const [key, value] of entries) {
    if (key.length === 0 || key.length > 128) throw new S3Error('InvalidTag', 400, 'The TagKey you have provided is invalid');
    if (value.length > 256) throw new S3Error('InvalidTag', 400, 'The TagValue you have provided is too long');
  }
  return tags;
}

/** The `x-amz-tagging` header: a URL-encoded query string of tags. */
export function parseTagging(header: string): Record<string, string> {
  const tags: Record<string, string> = {};
  for (const part of header.split('&')) {
    if (part === '') continue;
    const at = part.indexOf('=');
    const key = decode(at < 0 ? part : part.slice(0, at));
    if (key in tags) throw new S3Error('InvalidTag', 400, 'Cannot provide multiple Tags with the same key');
    tags[key] = decode(at < 0 ? '' : part.slice(at + 1));
  }
  return checkTags(tags);
}

export async function getObjectTagging(exchange: S3Exchange, deps: GatewayDeps): Promise<void> {
  exchange.log.operation = 'GetObjectTagging';
  const { info, versionId } = await statForRead(exchange, deps, { key: exchange.key ?? '', versionId: exchange.query.get('versionId') });
  const tags = Object.entries(info.tags ?? {}).map(([Key, Value]) => ({ Key, Value }));
  if (versionId !== undefined) exchange.res.setHeader('x-amz-version-id', versionId);
  sendXml(exchange, 'Tagging', { TagSet: { Tag: tags } });
}

export async function putObjectTagging(exchange: S3Exchange, deps: GatewayDeps): Promise<void> {
  exchange.log.operation = 'PutObjectTagging';
  const document = parseXml(await readSmallBody(requestBytes(exchange)));
  const tagging = document?.Tagging as { TagSet?: { Tag?: unknown } } | undefined;
  if (!tagging) throw s3Error.malformedXml();
  const tags: Record<string, string> = {};
  for (const tag of many(tagging.TagSet?.Tag) as { Key?: unknown; Value?: unknown }[]) {
    if (typeof tag.Key !== 'string') throw s3Error.malformedXml();
    if (tag.Key in tags) throw new S3Error('InvalidTag', 400, 'Cannot provide multiple Tags with the same key');
    tags[tag.Key] = typeof tag.Value === 'string' ? tag.Value : '';
  }
  await setTags(exchange, deps, checkTags(tags));
}

export async function deleteObjectTagging(exchange: S3Exchange, deps: GatewayDeps): Promise<void> {
  exchange.log.operation = 'DeleteObjectTagging';
  await setTags(exchange, deps, {});
}

async function setTags(exchange: S3Exchange, deps: GatewayDeps, tags: Record<string, string>): Promise<void> {
  if (exchange.query.has('versionId')) throw s3Error.notImplemented('tagging a past version (versions are immutable commits)');
  const repository = await requireBucket(exchange, deps);
  const at = locateForWrite(repository, exchange.key ?? '');
  exchange.log.key = exchange.key;
  await statForRead(exchange, deps, { key: exchange.key ?? '' });
  await deps.core.objects.setTags(exchange.ctx, { repository: at.repository, branch: at.ref, path: at.path, tags });
  sendEmpty(exchange, exchange.method === 'DELETE' ? 204 : 200);
}
