import type { Config } from '@/server/config';

/** PUBLIC_URL's origin: `http://localhost:PORT` unless PUBLIC_URL says otherwise. */
export function publicOriginOf(config: Pick<Config, 'publicUrl' | 'port'>): string {
  return new URL(config.publicUrl ?? `http://localhost:${config.port}`).origin;
}

const LOOPBACK_HOSTS = ['localhost', '127.0.0.1', '[::1]'];

/**
 * The origins a state-changing request may come from: PUBLIC_URL's, and when that is a loopback
 * address (localhost, 127.0.0.1, [::1]) the other loopback spellings with the same scheme and
 * port, since they all reach the same server on this machine (the default PUBLIC_URL is
 * http://localhost:PORT, a browser may open http://127.0.0.1:PORT). better-auth trusts the same list.
 */
export function trustedOriginsOf(config: Pick<Config, 'publicUrl' | 'port'>): string[] {
  const origin = new URL(publicOriginOf(config));
  if (!LOOPBACK_HOSTS.includes(origin.hostname)) return [origin.origin];
  return LOOPBACK_HOSTS.map((host) => `${origin.protocol}//${host}${origin.port ? `:${origin.port}` : ''}`);
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** The origin a request says it comes from: its Origin header, or without one its Referer's origin. */
function claimedOrigin(headers: Headers): string | undefined {
  const origin = headers.get('origin');
  if (origin !== null) return origin;
  const referer = headers.get('referer');
  if (!referer) return undefined;
  try {
    return new URL(referer).origin;
  } catch {
    return undefined;
  }
}

/**
 * The CSRF check of our own route handlers, on top of tRPC's content-type rule and the SameSite
 * cookie: a POST, PUT, PATCH or DELETE must say (Origin, or without it Referer) that it comes from
 * one of `trustedOriginsOf(config)`. A browser always sends Origin with a cross-site POST and a
 * page cannot forge it; scripts send `Origin: <PUBLIC_URL>`. Returns the 403 to answer with, or
 * undefined when the request may go on. Call it first, before reading the body or the session.
 */
export function refuseCrossSiteRequest(request: Request, config: Pick<Config, 'publicUrl' | 'port'>): Response | undefined {
  if (SAFE_METHODS.has(request.method.toUpperCase())) return undefined;
  const origin = claimedOrigin(request.headers);
  if (origin !== undefined && trustedOriginsOf(config).includes(origin)) return undefined;
  const error =
    origin === undefined
      ? 'This request changes something and says neither where it comes from (Origin) nor which page sent it (Referer); send Origin: <PUBLIC_URL> with it.'
      : 'This request comes from another site; the dashboard accepts changes only from its own pages.';
  return Response.json({ error }, { status: 403, headers: { 'Cache-Control': 'no-store' } });
}
