import { metricsRecorded, metricsState, NO_CONNECTION, type WatchedConnection, watchConnection } from './metrics';

/** One HTTP attempt at a Notion request as the retrying fetch saw it (server/notion/retrying-fetch.ts). */
export interface NotionAttempt {
  method: string;
  url: string;
  /** The HTTP status; undefined when no answer came (see `error`). */
  status?: number;
  /** Why no answer came: the attempt timed out, the network failed, or the caller aborted. */
  error?: 'timeout' | 'network' | 'aborted';
  /** From sending the attempt to its whole answer, or its failure. */
  durationMs: number;
  /** Retry-After of the answer, when it had one. */
  retryAfterMs?: number;
  /** The body of an answer that is not a success (Notion's error object), for 429/529's `rate_limit_reason`. */
  body?: string;
}

/** What a Notion gateway records: each attempt, and each wait for the breaker and the limiter. */
export interface NotionRequestMetrics {
  attempt(attempt: NotionAttempt): void;
  /** Time the next attempt waited for the circuit breaker and the rate limiter. */
  waited(ms: number): void;
}

/** Path segments of the Notion API kept as they are in an endpoint template; any other segment is an id. */
const API_WORDS = new Set([
  'v1',
  'users',
  'me',
  'search',
  'pages',
  'blocks',
  'children',
  'databases',
  'data_sources',
  'query',
  'comments',
  'properties',
  'file_uploads',
  'send',
  'complete',
  'templates',
  'markdown',
  'move',
  'views',
  'oauth',
  'token',
  'introspect',
  'revoke',
]);
const MAX_SEGMENTS = 8;

/**
 * The endpoint template of a Notion API URL: `/v1/blocks/{id}/children` for any block, the query
 * string left out. Words of the API stay, the segment after `properties` is `{property_id}`,
 * anything else is `{id}`; a URL outside `/v1/` (or longer than any endpoint) is `other`. So the
 * label has a bounded set of values whatever the URLs hold.
 */
export function endpointTemplate(url: string): string {
  const start = url.indexOf('/v1/');
  if (start < 0) return 'other';
  let end = url.length;
  for (const stop of ['?', '#']) {
    const at = url.indexOf(stop, start);
    if (at >= 0 && at < end) end = at;
  }
  const segments = url.slice(start + 1, end).split('/');
  if (segments.length > MAX_SEGMENTS) return 'other';
  let template = '';
  let previous = '';
  for (const segment of segments) {
    if (segment === '') continue;
    template += `/${API_WORDS.has(segment) ? segment : previous === 'properties' ? '{property_id}' : '{id}'}`;
    previous = segment;
  }
  return template;
}

/** `additional_data.rate_limit_reason` of a 429/529 body: `unknown` without one, `other` for a value that is no plain word. */
export function rateLimitReasonOf(body: string | undefined): string {
  if (!body) return 'unknown';
  try {
    const reason = (JSON.parse(body) as { additional_data?: { rate_limit_reason?: unknown } } | null)?.additional_data?.rate_limit_reason;
    if (reason === undefined || reason === null) return 'unknown';
    return typeof reason === 'string' && /^[a-z][a-z0-9_]{0,39}$/.test(reason) ? reason : 'other';
  } catch {
    return 'unknown';
  }
}

const METHODS = new Set(['GET', 'POST', 'PATCH', 'PUT', 'DELETE']);

type CounterChild = { inc(value?: number): void };
type HistogramChild = { observe(value: number): void };

interface EndpointChildren {
  duration: HistogramChild;
  /** By HTTP status (a number) or the reason no answer came. */
  byStatus: Map<number | string, CounterChild>;
}

/**
 * The request metrics of one connection: labelled children looked up once and kept, so that an
 * attempt costs a few map lookups. Every map is bounded by the label sets (methods, endpoint
 * templates, statuses).
 */
class ConnectionRequestMetrics implements NotionRequestMetrics {
  readonly #connectionId: string;
  readonly #endpoints = new Map<string, Map<string, EndpointChildren>>();
  readonly #rateLimited = new Map<string, CounterChild>();
  readonly #wait: HistogramChild;
  readonly #retryAfter: HistogramChild;

