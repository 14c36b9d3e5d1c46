import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { pipeline, Readable } from 'node:stream';
import zlib from 'node:zlib';
import { type AddressJudge, type AddressLookup, isPublicAddress, NonPublicAddressError, publicOnlyLookup } from './public-address';

/**
 * One GET of an external download that may reach public addresses only, checked on the connection
 * that is made (DNS rebinding included): node:http/https with a `lookup` that resolves through the
 * given `AddressLookup` and fails the connection with `NonPublicAddressError` when an answer is not
 * public (`publicOnlyLookup`). A literal IP host is judged here, since Node connects to it without
 * a lookup. Redirects are not followed (the caller checks and asks each hop); the answer is a
 * WHATWG `Response` whose body streams with backpressure.
 *
 * Why not `fetch`: it resolves the name itself, after and apart from any check. An undici Agent
 * with `connect.lookup` would do the same as this, but undici is no dependency of the project (Node's
 * own copy is internal, not importable), and node:http costs the worker bundle nothing.
 *
 * Each request has its own connection (`agent: false`): a pooled socket could have been connected
 * by another caller to an address nobody judged. Asks for `identity`; a host that compresses anyway
 * (gzip, deflate, br) is decompressed as `fetch` would, other codings are saved as sent.
 */

export interface PublicRequestInit {
  signal: AbortSignal;
  /** Resolves the host's addresses (default: the system's resolver). */
  lookup?: AddressLookup;
  /** Which addresses count as public (default: `isPublicAddress`). */
  isPublicAddress?: AddressJudge;
}

/** What `fetch` sends, less its encodings: hosts see the same client as before. */
const REQUEST_HEADERS = { accept: '*/*', 'accept-encoding': 'identity', 'user-agent': 'node' };

/** Statuses whose answers have no body (a `Response` refuses one). */
const NULL_BODY_STATUSES = new Set([204, 205, 304]);

export function requestPublic(url: URL, init: PublicRequestInit): Promise<Response> {
  const isPublic = init.isPublicAddress ?? isPublicAddress;
  const hostname = url.hostname.replace(/^\[(.*)\]$/, '$1');
  return new Promise<Response>((resolve, reject) => {
    if (net.isIP(hostname) !== 0 && !isPublic(hostname)) throw new NonPublicAddressError(hostname, hostname);
    const send = url.protocol === 'https:' ? https.request : http.request;
    const request = send(
      {
        protocol: url.protocol,
        hostname,
        port: url.port || undefined,
        path: `${url.pathname}${url.search}`,
        method: 'GET',
        headers: REQUEST_HEADERS,
        lookup: publicOnlyLookup(init.lookup, isPublic),
        agent: false,
        signal: init.signal,
      },
      (answer) => {
        try {
          resolve(toResponse(answer));
        } catch (error) {
          answer.destroy();
          reject(error);
        }
      },
    );
    // Rejects as `fetch` does (TypeError 'fetch failed', the system error as its cause), so that
    // classifyError judges it the same: network trouble, retried, even a `connect EACCES`, whose
    // bare code would read as an unwritable disk. Stays for the request's life: a failure after the
    // answer reaches its body, and must not go unhandled here.
    request.on('error', (error) => reject(error instanceof NonPublicAddressError ? error : new TypeError('fetch failed', { cause: error })));
    request.end();
  });
}

function toResponse(answer: IncomingMessage): Response {
  const status = answer.statusCode ?? 0;
  if (status < 200 || status > 599) throw new Error(`the server answered an invalid HTTP status (${status})`);
  const headers = new Headers();
  const raw = answer.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) headers.append(raw[i] as string, raw[i + 1] as string);
  if (NULL_BODY_STATUSES.has(status)) {
    answer.resume();
    return new Response(null, { status, headers });
  }
  const encoding = headers.get('content-encoding')?.trim().toLowerCase();
  const decoder =
    encoding === 'gzip' || encoding === 'x-gzip' || encoding === 'deflate' ? zlib.createUnzip() : encoding === 'br' ? zlib.createBrotliDecompress() : undefined;
  // pipeline destroys the answer when the decoder is destroyed (a cancelled body) and the other way round.
  const body: Readable = decoder ? pipeline(answer, decoder, () => undefined) : answer;
  return new Response(Readable.toWeb(body) as ReadableStream<Uint8Array>, { status, headers });
}
