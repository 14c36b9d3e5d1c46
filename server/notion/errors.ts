import {
  APIErrorCode,
  APIResponseError,
  ClientErrorCode,
  DEFAULT_BASE_URL,
  isNotionClientError,
  UnknownHTTPResponseError,
} from '@notionhq/client';

export type HttpRetryClass = 'retryable' | 'rate_limited' | 'permanent';

/**
 * Set by our retrying fetch on the answer it hands back once the retry budget ran out: how many
 * attempts were made. `toGatewayError` puts the number in its message.
 */
export const ATTEMPTS_HEADER = 'x-notion-sync-attempts';

const RATE_LIMIT_CODES = new Set<string>([APIErrorCode.RateLimited, APIErrorCode.ServiceOverload]);

/**
 * How to react to an HTTP status (and the Notion error `code`, when the body had one).
 * Retryable: 408, 409 (`conflict_error`; the exporter only reads), and 5xx except 501/505 (this covers
 * 500, 502, 503, 504 and Cloudflare's 52x). Rate limited: 429, 529 and the codes `rate_limited` /
 * `service_overload`. Everything else (400, 401, 403, 404, …) is permanent.
 */
export function classifyHttpStatus(status: number, code?: string): HttpRetryClass {
  if (status === 429 || status === 529 || (code !== undefined && RATE_LIMIT_CODES.has(code))) return 'rate_limited';
  if (status === 408 || status === 409) return 'retryable';
  if (status >= 500 && status !== 501 && status !== 505) return 'retryable';
  return 'permanent';
}

export type NotionGatewayErrorKind =
  | 'unauthorized'
  | 'not_found'
  | 'forbidden'
  | 'bad_request'
  | 'rate_limited'
  | 'unavailable'
  | 'network';

export interface NotionGatewayErrorInit {
  kind: NotionGatewayErrorKind;
  userMessage: string;
  status?: number;
  code?: string;
  objectId?: string;
  requestId?: string;
  retryAfterMs?: number;
  /** HTTP attempts made before giving up (when the retry budget ran out). */
  attempts?: number;
  cause?: unknown;
}

/** A Notion API failure with a message a person can act on. */
export class NotionGatewayError extends Error {
  override readonly name = 'NotionGatewayError';
  readonly kind: NotionGatewayErrorKind;
  readonly status?: number;
  readonly code?: string;
  readonly objectId?: string;
  readonly requestId?: string;
  /** From `Retry-After` on 429/529 answers. */
  readonly retryAfterMs?: number;
  /** HTTP attempts made before giving up, when the retry budget ran out. */
  readonly attempts?: number;
  readonly userMessage: string;

  constructor(init: NotionGatewayErrorInit) {
    super(init.userMessage, init.cause === undefined ? undefined : { cause: init.cause });
    this.kind = init.kind;
    this.userMessage = init.userMessage;
    this.status = init.status;
    this.code = init.code;
    this.objectId = init.objectId;
    this.requestId = init.requestId;
    this.retryAfterMs = init.retryAfterMs;
    this.attempts = init.attempts;
  }

  /** Whether trying again later can succeed (rate limits, outages, network trouble). */
  get retryable(): boolean {
    return this.kind === 'rate_limited' || this.kind === 'unavailable' || this.kind === 'network';
  }
}

export interface GatewayErrorContext {
  baseUrl: string;
  objectId?: string;
  /** Names the object in messages, e.g. 'page', 'database', 'data source', 'block'. */
  objectKind?: string;
}

/** Reads one header from a `Headers` object or a plain record (case-insensitive). */
export function readHeader(headers: unknown, name: string): string | undefined {
  if (!headers || typeof headers !== 'object') return undefined;
  if (headers instanceof Headers) return headers.get(name) ?? undefined;
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() === wanted) return Array.isArray(value) ? String(value[0]) : String(value);
  }
  return undefined;
}

