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

  it('slows by 5 % after a lone short Retry-After; when they keep coming, to what the API accepted since the last one', async () => {
    const clock = fakeClock();
    const limiter = new RateLimiter({ requestsPerSecond: 3, ...clock });
    await send(limiter, clock, 30);
    limiter.rateLimited(1000);
    expect(limiter.learned().effective).toBeCloseTo(2.85, 5);
    limiter.rateLimited(1000); // same episode
    expect(limiter.stats()).toMatchObject({ rateLimited: 2, slowdowns: 1 });
    // After the 1-s pause, 2 a second accepted over the next 10 s, then another 429: they keep coming.
    const from = clock.now();
    clock.advance(1000);
    for (let i = 0; i < 20; i++) {
      await limiter.acquire();
      clock.advance(500);
    }
    expect(clock.now() - from).toBe(11_000);
    limiter.rateLimited(1000);
    // 20 sent in 11 s, less the 3 answers that refused: about 1.55 a second.
    expect(limiter.learned().effective).toBeGreaterThan(1.5);
    expect(limiter.learned().effective).toBeLessThan(1.65);
    expect(limiter.stats().slowdowns).toBe(2);
    // Jitter rather than a limit: two answers 20 s apart with the pace accepted in between (but
    // for the 1-s pause) slow it by about 5 %.
    clock.advance(40_000);
    limiter.rateLimited(1000);
    const pace = limiter.learned().effective;
    const start = clock.now();
    while (clock.now() < start + 20_000) await limiter.acquire();
    limiter.rateLimited(1000);
    expect(limiter.learned().effective).toBeGreaterThan(pace * 0.9);
    expect(limiter.learned().effective).toBeLessThanOrEqual(pace * 0.95);
  });

  it('while short 429s never stop, slows once per episode of a few seconds, down to what the API accepted', async () => {
    const clock = fakeClock();
    const limiter = new RateLimiter({ requestsPerSecond: 10, ...clock });
    limiter.rateLimited(1000);
    expect(limiter.learned().effective).toBeCloseTo(9.5, 5); // lone: 5 %
    // The API accepts 6 a second and refuses the rest, 429 after 429: one episode in 5 s.
    for (let second = 1; second <= 10; second++) {
      await send(limiter, clock, 6);
      clock.advance(second * 1000 - clock.now());
      limiter.rateLimited(1000);
    }
    expect(limiter.stats().slowdowns).toBe(3);
    // 6 a second sent, one of them refused each second: about 5 a second accepted.
    expect(limiter.learned().effective).toBeGreaterThan(4.4);
    expect(limiter.learned().effective).toBeLessThan(5.1);
    // Nothing accepted between two episodes: at most half as fast at once.
    clock.advance(6_000);
    const before = limiter.learned().effective;
    limiter.rateLimited(1000);
    expect(limiter.learned().effective).toBeCloseTo(before / 2, 5);
  });

  it('climbs back quickly near the rate found too high, then probes above it in growing steps, up to the budget', async () => {
    const clock = fakeClock();
    const limiter = new RateLimiter({ requestsPerSecond: 2, ...clock });
    await send(limiter, clock, 30);
    limiter.rateLimited(45_000); // a window budget ran out: 29 accepted in 60 s
    const tooHigh = 29 / 60;
    expect(limiter.learned().effective).toBeCloseTo(0.95 * tooHigh, 5);
    const at = (ms: number) => {
      clock.advance(ms);
      return limiter.learned().effective;
    };
    expect(at(9_999)).toBeCloseTo(0.95 * tooHigh, 5); // quiet for 10 s first
    expect(at(1)).toBeCloseTo(0.97 * tooHigh, 5); // +2 % of it
    expect(at(5_000)).toBeCloseTo(0.98 * tooHigh, 5); // and up to 98 % of it
    expect(at(59_999)).toBeCloseTo(0.98 * tooHigh, 5);
    expect(at(1)).toBeCloseTo(0.99 * tooHigh, 5); // a quiet window later: the first probe, 1 %
    expect(at(60_000)).toBeCloseTo(1.01 * tooHigh, 5); // then 2 %, 4 %, 8 %, 8 %…
    expect(at(60_000)).toBeCloseTo(1.05 * tooHigh, 5);
    expect(at(60_000)).toBeCloseTo(1.13 * tooHigh, 5);
    expect(at(60_000)).toBeCloseTo(1.21 * tooHigh, 5);
    // …and the budget once the steps reach it (at most: never above it), the lesson forgotten.
    clock.advance(60 * 60_000);
    expect(limiter.learned()).toMatchObject({ effective: 2, configured: 2 });
    limiter.rateLimited(1000); // a lone short answer long after: 5 % less than the budget
    expect(limiter.learned().effective).toBeCloseTo(1.9, 5);
  });

  it('an isolated short answer does not lower the rate known too high (jitter cannot ratchet it down); recurring ones do', async () => {
    const clock = fakeClock();
    const limiter = new RateLimiter({ requestsPerSecond: 3, ...clock });
    await send(limiter, clock, 61);
    limiter.rateLimited(40_000); // 60 accepted in the window: 1/s is too high, paced at 0.95
    expect(limiter.learned().effective).toBeCloseTo(0.95, 5);
    clock.advance(6_000); // after the episode
    limiter.rateLimited(1000); // the first short one: isolated
    expect(limiter.learned().effective).toBeCloseTo(0.9025, 5);
    clock.advance(40_000);
    expect(limiter.learned().effective).toBeCloseTo(0.98, 5); // back to 98 % of 1/s, not of 0.95
    clock.advance(20_000);
    limiter.rateLimited(1000); // another a minute later: recurring, so 0.98 is too high now
    expect(limiter.learned().effective).toBeCloseTo(0.98 * 0.95, 5);
    clock.advance(30_000);
    expect(limiter.learned().effective).toBeCloseTo(0.98 * 0.98, 5);
  });
});

