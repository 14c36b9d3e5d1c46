import { RequestTimeoutError } from '@notionhq/client';
import { backoffDelay } from '@/server/retry/backoff';
import { sleep as abortableSleep } from '@/server/retry/sleep';
import { classifyError, classifyResponse, type FailureClass, isTransient } from '@/server/retry/classify';
import { ATTEMPTS_HEADER } from './errors';
import type { BreakerPermit } from './circuit-breaker';
import { linkSignals } from './linked-signal';
import type { RequestLimiter } from './workspace-limiter';
import { type NotionCallObserver, traceNotionCall } from '@/server/observability/spans-notion';

/** The subset of `fetch` the Notion SDK uses (it always passes a string URL). */
export type FetchLike = (url: string, init?: RequestInit) => Promise<Response>;

export interface RetryEvent {
  /** `request`: an HTTP attempt goes out; `rate_limited`: a 429/529 paused the bucket; `retry`: backoff before a new attempt. */
  type: 'request' | 'rate_limited' | 'retry';
  status?: number;
  /**
   * `request`: time spent waiting for the circuit breaker and the limiter; `rate_limited`: the
   * pause; `retry`: the backoff delay.
   */
  waitMs?: number;
  /**
   * Why a retry happens: an HTTP status text, `timeout` or a network error code; for
   * `rate_limited`, Notion's `rate_limit_reason` when the answer named one (e.g. `workspace_limit`).
   */
  reason?: string;
}

export interface RetryingFetchOptions {
  /** The token's limiter, or the token's and its workspace's (`TokenAndWorkspaceLimiter`). */
  limiter: RequestLimiter;
  /** Every attempt asks it first; while it is open, attempts wait (see CircuitBreaker). */
  breaker?: { acquire(signal?: AbortSignal): Promise<BreakerPermit> };
  /** Aborts every wait and attempt of this fetch (e.g. the export was cancelled). */
  signal?: AbortSignal;
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
  /** Backoff waits; the default rejects at once with the signal's reason when the request is aborted. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  random?: () => number;
  now?: () => number;
  onEvent?: (event: RetryEvent) => void;
  /** Told of every HTTP attempt once it ended, with its answer or why none came (the metrics). */
  onAttempt?: (attempt: AttemptRecord) => void;
}

/** One HTTP attempt, as `onAttempt` hears of it. */
export interface AttemptRecord {
  method: string;
  url: string;
  /** The HTTP status; undefined when no answer came (see `error`). */
  status?: number;
  /** Why no answer came: the attempt timed out, the network failed, or the request was aborted. */
  error?: 'timeout' | 'network' | 'aborted';
  /** From sending the attempt to its whole (buffered) answer, or its failure. */
  durationMs: number;
  /** The answer's Retry-After, when it had one. */
  retryAfterMs?: number;
  /** The body of an answer that is not a success (Notion's error object). */
  body?: string;
}

const DEFAULT_RETRY_AFTER_MS = 1000;

const NULL_BODY_STATUSES = new Set([101, 204, 205, 304]);
const READ_POST_PATH = /\/(search|query|queries)\/?$/;

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

/** Notion's `additional_data.rate_limit_reason` of a 429 (which window ran out), when there is one. */
export function rateLimitReasonOf(bodyText: string | undefined): string | undefined {
  if (!bodyText) return undefined;
  try {
    const reason = (JSON.parse(bodyText) as { additional_data?: { rate_limit_reason?: unknown } } | null)?.additional_data?.rate_limit_reason;
    return typeof reason === 'string' && /^[a-z_]{1,64}$/.test(reason) ? reason : undefined;
  } catch {
    return undefined;
  }
}

/** A copy of a (buffered) answer carrying the attempt count for the error message. */
function withAttempts(response: Response, attempts: number): Response {
  const headers = new Headers(response.headers);
  headers.set(ATTEMPTS_HEADER, String(attempts));
  return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
}

/**
 * What an HTTP answer says about the API's health, for the circuit breaker: 5xx, 408 and HTML
 * pages instead of JSON are failures; rate limits say nothing; any other answer means it works.
 */
function recordOutcome(
  permit: BreakerPermit | undefined,
  failureClass: FailureClass,
  status: number,
  htmlInsteadOfJson: boolean,
): void {
  if (!permit) return;
  if (failureClass === 'rate_limited') permit.release();
  else if (htmlInsteadOfJson) permit.failure(`HTTP ${status} (HTML instead of JSON)`);
  else if (failureClass === 'transient' && (status >= 500 || status === 408)) permit.failure(`HTTP ${status}`);
  else permit.success();
}

function isHtml(response: Response): boolean {
  return (response.headers.get('content-type') ?? '').toLowerCase().includes('text/html');
}

