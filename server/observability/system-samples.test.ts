import { afterEach, describe, expect, it } from 'vitest';
import { manualClock } from '@/server/testing/fake-clock';
import { requestTestExport, seedConnections } from '@/server/testing/seed';
import { createTestContext, type TestContext } from '@/server/testing/test-context';
import type { ConnectionSnapshot, HistogramSnapshot, MetricSnapshot } from './metric-snapshot';
import { notionRequestMetrics } from './notion-metrics';
import {
  counterIncrease,
  followSamples,
  histogramIncrease,
  MAX_SAMPLED_CONNECTIONS,
  type OutcomeCounts,
  outcomeOfStatus,
  readRequestOutcomes,
  SAMPLE_CAPACITY,
  SampleRing,
  type SystemReading,
  type SystemSample,
  SystemSampler,
  sampleBetween,
  systemReader,
} from './system-samples';

const BOUNDS = [0.1, 0.5, 1, Number.POSITIVE_INFINITY];

/** A cumulative histogram from the number of observations in each bucket (not cumulative). */
function histogram(perBucket: number[]): HistogramSnapshot {
  let running = 0;
  const counts = perBucket.map((n) => (running += n));
  return { bounds: BOUNDS, counts, count: running, sumSeconds: 0 };
}

const outcomes = (partial: Partial<OutcomeCounts> = {}): OutcomeCounts => ({
  ok: 0,
  rateLimited: 0,
  overloaded: 0,
  tokenRefused: 0,
  refused: 0,
  serverError: 0,
  noAnswer: 0,
  ...partial,
});

interface ReadingParts {
  at: number;
  connections?: ConnectionSnapshot[];
  latency?: number[];
  exported?: number;
  failed?: number;
  outcomes?: Record<string, Partial<OutcomeCounts>>;
  queue?: MetricSnapshot['queue'];
  disk?: SystemReading['disk'];
}

/** A reading made by hand: what the process would have counted by `at`. */
function reading(parts: ReadingParts): SystemReading {
  return {
    snapshot: {
      at: parts.at,
      connections: parts.connections ?? [],
      notionLatency: histogram(parts.latency ?? [0, 0, 0, 0]),
      items: { exported: parts.exported ?? 0, failed: parts.failed ?? 0 },
      ...(parts.queue ? { queue: parts.queue } : {}),
      memory: { rssBytes: 80e6, heapUsedBytes: 30e6 },
      eventLoopLagMs: 3,
    },
    outcomes: new Map(Object.entries(parts.outcomes ?? {}).map(([id, o]) => [id, outcomes(o)])),
    ...(parts.disk ? { disk: parts.disk } : {}),
  };
}

describe('workspaces in a sample', () => {
  it("sums the requests of a workspace's connections, counts its workspace 429s, and keeps its limit as this process applies it", () => {
    const team = { key: 'team', budgetPerSecond: 9, sharedBy: 2, sharePerSecond: 4.5, pacedPerSecond: 4.5 };
    const before = reading({
      at: 10_000,
      connections: [
        { connectionId: 'c1', requests: 100, rateLimited: 1, workspaceRateLimited: 1, workspace: team },
        { connectionId: 'c2', requests: 50, rateLimited: 0, workspace: team },
        { connectionId: 'c3', requests: 10, rateLimited: 0 },
      ],
    });
    const after = reading({
      at: 12_000,
      connections: [
        { connectionId: 'c1', requests: 106, rateLimited: 3, workspaceRateLimited: 2, workspace: team },
        { connectionId: 'c2', requests: 54, rateLimited: 1, workspaceRateLimited: 1, workspace: { ...team, pacedPerSecond: 4 } },
        { connectionId: 'c3', requests: 14, rateLimited: 0 },
      ],
    });
    expect(sampleBetween(before, after).workspaces).toEqual([
      {
        key: 'team',
        connectionIds: ['c1', 'c2'],
        requests: 10,
        requestsPerSecond: 5,
        rateLimited: 2,
        rateLimitedPerSecond: 1,
        budgetPerSecond: 9,
        sharedBy: 2,
        sharePerSecond: 4.5,
        pacedPerSecond: 4.5,
      },
    ]);
    // No connection with a known workspace: none.
    expect(sampleBetween(reading({ at: 1 }), reading({ at: 2, connections: [{ connectionId: 'c3', requests: 1, rateLimited: 0 }] })).workspaces).toEqual([]);
  });
});

