import { RequestTimeoutError } from '@notionhq/client';
import { describe, expect, it } from 'vitest';
import { fakeClock } from '@/server/testing/fake-clock';
import { CircuitBreaker } from './circuit-breaker';
import { NotionGatewayError } from './errors';
import { RateLimiter } from './rate-limiter';
import { createRetryingFetch, type FetchLike, type RetryEvent, type RetryingFetchOptions } from './retrying-fetch';

type Step = Response | Error | ((init: RequestInit) => Promise<Response>);

function json(status: number, body: unknown, headers: Record<string, string> = {}) {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json', ...headers },
  });
}

const ok = () => json(200, { object: 'list', results: [] });
const apiError = (status: number, code: string, headers: Record<string, string> = {}) =>
  json(status, { object: 'error', status, code, message: code }, headers);
const html = (status: number) => new Response('<html><body>Bad gateway</body></html>', {
  status,
  headers: { 'content-type': 'text/html' },
});
const networkError = (code = 'ECONNRESET') =>
  new TypeError('fetch failed', { cause: Object.assign(new Error(`read ${code}`), { code }) });


function setup(steps: Step[], options: Partial<RetryingFetchOptions> = {}, clock = fakeClock()) {
  const limiter = new RateLimiter({ requestsPerSecond: 1000, burst: 10, ...clock });
  const calls: { url: string; init: RequestInit; at: number }[] = [];
  const events: RetryEvent[] = [];
  const stub: FetchLike = async (url, init = {}) => {
    calls.push({ url, init, at: clock.now() });
    const step = steps.length > 1 ? steps.shift()! : steps[0];
    if (step instanceof Response) return step.clone();
    if (step instanceof Error) throw step;
    return step(init);
  };
  const fetch = createRetryingFetch({
    limiter,
    fetch: stub,
    sleep: clock.sleep,
    now: clock.now,
    random: () => 0.5,
    onEvent: (event) => events.push(event),
    ...options,
  });
  return { fetch, calls, events, limiter, clock };
}

const URL_GET = 'https://api.notion.com/v1/blocks/abc/children?page_size=100';

