import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { type BreakerPermit, CircuitBreaker, type CircuitStateChange, getSharedBreaker } from './circuit-breaker';
import { NotionGatewayError } from './errors';

const flush = () => new Promise<void>((resolve) => setImmediate(resolve));

/** A clock that only moves when the test says so; `sleep` timers fire in `advance`. */
function manualClock() {
  let t = 0;
  const timers: { at: number; resolve: () => void }[] = [];
  return {
    now: () => t,
    sleep: (ms: number) => new Promise<void>((resolve) => timers.push({ at: t + ms, resolve })),
    async advance(ms: number) {
      const end = t + ms;
      for (;;) {
        await flush();
        timers.sort((a, b) => a.at - b.at);
        if (timers.length === 0 || timers[0]!.at > end) break;
        const timer = timers.shift()!;
        t = Math.max(t, timer.at);
        timer.resolve();
      }
      t = end;
      await flush();
    },
    pendingTimers: () => timers.length,
  };
}

function setup(options: ConstructorParameters<typeof CircuitBreaker>[0] = {}) {
  const clock = manualClock();
  const changes: CircuitStateChange[] = [];
  const breaker = new CircuitBreaker({
    failureThreshold: 3,
    now: clock.now,
    sleep: clock.sleep,
    onStateChange: (change) => changes.push(change),
    ...options,
  });
  /** Makes `n` failed attempts through the breaker. */
  const fail = async (n: number, reason = 'HTTP 503') => {
    for (let i = 0; i < n; i++) (await breaker.acquire()).failure(reason);
  };
  return { clock, breaker, changes, fail };
}

/** Starts an acquire and records when and how it settles. */
function track(promise: Promise<BreakerPermit>) {
  const result: { permit?: BreakerPermit; error?: unknown; settled: boolean } = { settled: false };
  promise.then(
    (permit) => Object.assign(result, { permit, settled: true }),
    (error: unknown) => Object.assign(result, { error, settled: true }),
  );
  return result;
}