/** `Retry-After` in milliseconds: integer seconds or an HTTP date; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null | undefined, now: number = Date.now()): number | undefined {
  if (value === null || value === undefined) return undefined;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}

function displayUrl(baseUrl: string): string {
  try {
    return new URL(baseUrl).href;
  } catch {
    return baseUrl;
  }
}

const NOT_FOUND_PATTERN = /Could not find (\w+(?: \w+)?) with ID:? ([0-9a-fA-F-]{32,36})/;

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function notFoundMessage(apiMessage: string, context: GatewayErrorContext | undefined): { text: string; id?: string } {
  const match = NOT_FOUND_PATTERN.exec(apiMessage);
  const id = context?.objectId ?? match?.[2];
  const kind = context?.objectKind ?? match?.[1] ?? 'object';
  if (!id) {
    return {
      text: 'The requested Notion object does not exist or is not shared with the integration (404 object_not_found). Share it with the integration in Notion (••• → Connections).',
    };
  }
  return {
    id,
    text: `${capitalise(kind)} ${id} is not shared with the integration (404 object_not_found). Share it with the integration in Notion (••• → Connections), or check that it still exists.`,
  };
}

function withApiMessage(prefix: string, apiMessage: string): string {
  const detail = apiMessage.trim();
  if (!detail) return `${prefix}.`;
  return `${prefix}: ${detail.endsWith('.') ? detail : `${detail}.`}`;
}

function fromHttpError(err: APIResponseError | UnknownHTTPResponseError, context: GatewayErrorContext | undefined) {
  const base = displayUrl(context?.baseUrl ?? DEFAULT_BASE_URL);
  const status = err.status;
  const isApi = APIResponseError.isAPIResponseError(err);
  const code: string | undefined = isApi ? err.code : undefined;
  const apiMessage = isApi ? err.message : '';
  const label = `${status}${code ? ` ${code}` : ''}`;
  const attemptsHeader = Number(readHeader(err.headers, ATTEMPTS_HEADER));
  const attempts = Number.isInteger(attemptsHeader) && attemptsHeader > 0 ? attemptsHeader : undefined;
  const common = { status, code, requestId: err.request_id, objectId: context?.objectId, attempts, cause: err };
  const retryAfterMs = parseRetryAfter(readHeader(err.headers, 'retry-after'));
  const gaveUp = attempts === undefined ? '' : `; gave up after ${attempts} attempts`;

  if (status === 401 || code === APIErrorCode.Unauthorized) {
    return new NotionGatewayError({
      ...common,
      kind: 'unauthorized',
      userMessage: `Notion rejected the integration token (${label}). Check the token in the connection settings.`,
    });
  }
  if (status === 404 || code === APIErrorCode.ObjectNotFound) {
    const { text, id } = notFoundMessage(apiMessage, context);
    return new NotionGatewayError({ ...common, objectId: id, kind: 'not_found', userMessage: text });
  }
  if (status === 403) {
    const userMessage = isApi
      ? withApiMessage(
          `The integration is not allowed to do this (${label}). Check its capabilities in Notion's integration settings`,
          apiMessage,
        )
      : `Notion's edge proxy refused the request to ${base} (403${err.ray_id ? `, Cloudflare ray ${err.ray_id}` : ''}).`;
    return new NotionGatewayError({ ...common, kind: 'forbidden', userMessage });
  }
  const retryClass = classifyHttpStatus(status, code);
  if (retryClass === 'rate_limited') {
    const wait = retryAfterMs === undefined ? '' : ` Notion asked to wait ${Math.ceil(retryAfterMs / 1000)} s.`;
    const what =
      status === 529 || code === APIErrorCode.ServiceOverload ? 'Notion is overloaded' : 'Notion rate limit reached';
    return new NotionGatewayError({
      ...common,
      retryAfterMs,
      kind: 'rate_limited',
      userMessage: `${what} (${label}); requests were retried until the retry budget ran out${attempts === undefined ? '' : ` (${attempts} attempts)`}.${wait}`,
    });
  }
  if (retryClass === 'retryable') {
    const userMessage = isApi
      ? withApiMessage(`The Notion API is temporarily unavailable (${label})${gaveUp}. Try again later`, apiMessage)
      : `The Notion API at ${base} answered HTTP ${status} with an unexpected (non-JSON) body${err.ray_id ? ` (Cloudflare ray ${err.ray_id})` : ''}${gaveUp}. Try again later.`;
    return new NotionGatewayError({ ...common, kind: 'unavailable', userMessage });
  }
  const userMessage = isApi
    ? withApiMessage(`Notion rejected the request (${label})`, apiMessage)
    : `The Notion API at ${base} answered HTTP ${status} with an unexpected body.`;
  return new NotionGatewayError({ ...common, kind: 'bad_request', userMessage });
}

const NETWORK_REASONS: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ENOTFOUND: 'host name not found (DNS lookup failed)',
  EAI_AGAIN: 'host name lookup failed temporarily (DNS)',
  ECONNRESET: 'connection reset',
  EPIPE: 'connection closed while sending',
  ETIMEDOUT: 'connection timed out',
  UND_ERR_CONNECT_TIMEOUT: 'connection timed out',
  UND_ERR_HEADERS_TIMEOUT: 'no response headers in time',
  UND_ERR_BODY_TIMEOUT: 'response body stalled',
  UND_ERR_SOCKET: 'connection closed by the server',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ENETDOWN: 'network is down',
  CERT_HAS_EXPIRED: 'TLS certificate has expired',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'TLS certificate is self-signed',
  SELF_SIGNED_CERT_IN_CHAIN: 'TLS certificate chain contains a self-signed certificate',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'TLS certificate could not be verified',
  ERR_TLS_CERT_ALTNAME_INVALID: 'TLS certificate does not match the host name',
};

interface NetworkCause {
  code?: string;
  message?: string;
}

/** Walks `cause` chains and AggregateError lists for the first error carrying a system `code`. */
export function findNetworkCause(err: unknown, depth = 0): NetworkCause | undefined {
  if (!err || typeof err !== 'object' || depth > 6) return undefined;
  const record = err as { code?: unknown; message?: unknown; cause?: unknown; errors?: unknown };
  if (typeof record.code === 'string' && !record.code.startsWith('notionhq_')) {
    return { code: record.code, message: typeof record.message === 'string' ? record.message : undefined };
  }
  const fromCause = findNetworkCause(record.cause, depth + 1);
  if (fromCause) return fromCause;
  if (Array.isArray(record.errors)) {
    for (const inner of record.errors) {
      const found = findNetworkCause(inner, depth + 1);
      if (found) return found;
    }
  }
  if (record.cause && typeof record.cause === 'object' && typeof (record.cause as NetworkCause).message === 'string') {
    return { message: (record.cause as NetworkCause).message };
  }
  return undefined;
}