/**
 * A fetch for the Notion SDK (`new Client({ fetch, retry: false })`): every attempt first passes
 * the token's circuit breaker (waiting while it is open), then takes a token from the shared
 * limiter; 429/529 pause the whole limiter for Retry-After and are retried; 5xx,
 * non-JSON gateway pages, network errors and per-attempt timeouts are retried with capped
 * exponential backoff and full jitter; permanent answers go straight back to the SDK, which raises
 * its usual APIResponseError. Writes (other than read-only POSTs such as search and queries) are
 * only retried after 429/529, which Notion guarantees were not processed. When the budget runs out
 * the last answer is handed back with the attempt count in `ATTEMPTS_HEADER`.
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
    breaker,
    fetch: fetchImpl = globalThis.fetch.bind(globalThis),
    sleep = abortableSleep,
    random = Math.random,
    now = Date.now,
    onEvent,
    onAttempt,
  } = options;

  async function attempt(url: string, init: RequestInit): Promise<AttemptOutcome> {
    const timeout = new AbortController();
    const timer = setTimeout(() => timeout.abort(new DOMException('attempt timed out', 'TimeoutError')), timeoutMs);
    const { signal, dispose } = linkSignals(init.signal, timeout.signal);
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
      const timedOut = timeout.signal.aborted && !init.signal?.aborted;
      return { kind: 'error', error, timedOut };
    } finally {
      clearTimeout(timer);
      dispose();
    }
  }

  /** Waits for the breaker, then for the limiter; undefined permit = no breaker configured. */
  async function admit(signal: AbortSignal | undefined): Promise<BreakerPermit | undefined> {
    for (;;) {
      const permit = await breaker?.acquire(signal);
      try {
        await limiter.acquire(signal);
      } catch (error) {
        permit?.release();
        throw error;
      }
      // The circuit opened while this attempt waited for a token: wait again instead of sending.
      if (!permit || permit.usable) return permit;
      permit.release();
    }
  }

  // One span per call, over every attempt (server/observability/spans-notion.ts).
  return function retryingFetch(url: string, init: RequestInit = {}): Promise<Response> {
    return traceNotionCall(url, (init.method ?? 'GET').toUpperCase(), (observe) => call(url, init, observe));
  };

  async function call(url: string, init: RequestInit, observe: NotionCallObserver | undefined): Promise<Response> {
    if (!init.signal || !options.signal) {
      const signal = init.signal ?? options.signal;
      return send(url, signal === init.signal ? init : { ...init, signal }, signal, observe);
    }
    // The caller's signal and the gateway's, as one, detached once the request is over.
    const linked = linkSignals(init.signal, options.signal);
    try {
      return await send(url, { ...init, signal: linked.signal }, linked.signal, observe);
    } finally {
      linked.dispose();
    }
  }

  async function send(url: string, requestInit: RequestInit, signal: AbortSignal | undefined, observe: NotionCallObserver | undefined): Promise<Response> {
    const report = observe
      ? (event: RetryEvent) => {
          onEvent?.(event);
          observe(event);
        }
      : onEvent;
    const method = (requestInit.method ?? 'GET').toUpperCase();
    const idempotent = isReadRequest(method, url);
    let failures = 0;
    let attempts = 0;
    let rateLimitRetries = 0;

    for (;;) {
      const waitStart = now();
      const permit = await admit(signal);
      report?.({ type: 'request', waitMs: now() - waitStart });

      attempts += 1;
      const sentAt = now();
      const outcome = await attempt(url, requestInit);
      const durationMs = now() - sentAt;
      let reason: string;
      let status: number | undefined;

      if (outcome.kind === 'response') {
        const { response } = outcome;
        status = response.status;
        if (response.ok && !isHtml(response)) {
          permit?.success();
          onAttempt?.({ method, url, status, durationMs });
          return response;
        }
        // A 2xx HTML page is a proxy's, not the API's answer: transient.
        const failure = response.ok ? undefined : classifyResponse(response, errorCodeOf(outcome.bodyText), now());
        const failureClass = failure?.class ?? 'transient';
        onAttempt?.({ method, url, status, durationMs, retryAfterMs: failure?.retryAfterMs, body: outcome.bodyText });
        recordOutcome(permit, failureClass, status, response.ok);

        if (failureClass === 'rate_limited') {
          if (rateLimitRetries >= maxRateLimitRetries) return withAttempts(response, attempts);
          rateLimitRetries += 1;
          const waitMs = Math.min(failure?.retryAfterMs ?? DEFAULT_RETRY_AFTER_MS, maxRetryAfterMs);
          const limitReason = rateLimitReasonOf(outcome.bodyText);
          limiter.rateLimited(waitMs, limitReason);
          report?.({ type: 'rate_limited', status, waitMs, ...(limitReason ? { reason: limitReason } : {}) });
          continue;
        }
        if (!isTransient(failureClass) || !idempotent) return response;
        failures += 1;
        if (failures >= maxAttempts) return withAttempts(response, attempts);
        reason = `HTTP ${status}`;
      } else {
        const { error, timedOut } = outcome;
        onAttempt?.({ method, url, durationMs, error: signal?.aborted ? 'aborted' : timedOut ? 'timeout' : 'network' });
        if (signal?.aborted) {
          permit?.release();
          throw error;
        }
        const failure = classifyError(error);
        const transient = timedOut || isTransient(failure.class);
        const failureReason = timedOut ? 'timeout' : (failure.code ?? 'network error');
        if (transient) permit?.failure(failureReason);
        else permit?.release();
        const finalError = () =>
          timedOut
            ? new RequestTimeoutError(
                `Request to Notion API timed out after ${timeoutMs} ms (${failures} attempts): ${method} ${url}`,
              )
            : error;
        if (!transient) throw error;
        failures += 1;
        if (!idempotent || failures >= maxAttempts) throw finalError();
        reason = failureReason;
      }

      const delay = backoffDelay(failures, { baseMs: baseDelayMs, maxMs: maxDelayMs }, random);
      report?.({ type: 'retry', status, waitMs: delay, reason });
      await sleep(delay, signal);
      if (signal?.aborted) throw signal.reason;
    }
  }
}
