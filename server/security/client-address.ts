import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';
import type { Config } from '@/server/config';

/**
 * The request header that carries the client's address inside the server. Nobody outside can set
 * it: `recordClientAddresses` overwrites it on every request as the request arrives, before Next
 * (or anything else) reads the headers. The audit log, the sign-in limits and better-auth's own
 * rate limit (`advanced.ipAddress.ipAddressHeaders`) all read this one header.
 */
export const CLIENT_ADDRESS_HEADER = 'x-notion-sync-client-address';

/**
 * Next's own server does not protect X-Forwarded-For: it sets the header to the connection's
 * address only when the request has none (`req.headers['x-forwarded-for'] ??= socket.remoteAddress`
 * in next/dist/server/base-server.js), so a client that sends `X-Forwarded-For: 203.0.113.9`
 * reaches the app as 203.0.113.9. Node publishes every request on this channel before the server
 * emits it, which is the one place the connection's address and the headers meet.
 */
const REQUEST_START = 'http.server.request.start';

/** `::ffff:192.0.2.1` (an IPv4 client of a dual-stack socket) as `192.0.2.1`; anything else as is. */
function plainAddress(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return mapped?.[1] ?? address;
}

/**
 * The client's address: the connection's own, or with `trustProxy` the last X-Forwarded-For entry
 * (the one the proxy in front appended; entries before it are whatever the client sent). Falls
 * back to the connection's address when that entry is missing or no IP address.
 */
export function resolveClientAddress(
  socketAddress: string | undefined,
  forwardedFor: string | string[] | undefined,
  trustProxy: boolean,
): string | undefined {
  if (trustProxy) {
    const header = Array.isArray(forwardedFor) ? forwardedFor.join(',') : forwardedFor;
    const last = header?.split(',').at(-1)?.trim();
    if (last && isIP(plainAddress(last))) return plainAddress(last);
  }
  return socketAddress ? plainAddress(socketAddress) : undefined;
}

const g = globalThis as typeof globalThis & { __notionSyncClientAddresses?: (message: unknown) => void };

/**
 * From now on, every HTTP request this process serves carries CLIENT_ADDRESS_HEADER with the
 * client's address (see `resolveClientAddress`), replacing whatever the client sent under that
 * name. Call it once at start-up, before the server answers (instrumentation.ts); calling it
 * again replaces the previous rule. Returns the function that stops it (for tests).
 */
export function recordClientAddresses(config: Pick<Config, 'trustProxy'>): () => void {
  const trustProxy = config.trustProxy === true;
  const onRequest = (message: unknown) => {
    const { request, socket } = message as { request: IncomingMessage; socket: { remoteAddress?: string } };
    const address = resolveClientAddress(socket.remoteAddress, request.headers['x-forwarded-for'], trustProxy);
    if (address) request.headers[CLIENT_ADDRESS_HEADER] = address;
    else delete request.headers[CLIENT_ADDRESS_HEADER];
  };
  if (g.__notionSyncClientAddresses) unsubscribe(REQUEST_START, g.__notionSyncClientAddresses);
  g.__notionSyncClientAddresses = onRequest;
  subscribe(REQUEST_START, onRequest);
  return () => {
    unsubscribe(REQUEST_START, onRequest);
    if (g.__notionSyncClientAddresses === onRequest) g.__notionSyncClientAddresses = undefined;
  };
}

/**
 * The address a request came from, as `recordClientAddresses` wrote it when the request arrived;
 * undefined when nothing says (a call made inside the process, or a server that does not record
 * addresses).
 */
export function clientAddressOf(headers: Headers | undefined): string | undefined {
  const address = headers?.get(CLIENT_ADDRESS_HEADER)?.trim();
  return address || undefined;
}
