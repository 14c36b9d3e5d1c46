import { createHash, timingSafeEqual } from 'node:crypto';
import { metricsContentType, metricsText } from './metrics';

const digest = (text: string) => createHash('sha256').update(text, 'utf8').digest();

/**
 * Whether a scrape may read the metrics: always when no METRICS_TOKEN is set; otherwise only with
 * `Authorization: Bearer <token>`. The comparison takes the same time whatever the guess (both
 * sides hashed to the same length, then compared in constant time).
 */
export function metricsAccessAllowed(authorization: string | null | undefined, token: string | undefined): boolean {
  if (token === undefined) return true;
  const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(authorization ?? '');
  const given = match?.[1] ?? '';
  return timingSafeEqual(digest(given), digest(token));
}

/** An answer of the metrics endpoint, for a Next route handler and for the node:http server alike. */
export interface MetricsAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

const NO_STORE = { 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff' };

/**
 * The answer to a scrape: 401 (saying nothing more) without the token when one is set, otherwise
 * every metric of the process in the text exposition format.
 */
export async function metricsAnswer(authorization: string | null | undefined, token: string | undefined): Promise<MetricsAnswer> {
  if (!metricsAccessAllowed(authorization, token)) {
    return {
      status: 401,
      headers: { ...NO_STORE, 'Content-Type': 'text/plain; charset=utf-8', 'WWW-Authenticate': 'Bearer realm="metrics"' },
      body: 'Unauthorized: send Authorization: Bearer <METRICS_TOKEN>\n',
    };
  }
  return { status: 200, headers: { ...NO_STORE, 'Content-Type': metricsContentType() }, body: await metricsText() };
}
