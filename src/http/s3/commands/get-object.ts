import { isStrataError } from '../../../core/errors.ts';
import { COMMIT_ID } from '../../../core/names.ts';
import { STAGED_VERSION_ID } from '../../../core/versioning/object-versions.ts';
import type { ObjectInfo } from '../../../core/versioning/types.ts';
import { parseRange } from '../../range.ts';
import { locateForRead, requireBucket, type Located } from '../addressing.ts';
import { S3Error, s3Error } from '../errors.ts';
import { sendEmpty, sendStream, type GatewayDeps, type S3Exchange } from '../exchange.ts';
import { checkReadConditions, objectHeaders } from '../object-headers.ts';

/** The object a read addresses: the key's ref, or the commit named by `versionId`. */
export async function statForRead(exchange: S3Exchange, deps: GatewayDeps, { key, versionId }: { key: string; versionId?: string }): Promise<{ info: ObjectInfo; at: Located; versionId?: string }> {
  const repository = await requireBucket(exchange, deps);
  const located = await locateForRead(exchange, deps, { repository, key });
  exchange.log.key = key;
  let at = located;
  if (versionId !== undefined && versionId !== STAGED_VERSION_ID) {
    if (!COMMIT_ID.test(versionId)) throw s3Error.invalidArgument('Invalid version id specified');
    at = { ...located, ref: versionId };
  }
  try {
    return { info: await deps.core.objects.stat(exchange.ctx, at), at, versionId };
  } catch (error) {
    // A version garbage collection took is as gone as one that never was (S3 has no 410).
    if (isStrataError(error) && (error.code === 'NotFound' || error.code === 'Gone')) throw versionId === undefined ? s3Error.noSuchKey() : s3Error.noSuchVersion();
    throw error;
  }
}

/** Bodies up to this size are sent in one write rather than through a stream pipeline. */
const INLINE_BODY = 64 * 1024;

/** GetObject and HeadObject. */
export async function getObject(exchange: S3Exchange, deps: GatewayDeps): Promise<void> {
  exchange.log.operation = exchange.method === 'HEAD' ? 'HeadObject' : 'GetObject';
  const { info, versionId } = await statForRead(exchange, deps, { key: exchange.key ?? '', versionId: exchange.query.get('versionId') });
  const range = selectRange(exchange, info);
  const headers = objectHeaders(exchange, info, { versionId, partial: range !== null });
  if (checkReadConditions(exchange, info) === 'not-modified') {
    const { etag = '', 'last-modified': lastModified = '' } = headers;
    sendEmpty(exchange, 304, { etag, 'last-modified': lastModified });
    return;
  }
  if (range === 'unsatisfiable') throw s3Error.invalidRange(info.size);
  if (range) {
    headers['content-range'] = `bytes ${range.start}-${range.end - 1}/${info.size}`;
    if (info.partSizes) headers['x-amz-mp-parts-count'] = String(info.partSizes.length);
  }
  headers['content-length'] = String(range ? range.end - range.start : info.size);
  const status = range ? 206 : 200;
  if (exchange.method === 'HEAD') {
    sendEmpty(exchange, status, headers);
    return;
  }
  const length = range ? range.end - range.start : info.size;
  if (length <= INLINE_BODY) {
    // Read whole before the first byte is sent: nothing to stop if the client goes away.
    const body = await deps.core.objects.read(exchange.ctx, info, { range: range ?? undefined });
    await sendStream(exchange, { status, headers, inlineBytes: length }, body);
    return;
  }
  const controller = new AbortController();
  // A client that goes away mid-body stops the read (aborting costs an error object: only then).
  exchange.res.once('close', () => {
    if (!exchange.res.writableFinished) controller.abort();
  });
  const body = await deps.core.objects.read({ ...exchange.ctx, signal: controller.signal }, info, { range: range ?? undefined });
  await sendStream(exchange, { status, headers }, body);
}

/** The byte range of a Range header or a `partNumber`; null for the whole object. */
function selectRange(exchange: S3Exchange, info: ObjectInfo): { start: number; end: number } | 'unsatisfiable' | null {
  const partNumber = exchange.query.get('partNumber');
  if (partNumber === undefined) return parseRange(exchange.header('range'), info.size) ?? null;
  const number = Number(partNumber);
  const sizes = info.partSizes ?? [info.size];
  if (!Number.isInteger(number) || number < 1) throw s3Error.invalidArgument('Part number must be an integer between 1 and 10000, inclusive');
  if (number > sizes.length) throw new S3Error('InvalidPartNumber', 416, 'The requested partnumber is not satisfiable');
  const start = sizes.slice(0, number - 1).reduce((sum, size) => sum + size, 0);
  const end = start + (sizes[number - 1] ?? 0);
  return start === 0 && end === info.size && info.partSizes === undefined ? null : { start, end };
}
