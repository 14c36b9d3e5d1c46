import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { fakeClock } from '@/server/testing/fake-clock';
import { CircuitBreaker, getSharedBreaker } from './circuit-breaker';
import { NotionGatewayError, toGatewayError } from './errors';
import { createNotionGateway, type NotionGatewayOptions } from './notion-gateway';
import { RateLimiter } from './rate-limiter';
import type { FetchLike } from './retrying-fetch';

const DATA_SOURCE_ID = '393abc1e-edcd-8179-9372-000bd163e729';
const PAGE_ID = '393abc1e-edcd-81f5-ae94-ec2d55fe98ed';

const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });
const apiError = (status: number, code: string, headers: Record<string, string> = {}) =>
  json(status, { object: 'error', status, code, message: `${code} happened`, request_id: 'req-1' }, headers);
const emptyList = () => json(200, { object: 'list', results: [], next_cursor: null, has_more: false });
const user = () => json(200, { object: 'user', id: 'u1', type: 'bot', name: 'bot', bot: {} });


type Route = (method: string, path: string, n: number) => Response;

/** Two gateways on one token (as two exports would have), sharing its limiter and breaker. */
function setup(route: Route, options: Partial<NotionGatewayOptions> = {}) {
  const clock = fakeClock();
  const limiter = new RateLimiter({ requestsPerSecond: 3, ...clock });
  const breaker = new CircuitBreaker(clock);
  const calls: { method: string; path: string; at: number }[] = [];
  const counts = new Map<string, number>();
  const fetch: FetchLike = async (url, init = {}) => {
    const method = init.method ?? 'GET';
    const path = new URL(url).pathname;
    const key = `${method} ${path}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
    calls.push({ method, path, at: clock.now() });
    return route(method, path, counts.get(key)!);
  };
  const make = () =>
    createNotionGateway({
      token: 'secret_shared',
      baseUrl: 'https://api.notion.test',
      fetch,
      limiter,
      breaker,
      ...clock,
      random: () => 0.5,
      ...options,
    });
  return { a: make(), b: make(), calls, clock, limiter, breaker };
}

describe('retry budget of the gateway (through the Notion SDK)', () => {
  it('honours a 429 with Retry-After: 90 on POST /search, and sends nothing for the token meanwhile', async () => {
    let me: Promise<unknown> | undefined;
    const { a, b, calls, clock } = setup(
      (_, path, n) => {
        if (path === '/v1/search' && n === 1) return apiError(429, 'rate_limited', { 'retry-after': '90' });
        return path === '/v1/users/me' ? user() : emptyList();
      },
      {
        // Another export on the same token asks while the bucket is paused.
        onEvent: (event) => {
          if (event.type === 'rate_limited') me = b.client.users.me({});
        },
      },
    );
    await a.client.search({});
    await me;
    const pausedAt = calls[0]!.at;
    expect(calls[0]).toMatchObject({ method: 'POST', path: '/v1/search' });
    expect(calls.slice(1).every((c) => c.at >= pausedAt + 90_000)).toBe(true);
    expect(calls.map((c) => c.path).sort()).toEqual(['/v1/search', '/v1/search', '/v1/users/me']);
    expect(clock.now()).toBeGreaterThanOrEqual(90_000);
    expect(a.stats()).toMatchObject({ requests: 2, rateLimited: 1, retries: 0 });
    expect(a.limiter.stats().pausedMs).toBe(90_000);
  });

  it('honours a 529 with Retry-After: 90 on a data source query', async () => {
    const { a, calls } = setup((_, path, n) =>
      path.endsWith('/query') && n === 1 ? apiError(529, 'service_overload', { 'retry-after': '90' }) : emptyList(),
    );
    await a.client.dataSources.query({ data_source_id: DATA_SOURCE_ID });
    expect(calls.map((c) => [c.method, c.path])).toEqual([
      ['POST', `/v1/data_sources/${DATA_SOURCE_ID}/query`],
      ['POST', `/v1/data_sources/${DATA_SOURCE_ID}/query`],
    ]);
    expect(calls[1]!.at - calls[0]!.at).toBeGreaterThanOrEqual(90_000);
  });

  it('retries 5xx on every endpoint: GET page, POST search, POST data source query', async () => {
    const { a, calls } = setup((_, path, n) => {
      if (n <= 2) return apiError(n === 1 ? 502 : 503, n === 1 ? 'bad_gateway' : 'service_unavailable');
      return path.startsWith('/v1/pages/') ? json(200, { object: 'page', id: PAGE_ID, properties: {} }) : emptyList();
    });
    await a.client.pages.retrieve({ page_id: PAGE_ID });
    await a.client.search({});
    await a.client.dataSources.query({ data_source_id: DATA_SOURCE_ID });
    expect(calls.map((c) => `${c.method} ${c.path}`)).toEqual([
      ...Array(3).fill(`GET /v1/pages/${PAGE_ID}`),
      ...Array(3).fill('POST /v1/search'),
      ...Array(3).fill(`POST /v1/data_sources/${DATA_SOURCE_ID}/query`),
    ]);
    expect(a.stats()).toMatchObject({ requests: 9, retries: 6 });
  });

  it('gives up after maxAttempts on a lasting 5xx with an unavailable error that counts the attempts', async () => {
    const { a, calls } = setup(() => apiError(503, 'service_unavailable'), { maxAttempts: 5 });
    const error = await a.client.dataSources
      .query({ data_source_id: DATA_SOURCE_ID })
      .catch((e: unknown) => toGatewayError(e, { baseUrl: a.baseUrl }));
    expect(calls).toHaveLength(5);
    expect(error).toBeInstanceOf(NotionGatewayError);
    expect(error).toMatchObject({
      kind: 'unavailable',
      status: 503,
      attempts: 5,
      userMessage:
        'The Notion API is temporarily unavailable (503 service_unavailable); gave up after 5 attempts. Try again later: service_unavailable happened.',
    });
  });

  it('says how many attempts were made for a lasting non-JSON 502 and for an endless 429', async () => {
    const html = setup(
      () => new Response('<html>Bad gateway</html>', { status: 502, headers: { 'content-type': 'text/html' } }),
      { maxAttempts: 3 },
    );
    const htmlError = await html.a.client
      .search({})
      .then(() => undefined)
      .catch((e: unknown) => toGatewayError(e, { baseUrl: html.a.baseUrl }));
    expect(htmlError).toMatchObject({ kind: 'unavailable', attempts: 3 });
    expect(htmlError?.userMessage).toBe(
      'The Notion API at https://api.notion.test/ answered HTTP 502 with an unexpected (non-JSON) body; gave up after 3 attempts. Try again later.',
    );

    const limited = setup(() => apiError(429, 'rate_limited', { 'retry-after': '1' }));
    const limitedError = await limited.a.client
      .search({})
      .then(() => undefined)
      .catch((e: unknown) => toGatewayError(e));
    expect(limitedError).toMatchObject({ kind: 'rate_limited', attempts: 21 });
    expect(limitedError?.userMessage).toMatch(/retry budget ran out \(21 attempts\)\. Notion asked to wait 1 s\.$/);
  });

  it('hands a breaker that stays open to the caller as an unavailable error, and exposes the breaker', async () => {
    const clock = fakeClock();
    const breaker = new CircuitBreaker({ ...clock, failureThreshold: 2, coolDownMs: 10 * 60_000, maxWaitMs: 60_000 });
    const { a, calls } = setup(() => apiError(500, 'internal_server_error'), { breaker, maxAttempts: 10 });
    const error = await a.client.search({}).catch((e: unknown) => toGatewayError(e));
    expect(a.breaker).toBe(breaker);
    expect(calls).toHaveLength(2);
    expect(error).toMatchObject({ kind: 'unavailable', code: 'circuit_open' });
    expect(breaker.stats()).toMatchObject({ state: 'open', opened: 1, gaveUp: 1 });
  });

  it('uses the shared per-token breaker by default and applies its settings', () => {
    const token = `secret_${randomUUID()}`;
    const gateway = createNotionGateway({ token, circuitBreaker: { failureThreshold: 4 } });
    expect(gateway.breaker).toBe(getSharedBreaker(token));
    expect(createNotionGateway({ token }).breaker).toBe(gateway.breaker);
  });
});