describe('createRetryingFetch', () => {
  it('waits out a 429 for Retry-After by pausing the limiter, then succeeds', async () => {
    const { fetch, calls, events, limiter } = setup([apiError(429, 'rate_limited', { 'Retry-After': '2' }), ok()]);
    const response = await fetch(URL_GET, { method: 'GET' });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ object: 'list', results: [] });
    expect(calls.map((c) => c.at)).toEqual([0, 2000]);
    expect(events.map((e) => e.type)).toEqual(['request', 'rate_limited', 'request']);
    expect(events[1]).toEqual({ type: 'rate_limited', status: 429, waitMs: 2000 });
    expect(limiter.stats()).toMatchObject({ pauses: 1, pausedMs: 2000 });
  });

  it('defaults to 1 s without Retry-After and honours waits over a minute (529 too)', async () => {
    const { fetch, calls } = setup([
      apiError(529, 'service_overload'),
      apiError(429, 'rate_limited', { 'Retry-After': '120' }),
      ok(),
    ]);
    expect((await fetch(URL_GET)).status).toBe(200);
    expect(calls.map((c) => c.at)).toEqual([0, 1000, 121_000]);
  });

  it('caps a single Retry-After wait at maxRetryAfterMs', async () => {
    const { fetch, events } = setup([apiError(429, 'rate_limited', { 'Retry-After': '86400' }), ok()], {
      maxRetryAfterMs: 5000,
    });
    await fetch(URL_GET);
    expect(events.find((e) => e.type === 'rate_limited')?.waitMs).toBe(5000);
  });

  it('a 429 pauses the whole limiter, so a concurrent request waits too', async () => {
    const clock = fakeClock();
    const limiter = new RateLimiter({ requestsPerSecond: 1000, burst: 10, ...clock });
    const calls: { url: string; at: number }[] = [];
    let first = true;
    const stub: FetchLike = async (url) => {
      calls.push({ url, at: clock.now() });
      if (url.endsWith('/a') && first) {
        first = false;
        return apiError(429, 'rate_limited', { 'Retry-After': '5' });
      }
      return ok();
    };
    let other: Promise<Response> | undefined;
    const fetch = createRetryingFetch({
      limiter,
      fetch: stub,
      sleep: clock.sleep,
      now: clock.now,
      onEvent: (event) => {
        if (event.type === 'rate_limited') other = fetch('https://api.notion.com/v1/b');
      },
    });
    const a = await fetch('https://api.notion.com/v1/a');
    const b = await other!;
    expect([a.status, b.status]).toEqual([200, 200]);
    const bCall = calls.find((c) => c.url.endsWith('/b'))!;
    expect(bCall.at).toBeGreaterThanOrEqual(5000);
  });

  it('retries 503 three times with exponential backoff and full jitter, then succeeds', async () => {
    const unavailable = apiError(503, 'service_unavailable');
    const { fetch, calls, events } = setup([unavailable, unavailable.clone(), unavailable.clone(), ok()]);
    const response = await fetch(URL_GET);
    expect(response.status).toBe(200);
    expect(calls).toHaveLength(4);
    const retries = events.filter((e) => e.type === 'retry');
    // random() = 0.5 → half of 500, 1000, 2000
    expect(retries).toEqual([
      { type: 'retry', status: 503, waitMs: 250, reason: 'HTTP 503' },
      { type: 'retry', status: 503, waitMs: 500, reason: 'HTTP 503' },
      { type: 'retry', status: 503, waitMs: 1000, reason: 'HTTP 503' },
    ]);
  });

  it('caps the backoff at maxDelayMs', async () => {
    const { fetch, events } = setup([apiError(500, 'internal_server_error'), apiError(500, 'internal_server_error'), apiError(500, 'internal_server_error'), ok()], {
      random: () => 1,
      baseDelayMs: 500,
      maxDelayMs: 800,
    });
    await fetch(URL_GET);
    expect(events.filter((e) => e.type === 'retry').map((e) => e.waitMs)).toEqual([500, 800, 800]);
  });

  it('returns permanent answers (401) immediately, for the SDK to raise', async () => {
    const { fetch, calls, events } = setup([apiError(401, 'unauthorized'), ok()]);
    const response = await fetch(URL_GET);
    expect(response.status).toBe(401);
    expect((await response.json()).code).toBe('unauthorized');
    expect(calls).toHaveLength(1);
    expect(events.map((e) => e.type)).toEqual(['request']);
  });

  it('retries a non-JSON (HTML) 502 from a gateway', async () => {
    const { fetch, calls } = setup([html(502), ok()]);
    expect((await fetch(URL_GET)).status).toBe(200);
    expect(calls).toHaveLength(2);
  });

  it('retries a 200 that is an HTML page (captive proxy), and hands back the last one', async () => {
    const page = new Response('<html>login</html>', { status: 200, headers: { 'content-type': 'text/html' } });
    const { fetch, calls } = setup([page], { maxAttempts: 3 });
    const response = await fetch(URL_GET);
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('<html>login</html>');
    expect(calls).toHaveLength(3);
  });

  it('retries network errors (fetch TypeError, ECONNRESET)', async () => {
    const { fetch, calls, events } = setup([networkError(), networkError('ECONNREFUSED'), ok()]);
    expect((await fetch(URL_GET)).status).toBe(200);
    expect(calls).toHaveLength(3);
    expect(events.filter((e) => e.type === 'retry').map((e) => e.reason)).toEqual(['ECONNRESET', 'ECONNREFUSED']);
  });

  it('retries a bare "fetch failed" TypeError', async () => {
    const { fetch, calls } = setup([new TypeError('fetch failed'), ok()]);
    expect((await fetch(URL_GET)).status).toBe(200);
    expect(calls).toHaveLength(2);
  });

  it('rethrows the last network error after the last attempt', async () => {
    const error = networkError();
    const { fetch, calls } = setup([error], { maxAttempts: 3 });
    await expect(fetch(URL_GET)).rejects.toBe(error);
    expect(calls).toHaveLength(3);
  });

  it('does not retry errors that cannot heal (bad port, bugs)', async () => {
    const badPort = new TypeError('fetch failed', { cause: new Error('bad port') });
    const a = setup([badPort]);
    await expect(a.fetch('http://127.0.0.1:9/v1/users/me')).rejects.toBe(badPort);
    expect(a.calls).toHaveLength(1);
    const bug = new TypeError('Cannot read properties of undefined');
    const b = setup([bug]);
    await expect(b.fetch(URL_GET)).rejects.toBe(bug);
    expect(b.calls).toHaveLength(1);
  });

  it('times out a hanging attempt and retries it', async () => {
    const hang = (init: RequestInit) =>
      new Promise<Response>((_, reject) => {
        init.signal?.addEventListener('abort', () => reject(init.signal?.reason));
      });
    const { fetch, calls, events } = setup([hang, ok()], { timeoutMs: 5 });
    expect((await fetch(URL_GET)).status).toBe(200);
    expect(calls).toHaveLength(2);
    expect(events.find((e) => e.type === 'retry')?.reason).toBe('timeout');
  });

  it('throws RequestTimeoutError when every attempt times out', async () => {
    const hang = (init: RequestInit) =>
      new Promise<Response>((_, reject) => {
        init.signal?.addEventListener('abort', () => reject(init.signal?.reason));
      });
    const { fetch, calls } = setup([hang], { timeoutMs: 5, maxAttempts: 2 });
    const error = await fetch(URL_GET).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RequestTimeoutError);
    expect((error as Error).message).toMatch(/timed out after 5 ms \(2 attempts\)/);
    expect(calls).toHaveLength(2);
  });

  it('times out a body that stalls after the headers', async () => {
    const stalled = (init: RequestInit) => {
      const body = new ReadableStream<Uint8Array>({
        start(controller) {
          controller.enqueue(new TextEncoder().encode('{"obj'));
          init.signal?.addEventListener('abort', () => controller.error(init.signal?.reason));
        },
      });
      return Promise.resolve(new Response(body, { status: 200, headers: { 'content-type': 'application/json' } }));
    };
    const { fetch, calls } = setup([stalled, ok()], { timeoutMs: 5 });
    expect((await fetch(URL_GET)).status).toBe(200);
    expect(calls).toHaveLength(2);
  });

  it('hands back the last retryable answer when attempts run out', async () => {
    const { fetch, calls } = setup([apiError(504, 'gateway_timeout')], { maxAttempts: 3 });
    const response = await fetch(URL_GET);
    expect(response.status).toBe(504);
    expect(calls).toHaveLength(3);
  });

  it('gives up on rate limits after maxRateLimitRetries and hands back the 429', async () => {
    const { fetch, calls } = setup([apiError(429, 'rate_limited', { 'Retry-After': '1' })], {
      maxRateLimitRetries: 3,
      maxAttempts: 2,
    });
    const response = await fetch(URL_GET);
    expect(response.status).toBe(429);
    expect(calls).toHaveLength(4);
  });

  it('re-sends the same POST body on read-only POSTs (search, query) and retries 409 on reads', async () => {
    const { fetch, calls } = setup([apiError(500, 'internal_server_error'), apiError(409, 'conflict_error'), ok()]);
    const body = JSON.stringify({ filter: { property: 'object', value: 'page' } });
    const response = await fetch('https://api.notion.com/v1/search', { method: 'POST', body });
    expect(response.status).toBe(200);
    expect(calls.map((c) => c.init.body)).toEqual([body, body, body]);
  });

  it('does not retry writes on 5xx or network errors, but does after 429', async () => {
    const url = 'https://api.notion.com/v1/pages';
    const a = setup([apiError(503, 'service_unavailable'), ok()]);
    expect((await a.fetch(url, { method: 'POST', body: '{}' })).status).toBe(503);
    expect(a.calls).toHaveLength(1);
    const error = networkError();
    const b = setup([error, ok()]);
    await expect(b.fetch(url, { method: 'PATCH', body: '{}' })).rejects.toBe(error);
    const c = setup([apiError(429, 'rate_limited'), ok()]);
    expect((await c.fetch(url, { method: 'POST', body: '{}' })).status).toBe(200);
    expect(c.calls).toHaveLength(2);
    const d = setup([apiError(502, 'bad_gateway'), ok()]);
    expect((await d.fetch('not a url', { method: 'POST' })).status).toBe(502);
  });

  it('stops when the caller aborts', async () => {
    const controller = new AbortController();
    const hang = (init: RequestInit) =>
      new Promise<Response>((_, reject) => {
        init.signal?.addEventListener('abort', () => reject(init.signal?.reason));
        controller.abort(new Error('cancelled by caller'));
      });
    const { fetch, calls } = setup([hang, ok()]);
    await expect(fetch(URL_GET, { signal: controller.signal })).rejects.toThrow('cancelled by caller');
    expect(calls).toHaveLength(1);
  });

  it('stops retrying when the caller aborts during a backoff', async () => {
    const controller = new AbortController();
    const { fetch, calls } = setup([apiError(503, 'service_unavailable'), ok()], {
      onEvent: (event) => {
        if (event.type === 'retry') controller.abort(new Error('stop'));
      },
    });
    await expect(fetch(URL_GET, { signal: controller.signal })).rejects.toThrow('stop');
    expect(calls).toHaveLength(1);
  });

  it('ends a backoff wait at once when the caller aborts (the default sleep)', async () => {
    const controller = new AbortController();
    const reason = new Error('export cancelled');
    // An hour of backoff with the real sleep: the test only ends because the abort ends the wait.
    const { fetch, calls } = setup([apiError(503, 'service_unavailable'), ok()], {
      sleep: undefined,
      baseDelayMs: 3_600_000,
      maxDelayMs: 3_600_000,
      random: () => 1,
      onEvent: (event) => {
        if (event.type === 'retry') setImmediate(() => controller.abort(reason));
      },
    });
    await expect(fetch(URL_GET, { signal: controller.signal })).rejects.toBe(reason);
    expect(calls).toHaveLength(1);
  });

  it('keeps bodiless and streaming answers intact', async () => {
    const a = setup([new Response(null, { status: 204 })]);
    const noContent = await a.fetch(URL_GET, { method: 'DELETE' });
    expect(noContent.status).toBe(204);
    expect(await noContent.text()).toBe('');
    const stream = new Response('data: 1\n\n', { status: 200, headers: { 'content-type': 'text/event-stream' } });
    const b = setup([stream]);
    const streamed = await b.fetch(URL_GET);
    expect(await streamed.text()).toBe('data: 1\n\n');
  });

  it('uses the global fetch and real timers by default', async () => {
    const limiter = new RateLimiter({ requestsPerSecond: 1000 });
    const fetch = createRetryingFetch({ limiter, maxAttempts: 2, baseDelayMs: 1 });
    await expect(fetch('http://127.0.0.1:9/v1/users/me')).rejects.toThrow('fetch failed');
  });
});