describe('CircuitBreaker', () => {
  it('stays closed below the threshold; a success resets the count; rate limits count for nothing', async () => {
    const { breaker, fail } = setup();
    await fail(2);
    (await breaker.acquire()).success();
    await fail(2);
    (await breaker.acquire()).release(); // a 429: neither a failure nor a success
    expect(breaker.stats()).toMatchObject({ state: 'closed', consecutiveFailures: 2, opened: 0 });
    expect(breaker.state()).toBe('closed');
  });

  it('opens after N consecutive failures and says when the probe will go', async () => {
    const { clock, breaker, changes, fail } = setup();
    await clock.advance(1000);
    await fail(3, 'HTTP 502');
    expect(breaker.state()).toBe('open');
    expect(changes).toEqual([
      {
        from: 'closed',
        to: 'open',
        at: 1000,
        consecutiveFailures: 3,
        coolDownMs: 30_000,
        nextProbeAt: 31_000,
        lastFailure: 'HTTP 502',
      },
    ]);
    expect(breaker.stats()).toEqual({
      state: 'open',
      opened: 1,
      reopened: 0,
      probes: 0,
      consecutiveFailures: 3,
      nextProbeAt: 31_000,
      openSince: 1000,
      lastFailure: 'HTTP 502',
      waiting: 0,
      gaveUp: 0,
    });
  });

  it('holds requests while open, lets exactly one probe through, and releases everyone when it succeeds', async () => {
    const { clock, breaker, changes, fail } = setup();
    await fail(3);
    const waiting = [track(breaker.acquire()), track(breaker.acquire()), track(breaker.acquire())];
    await clock.advance(29_999);
    expect(waiting.map((w) => w.settled)).toEqual([false, false, false]);
    expect(breaker.stats().waiting).toBe(3);

    await clock.advance(1);
    expect(breaker.state()).toBe('half_open');
    expect(waiting.map((w) => w.settled)).toEqual([true, false, false]);
    const probe = waiting[0]!.permit!;
    expect(probe.probe).toBe(true);
    expect(probe.usable).toBe(true);
    // Newcomers queue behind the probe too.
    const late = track(breaker.acquire());
    await clock.advance(5000);
    expect([waiting[1]!.settled, waiting[2]!.settled, late.settled]).toEqual([false, false, false]);

    probe.success();
    probe.failure('ignored: a permit settles once');
    await flush();
    expect([waiting[1]!.permit?.probe, waiting[2]!.permit?.probe, late.permit?.probe]).toEqual([false, false, false]);
    expect(breaker.stats()).toMatchObject({ state: 'closed', consecutiveFailures: 0, probes: 1, openSince: null });
    expect(changes.map((c) => `${c.from}>${c.to}`)).toEqual(['closed>open', 'open>half_open', 'half_open>closed']);
    expect(probe.usable).toBe(false);
  });

  it('re-opens after a failed probe, doubling the cool-down up to the ceiling', async () => {
    const { clock, breaker, changes, fail } = setup({ coolDownMs: 30_000, maxCoolDownMs: 300_000 });
    await fail(3);
    const coolDowns: number[] = [];
    for (let i = 0; i < 6; i++) {
      const next = breaker.stats().nextProbeAt!;
      coolDowns.push(next - clock.now());
      const probe = track(breaker.acquire());
      await clock.advance(next - clock.now() - 1);
      expect(probe.settled).toBe(false);
      await clock.advance(1);
      expect(probe.permit?.probe).toBe(true);
      probe.permit!.failure('timeout');
    }
    expect(coolDowns).toEqual([30_000, 60_000, 120_000, 240_000, 300_000, 300_000]);
    expect(breaker.stats()).toMatchObject({ state: 'open', opened: 1, reopened: 6, probes: 6, lastFailure: 'timeout' });
    expect(changes.filter((c) => c.to === 'open').map((c) => c.coolDownMs)).toEqual([
      30_000, 60_000, 120_000, 240_000, 300_000, 300_000, 300_000,
    ]);

    // A successful probe resets the cool-down for the next outage.
    const probe = track(breaker.acquire());
    await clock.advance(300_000);
    probe.permit!.success();
    await fail(3);
    expect(breaker.stats().nextProbeAt! - clock.now()).toBe(30_000);
    expect(breaker.stats().opened).toBe(2);
  });

  it('hands the probe to the next waiter when the probe says nothing (429, abort)', async () => {
    const { clock, breaker, fail } = setup();
    await fail(3);
    const a = track(breaker.acquire());
    const b = track(breaker.acquire());
    await clock.advance(30_000);
    expect(a.permit?.probe).toBe(true);
    expect(b.settled).toBe(false);
    a.permit!.release();
    await flush();
    expect(b.permit?.probe).toBe(true);
    expect(breaker.state()).toBe('half_open');
    // With nobody waiting, the next caller becomes the probe at once.
    b.permit!.release();
    const c = await breaker.acquire();
    expect(c.probe).toBe(true);
    c.success();
    expect(breaker.state()).toBe('closed');
  });

  it('ignores late outcomes of attempts sent before it opened, and marks their permits unusable', async () => {
    const { clock, breaker, fail } = setup();
    const early = [await breaker.acquire(), await breaker.acquire()];
    await fail(3);
    expect(early.map((p) => p.usable)).toEqual([false, false]);
    early[0]!.success();
    early[1]!.failure('HTTP 500');
    expect(breaker.stats()).toMatchObject({ state: 'open', consecutiveFailures: 3, reopened: 0 });
    await clock.advance(30_000);
    expect(breaker.state()).toBe('half_open');
  });

  it('gives up on a waiter after maxWaitMs with an unavailable error, without getting stuck', async () => {
    const { clock, breaker, fail } = setup({ maxWaitMs: 10 * 60_000, coolDownMs: 20 * 60_000 });
    await fail(3, 'ECONNRESET');
    const first = track(breaker.acquire());
    await clock.advance(60_000);
    const second = track(breaker.acquire());
    await clock.advance(9 * 60_000 - 1);
    expect([first.settled, second.settled]).toEqual([false, false]);
    await clock.advance(1);
    expect(first.error).toBeInstanceOf(NotionGatewayError);
    expect(first.error).toMatchObject({
      kind: 'unavailable',
      code: 'circuit_open',
      retryable: true,
      userMessage:
        'The Notion API kept failing (3 failed attempts in a row; last: ECONNRESET), so requests were held back; gave up after waiting 10 min for it to recover. Try again later.',
    });
    expect(second.settled).toBe(false);
    await clock.advance(60_000);
    expect(second.error).toBeInstanceOf(NotionGatewayError);
    expect(breaker.stats()).toMatchObject({ gaveUp: 2, waiting: 0, state: 'open' });

    // A newcomer after the cool-down still gets to probe.
    const next = track(breaker.acquire());
    await clock.advance(10 * 60_000);
    expect(next.permit?.probe).toBe(true);
    next.permit!.success();
    expect(breaker.state()).toBe('closed');
  });

  it('rotates the probe among waiters, so each request keeps its place and its own attempt budget', async () => {
    const { clock, breaker, fail } = setup({ coolDownMs: 1000, maxCoolDownMs: 1000 });
    await fail(3);
    const turns: string[] = [];
    const request = async (name: string, attempts: number) => {
      for (let i = 0; i < attempts; i++) {
        const permit = await breaker.acquire();
        turns.push(`${name}${permit.probe ? '?' : ''}`);
        if (i < attempts - 1) permit.failure('HTTP 503');
        else permit.success();
      }
    };
    const all = Promise.all([request('a', 2), request('b', 2), request('c', 1)]);
    await clock.advance(10_000);
    await all;
    expect(turns).toEqual(['a?', 'b?', 'c?', 'a', 'b']);
  });

  it('stops waiting when the caller aborts', async () => {
    const { clock, breaker, fail } = setup();
    const aborted = new AbortController();
    aborted.abort(new Error('already'));
    await expect(breaker.acquire(aborted.signal)).rejects.toThrow('already');
    await fail(3);
    const controller = new AbortController();
    const waiter = track(breaker.acquire(controller.signal));
    const other = track(breaker.acquire(new AbortController().signal));
    await clock.advance(10_000);
    controller.abort(new Error('export cancelled'));
    await flush();
    expect((waiter.error as Error).message).toBe('export cancelled');
    expect(breaker.stats().waiting).toBe(1);
    await clock.advance(20_000);
    expect(other.permit?.probe).toBe(true);
    other.permit!.success();
    expect(breaker.stats().waiting).toBe(0);
  });

  it('turns half-open lazily when asked after the cool-down, with nobody waiting', async () => {
    const { clock, breaker, changes, fail } = setup();
    await fail(3);
    expect(clock.pendingTimers()).toBe(0); // no timer runs while nobody waits
    await clock.advance(45_000);
    expect(breaker.stats()).toMatchObject({ state: 'half_open', nextProbeAt: null, openSince: 0 });
    expect(changes.at(-1)).toMatchObject({ from: 'open', to: 'half_open', at: 45_000, nextProbeAt: null });
  });

  it('keeps requests flowing when a state-change listener throws, and unsubscribes', async () => {
    const { breaker, fail } = setup();
    const seen: string[] = [];
    const unsubscribe = breaker.onStateChange((change) => {
      seen.push(change.to);
      throw new Error('listener bug');
    });
    await fail(3);
    unsubscribe();
    expect(seen).toEqual(['open']);
    expect(breaker.state()).toBe('open');
  });

  it('validates and changes its settings', async () => {
    expect(() => new CircuitBreaker({ failureThreshold: 0 })).toThrow(RangeError);
    expect(() => new CircuitBreaker({ coolDownMs: 10, maxCoolDownMs: 5 })).toThrow(RangeError);
    expect(() => new CircuitBreaker({ maxWaitMs: 0 })).toThrow(RangeError);
    expect(new CircuitBreaker({ coolDownMs: 600_000 }).stats().state).toBe('closed');
    const { breaker, fail } = setup();
    breaker.configure({ failureThreshold: 5 });
    expect(() => breaker.configure({ failureThreshold: 1.5 })).toThrow(RangeError);
    await fail(4);
    expect(breaker.state()).toBe('closed');
    await fail(1);
    expect(breaker.state()).toBe('open');
  });

  it('works with the real clock', async () => {
    const breaker = new CircuitBreaker({ failureThreshold: 1, coolDownMs: 5, maxWaitMs: 1000 });
    (await breaker.acquire()).failure('HTTP 500');
    const started = Date.now();
    const probe = await breaker.acquire();
    expect(Date.now() - started).toBeGreaterThanOrEqual(4);
    expect(probe.probe).toBe(true);
    probe.success();
  });
});

describe('getSharedBreaker', () => {
  it('shares one breaker per token and applies new settings to it', async () => {
    const token = `secret_${randomUUID()}`;
    const a = getSharedBreaker(token);
    expect(getSharedBreaker(token)).toBe(a);
    expect(getSharedBreaker(`${token}-other`)).not.toBe(a);
    expect(getSharedBreaker(token, { failureThreshold: 1 })).toBe(a);
    (await a.acquire()).failure('HTTP 500');
    expect(a.state()).toBe('open');
  });
});
