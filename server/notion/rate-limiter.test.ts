import { describe, expect, it } from 'vitest';
import { fakeClock } from '@/server/testing/fake-clock';
import { getSharedLimiter, RATE_WINDOW_MS, RateLimiter } from './rate-limiter';


async function acquireTimes(limiter: RateLimiter, clock: { now: () => number }, count: number) {
  const times: number[] = [];
  await Promise.all(
    Array.from({ length: count }, async (_, i) => {
      await limiter.acquire();
      times[i] = clock.now();
    }),
  );
  return times;
}

/** Sends `count` requests one after another, as fast as the limiter lets them go; returns the last send time. */
async function send(limiter: RateLimiter, clock: { now: () => number }, count: number): Promise<number> {
  for (let i = 0; i < count; i++) await limiter.acquire();
  return clock.now();
}

describe('RateLimiter learning from 429/529', () => {
  it('learns a 60-second window budget from a long Retry-After and paces just under it', async () => {
    const clock = fakeClock();
    const limiter = new RateLimiter({ requestsPerSecond: 3, ...clock });
    // A budget of 120 per window runs out 40 s into the window at 3 requests/s.
    await send(limiter, clock, 120);
    expect(clock.now()).toBeLessThan(40_000);
    limiter.rateLimited(20_000);
    limiter.rateLimited(20_000); // the other requests in flight: same episode
    const learned = limiter.learned();
    expect(learned.windowEstimate).toBe(119); // sent, less the one refused
    expect(learned.effective).toBeCloseTo((0.95 * 119) / 60, 5);
    expect(learned.configured).toBe(3);
    expect(limiter.stats()).toMatchObject({ rateLimited: 2, slowdowns: 1 });
    // The pause is honoured, then the next window gets fewer requests than the budget.
    const pausedUntil = clock.now() + 20_000;
    await limiter.acquire();
    expect(clock.now()).toBeGreaterThanOrEqual(pausedUntil);
    const windowStart = clock.now();
    let inWindow = 1;
    while (clock.now() < windowStart + RATE_WINDOW_MS) {
      await limiter.acquire();
      inWindow++;
    }
    expect(inWindow).toBeLessThanOrEqual(120);
    expect(inWindow).toBeGreaterThan(110);
  });

  it('never paces above the configured budget, and a lower budget set at run time wins', async () => {
    const clock = fakeClock();
    const limiter = new RateLimiter({ requestsPerSecond: 3, ...clock });
    await send(limiter, clock, 50);
    limiter.rateLimited(30_000); // 49 accepted in the window: 0.78/s
    expect(limiter.learned().effective).toBeCloseTo(0.776, 2);
    limiter.setRate(0.5);
    expect(limiter.learned()).toMatchObject({ effective: 0.5, configured: 0.5 });
    limiter.setRate(3); // raising the budget again: the learned pace still holds
    expect(limiter.learned().effective).toBeCloseTo(0.776, 2);
    expect(limiter.requestsPerSecond).toBe(3);
  });

  it('shrugs off one short Retry-After, slows by a fifth when they keep coming', async () => {
    const clock = fakeClock();
    const limiter = new RateLimiter({ requestsPerSecond: 3, ...clock });
    await send(limiter, clock, 10);
    limiter.rateLimited(1000);
    expect(limiter.learned().effective).toBe(3);
    clock.advance(10_000);
    limiter.rateLimited(1000);
    expect(limiter.learned().effective).toBeCloseTo(2.4, 5);
    clock.advance(40_000); // 40 s after the last short one: a new, lone answer
    limiter.rateLimited(1000);
    expect(limiter.learned().effective).toBeCloseTo(2.4, 5);
  });

  it('keeps slowing while short 429s never stop, one step per episode of a few seconds', async () => {
    const clock = fakeClock();
    const limiter = new RateLimiter({ requestsPerSecond: 10, ...clock });
    const paces: number[] = [];
    for (let second = 0; second < 20; second++) {
      limiter.rateLimited(1000); // Notion allows less than 10/s: a 429 every second
      paces.push(limiter.learned().effective);
      clock.advance(1000);
    }
    // The first is shrugged off; every 5 s after it a new episode lowers the pace by a fifth.
    expect(paces[4]).toBe(10);
    expect(paces[5]).toBeCloseTo(8, 5);
    expect(paces[10]).toBeCloseTo(6.4, 5);
    expect(paces[19]).toBeCloseTo(5.12, 5);
    expect(limiter.stats()).toMatchObject({ rateLimited: 20, slowdowns: 3 });
  });

  it('climbs back to the configured rate after quiet minutes', async () => {
    const clock = fakeClock();
    const limiter = new RateLimiter({ requestsPerSecond: 2, ...clock });
    await send(limiter, clock, 30);
    limiter.rateLimited(45_000);
    const low = limiter.learned().effective;
    expect(low).toBeLessThan(1);
    clock.advance(299_000);
    expect(limiter.learned().effective).toBe(low);
    clock.advance(2000);
    expect(limiter.learned().effective).toBeCloseTo(low + 0.1, 5);
    for (let step = 0; step < 40; step++) {
      clock.advance(301_000);
      limiter.learned();
    }
    expect(limiter.learned().effective).toBe(2);
  });
});