type Answer = (now: number) => number | undefined;

/** Notion's long-standing limit: a token bucket; refused requests get Retry-After in whole seconds. */
function tokenBucket(rate: number, burst: number): Answer {
  let tokens = burst;
  let at = 0;
  return (now) => {
    tokens = Math.min(burst, tokens + ((now - at) * rate) / 1000);
    at = now;
    if (tokens >= 1) {
      tokens -= 1;
      return undefined;
    }
    return Math.max(1, Math.ceil((1 - tokens) / rate)) * 1000;
  };
}

/** Notion's current limit: a budget per window; refused requests wait for the window's end. */
function windowBudget(windowMs: number, budget: number): Answer {
  let start = Number.NEGATIVE_INFINITY;
  let used = 0;
  return (now) => {
    if (now >= start + windowMs) {
      start = now;
      used = 0;
    }
    if (used < budget) {
      used++;
      return undefined;
    }
    return Math.max(1, Math.ceil((start + windowMs - now) / 1000)) * 1000;
  };
}

/**
 * An export's requests one after another for `minutes` of virtual time against `answer`;
 * `spurious` (ms) are the times of extra short 429s whatever the pace (jitter: requests that arrive bunched).
 */
async function simulate(answer: Answer, configured: number, minutes: number, spurious: number[] = []) {
  const clock = fakeClock();
  const limiter = new RateLimiter({ requestsPerSecond: configured, ...clock });
  let accepted = 0;
  let refused = 0;
  const jitter = [...spurious];
  while (clock.now() < minutes * 60_000) {
    await limiter.acquire();
    const now = clock.now();
    let retryAfter = answer(now);
    if (retryAfter === undefined && jitter.length > 0 && now >= (jitter[0] ?? 0)) {
      jitter.shift();
      retryAfter = 1000;
    }
    if (retryAfter === undefined) accepted++;
    else {
      refused++;
      limiter.rateLimited(retryAfter);
    }
  }
  return { perSecond: accepted / (clock.now() / 1000), refusedShare: refused / (accepted + refused) };
}

describe('the rule against Notion-like limits (30 minutes of virtual time)', () => {
  it('a token bucket below the budget (2.5/s against 3): ≥ 95 % of it used, ≤ 1 % refused', async () => {
    const run = await simulate(tokenBucket(2.5, 3), 3, 30);
    expect(run.perSecond / 2.5).toBeGreaterThanOrEqual(0.95);
    expect(run.perSecond).toBeLessThanOrEqual(2.5 + 3 / 1800);
    expect(run.refusedShare).toBeLessThanOrEqual(0.01);
  });

  it('a window budget (150 per 60 s against 3/s): ≥ 95 % used, ≤ 1 % refused', async () => {
    const run = await simulate(windowBudget(60_000, 150), 3, 30);
    expect(run.perSecond / 2.5).toBeGreaterThanOrEqual(0.95);
    expect(run.refusedShare).toBeLessThanOrEqual(0.01);
  });

  it('a token bucket far below the budget (1/s against 3): found within a minute, ≥ 95 % used, ≤ 1.5 % refused', async () => {
    const run = await simulate(tokenBucket(1, 1), 3, 30);
    expect(run.perSecond).toBeGreaterThanOrEqual(0.95);
    expect(run.refusedShare).toBeLessThanOrEqual(0.015);
  });

  it('the budget itself with two spurious short 429s 20 s apart every 10 minutes: ≥ 95 % of the budget used', async () => {
    // As the twin's latency made them for one token in the parallel bench (the old rule then idled 20 % of the time).
    const spurious = Array.from({ length: 3 }, (_, i) => [i * 600_000 + 60_000, i * 600_000 + 80_000]).flat();
    const run = await simulate(tokenBucket(3, 3), 3, 30, spurious);
    expect(run.perSecond / 3).toBeGreaterThanOrEqual(0.95);
    expect(run.refusedShare).toBeLessThanOrEqual(0.01);
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