describe('sample maths', () => {
  it('takes rates per second over the interval, and the p95 from the bucket deltas of the interval only', () => {
    // Before: 1000 fast requests; in the interval: 20 more, 5 of them slow (0.5–1 s).
    const before = reading({
      at: 10_000,
      connections: [{ connectionId: 'c1', requests: 1000, rateLimited: 0, budgetPerSecond: 3, pacedPerSecond: 3, breaker: 'closed' }],
      latency: [1000, 0, 0, 0],
      exported: 50,
      outcomes: { c1: { ok: 1000 } },
    });
    const after = reading({
      at: 12_000,
      connections: [{ connectionId: 'c1', requests: 1020, rateLimited: 2, budgetPerSecond: 3, pacedPerSecond: 2.5, breaker: 'closed' }],
      latency: [1015, 0, 5, 0],
      exported: 53,
      failed: 1,
      outcomes: { c1: { ok: 1018, rateLimited: 2 } },
      queue: { due: 1, scheduled: 2, activeLeases: 1 },
      disk: { freeBytes: 10, sizeBytes: 100 },
    });
    const sample = sampleBetween(before, after);
    expect(sample).toMatchObject({
      at: 12_000,
      seconds: 2,
      pagesPerSecond: 2,
      queue: { due: 1, scheduled: 2, activeLeases: 1 },
      memory: { rssBytes: 80e6, heapUsedBytes: 30e6 },
      eventLoopLagMs: 3,
      disk: { freeBytes: 10, sizeBytes: 100 },
    });
    expect(sample.connections).toEqual([
      {
        connectionId: 'c1',
        requests: 20,
        requestsPerSecond: 10,
        rateLimited: 2,
        rateLimitedPerSecond: 1,
        outcomes: outcomes({ ok: 18, rateLimited: 2 }),
        budgetPerSecond: 3,
        pacedPerSecond: 2.5,
        breaker: 'closed',
      },
    ]);
    // 15 of 20 under 0.1 s, 5 in 0.5–1 s: rank 19 falls in the slow bucket (0.5 + 0.5 · 4/5 = 0.9 s).
    // Over the whole histogram (1015 fast of 1020) it would be under 0.1 s.
    expect(sample.notionLatencyP95Ms).toBeCloseTo(900);
  });

  it('has no p95 for an interval without requests', () => {
    const sample = sampleBetween(reading({ at: 0, latency: [5, 0, 0, 0] }), reading({ at: 2000, latency: [5, 0, 0, 0] }));
    expect(sample.notionLatencyP95Ms).toBeUndefined();
    expect(sample.pagesPerSecond).toBe(0);
    expect(sample).not.toHaveProperty('queue');
    expect(sample).not.toHaveProperty('disk');
  });

  it('counts a counter that went down as reset: what it holds now happened since', () => {
    expect(counterIncrease(30, 20)).toBe(10);
    expect(counterIncrease(7, 500)).toBe(7);
    expect(counterIncrease(4, undefined)).toBe(4);
    const before = reading({
      at: 0,
      connections: [{ connectionId: 'c1', requests: 500, rateLimited: 9 }],
      latency: [400, 100, 0, 0],
      exported: 300,
      outcomes: { c1: { ok: 491, rateLimited: 9 } },
    });
    const after = reading({
      at: 4000,
      connections: [{ connectionId: 'c1', requests: 8, rateLimited: 0 }],
      latency: [0, 0, 8, 0],
      exported: 4,
      outcomes: { c1: { ok: 8 } },
    });
    const sample = sampleBetween(before, after);
    expect(sample.connections[0]).toMatchObject({ requests: 8, requestsPerSecond: 2, rateLimited: 0, outcomes: outcomes({ ok: 8 }) });
    expect(sample.pagesPerSecond).toBe(1);
    // All 8 since the reset were slow: the p95 is in the 0.5–1 s bucket, not a difference gone negative.
    expect(sample.notionLatencyP95Ms).toBeGreaterThan(500);
    expect(sample.notionLatencyP95Ms).toBeLessThanOrEqual(1000);
  });

  it('treats a histogram whose buckets went down as reset, even when its total did not', () => {
    const before = histogram([10, 0, 0, 0]);
    const after = histogram([0, 0, 12, 0]);
    expect(histogramIncrease(before, after).counts).toEqual([0, 0, 12, 12]);
    expect(histogramIncrease(histogram([10, 0, 0, 0]), histogram([10, 2, 0, 0])).counts).toEqual([0, 2, 2, 2]);
  });

  it('counts a connection that appears later from zero, and leaves out requests made before a connection existed', () => {
    const before = reading({ at: 0, connections: [{ connectionId: 'c1', requests: 10, rateLimited: 0 }], outcomes: { c1: { ok: 10 } } });
    const after = reading({
      at: 2000,
      connections: [
        { connectionId: '', requests: 3, rateLimited: 0 },
        { connectionId: 'c2', requests: 6, rateLimited: 0, breaker: 'open' },
        { connectionId: 'c1', requests: 10, rateLimited: 0 },
      ],
      outcomes: { c1: { ok: 10 }, c2: { ok: 4, tokenRefused: 2 } },
    });
    const sample = sampleBetween(before, after);
    expect(sample.connections.map((c) => [c.connectionId, c.requests, c.requestsPerSecond])).toEqual([
      ['c1', 0, 0],
      ['c2', 6, 3],
    ]);
    expect(sample.connections[1]).toMatchObject({ breaker: 'open', outcomes: outcomes({ ok: 4, tokenRefused: 2 }) });
    expect(sample.connections[0]).not.toHaveProperty('budgetPerSecond');
  });

  it(`keeps the ${MAX_SAMPLED_CONNECTIONS} busiest connections of a sample, in the order of their ids`, () => {
    const many = Array.from({ length: MAX_SAMPLED_CONNECTIONS + 4 }, (_, i) => ({ connectionId: `c${String(i).padStart(2, '0')}`, requests: i, rateLimited: 0 }));
    const sample = sampleBetween(reading({ at: 0 }), reading({ at: 1000, connections: many }));
    expect(sample.connections).toHaveLength(MAX_SAMPLED_CONNECTIONS);
    expect(sample.connections[0]?.connectionId).toBe('c04');
    expect(sample.connections.at(-1)?.connectionId).toBe(`c${MAX_SAMPLED_CONNECTIONS + 3}`);
  });

  it('names what Notion answered from the status label', () => {
    expect(['200', '429', '529', '401', '403', '404', '500', '503', 'timeout', 'network', 'aborted', 'error'].map(outcomeOfStatus)).toEqual([
      'ok',
      'rateLimited',
      'overloaded',
      'tokenRefused',
      'refused',
      'refused',
      'serverError',
      'serverError',
      'noAnswer',
      'noAnswer',
      'noAnswer',
      'noAnswer',
    ]);
  });
});

