import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_TOKEN, startTwin, type Twin } from '@/e2e/notion-twin';
import { createNotionGateway } from './notion-gateway';
import { RateLimiter } from './rate-limiter';

// Notion's current model: a budget per fixed window, spent at any pace, then 429 with
// Retry-After = time until the window resets, in whole seconds. Scaled down (3 s windows) so
// the test is quick.
const WINDOW_MS = 3000;
const BUDGET = 90;
const REQUESTS = 300;

let twin: Twin;
beforeAll(async () => {
  twin = await startTwin({ workspace: { pages: 3, databases: 0 }, rateLimit: { windowMs: WINDOW_MS, budget: BUDGET } });
});
afterAll(async () => {
  await twin.close();
});

async function run(limiter: RateLimiter): Promise<{ rateLimited: number; requests: number }> {
  twin.resetStats();
  const gateway = createNotionGateway({ token: DEFAULT_TOKEN, baseUrl: twin.url, limiter });
  let next = 0;
  // A few requests in flight, as the exporter keeps them.
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      while (next++ < REQUESTS) await gateway.client.users.me({});
    }),
  );
  return twin.stats();
}

describe('the limiter against a window budget (real SDK, real HTTP, the twin)', () => {
  it('learns the budget from the first 429 and stays under it: at most 2% of requests throttled', async () => {
    const limiter = new RateLimiter({ requestsPerSecond: 100, windowMs: WINDOW_MS });
    const stats = await run(limiter);
    expect(stats.requests - stats.rateLimited).toBe(REQUESTS);
    expect(stats.rateLimited / stats.requests).toBeLessThanOrEqual(0.02);
    const learned = limiter.learned();
    expect(learned.configured).toBe(100);
    const budgetPerSecond = (BUDGET * 1000) / WINDOW_MS;
    expect(learned.effective).toBeLessThanOrEqual(budgetPerSecond);
    expect(learned.effective).toBeGreaterThan(budgetPerSecond * 0.6);
  });
});
