import { isStrataError } from '../../../core/errors.ts';
import { matchCorsRule, validateCorsRules, type CorsMethod, type CorsRule } from '../../../core/versioning/cors.ts';
import { requireBucket } from '../addressing.ts';
import { readSmallBody } from '../body.ts';
import { S3Error, s3Error } from '../errors.ts';
import { requestBytes, sendEmpty, sendXml, type GatewayDeps, type S3Exchange } from '../exchange.ts';
import { keyword, many, parseXml } from '../xml.ts';

/**
 * Bucket CORS as S3 does it: Get/Put/DeleteBucketCors store the rules on the repository; a
 * preflight `OPTIONS` is answered from them without credentials; a request carrying `Origin`
 * that a rule allows gets the `Access-Control-*` headers on its answer (errors included).
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/cors.html
 */

const notAllowed = (): S3Error =>
  new S3Error('AccessForbidden', 403, 'CORSResponse: This CORS request is not allowed. This is usually because the evalution of Origin, request method / Access-Control-Request-Method or Access-Control-Request-Headers are not whitelisted by the resource\'s CORS spec.');

export async function getBucketCors(exchange: S3Exchange, deps: GatewayDeps): Promise<void> {
  exchange.log.operation = 'GetBucketCors';
  const repository = await requireBucket(exchange, deps);
  if (repository.cors === undefined) throw new S3Error('NoSuchCORSConfiguration', 404, 'The CORS configuration does not exist');
  sendXml(exchange, 'CORSConfiguration', {
    CORSRule: repository.cors.map((rule) => ({
      ID: rule.id,
      AllowedHeader: rule.allowedHeaders,
      AllowedMethod: rule.allowedMethods,
      AllowedOrigin: rule.allowedOrigins,
      ExposeHeader: rule.exposeHeaders,
      MaxAgeSeconds: rule.maxAgeSeconds,
    })),
  });
}

export async function putBucketCors(exchange: S3Exchange, deps: GatewayDeps): Promise<void> {
  exchange.log.operation = 'PutBucketCors';
  const repository = await requireBucket(exchange, deps);
  const rules = parseRules(await readSmallBody(requestBytes(exchange)));
  try {
    validateCorsRules(rules);
  } catch (error) {
    if (isStrataError(error) && error.code === 'InvalidArgument') {
      throw error.details?.reason === 'malformed' ? s3Error.malformedXml() : new S3Error('InvalidRequest', 400, error.message);
    }
    throw error;
  }
  await deps.core.repositories.update(exchange.ctx, repository.name, { cors: rules });
  sendEmpty(exchange, 200);
}

export async function deleteBucketCors(exchange: S3Exchange, deps: GatewayDeps): Promise<void> {
  exchange.log.operation = 'DeleteBucketCors';
  const repository = await requireBucket(exchange, deps);
  await deps.core.repositories.update(exchange.ctx, repository.name, { cors: null });
  sendEmpty(exchange, 204);
}

function parseRules(body: string): CorsRule[] {
  const configuration = parseXml(body)?.CORSConfiguration as { CORSRule?: unknown } | undefined;
  if (configuration === undefined || typeof configuration !== 'object') throw s3Error.malformedXml();
  const texts = (value: unknown): string[] =>
    many(value).map((item) => {
      if (typeof item !== 'string') throw s3Error.malformedXml();
      return item.trim();
    });
  return many(configuration.CORSRule).map((raw) => {
    if (typeof raw !== 'object' || raw === null) throw s3Error.malformedXml();
    const rule = raw as Record<string, unknown>;
    const maxAge = keyword(rule.MaxAgeSeconds);
    const id = typeof rule.ID === 'string' ? rule.ID : undefined;
    return {
      ...(id === undefined ? {} : { id }),
      allowedMethods: texts(rule.AllowedMethod) as CorsMethod[],
      allowedOrigins: texts(rule.AllowedOrigin),
      allowedHeaders: texts(rule.AllowedHeader),
      exposeHeaders: texts(rule.ExposeHeader),
      ...(maxAge === undefined ? {} : { maxAgeSeconds: /^\d+$/.test(maxAge) ? Number(maxAge) : Number.NaN }),
    };
  });
}

/**
 * A preflight: 400 without `Origin` or `Access-Control-Request-Method` (as S3), 403 when the
 * bucket has no rules or none allows the origin, method and requested headers, else 200 with
 * the first matching rule's answer. No credentials are needed or looked at.
 */
export async function preflight(exchange: S3Exchange, deps: GatewayDeps): Promise<void> {
  exchange.log.operation = 'PreflightCors';
  const origin = exchange.header('origin');
  if (origin === undefined || origin === '') throw new S3Error('BadRequest', 400, 'Insufficient information. Origin request header needed.');
  const method = exchange.header('access-control-request-method');
  if (method === undefined || method === '') throw new S3Error('BadRequest', 400, 'Invalid Access-Control-Request-Method: null');
  const requested = (exchange.header('access-control-request-headers') ?? '').split(',').map((h) => h.trim()).filter((h) => h !== '');
  const rules = await bucketRules(exchange, deps);
  if (rules === undefined) throw new S3Error('AccessForbidden', 403, 'CORSResponse: CORS is not enabled for this bucket.');
  const rule = matchCorsRule(rules, { origin, method, headers: requested });
  if (rule === undefined) throw notAllowed();
  const headers = allowHeaders(rule, origin);
  headers['access-control-allow-methods'] = rule.allowedMethods.join(', ');
  if (requested.length > 0) headers['access-control-allow-headers'] = requested.map((h) => h.toLowerCase()).join(', ');
  if (rule.maxAgeSeconds !== undefined) headers['access-control-max-age'] = String(rule.maxAgeSeconds);
  sendEmpty(exchange, 200, headers);
}

/**
 * For a request with an `Origin` header: the `Access-Control-*` headers of the first rule that
 * allows it, set on the response before the command answers (so errors carry them too).
 */
export async function applyCors(exchange: S3Exchange, deps: GatewayDeps): Promise<void> {
  const origin = exchange.header('origin');
  if (origin === undefined || origin === '' || exchange.bucket === undefined) return;
  const rules = await bucketRules(exchange, deps).catch(() => undefined);
  const rule = rules && matchCorsRule(rules, { origin, method: exchange.method });
  if (rule === undefined) return;
  for (const [name, value] of Object.entries(allowHeaders(rule, origin))) exchange.res.setHeader(name, value);
}

async function bucketRules(exchange: S3Exchange, deps: GatewayDeps): Promise<CorsRule[] | undefined> {
  try {
    return await deps.core.repositories.corsRules(exchange.bucket ?? '');
  } catch (error) {
    if (isStrataError(error) && (error.code === 'NotFound' || error.code === 'InvalidArgument')) throw s3Error.noSuchBucket();
    throw error;
  }
}

/** S3 answers `*` to a rule allowing any origin, else the origin itself with credentials allowed. */
function allowHeaders(rule: CorsRule, origin: string): Record<string, string> {
  const any = rule.allowedOrigins.includes('*');
  const headers: Record<string, string> = {
    'access-control-allow-origin': any ? '*' : origin,
    'access-control-allow-methods': rule.allowedMethods.join(', '),
    vary: 'Origin, Access-Control-Request-Headers, Access-Control-Request-Method',
  };
  if (!any) headers['access-control-allow-credentials'] = 'true';
  if (rule.exposeHeaders.length > 0) headers['access-control-expose-headers'] = rule.exposeHeaders.join(', ');
  if (rule.maxAgeSeconds !== undefined) headers['access-control-max-age'] = String(rule.maxAgeSeconds);
  return headers;
}