describe('SampleRing', () => {
  it('keeps the newest `capacity` samples, oldest first', () => {
    const ring = new SampleRing(3);
    expect(ring.toArray()).toEqual([]);
    for (const at of [1, 2, 3, 4, 5]) ring.push({ at } as SystemSample);
    expect(ring.size).toBe(3);
    expect(ring.toArray().map((s) => s.at)).toEqual([3, 4, 5]);
  });

  it('holds 10 minutes of samples taken every 2 s', () => {
    expect(SAMPLE_CAPACITY).toBe(300);
  });
});

/** A sampler on a manual clock whose readings count 2 requests of c1 per second of that clock. */
function fixture(options: { fail?: (n: number) => boolean } = {}) {
  const clock = manualClock(1_000_000);
  let reads = 0;
  const errors: unknown[] = [];
  const sampler = new SystemSampler({
    clock,
    log: (error) => errors.push(error),
    read: async () => {
      reads += 1;
      if (options.fail?.(reads)) throw new Error(`reading ${reads} failed`);
      const at = clock.now();
      const requests = ((at - 1_000_000) / 1000) * 2;
      return reading({ at, connections: [{ connectionId: 'c1', requests, rateLimited: 0 }], outcomes: { c1: { ok: requests } } });
    },
  });
  /** Lets the sampler reach its next wait, then moves the clock past it. */
  const tick = async () => {
    await clock.waiting(2000);
    clock.advance(2000);
  };
  return { clock, sampler, errors, reads: () => reads, tick };
}