/** A fetch failure that retrying cannot fix (a port fetch refuses to use, an invalid URL). */
export function isUnfixableFetchError(err: unknown): boolean {
  const cause = findNetworkCause(err);
  return cause?.message === 'bad port' || cause?.code === 'ERR_INVALID_URL';
}

function isFetchNetworkError(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  if (err.name === 'AbortError' || err.name === 'TimeoutError') return true;
  if (err instanceof TypeError && err.message === 'fetch failed') return true;
  return findNetworkCause(err)?.code !== undefined;
}

function networkReason(err: unknown, baseUrl: string): string {
  const cause = findNetworkCause(err);
  if (cause?.message === 'bad port') {
    let port = '';
    try {
      port = ` ${new URL(baseUrl).port}`;
    } catch {
      // keep the generic wording
    }
    return `port${port} is blocked by fetch ("bad port"); use another port`;
  }
  if (cause?.code && NETWORK_REASONS[cause.code]) return NETWORK_REASONS[cause.code];
  if (cause?.code) return `${cause.message ?? 'network error'} (${cause.code})`;
  if (err instanceof Error && (err.name === 'AbortError' || err.name === 'TimeoutError')) {
    return 'the request was aborted';
  }
  return cause?.message ?? (err instanceof Error ? err.message : String(err));
}

/** Turns anything a Notion call can throw into a NotionGatewayError with a clear, human message. */
export function toGatewayError(err: unknown, context?: GatewayErrorContext): NotionGatewayError {
  if (err instanceof NotionGatewayError) return err;
  const baseUrl = context?.baseUrl ?? DEFAULT_BASE_URL;
  const base = displayUrl(baseUrl);
  if (isNotionClientError(err)) {
    if (APIResponseError.isAPIResponseError(err) || UnknownHTTPResponseError.isUnknownHTTPResponseError(err)) {
      return fromHttpError(err, context);
    }
    if (err.code === ClientErrorCode.RequestTimeout) {
      return new NotionGatewayError({
        kind: 'network',
        code: err.code,
        objectId: context?.objectId,
        cause: err,
        userMessage: `The Notion API at ${base} did not answer in time (request timed out).`,
      });
    }
    return new NotionGatewayError({
      kind: 'bad_request',
      code: err.code,
      objectId: context?.objectId,
      cause: err,
      userMessage: withApiMessage('The request to Notion was refused before it was sent', err.message),
    });
  }
  if (isFetchNetworkError(err)) {
    return new NotionGatewayError({
      kind: 'network',
      code: findNetworkCause(err)?.code,
      objectId: context?.objectId,
      cause: err,
      userMessage: `Cannot reach the Notion API at ${base}: ${networkReason(err, baseUrl)}.`,
    });
  }
  const message = err instanceof Error ? err.message : String(err);
  return new NotionGatewayError({
    kind: 'unavailable',
    objectId: context?.objectId,
    cause: err,
    userMessage: `Unexpected answer from the Notion API at ${base}: ${message}`,
  });
}
