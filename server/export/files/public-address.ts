import { lookup as dnsLookup } from 'node:dns/promises';
import net from 'node:net';

/**
 * Whether an external link may be downloaded from where it points: only from public addresses.
 * An export that downloads "externally linked files" fetches URLs written by anyone who can edit
 * the workspace, from the server's network; without this check a link to `http://10.0.0.5/…`,
 * `http://localhost:…` or a cloud metadata address (169.254.169.254) would put the answer of an
 * internal service into a downloadable export. Checked before every request and every redirect.
 * The name is resolved here and again by the request itself, so a name whose answers change in
 * between (DNS rebinding) is not covered: put the server behind an egress proxy where that matters.
 */

/** Addresses that are not on the public internet: private, loopback, link-local, shared, reserved. */
const NOT_PUBLIC = new net.BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  NOT_PUBLIC.addSubnet(network, prefix, 'ipv4');
}
for (const [network, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['64:ff9b:1::', 48],
  ['100::', 64],
  ['2001:db8::', 32],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
] as const) {
  NOT_PUBLIC.addSubnet(network, prefix, 'ipv6');
}

/** Whether `address` (an IPv4 or IPv6 literal) is a public internet address. */
export function isPublicAddress(address: string): boolean {
  const family = net.isIP(address);
  if (family === 0) return false;
  if (family === 6) {
    // IPv4 written as IPv6 (::ffff:10.0.0.1, ::ffff:a00:1): judged as the IPv4 address it is.
    const mapped = /^::ffff:(.+)$/i.exec(address)?.[1];
    if (mapped !== undefined) {
      if (net.isIPv4(mapped)) return isPublicAddress(mapped);
      const hex = /^([0-9a-f]{1,4}):([0-9a-f]{1,4})$/i.exec(mapped);
      if (!hex) return false;
      const n = (Number.parseInt(hex[1] ?? '0', 16) << 16) | Number.parseInt(hex[2] ?? '0', 16);
      return isPublicAddress([n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.'));
    }
    return !NOT_PUBLIC.check(address, 'ipv6');
  }
  return !NOT_PUBLIC.check(address, 'ipv4');
}

export type AddressLookup = (hostname: string) => Promise<readonly { address: string }[]>;

const systemLookup: AddressLookup = (hostname) => dnsLookup(hostname, { all: true, verbatim: true });

/**
 * Why `url` may not be fetched for an external download (undefined: it may): a host that is, or
 * resolves to, an address that is not public. A name that does not resolve is left to the request
 * (it fails there as any unreachable host does).
 */
export async function nonPublicReason(url: URL, lookup: AddressLookup = systemLookup): Promise<string | undefined> {
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  let addresses: readonly { address: string }[];
  if (net.isIP(host) !== 0) addresses = [{ address: host }];
  else {
    try {
      addresses = await lookup(host);
    } catch {
      return undefined;
    }
  }
  const blocked = addresses.find((a) => !isPublicAddress(a.address));
  return blocked ? `on a private or local address (${blocked.address})` : undefined;
}
