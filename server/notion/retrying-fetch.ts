import { RequestTimeoutError } from '@notionhq/client';
import { classifyHttpStatus, findNetworkCause, isUnfixableFetchError, parseRetryAfter } from './errors';
import type { RateLimiter } from './rate-limiter';

/** The subset of `fetch` the Notion SDK uses (it always passes a string URL). */
export type FetchLike = (url: string, init?: RequestInit) => Promise<Response>;

export interface RetryEvent {
  /** `request`: an HTTP attempt goes out; `rate_limited`: a 429/529 paused the bucket; `retry`: backoff before a new attempt. */
  type: 'request' | 'rate_limited' | 'retry';
  status?: number;
  /** `request`: time spent waiting for the limiter; `rate_limited`: the pause; `retry`: the backoff delay. */
  waitMs?: number;
  /** Why a retry happens: an HTTP status text, `timeout` or a network error code. */
  reason?: string;
}

export interface RetryingFetchOptions {
  limiter: Pick<RateLimiter, 'acquire' | 'pauseFor'>;
  /** Attempts for transient failures (5xx, network, timeouts). Rate-limit retries have their own budget. */
  maxAttempts?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** Per-attempt timeout, covering the headers and the body. */
  timeoutMs?: number;
  /** How many 429/529 answers are waited out for one call before the answer is handed to the SDK. */
  maxRateLimitRetries?: number;
  /** Ceiling for a single Retry-After wait (Notion's per-workspace limit can ask for more than a minute). */
  maxRetryAfterMs?: number;
  fetch?: FetchLike;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  now?: () => number;
  onEvent?: (event: RetryEvent) => void;
}

const DEFAULT_RETRY_AFTER_MS = 1000;
const NULL_BODY_STATUSES = new Set([101, 204, 205, 304]);
const READ_POST_PATH = /\/(search|query|queries)\/?$/;

const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

type AttemptOutcome =
  | { kind: 'response'; response: Response; bodyText?: string }
  | { kind: 'error'; error: unknown; timedOut: boolean };

function isReadRequest(method: string, url: string): boolean {
  if (method === 'GET' || method === 'HEAD') return true;
  if (method !== 'POST') return false;
  try {
    return READ_POST_PATH.test(new URL(url).pathname);
  } catch {
    return false;
  }
}

function errorCodeOf(bodyText: string | undefined): string | undefined {
  if (!bodyText) return undefined;
  try {
    const parsed: unknown = JSON.parse(bodyText);
    if (parsed && typeof parsed === 'object' && typeof (parsed as { code?: unknown }).code === 'string') {
      return (parsed as { code: string }).code;
    }
  } catch {
    // not JSON
  }
  return undefined;
}

/** A failure on the wire (refused, reset, DNS, …) rather than a bad request or a bug. */
function isTransientNetworkError(error: unknown): boolean {
  if (isUnfixableFetchError(error)) return false;
  if (error instanceof TypeError && error.message === 'fetch failed') return true;
  const code = findNetworkCause(error)?.code;
  return code !== undefined && /^(E[A-Z]+|UND_ERR_[A-Z_]+)$/.test(code);
}

function isHtml(response: Response): boolean {
  return (response.headers.get('content-type') ?? '').toLowerCase().includes('text/html');
}

/**
 * A fetch for the Notion SDK (`new Client({ fetch, retry: false })`): every attempt takes a token
 * from the shared limiter; 429/529 pause the whole limiter for Retry-After and are retried; 5xx,
 * non-JSON gateway pages, network errors and per-attempt timeouts are retried with capped
 * exponential backoff and full jitter; permanent answers go straight back to the SDK, which raises
 * its usual APIResponseError. Writes (other than read-only POSTs such as search and queries) are
 * only retried after 429/529, which Notion guarantees were not processed.
 */
