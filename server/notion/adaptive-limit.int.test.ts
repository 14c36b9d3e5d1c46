import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_TOKEN, startTwin, type Twin, type TwinOptions } from '@/e2e/notion-twin';
import { createNotionGateway } from './notion-gateway';
import { RateLimiter } from './rate-limiter';

// The limiter's learning scales with its window: a 3-s window here makes Notion's minute-long
// episodes, climbs and probes twenty times quicker, so each case takes seconds.
const WINDOW_MS = 3000;

let twin: Twin | undefined;
afterEach(async () => {
  await twin?.close();
  twin = undefined;
});

/** `requests` users/me calls answered (429s retried), a few in flight as the exporter keeps them; the twin's counts and the time taken. */
async function run(options: Pick<TwinOptions, 'rateLimit' | 'latencyMs'>, limiter: RateLimiter, requests: number) {
  twin = await startTwin({ workspace: { pages: 3, databases: 0 }, ...options });
  const gateway = createNotionGateway({ token: DEFAULT_TOKEN, baseUrl: twin.url, limiter, maxAttempts: 20 });
  let next = 0;
  const started = Date.now();
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      while (next++ < requests) await gateway.client.users.me({});
    }),
  );
  const seconds = (Date.now() - started) / 1000;
  const stats = twin.stats();
  return { ...stats, seconds, acceptedPerSecond: (stats.requests - stats.rateLimited) / seconds };
}

describe('the limiter against Notion-like limits (real SDK, real HTTP, the twin)', () => {
  it('learns a window budget from the first 429 and stays under it: at most 2 % of requests throttled', async () => {
    // Notion's current model: a budget per fixed window, spent at any pace, then 429 with
    // Retry-After = time until the window resets, in whole seconds.
    const budget = 90;
    const limiter = new RateLimiter({ requestsPerSecond: 100, windowMs: WINDOW_MS });
    const stats = await run({ rateLimit: { windowMs: WINDOW_MS, budget } }, limiter, 300);
    expect(stats.requests - stats.rateLimited).toBe(300);
    expect(stats.rateLimited / stats.requests).toBeLessThanOrEqual(0.02);
    const learned = limiter.learned();
    expect(learned.configured).toBe(100);
    const budgetPerSecond = (budget * 1000) / WINDOW_MS;
    expect(learned.effective).toBeLessThanOrEqual(budgetPerSecond * 1.1);
    expect(learned.effective).toBeGreaterThan(budgetPerSecond * 0.6);
  });

  it('finds a token bucket below its budget and paces near it', async () => {
    // 20 a second allowed, 30 configured: the limiter comes down to about 20 and probes around it.
    // (Each 429 holds it for the twin's whole-second Retry-After, which the 3-s window makes
    // twenty times dearer than against Notion: the share used at full scale is rate-limiter.test.ts's.)
    const limiter = new RateLimiter({ requestsPerSecond: 30, windowMs: WINDOW_MS });
    const stats = await run({ rateLimit: { requestsPerSecond: 20, burst: 5 }, latencyMs: [5, 20] }, limiter, 400);
    expect(stats.requests - stats.rateLimited).toBe(400);
    expect(stats.rateLimited / stats.requests).toBeLessThanOrEqual(0.05);
    expect(stats.acceptedPerSecond).toBeLessThanOrEqual(20 + 5 / stats.seconds);
    expect(stats.acceptedPerSecond).toBeGreaterThanOrEqual(20 * 0.6);
    expect(limiter.learned().effective).toBeGreaterThan(20 * 0.85);
    expect(limiter.learned().effective).toBeLessThan(20 * 1.15);
  });

  it('at a budget equal to the limit (429s only from requests that arrive bunched), uses it with at most 1 % 429s', async () => {
    const limiter = new RateLimiter({ requestsPerSecond: 20, windowMs: WINDOW_MS });
    const stats = await run({ rateLimit: { requestsPerSecond: 20, burst: 20 }, latencyMs: [5, 40] }, limiter, 300);
    expect(stats.rateLimited / stats.requests).toBeLessThanOrEqual(0.01);
    expect(stats.acceptedPerSecond).toBeGreaterThanOrEqual(20 * 0.9);
    expect(stats.acceptedPerSecond).toBeLessThanOrEqual(20 + 20 / stats.seconds);
  });
});