describe('RateLimiter', () => {
  it('spaces requests at the configured rate once the burst is spent', async () => {
    const clock = fakeClock();
    const limiter = new RateLimiter({ requestsPerSecond: 2, burst: 1, ...clock });
    expect(await acquireTimes(limiter, clock, 4)).toEqual([0, 500, 1000, 1500]);
  });

  it('lets a burst through at once, then refills at the rate', async () => {
    const clock = fakeClock();
    const limiter = new RateLimiter({ requestsPerSecond: 1, burst: 3, ...clock });
    expect(await acquireTimes(limiter, clock, 5)).toEqual([0, 0, 0, 1000, 2000]);
  });

  it('defaults the burst to the rate rounded up and refills while idle', async () => {
    const clock = fakeClock();
    const limiter = new RateLimiter({ requestsPerSecond: 2.5, ...clock });
    expect(await acquireTimes(limiter, clock, 4)).toEqual([0, 0, 0, 400]);
    clock.advance(10_000);
    const start = clock.now();
    const times = await acquireTimes(limiter, clock, 3);
    expect(times.map((t) => t - start)).toEqual([0, 0, 0]);
  });

  it('serves waiters first come, first served', async () => {
    const clock = fakeClock();
    const limiter = new RateLimiter({ requestsPerSecond: 5, burst: 1, ...clock });
    const order: number[] = [];
    await Promise.all(
      Array.from({ length: 6 }, async (_, i) => {
        await limiter.acquire();
        order.push(i);
      }),
    );
    expect(order).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('pauseFor blocks every acquire until the pause ends, then restarts at the normal spacing', async () => {
    const clock = fakeClock();
    const limiter = new RateLimiter({ requestsPerSecond: 10, burst: 5, ...clock });
    limiter.pauseFor(5000);
    expect(await acquireTimes(limiter, clock, 3)).toEqual([5000, 5100, 5200]);
    expect(limiter.stats()).toMatchObject({ pausedMs: 5000, pauses: 1, acquired: 3 });
  });

  it('a pause that arrives while requests wait holds them too, and shorter pauses do not shorten it', async () => {
    const clock = fakeClock();
    const limiter = new RateLimiter({ requestsPerSecond: 1, burst: 1, ...clock });
    const times: number[] = [];
    const first = limiter.acquire().then(() => times.push(clock.now()));
    const second = limiter.acquire().then(() => times.push(clock.now()));
    await first;
    limiter.pauseFor(3000); // a 429 seen by the first request
    limiter.pauseFor(1000); // ignored: already paused longer
    const third = limiter.acquire().then(() => times.push(clock.now()));
    await Promise.all([second, third]);
    expect(times).toEqual([0, 3000, 4000]);
    expect(limiter.stats()).toMatchObject({ pauses: 1, pausedMs: 3000 });
    limiter.pauseFor(0);
    expect(limiter.stats().pauses).toBe(1);
  });

  it('extending a running pause only counts the extra time', () => {
    const clock = fakeClock();
    const limiter = new RateLimiter({ requestsPerSecond: 1, ...clock });
    limiter.pauseFor(1000);
    clock.advance(500);
    limiter.pauseFor(1000);
    expect(limiter.stats()).toMatchObject({ pauses: 2, pausedMs: 1500 });
  });

  it('setRate changes the spacing at run time', async () => {
    const clock = fakeClock();
    const limiter = new RateLimiter({ requestsPerSecond: 1, ...clock });
    expect(await acquireTimes(limiter, clock, 2)).toEqual([0, 1000]);
    limiter.setRate(10);
    expect(limiter.requestsPerSecond).toBe(10);
    const start = clock.now();
    const times = await acquireTimes(limiter, clock, 3);
    expect(times.map((t) => t - start)).toEqual([100, 200, 300]);
  });

  it('setRate takes effect for a waiter that is already queued (within a second)', async () => {
    const clock = fakeClock();
    const limiter = new RateLimiter({ requestsPerSecond: 0.01, burst: 1, ...clock });
    await limiter.acquire();
    const waiting = limiter.acquire().then(() => clock.now());
    await new Promise((resolve) => setImmediate(resolve));
    const changedAt = clock.now();
    limiter.setRate(100);
    expect((await waiting) - changedAt).toBeLessThanOrEqual(1000);
  });

  it('keeps an explicit burst when the rate changes', async () => {
    const clock = fakeClock();
    const limiter = new RateLimiter({ requestsPerSecond: 1, burst: 2, ...clock });
    limiter.setRate(50);
    expect(await acquireTimes(limiter, clock, 3)).toEqual([0, 0, 20]);
  });

  it('reports how long callers waited', async () => {
    const clock = fakeClock();
    const limiter = new RateLimiter({ requestsPerSecond: 4, burst: 1, ...clock });
    await acquireTimes(limiter, clock, 3);
    expect(limiter.stats()).toEqual({ acquired: 3, waitedMs: 250 + 500, pausedMs: 0, pauses: 0, rateLimited: 0, slowdowns: 0 });
  });

  it('rejects an acquire whose signal aborts, and the queue moves on', async () => {
    const clock = fakeClock();
    const limiter = new RateLimiter({ requestsPerSecond: 1, burst: 1, ...clock });
    await limiter.acquire();
    const controller = new AbortController();
    const aborted = limiter.acquire(controller.signal);
    const next = limiter.acquire().then(() => clock.now());
    controller.abort(new Error('cancelled'));
    await expect(aborted).rejects.toThrow('cancelled');
    expect(await next).toBe(1000);
    await expect(limiter.acquire(AbortSignal.abort(new Error('already')))).rejects.toThrow('already');
    const ok = new AbortController();
    await limiter.acquire(ok.signal);
    expect(limiter.stats().acquired).toBe(3);
  });

  it('rejects a rate that is not positive', () => {
    expect(() => new RateLimiter({ requestsPerSecond: 0 })).toThrow(RangeError);
    const limiter = new RateLimiter({ requestsPerSecond: 1 });
    expect(() => limiter.setRate(Number.NaN)).toThrow(RangeError);
  });

  it('works with the real clock', async () => {
    const limiter = new RateLimiter({ requestsPerSecond: 500, burst: 1 });
    const started = Date.now();
    await Promise.all([limiter.acquire(), limiter.acquire(), limiter.acquire()]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(3);
  });
});

describe('getSharedLimiter', () => {
  it('returns one limiter per token for the whole process, keyed by a hash of the token', () => {
    const token = `secret_${Math.random().toString(36).slice(2)}`;
    const a = getSharedLimiter(token, 3);
    const b = getSharedLimiter(token, 3);
    const other = getSharedLimiter(`${token}-other`, 3);
    expect(a).toBe(b);
    expect(other).not.toBe(a);

    const holder = globalThis as unknown as Record<symbol, Map<string, RateLimiter>>;
    const keys = [...holder[Symbol.for('notion-sync.notion.rate-limiters')].keys()];
    expect(keys.some((key) => key.includes(token))).toBe(false);
    expect(keys.every((key) => /^[0-9a-f]{64}$/.test(key))).toBe(true);
  });

  it('asking with another rate changes the shared limiter', () => {
    const token = `secret_${Math.random().toString(36).slice(2)}`;
    const limiter = getSharedLimiter(token, 3);
    expect(getSharedLimiter(token, 5)).toBe(limiter);
    expect(limiter.requestsPerSecond).toBe(5);
  });
});
