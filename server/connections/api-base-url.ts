import { type Config, normalizeApiHost, PROFILES } from '@/server/config';
import { DomainError } from '@/server/errors';

/** The hosts allowed when NOTION_API_HOSTS is not set. */
export const DEFAULT_API_HOSTS: readonly string[] = ['api.notion.com'];

/**
 * Whether a connection may send its requests to `baseUrl`, decided from the text of the URL
 * alone (no request, no DNS lookup):
 * - no URL of its own (the default API, or the operator's NOTION_BASE_URL) or exactly the
 *   operator's NOTION_BASE_URL: yes;
 * - in development and demo (NOTION_SYNC_ENV, `next dev`): any http(s) URL, such as the twin;
 * - otherwise: `https://` on one of NOTION_API_HOSTS (`host`, or `host:port` for another port
 *   than 443), without user or password in the URL.
 */
export function isApiBaseUrlAllowed(
  config: Pick<Config, 'deployment' | 'notionApiHosts' | 'notionBaseUrl'>,
  baseUrl: string | null | undefined,
): boolean {
  if (baseUrl === undefined || baseUrl === null || baseUrl === config.notionBaseUrl) return true;
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    return false;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return false;
  // Development and the demo (config.ts PROFILES): any http(s) URL.
  if (PROFILES[config.deployment ?? 'production'].anyConnectionBaseUrl) return true;
  const hosts = new Set((config.notionApiHosts ?? DEFAULT_API_HOSTS).flatMap((host) => normalizeApiHost(host) ?? []));
  return url.protocol === 'https:' && url.username === '' && url.password === '' && hosts.has(url.host);
}

/**
 * Throws DomainError (BAD_INPUT) unless `baseUrl` is allowed (see isApiBaseUrlAllowed). The
 * message is the same for every refused URL and is decided before anything is sent, so it says
 * nothing about what listens at that address.
 */
export function assertApiBaseUrlAllowed(
  config: Pick<Config, 'deployment' | 'notionApiHosts' | 'notionBaseUrl'>,
  baseUrl: string | null | undefined,
): void {
  if (isApiBaseUrlAllowed(config, baseUrl)) return;
  const hosts = (config.notionApiHosts ?? DEFAULT_API_HOSTS).join(', ');
  throw new DomainError(
    'BAD_INPUT',
    `The API base URL must be an https:// address on an allowed host (${hosts}; NOTION_API_HOSTS sets them). ` +
      'Other addresses, such as the Notion twin, are for development only (NOTION_SYNC_ENV=development).',
  );
}
