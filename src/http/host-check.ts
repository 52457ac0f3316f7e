import { isIP } from 'node:net';

/**
 * Which `Host` headers a listener answers, against DNS rebinding: a web page on attacker.example
 * whose name is made to resolve to 127.0.0.1 reaches a local server, but its requests still say
 * `Host: attacker.example`. Accepted: IP literals (a rebinding request never carries one),
 * `localhost` and `*.localhost` (RFC 6761: always loopback, no one else can own them), the S3
 * domain and its subdomains (virtual-host addressing), and the names the operator configures
 * (`STRATA_ALLOWED_HOSTS`; `*` turns the check off, e.g. behind a proxy that checks itself).
 * Written by hand: the rule is these few lines, and the framework's own host options only route.
 */
export interface HostPolicy {
  allowed: readonly string[];
  /** The S3 gateway's virtual-host domain. */
  domain?: string;
}

export function hostAllowed(header: string | undefined, policy: HostPolicy): boolean {
  // HTTP/1.1 requires Host; a request without one cannot be a browser's.
  if (header === undefined || header === '') return true;
  if (policy.allowed.includes('*')) return true;
  const name = hostname(header).toLowerCase();
  if (isIP(name) !== 0) return true;
  if (name === 'localhost' || name.endsWith('.localhost')) return true;
  const domain = policy.domain?.toLowerCase();
  if (domain !== undefined && (name === domain || name.endsWith(`.${domain}`))) return true;
  return policy.allowed.some((allowed) => {
    const wanted = allowed.toLowerCase();
    return wanted.startsWith('.') ? name === wanted.slice(1) || name.endsWith(wanted) : name === wanted;
  });
}

/** The name part of a Host header: `[::1]:8420` → `::1`, `example.com:80` → `example.com`. */
function hostname(header: string): string {
  if (header.startsWith('[')) return header.slice(1, header.indexOf(']') < 0 ? undefined : header.indexOf(']'));
  const colon = header.lastIndexOf(':');
  return colon < 0 ? header : header.slice(0, colon);
}

export function hostRefusal(header: string): string {
  return `this server does not answer to the host '${header}' (add it to STRATA_ALLOWED_HOSTS)`;
}
