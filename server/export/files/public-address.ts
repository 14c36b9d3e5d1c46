import type { LookupAddress, LookupOptions } from 'node:dns';
import { lookup as dnsLookup } from 'node:dns/promises';
import net from 'node:net';

/**
 * Whether an external link may be downloaded from where it points: only from public addresses.
 * An export that downloads "externally linked files" fetches URLs written by anyone who can edit
 * the workspace, from the server's network; without this check a link to `http://10.0.0.5/…`,
 * `http://localhost:…` or a cloud metadata address (169.254.169.254) would put the answer of an
 * internal service into a downloadable export. Checked before every request and every redirect
 * (`nonPublicReason`), and again on the connection itself: the request resolves the name through
 * `publicOnlyLookup`, which fails the connection when an answer is not public, so the address it
 * connects to is always one that was judged. A name whose answers change between the first check
 * and the connection (DNS rebinding) is therefore covered too (`public-request.ts`). A literal IP
 * host is judged as it is written, and that is where the request connects.
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

/** Judges one address; `isPublicAddress` unless a test lets its loopback server stand in for a public host. */
export type AddressJudge = (address: string) => boolean;

const systemLookup: AddressLookup = (hostname) => dnsLookup(hostname, { all: true, verbatim: true });

function refusal(address: string): string {
  return `on a private or local address (${address})`;
}

/** A connection refused because its host resolved to an address that is not public; `reason` is the words of `nonPublicReason`. */
export class NonPublicAddressError extends Error {
  override readonly name = 'NonPublicAddressError';
  readonly reason: string;

  constructor(
    readonly hostname: string,
    readonly address: string,
  ) {
    super(`${hostname} is ${refusal(address)}`);
    this.reason = refusal(address);
  }
}

/** The `lookup` option of `net.connect` (and so of `http.request`): `dns.lookup`'s shape. */
export type ConnectLookup = (
  hostname: string,
  options: LookupOptions,
  callback: (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void,
) => void;

/**
 * A `dns.lookup`-shaped resolver for `http.request`/`net.connect` that resolves through `lookup`
 * and fails with `NonPublicAddressError` when any answer is not public (one internal answer among
 * public ones is enough, as in `nonPublicReason`): the check happens on the connection that is
 * made, with the answers it is made to. Node calls it with `all: true` when it may try several
 * addresses (autoSelectFamily), else wants the first one.
 */
export function publicOnlyLookup(lookup: AddressLookup = systemLookup, isPublic: AddressJudge = isPublicAddress): ConnectLookup {
  return (hostname, options, callback) => {
    lookup(hostname).then(
      (answers) => {
        const blocked = answers.find((a) => !isPublic(a.address));
        if (blocked) return callback(new NonPublicAddressError(hostname, blocked.address), '');
        const wanted = options.family === 'IPv4' ? 4 : options.family === 'IPv6' ? 6 : options.family;
        const addresses = answers
          .map((a) => ({ address: a.address, family: net.isIP(a.address) }))
          .filter((a) => a.family !== 0 && (!wanted || a.family === wanted));
        const first = addresses[0];
        if (!first) {
          const error: NodeJS.ErrnoException = new Error(`getaddrinfo ENOTFOUND ${hostname}`);
          error.code = 'ENOTFOUND';
          return callback(error, '');
        }
        if (options.all) callback(null, addresses);
        else callback(null, first.address, first.family);
      },
      (error: unknown) => callback(error instanceof Error ? error : new Error(String(error)), ''),
    );
  };
}

/**
 * Why `url` may not be fetched for an external download (undefined: it may): a host that is, or
 * resolves to, an address that is not public. A name that does not resolve is left to the request
 * (it fails there as any unreachable host does).
 */
export async function nonPublicReason(
  url: URL,
  lookup: AddressLookup = systemLookup,
  isPublic: AddressJudge = isPublicAddress,
): Promise<string | undefined> {
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
  const blocked = addresses.find((a) => !isPublic(a.address));
  return blocked ? refusal(blocked.address) : undefined;
}
