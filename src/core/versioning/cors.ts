import { invalidArgument } from '../errors.ts';

/** One CORS rule of a repository, as S3's CORSRule: who may call it from a browser, and how. */
export interface CorsRule {
  id?: string;
  allowedMethods: CorsMethod[];
  /** Origins, each with at most one `*` wildcard (`https://*.example.com`, or `*`). */
  allowedOrigins: string[];
  /** Request headers a preflight may ask for; `*` wildcards allowed; matched case-insensitively. */
  allowedHeaders: string[];
  /** Response headers the browser lets scripts read. */
  exposeHeaders: string[];
  maxAgeSeconds?: number;
}

export type CorsMethod = 'GET' | 'PUT' | 'POST' | 'DELETE' | 'HEAD';
export const CORS_METHODS: readonly CorsMethod[] = ['GET', 'PUT', 'POST', 'DELETE', 'HEAD'];
/** S3's limits: 100 rules; the whole configuration at most 64 KB. */
export const MAX_CORS_RULES = 100;
const MAX_CORS_BYTES = 64 * 1024;

/** Checks rules as S3's PutBucketCors does; the error names the rule and the field. */
export function validateCorsRules(rules: CorsRule[]): CorsRule[] {
  if (rules.length === 0) throw invalidArgument('a CORS configuration needs at least one rule', { reason: 'malformed' });
  if (rules.length > MAX_CORS_RULES) throw invalidArgument(`a CORS configuration holds at most ${MAX_CORS_RULES} rules, got ${rules.length}`, { reason: 'too-many-rules' });
  if (Buffer.byteLength(JSON.stringify(rules)) > MAX_CORS_BYTES) throw invalidArgument('the CORS configuration is larger than 64 KB', { reason: 'too-large' });
  for (const [index, rule] of rules.entries()) {
    const where = `CORS rule ${index + 1}`;
    if (rule.allowedMethods.length === 0 || rule.allowedOrigins.length === 0) throw invalidArgument(`${where} needs an AllowedMethod and an AllowedOrigin`, { reason: 'malformed' });
    for (const method of rule.allowedMethods) {
      if (!CORS_METHODS.includes(method)) throw invalidArgument(`Found unsupported HTTP method in CORS config. Unsupported method is ${method as string}`, { reason: 'unsupported-method' });
    }
    for (const origin of rule.allowedOrigins) {
      if (origin.split('*').length > 2) throw invalidArgument(`AllowedOrigin "${origin}" can not have more than one wildcard.`, { reason: 'invalid-origin' });
    }
    for (const header of rule.allowedHeaders) {
      if (header.split('*').length > 2) throw invalidArgument(`AllowedHeader "${header}" can not have more than one wildcard.`, { reason: 'invalid-header' });
    }
    if (rule.maxAgeSeconds !== undefined && !(Number.isInteger(rule.maxAgeSeconds) && rule.maxAgeSeconds >= 0)) {
      throw invalidArgument(`${where}: MaxAgeSeconds must be a whole number of seconds`, { reason: 'malformed' });
    }
    if (rule.id !== undefined && rule.id.length > 255) throw invalidArgument(`${where}: the ID is longer than 255 characters`, { reason: 'malformed' });
  }
  return rules;
}

/** Matches `text` against a pattern with at most one `*` (any run of characters, the empty one too). */
export function wildcardMatch(pattern: string, text: string): boolean {
  const star = pattern.indexOf('*');
  if (star < 0) return pattern === text;
  const head = pattern.slice(0, star);
  const tail = pattern.slice(star + 1);
  return text.length >= head.length + tail.length && text.startsWith(head) && text.endsWith(tail);
}

/**
 * The first rule that allows `origin` to make a `method` request with `headers` (S3 evaluates
 * rules in order and uses the first match). Origins match case-sensitively, headers not.
 */
export function matchCorsRule(rules: readonly CorsRule[], request: { origin: string; method: string; headers?: readonly string[] }): CorsRule | undefined {
  return rules.find(
    (rule) =>
      rule.allowedOrigins.some((pattern) => wildcardMatch(pattern, request.origin)) &&
      rule.allowedMethods.includes(request.method as CorsMethod) &&
      (request.headers ?? []).every((header) => rule.allowedHeaders.some((pattern) => wildcardMatch(pattern.toLowerCase(), header.toLowerCase()))),
  );
}