export function createRetryingFetch(options: RetryingFetchOptions): FetchLike {
  const {
    limiter,
    maxAttempts = 8,
    baseDelayMs = 500,
    maxDelayMs = 30_000,
    timeoutMs = 60_000,
    maxRateLimitRetries = 20,
    maxRetryAfterMs = 60 * 60_000,
    fetch: fetchImpl = globalThis.fetch.bind(globalThis),
    sleep = realSleep,
    random = Math.random,
    now = Date.now,
    onEvent,
  } = options;

  async function attempt(url: string, init: RequestInit): Promise<AttemptOutcome> {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(new DOMException('attempt timed out', 'TimeoutError')), timeoutMs);
    const signal = init.signal ? AbortSignal.any([init.signal, controller.signal]) : controller.signal;
    try {
      const response = await fetchImpl(url, { ...init, signal });
      const contentType = response.headers.get('content-type') ?? '';
      if (contentType.includes('text/event-stream')) return { kind: 'response', response };
      // Buffer the body inside the attempt so that a stalled or cut body is retried too.
      const body = await response.arrayBuffer();
      const buffered = new Response(NULL_BODY_STATUSES.has(response.status) ? null : body, {
        status: response.status,
        statusText: response.statusText,
        headers: response.headers,
      });
      return response.ok
        ? { kind: 'response', response: buffered }
        : { kind: 'response', response: buffered, bodyText: new TextDecoder().decode(body) };
    } catch (error) {
      const timedOut = controller.signal.aborted && !init.signal?.aborted;
      return { kind: 'error', error, timedOut };
    } finally {
      clearTimeout(timer);
    }
  }

  function backoff(failures: number): number {
    const ceiling = Math.min(maxDelayMs, baseDelayMs * 2 ** (failures - 1));
    return Math.round(random() * ceiling);
  }

  return async function retryingFetch(url: string, init: RequestInit = {}): Promise<Response> {
    const method = (init.method ?? 'GET').toUpperCase();
    const idempotent = isReadRequest(method, url);
    let failures = 0;
    let rateLimitRetries = 0;

    for (;;) {
      const waitStart = now();
      await limiter.acquire(init.signal ?? undefined);
      onEvent?.({ type: 'request', waitMs: now() - waitStart });

      const outcome = await attempt(url, init);
      let reason: string;
      let status: number | undefined;

      if (outcome.kind === 'response') {
        const { response } = outcome;
        status = response.status;
        if (response.ok && !isHtml(response)) return response;
        const retryClass = response.ok ? 'retryable' : classifyHttpStatus(status, errorCodeOf(outcome.bodyText));

        if (retryClass === 'rate_limited') {
          if (rateLimitRetries >= maxRateLimitRetries) return response;
          rateLimitRetries += 1;
          const retryAfter = parseRetryAfter(response.headers.get('retry-after'), now());
          const waitMs = Math.min(retryAfter ?? DEFAULT_RETRY_AFTER_MS, maxRetryAfterMs);
          limiter.pauseFor(waitMs);
          onEvent?.({ type: 'rate_limited', status, waitMs });
          continue;
        }
        if (retryClass === 'permanent' || !idempotent) return response;
        failures += 1;
        if (failures >= maxAttempts) return response;
        reason = `HTTP ${status}`;
      } else {
        const { error, timedOut } = outcome;
        if (init.signal?.aborted) throw error;
        const finalError = () =>
          timedOut
            ? new RequestTimeoutError(
                `Request to Notion API timed out after ${timeoutMs} ms (${failures} attempts): ${method} ${url}`,
              )
            : error;
        if (!timedOut && !isTransientNetworkError(error)) throw error;
        failures += 1;
        if (!idempotent || failures >= maxAttempts) throw finalError();
        reason = timedOut ? 'timeout' : (findNetworkCause(error)?.code ?? 'network error');
      }

      const delay = backoff(failures);
      onEvent?.({ type: 'retry', status, waitMs: delay, reason });
      await sleep(delay);
      if (init.signal?.aborted) throw init.signal.reason;
    }
  };
}