/** The next `n` samples `listener`-style, as a promise. */
function nextSamples(sampler: SystemSampler, n: number): { done: Promise<SystemSample[]>; stop: () => void } {
  const got: SystemSample[] = [];
  let stop = () => {};
  const done = new Promise<SystemSample[]>((resolve) => {
    stop = sampler.subscribe((sample) => {
      got.push(sample);
      if (got.length === n) resolve(got);
    });
  });
  return { done, stop };
}

describe('SystemSampler', () => {
  it('reads nothing until someone subscribes, then a sample every interval; stops when the last subscriber leaves', async () => {
    const { clock, sampler, reads, tick } = fixture();
    expect(sampler.running).toBe(false);
    expect(reads()).toBe(0);

    const first = nextSamples(sampler, 2);
    const second = nextSamples(sampler, 1);
    expect(sampler.running).toBe(true);
    await tick();
    await tick();
    const [one, two] = await first.done;
    expect((await second.done)[0]).toBe(one);
    expect(one).toMatchObject({ at: 1_002_000, seconds: 2, connections: [{ connectionId: 'c1', requests: 4, requestsPerSecond: 2 }] });
    expect(two?.at).toBe(1_004_000);
    expect(sampler.samples().map((s) => s.at)).toEqual([1_002_000, 1_004_000]);
    expect(sampler.samples(1_002_000).map((s) => s.at)).toEqual([1_004_000]);

    second.stop();
    expect(sampler.running).toBe(true);
    first.stop();
    expect(sampler.running).toBe(false);
    await sampler.stopped();
    expect(clock.pending()).toEqual([]);
    const readsWhenStopped = reads();
    clock.advance(60_000);
    expect(reads()).toBe(readsWhenStopped);
  });

  it('keeps samples of the last window only, and starts a fresh interval when sampling starts again', async () => {
    const { clock, sampler, tick } = fixture();
    const listening = nextSamples(sampler, 1);
    await tick();
    await listening.done;
    listening.stop();
    await sampler.stopped();
    expect(sampler.samples()).toHaveLength(1);

    clock.advance(sampler.windowMs);
    expect(sampler.samples()).toHaveLength(1);
    clock.advance(1);
    expect(sampler.samples()).toEqual([]);
    const again = nextSamples(sampler, 1);
    await tick();
    const [sample] = await again.done;
    // Measured from the reading taken when sampling started again, not across the pause.
    expect(sample?.seconds).toBe(2);
    again.stop();
  });

  it('logs a failed reading and measures the next interval from the last good one', async () => {
    const { sampler, errors, tick } = fixture({ fail: (n) => n === 2 });
    const listening = nextSamples(sampler, 1);
    await tick();
    await tick();
    const [sample] = await listening.done;
    expect(errors).toEqual([new Error('reading 2 failed')]);
    expect(sample).toMatchObject({ seconds: 4, connections: [{ requests: 8, requestsPerSecond: 2 }] });
    listening.stop();
  });

  it('drops a reading that is no later than the one before it', async () => {
    const clock = manualClock(0);
    let n = 0;
    const sampler = new SystemSampler({ clock, read: async () => reading({ at: [1000, 1000, 3000][n++] ?? 5000 }) });
    const listening = nextSamples(sampler, 1);
    for (const _ of [1, 2]) {
      await clock.waiting(2000);
      clock.advance(2000);
    }
    expect((await listening.done)[0]).toMatchObject({ at: 3000, seconds: 2 });
    listening.stop();
  });

  it('keeps sampling when a listener throws', async () => {
    const { sampler, errors, tick } = fixture();
    const stopBad = sampler.subscribe(() => {
      throw new Error('listener failed');
    });
    const good = nextSamples(sampler, 1);
    await tick();
    expect(await good.done).toHaveLength(1);
    expect(errors).toEqual([new Error('listener failed')]);
    stopBad();
    good.stop();
  });
});

