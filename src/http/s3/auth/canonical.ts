/**
 * The pieces of a request that signatures cover, taken once from node's request so that both
 * signature versions read the same things.
 */
export interface SignableRequest {
  method: string;
  /** The path exactly as sent (still percent-encoded), without the query. */
  rawPath: string;
  /** The query string exactly as sent, without `?`. */
  rawQuery: string;
  /** Header values by lowercase name, in arrival order (duplicates kept apart). */
  headers: Map<string, string[]>;
}

/** One header's value as signatures see it: duplicates joined with `,`, each trimmed. */
export function headerValue(request: SignableRequest, name: string): string | undefined {
  const values = request.headers.get(name);
  return values === undefined ? undefined : values.map((v) => v.trim()).join(',');
}

/** Query parameters decoded, in arrival order; a `+` is a space, as in forms. */
export function queryPairs(rawQuery: string): [string, string][] {
  if (rawQuery === '') return [];
  return rawQuery.split('&').map((part) => {
    const at = part.indexOf('=');
    const name = at < 0 ? part : part.slice(0, at);
    const value = at < 0 ? '' : part.slice(at + 1);
    return [decode(name), decode(value)];
  });
}

export function decode(text: string): string {
  try {
    return decodeURIComponent(text.replaceAll('+', ' '));
  } catch {
    return text;
  }
}

/** RFC 3986 encoding as AWS signs it: everything but A-Z a-z 0-9 - . _ ~ (and `/` when asked). */
export function awsEncode(text: string, keepSlash = false): string {
  let out = '';
  for (const byte of Buffer.from(text, 'utf8')) {
    const c = String.fromCharCode(byte);
    if (/[A-Za-z0-9\-._~]/.test(c) || (keepSlash && c === '/')) out += c;
    else out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}
