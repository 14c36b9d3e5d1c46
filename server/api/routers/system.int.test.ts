import { isTrackedEnvelope } from '@trpc/server';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { metricsState } from '@/server/observability/metrics';
import { notionRequestMetrics } from '@/server/observability/notion-metrics';
import { replaceSystemSampler, SystemSampler, systemReader } from '@/server/observability/system-samples';
import { callerAs } from '@/server/testing/call-as';
import { type ManualClock, manualClock } from '@/server/testing/fake-clock';
import { requestTestExport, seedConnections } from '@/server/testing/seed';
import { createTestContext, type TestContext } from '@/server/testing/test-context';

type Sample = { at: number; connections: { connectionId: string; requests: number; rateLimited: number; breaker?: string }[]; queue?: { due: number } };

let ctx: TestContext;
let clock: ManualClock;
let sampler: SystemSampler;
const realNow = metricsState().now;

beforeEach(async () => {
  // Free space is the real disk's: any will do.
  ctx = await createTestContext({ healthMinFreeBytes: 1 });
  await seedConnections(ctx, ['c1', 'c2']);
  await ctx.database.client.execute("update connections set name = 'Team wiki', workspace_name = 'Acme', checked_at = 1000 where id = 'c1'");
  await ctx.database.client.execute("update connections set name = 'Archive' where id = 'c2'");
  clock = manualClock();
  // The metrics stamp their snapshots with the same clock the sampler waits on.
  metricsState().now = clock.now;
  sampler = new SystemSampler({ clock, read: systemReader(ctx) });
  replaceSystemSampler(ctx, sampler);
});
afterEach(async () => {
  metricsState().now = realNow;
  await ctx.cleanup();
});

/** Lets the sampler reach its next wait, then moves the clock past it. */
async function tick(): Promise<void> {
  await clock.waiting(2000);
  clock.advance(2000);
}

/** What the subscription yields: [id, sample] envelopes. */
async function nextSample(iterator: AsyncIterator<unknown>): Promise<[string, Sample]> {
  const { value, done } = await iterator.next();
  expect(done).toBe(false);
  expect(isTrackedEnvelope(value)).toBe(true);
  return value as [string, Sample];
}

const url = 'https://api.notion.com/v1/pages/59833787-2cf9-4fdf-8782-e53db20768a5';

describe('system.onSamples', () => {
  it('streams samples of this process with their time as id, resumes after the last id, and stops sampling when nobody listens', async () => {
    const watched = { limiter: { learned: () => ({ configured: 3, effective: 1.5 }) }, breaker: { state: () => 'open' as const } };
    const metrics = notionRequestMetrics('c1', watched);
    await requestTestExport(ctx, 'e1');

    const abort = new AbortController();
    const stream = await callerAs(ctx, 'operator', { signal: abort.signal }).system.onSamples({});
    const iterator = stream[Symbol.asyncIterator]();
    const first = iterator.next();
    expect(sampler.running).toBe(true);
    // The first reading is the baseline; what happens after it is in the first sample.
    await clock.waiting(2000);
    for (let i = 0; i < 10; i++) metrics.attempt({ method: 'GET', url, status: i < 8 ? 200 : 429, durationMs: 30 });
    await tick();
    const { value } = await first;
    const [id, sample] = value as unknown as [string, Sample];
    expect(id).toBe(String(sample.at));
    expect(sample.connections.find((c) => c.connectionId === 'c1')).toMatchObject({ requests: 10, rateLimited: 2, breaker: 'open' });
    expect(sample.queue?.due).toBe(1);

    const second = iterator.next();
    await tick();
    const [secondId] = await nextSample({ next: () => second });

    // A client that reconnects with the first id gets the second sample first, from the backlog.
    const resumeAbort = new AbortController();
    const resumed = (await callerAs(ctx, 'admin', { signal: resumeAbort.signal }).system.onSamples({ lastEventId: id }))[Symbol.asyncIterator]();
    expect((await nextSample(resumed))[0]).toBe(secondId);

    abort.abort();
    expect((await iterator.next()).done).toBe(true);
    expect(sampler.running).toBe(true);
    resumeAbort.abort();
    expect((await resumed.next()).done).toBe(true);
    expect(sampler.running).toBe(false);
  });

  it('refuses a last event id that is no time', async () => {
    await expect(callerAs(ctx, 'operator').system.onSamples({ lastEventId: 'abc' })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
  });
});

describe('system.status', () => {
  it("gives each part's health, each connection as this process knows it, and the conditions of the recent samples", async () => {
    const watched = { limiter: { learned: () => ({ configured: 3, effective: 1.5 }) }, breaker: { state: () => 'open' as const } };
    const metrics = notionRequestMetrics('c1', watched);
    const abort = new AbortController();
    const iterator = (await callerAs(ctx, 'operator', { signal: abort.signal }).system.onSamples())[Symbol.asyncIterator]();
    const first = iterator.next();
    await clock.waiting(2000);
    for (let i = 0; i < 10; i++) metrics.attempt({ method: 'GET', url, status: i < 8 ? 200 : 429, durationMs: 30 });
    await tick();
    const [, sample] = await nextSample({ next: () => first });

    const status = await callerAs(ctx, 'operator').system.status();
    expect(status.health).toEqual([
      { part: 'database', ok: true },
      { part: 'migrations', ok: true },
      { part: 'exportsDir', ok: true },
      { part: 'diskSpace', ok: true },
      { part: 'eventLoop', ok: true },
    ]);
    expect(status.runnerInProcess).toBe(false);
    expect(status.sampling).toEqual({ intervalMs: 2000, windowMs: 600_000, running: true, samples: 1 });
    expect(status.connections).toEqual([
      {
        id: 'c2',
        name: 'Archive',
        workspaceName: null,
        lastCall: null,
        breaker: null,
        pace: null,
        token: { state: 'unknown', at: null },
      },
      {
        id: 'c1',
        name: 'Team wiki',
        workspaceName: 'Acme',
        lastCall: expect.objectContaining({ at: sample.at, requests: 10, outcome: 'rateLimited' }),
        breaker: 'open',
        pace: { pacedPerSecond: 1.5, budgetPerSecond: 3 },
        token: { state: 'accepted', at: sample.at },
      },
    ]);
    expect(status.conditions.map((c) => [c.alert, c.connectionId])).toEqual([
      ['NotionSyncRateLimited', 'c1'],
      ['NotionSyncCircuitBreakerOpen', 'c1'],
    ]);
    expect(status.conditions[1]?.text).toContain('Team wiki');
    abort.abort();
    await iterator.return?.(undefined);
  });

  it('shows the runner heartbeat when this process runs a runner, and no conditions before the first sample', async () => {
    const withRunner = await createTestContext({ healthMinFreeBytes: 1, runnerEnabled: true });
    try {
      const status = await callerAs(withRunner, 'admin').system.status();
      expect(status.runnerInProcess).toBe(true);
      expect(status.health.find((h) => h.part === 'runner')).toEqual({ part: 'runner', ok: false, error: 'is not running' });
      expect(status.conditions).toEqual([]);
      expect(status.sampling).toMatchObject({ running: false, samples: 0 });
    } finally {
      await withRunner.cleanup();
    }
  });

  it('is refused to a viewer', async () => {
    await expect(callerAs(ctx, 'viewer').system.status()).rejects.toMatchObject({ code: 'FORBIDDEN' });
  });
});