  constructor(connectionId: string) {
    const { process } = metricsState();
    this.#connectionId = connectionId;
    this.#wait = process.notionLimiterWait.labels({ connection_id: connectionId });
    this.#retryAfter = process.notionRetryAfter.labels({ connection_id: connectionId });
  }

  attempt(attempt: NotionAttempt): void {
    const method = METHODS.has(attempt.method) ? attempt.method : 'OTHER';
    const template = endpointTemplate(attempt.url);
    const endpoint = this.#endpoint(method, template);
    const status = attempt.status !== undefined && attempt.status >= 100 && attempt.status <= 599 ? attempt.status : (attempt.error ?? 'error');
    let counter = endpoint.byStatus.get(status);
    if (!counter) {
      counter = metricsState().process.notionRequests.labels({
        connection_id: this.#connectionId,
        method,
        endpoint: template,
        status: String(status),
      });
      endpoint.byStatus.set(status, counter);
    }
    counter.inc();
    endpoint.duration.observe(Math.max(0, attempt.durationMs) / 1000);
    if (status === 429 || status === 529) this.#rateLimit(status, attempt);
  }

  waited(ms: number): void {
    this.#wait.observe(Math.max(0, ms) / 1000);
  }

  #endpoint(method: string, template: string): EndpointChildren {
    let byTemplate = this.#endpoints.get(method);
    if (!byTemplate) {
      byTemplate = new Map();
      this.#endpoints.set(method, byTemplate);
    }
    let children = byTemplate.get(template);
    if (!children) {
      children = {
        duration: metricsState().process.notionRequestDuration.labels({ connection_id: this.#connectionId, endpoint: template }),
        byStatus: new Map(),
      };
      byTemplate.set(template, children);
    }
    return children;
  }

  #rateLimit(status: number, attempt: NotionAttempt): void {
    const reason = rateLimitReasonOf(attempt.body);
    const key = `${status} ${reason}`;
    let counter = this.#rateLimited.get(key);
    if (!counter) {
      counter = metricsState().process.notionRateLimited.labels({ connection_id: this.#connectionId, status: String(status), rate_limit_reason: reason });
      this.#rateLimited.set(key, counter);
    }
    counter.inc();
    if (attempt.retryAfterMs !== undefined) this.#retryAfter.observe(attempt.retryAfterMs / 1000);
  }
}

/** What a process that records no metrics gets (see recordNoMetrics). */
const UNRECORDED: NotionRequestMetrics = { attempt() {}, waited() {} };

const RECORDERS_KEY = Symbol.for('notion-sync.observability.notion-recorders');
/** Most connections with a recorder at once (an install has a handful); the oldest is dropped beyond. */
const MAX_RECORDERS = 64;

/**
 * The request metrics of a Notion gateway. `connectionId` labels them (undefined: requests made
 * before a connection exists, such as checking a token being added); `watched`, the connection's
 * limiter and breaker, feeds the budget, pace and breaker gauges.
 */
export function notionRequestMetrics(connectionId: string | undefined, watched?: WatchedConnection): NotionRequestMetrics {
  if (!metricsRecorded()) return UNRECORDED;
  const id = connectionId ?? NO_CONNECTION;
  if (connectionId !== undefined && watched) watchConnection(connectionId, watched);
  const holder = globalThis as typeof globalThis & { [RECORDERS_KEY]?: Map<string, ConnectionRequestMetrics> };
  holder[RECORDERS_KEY] ??= new Map();
  const recorders = holder[RECORDERS_KEY];
  let recorder = recorders.get(id);
  if (!recorder) {
    recorder = new ConnectionRequestMetrics(id);
    recorders.set(id, recorder);
    if (recorders.size > MAX_RECORDERS) {
      const oldest = recorders.keys().next().value;
      if (oldest !== undefined) recorders.delete(oldest);
    }
  }
  return recorder;
}