describe('createRetryingFetch with a circuit breaker', () => {
  function withBreaker(steps: Step[], options: Partial<RetryingFetchOptions> = {}, breakerOptions = {}) {
    const clock = fakeClock();
    const breaker = new CircuitBreaker({ failureThreshold: 3, coolDownMs: 30_000, ...clock, ...breakerOptions });
    const ctx = setup(steps, { breaker, ...options }, clock);
    return { ...ctx, breaker };
  }

  it('counts 5xx, network errors and timeouts toward opening, then holds attempts until the probe', async () => {
    const hang = (init: RequestInit) =>
      new Promise<Response>((_, reject) => {
        init.signal?.addEventListener('abort', () => reject(init.signal?.reason));
      });
    const { fetch, calls, breaker } = withBreaker(
      [apiError(500, 'internal_server_error'), networkError(), hang, apiError(503, 'service_unavailable'), ok()],
      { timeoutMs: 5, maxAttempts: 10 },
    );
    const response = await fetch(URL_GET);
    expect(response.status).toBe(200);
    expect(calls).toHaveLength(5);
    // The third failure opened the circuit: the fourth attempt waited for the 30 s cool-down,
    // went out as the probe and failed (doubling the cool-down), the fifth probe succeeded.
    const opened = calls[2]!.at;
    expect(calls[3]!.at - opened).toBeGreaterThanOrEqual(30_000);
    expect(calls[4]!.at - calls[3]!.at).toBeGreaterThanOrEqual(60_000);
    expect(breaker.stats()).toMatchObject({ state: 'closed', opened: 1, reopened: 1, probes: 2 });
  });

  it('does not count 429/529 or 4xx answers as failures (4xx resets the count)', async () => {
    const steps = [
      apiError(500, 'internal_server_error'),
      apiError(500, 'internal_server_error'),
      apiError(429, 'rate_limited', { 'Retry-After': '1' }),
      apiError(529, 'service_overload', { 'Retry-After': '1' }),
      apiError(429, 'rate_limited', { 'Retry-After': '1' }),
      ok(),
    ];
    const a = withBreaker(steps);
    expect((await a.fetch(URL_GET)).status).toBe(200);
    expect(a.breaker.stats()).toMatchObject({ state: 'closed', consecutiveFailures: 0, opened: 0 });

    const b = withBreaker([apiError(502, 'bad_gateway'), apiError(502, 'bad_gateway'), apiError(404, 'object_not_found')]);
    expect((await b.fetch(URL_GET)).status).toBe(404);
    expect(b.breaker.stats()).toMatchObject({ state: 'closed', consecutiveFailures: 0 });

    const c = withBreaker([apiError(409, 'conflict_error'), ok()]);
    expect((await c.fetch(URL_GET)).status).toBe(200);
    expect(c.breaker.stats().consecutiveFailures).toBe(0);
  });

  it('counts HTML pages instead of JSON and 408 as failures, and non-retryable errors as nothing', async () => {
    const page = new Response('<html>proxy</html>', { status: 200, headers: { 'content-type': 'text/html' } });
    const a = withBreaker([page, html(502), apiError(408, 'request_timeout'), ok()], {}, { failureThreshold: 5 });
    expect((await a.fetch(URL_GET)).status).toBe(200);
    expect(a.breaker.stats()).toMatchObject({ consecutiveFailures: 0, opened: 0 });

    const b = withBreaker([html(502), html(502), html(502)], { maxAttempts: 3 }, { failureThreshold: 5 });
    await b.fetch(URL_GET);
    expect(b.breaker.stats()).toMatchObject({ consecutiveFailures: 3, lastFailure: 'HTTP 502' });

    const bug = new TypeError('Cannot read properties of undefined');
    const c = withBreaker([apiError(500, 'internal_server_error'), bug]);
    await expect(c.fetch(URL_GET)).rejects.toBe(bug);
    expect(c.breaker.stats()).toMatchObject({ consecutiveFailures: 1 });
  });

  it('waits again when the circuit opened while the attempt waited for the limiter', async () => {
    const released: string[] = [];
    let first = true;
    const breaker = {
      acquire: async () => {
        const usable = !first;
        first = false;
        return {
          probe: false,
          usable,
          success: () => released.push('success'),
          failure: () => released.push('failure'),
          release: () => released.push('release'),
        };
      },
    };
    const { fetch, calls, limiter } = setup([ok()], { breaker });
    expect((await fetch(URL_GET)).status).toBe(200);
    expect(calls).toHaveLength(1);
    expect(released).toEqual(['release', 'success']);
    expect(limiter.stats().acquired).toBe(2);
  });

  it('gives the permit back when the caller aborts while waiting for the limiter or during the attempt', async () => {
    const { fetch, breaker, limiter } = withBreaker([ok()], {}, { failureThreshold: 1 });
    limiter.pauseFor(60_000);
    const controller = new AbortController();
    const pending = fetch(URL_GET, { signal: controller.signal });
    await new Promise((r) => setImmediate(r));
    controller.abort(new Error('cancelled'));
    await expect(pending).rejects.toThrow('cancelled');

    const hang = (init: RequestInit) =>
      new Promise<Response>((_, reject) => {
        init.signal?.addEventListener('abort', () => reject(init.signal?.reason));
        controller2.abort(new Error('cancelled during the attempt'));
      });
    const controller2 = new AbortController();
    const b = withBreaker([hang], {}, { failureThreshold: 1 });
    await expect(b.fetch(URL_GET, { signal: controller2.signal })).rejects.toThrow('cancelled during the attempt');
    expect([breaker.state(), b.breaker.state()]).toEqual(['closed', 'closed']);
  });

  it('rejects with the breaker error when the circuit stays open longer than maxWaitMs', async () => {
    const { fetch, calls } = withBreaker(
      [apiError(503, 'service_unavailable')],
      { maxAttempts: 10 },
      { failureThreshold: 2, coolDownMs: 20 * 60_000, maxWaitMs: 60_000 },
    );
    const error = await fetch(URL_GET).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NotionGatewayError);
    expect(error).toMatchObject({ kind: 'unavailable', code: 'circuit_open' });
    expect(calls).toHaveLength(2);
  });

  it('the gateway-wide signal aborts a request waiting out a long Retry-After', async () => {
    const controller = new AbortController();
    const { fetch, calls } = setup([apiError(429, 'rate_limited', { 'Retry-After': '600' }), ok()], {
      signal: controller.signal,
      onEvent: (event) => {
        if (event.type === 'rate_limited') setImmediate(() => controller.abort(new Error('export cancelled')));
      },
    });
    await expect(fetch(URL_GET, { signal: new AbortController().signal })).rejects.toThrow('export cancelled');
    expect(calls).toHaveLength(1);
  });
});