describe('followSamples', () => {
  it('sends the backlog after the given time first, then each new sample once, and ends when its signal aborts', async () => {
    const { sampler, tick } = fixture();
    const warmUp = nextSamples(sampler, 2);
    await tick();
    await tick();
    const [first, second] = await warmUp.done;

    const abort = new AbortController();
    const stream = followSamples(sampler, first?.at ?? 0, abort.signal);
    // Backlog: only what came after the sample the client had.
    expect((await stream.next()).value).toBe(second);
    const live = stream.next();
    await tick();
    expect((await live).value).toMatchObject({ at: 1_006_000 });
    warmUp.stop();
    expect(sampler.running).toBe(true);

    const waiting = stream.next();
    abort.abort();
    expect((await waiting).done).toBe(true);
    expect(sampler.running).toBe(false);
  });

  it('keeps the newest samples for a reader that does not keep up', async () => {
    const clock = manualClock(0);
    let reads = 0;
    const sampler = new SystemSampler({ clock, intervalMs: 1000, windowMs: 3000, read: async () => reading({ at: ++reads * 1000 }) });
    const abort = new AbortController();
    const stream = followSamples(sampler, 0, abort.signal);
    const firstRead = stream.next();
    for (let i = 0; i < 6; i++) {
      await clock.waiting(1000);
      clock.advance(1000);
    }
    await clock.waiting(1000);
    // The reader took the first sample (2000); of the 5 after it (3000–7000), its queue kept the newest 3.
    expect((await firstRead).value).toMatchObject({ at: 2000 });
    const rest = [];
    for (let i = 0; i < 3; i++) rest.push(((await stream.next()).value as SystemSample).at);
    expect(rest).toEqual([5000, 6000, 7000]);
    abort.abort();
    await stream.return(undefined);
  });

  it('ends at once when its signal has already aborted', async () => {
    const { sampler } = fixture();
    const abort = new AbortController();
    abort.abort();
    expect((await followSamples(sampler, 0, abort.signal).next()).done).toBe(true);
    expect(sampler.running).toBe(false);
  });
});

describe('systemReader', () => {
  let ctx: TestContext | undefined;
  afterEach(async () => {
    await ctx?.cleanup();
    ctx = undefined;
  });

  it("reads this process's metrics: answers per connection by status, the queue from the database, the exports disk", async () => {
    const metrics = notionRequestMetrics('reader-conn');
    const url = 'https://api.notion.com/v1/blocks/59833787-2cf9-4fdf-8782-e53db20768a5/children';
    const before = (await readRequestOutcomes()).get('reader-conn');
    for (const status of [200, 200, 429, 401]) metrics.attempt({ method: 'GET', url, status, durationMs: 20 });
    metrics.attempt({ method: 'GET', url, error: 'timeout', durationMs: 20 });
    const after = (await readRequestOutcomes()).get('reader-conn');
    expect(after).toEqual({
      ...outcomes(),
      ok: (before?.ok ?? 0) + 2,
      rateLimited: (before?.rateLimited ?? 0) + 1,
      tokenRefused: (before?.tokenRefused ?? 0) + 1,
      noAnswer: (before?.noAnswer ?? 0) + 1,
    });

    ctx = await createTestContext();
    await seedConnections(ctx, ['c1']);
    await requestTestExport(ctx, 'e1');
    // EXPORTS_DIR is made with the first export: the disk is that of its nearest parent.
    const got = await systemReader(ctx)();
    expect(got.snapshot.connections.find((c) => c.connectionId === 'reader-conn')?.requests).toBeGreaterThanOrEqual(5);
    expect(got.outcomes.get('reader-conn')).toEqual(after);
    expect(got.snapshot.queue).toEqual({ due: 1, scheduled: 0, activeLeases: 0 });
    expect(got.disk?.sizeBytes).toBeGreaterThan(0);
  });
});
