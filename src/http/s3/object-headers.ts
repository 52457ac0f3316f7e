import { etagOf } from '../../core/objects/entry.ts';
import type { ObjectInfo } from '../../core/versioning/types.ts';
import { s3Error } from './errors.ts';
import { parseTagging } from './commands/tagging.ts';
import { httpDate, toWire, type S3Exchange } from './exchange.ts';

/** Headers a writer may set that S3 stores and returns with the object. */
export const STORED_HEADERS = ['cache-control', 'content-disposition', 'content-encoding', 'content-language', 'expires'] as const;

/** `response-*` query overrides of GET and the header each replaces. */
const RESPONSE_OVERRIDES: Record<string, string> = {
  'response-content-type': 'content-type',
  'response-content-language': 'content-language',
  'response-expires': 'expires',
  'response-cache-control': 'cache-control',
  'response-content-disposition': 'content-disposition',
  'response-content-encoding': 'content-encoding',
};

/** The response headers describing an object (HEAD and GET). */
export function objectHeaders(exchange: S3Exchange, info: ObjectInfo, options: { versionId?: string; partial?: boolean } = {}): Record<string, string> {
  const headers: Record<string, string> = {
    etag: etagOf(info),
    'last-modified': httpDate(info.mtime),
    'content-type': toWire(info.contentType),
    'accept-ranges': 'bytes',
  };
  for (const [name, value] of Object.entries(info.headers ?? {})) {
    // A whole-object checksum describes the whole object only: never sent with a range.
    const checksumWanted = options.partial !== true && exchange.header('x-amz-checksum-mode')?.toUpperCase() === 'ENABLED';
    if (!name.startsWith('x-amz-checksum-') || checksumWanted) headers[name] = toWire(value);
  }
  for (const [name, value] of Object.entries(info.metadata ?? {})) headers[`x-amz-meta-${name}`] = toWire(value);
  const tags = Object.keys(info.tags ?? {}).length;
  if (tags > 0) headers['x-amz-tagging-count'] = String(tags);
  if (options.versionId !== undefined) headers['x-amz-version-id'] = options.versionId;
  if (exchange.method === 'GET') {
    for (const [parameter, header] of Object.entries(RESPONSE_OVERRIDES)) {
      const value = exchange.query.get(parameter);
      if (value !== undefined) {
        if (exchange.auth.principal === undefined) throw s3Error.invalidRequest('Response header overrides are only allowed in signed requests.');
        headers[header] = toWire(value);
      }
    }
  }
  return headers;
}

/** What the write request says about the object besides its bytes. */
export function templateFromRequest(exchange: S3Exchange): { contentType?: string; metadata: Record<string, string>; headers: Record<string, string>; tags?: Record<string, string> } {
  const metadata: Record<string, string> = {};
  for (const name of exchange.signable.headers.keys()) {
    if (name.startsWith('x-amz-meta-')) metadata[name.slice('x-amz-meta-'.length)] = exchange.header(name) ?? '';
  }
  const headers: Record<string, string> = {};
  for (const name of STORED_HEADERS) {
    const value = exchange.header(name);
    // aws-chunked is transfer framing, not the object's encoding; any other value is kept as sent.
    const kept = name === 'content-encoding' && value !== undefined && /(^|,)\s*aws-chunked\s*(,|$)/i.test(value) ? withoutAwsChunked(value) : value;
    if (kept !== undefined && kept !== '') headers[name] = kept;
  }
  const tagging = exchange.header('x-amz-tagging');
  return { contentType: exchange.header('content-type'), metadata, headers, tags: tagging === undefined ? undefined : parseTagging(tagging) };
}

/** `Content-Encoding` less the `aws-chunked` token; the other tokens keep their spelling. */
function withoutAwsChunked(value: string): string {
  return value
    .split(',')
    .filter((token) => token.trim().toLowerCase() !== 'aws-chunked' && token.trim() !== '')
    .map((token) => token.trim())
    .join(', ');
}

/**
 * S3's conditional-read rules: If-Match (else If-Unmodified-Since) failing is 412; If-None-Match
 * (else If-Modified-Since) failing is 304. Times compare at one-second resolution.
 */
export function checkReadConditions(exchange: S3Exchange, info: ObjectInfo): 'ok' | 'not-modified' {
  const etag = etagOf(info);
  const modified = Math.floor(Date.parse(info.mtime) / 1000);
  const ifMatch = exchange.header('if-match');
  const ifNoneMatch = exchange.header('if-none-match');
  const since = (name: string): number | undefined => {
    const value = exchange.header(name);
    const time = value === undefined ? Number.NaN : Date.parse(value);
    return Number.isNaN(time) ? undefined : Math.floor(time / 1000);
  };
  if (ifMatch !== undefined) {
    if (!matchesEtag(ifMatch, etag)) throw s3Error.preconditionFailed('If-Match');
  } else {
    const unmodifiedSince = since('if-unmodified-since');
    if (unmodifiedSince !== undefined && modified > unmodifiedSince) throw s3Error.preconditionFailed('If-Unmodified-Since');
  }
  if (ifNoneMatch !== undefined) return matchesEtag(ifNoneMatch, etag) ? 'not-modified' : 'ok';
  const modifiedSince = since('if-modified-since');
  if (modifiedSince !== undefined && modified <= modifiedSince) return 'not-modified';
  return 'ok';
}

export function matchesEtag(condition: string, etag: string): boolean {
  return condition
    .split(',')
    .map((c) => c.trim().replace(/^W\//, ''))
    .some((c) => c === '*' || c === etag || `"${c}"` === etag);
}
