import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { BlockList, isIP, type LookupFunction } from 'node:net';
import { Agent, buildConnector, type Dispatcher } from 'undici';

/**
 * Addresses a server-side fetch must not reach unless the operator allows it: loopback, private,
 * link-local (cloud metadata at 169.254.169.254), carrier-grade NAT, multicast, reserved, and
 * their IPv6 counterparts (IPv4-mapped addresses are checked as the IPv4 address they carry).
 */
const PRIVATE = new BlockList();
for (const [net, prefix] of [['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12], ['192.0.0.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15], ['224.0.0.0', 4], ['240.0.0.0', 4]] as const) PRIVATE.addSubnet(net, prefix, 'ipv4');
for (const [net, prefix] of [['::', 128], ['::1', 128], ['fc00::', 7], ['fe80::', 10], ['ff00::', 8], ['64:ff9b::', 96]] as const) PRIVATE.addSubnet(net, prefix, 'ipv6');

export function isPrivateAddress(address: string): boolean {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1];
  if (mapped !== undefined) return PRIVATE.check(mapped, 'ipv4');
  const family = isIP(address);
  if (family === 0) return true;
  return PRIVATE.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

function refusal(host: string, address: string): Error {
  return Object.assign(new Error(`refusing to fetch ${host}: it resolves to ${address}, a loopback, private or link-local address (STRATA_INGEST_ALLOW_PRIVATE_NETWORKS=true allows it)`), { code: 'ERR_STRATA_PRIVATE_ADDRESS' });
}

/** DNS resolution that fails when any answer is a private address; the socket then connects to the address checked. */
const guardedLookup: LookupFunction = (hostname, options, callback) => {
  dnsLookup(hostname, { ...options, all: true }, (error, addresses: LookupAddress[]) => {
    if (error) {
      callback(error, '', 0);
      return;
    }
    const blocked = addresses.find((a) => isPrivateAddress(a.address));
    if (blocked !== undefined) {
      callback(refusal(hostname, blocked.address), '', 0);
      return;
    }
    if (options.all === true) (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, addresses);
    else callback(null, addresses[0]?.address ?? '', addresses[0]?.family ?? 4);
  });
};

/**
 * An HTTP dispatcher for fetches a server makes on a client's behalf (ingest of a URL): every
 * connection, redirects included, is checked where it is made, after resolution, so a name that
 * resolves differently the second time (DNS rebinding) cannot slip past a check made earlier.
 */
export function guardedDispatcher(): Dispatcher {
  // One for the process: an Agent is a connection pool, not something to make per request.
  shared ??= makeGuardedAgent();
  return shared;
}

let shared: Dispatcher | undefined;

function makeGuardedAgent(): Dispatcher {
  const connector = buildConnector({ lookup: guardedLookup });
  return new Agent({
    connect: (options, callback) => {
      const host = options.hostname.replace(/^\[|\]$/g, '');
      if (isIP(host) !== 0 && isPrivateAddress(host)) {
        callback(refusal(host, host), null);
        return;
      }
      connector(options, callback);
    },
  });
}
