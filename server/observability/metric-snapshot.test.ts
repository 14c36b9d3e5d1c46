import { describe, expect, it } from 'vitest';
import { recordItemExported, recordItemFailed } from './export-metrics';
import { enableDatabaseMetrics, metricsState } from './metrics';
import { histogramQuantile, type MetricSnapshot, ratesBetween, readMetricSnapshot } from './metric-snapshot';
import { notionRequestMetrics } from './notion-metrics';
import { trackRunner } from './runner-metrics';

describe('histogramQuantile', () => {
  it("interpolates within the bucket the rank falls in, as Prometheus's histogram_quantile does", () => {
    const h = { bounds: [0.1, 0.5, 1, Number.POSITIVE_INFINITY], counts: [50, 90, 100, 100] };
    expect(histogramQuantile(0.5, h)).toBeCloseTo(0.1);
    expect(histogramQuantile(0.7, h)).toBeCloseTo(0.3);
    expect(histogramQuantile(0.95, h)).toBeCloseTo(0.75);
    expect(histogramQuantile(0.2, h)).toBeCloseTo(0.04);
    expect(histogramQuantile(0.99, { bounds: [1, Number.POSITIVE_INFINITY], counts: [1, 10] })).toBe(1);
    expect(histogramQuantile(0.95, { bounds: [1, Number.POSITIVE_INFINITY], counts: [0, 0] })).toBeUndefined();
  });
});

describe('readMetricSnapshot', () => {
  it("gives this process's figures as typed values, and rates between two of them", async () => {
    const state = metricsState();
    const realNow = state.now;
    let now = 10_000_000;
    state.now = () => now;
    try {
      notionRequestMetrics('snap-conn', { limiter: { learned: () => ({ configured: 3, effective: 2 }) }, breaker: { state: () => 'half_open' } });
      enableDatabaseMetrics(async () => ({
        exportsByStatus: [],
        queue: { due: 2, scheduled: 1, oldestDueAgeSeconds: 5, activeLeases: 1, expiredLeases: 0 },
        connections: [],
      }));
      const runner = trackRunner('host:3:snap');
      const ended = runner.runStarted();
      const before = await readMetricSnapshot();
      expect(before.connections.find((c) => c.connectionId === 'snap-conn')).toEqual({
        connectionId: 'snap-conn',
        requests: 0,
        rateLimited: 0,
        budgetPerSecond: 3,
        pacedPerSecond: 2,
        breaker: 'half_open',
      });
      expect(before.queue).toEqual({ due: 2, scheduled: 1, activeLeases: 1 });
      expect(before.runner?.activeExports).toBe(1);
      expect(before.memory.rssBytes).toBeGreaterThan(0);
      expect(before.eventLoopLagMs).toBeGreaterThanOrEqual(0);

      const metrics = notionRequestMetrics('snap-conn');
      const url = 'https://api.notion.com/v1/pages/59833787-2cf9-4fdf-8782-e53db20768a5';
      for (let i = 0; i < 18; i++) metrics.attempt({ method: 'GET', url, status: 200, durationMs: 40 });
      metrics.attempt({ method: 'GET', url, status: 429, durationMs: 40, retryAfterMs: 1000 });
      metrics.attempt({ method: 'GET', url, status: 200, durationMs: 4000 });
      recordItemExported('page', []);
      recordItemFailed('page');
      now += 10_000;
      const after = await readMetricSnapshot();
      const rates = ratesBetween(before, after);
      expect(rates.seconds).toBe(10);
      expect(rates.connections.find((c) => c.connectionId === 'snap-conn')).toEqual({
        connectionId: 'snap-conn',
        requestsPerSecond: 2,
        rateLimitedPerSecond: 0.1,
        budgetPerSecond: 3,
        pacedPerSecond: 2,
      });
      expect(rates.itemsPerSecond).toBe(0.2);
      // 19 of 20 at 40 ms: the 95th percentile lies in the 25–50 ms bucket.
      expect(rates.notionLatencyP95Seconds).toBeGreaterThan(0.025);
      expect(rates.notionLatencyP95Seconds).toBeLessThanOrEqual(0.05);
      ended('completed');
      runner.stopped();
    } finally {
      state.now = realNow;
    }
  });

  it("gives a connection's workspace as this process applies its limit, and the 429s that named the workspace's budget", async () => {
    const rates = { budgetPerSecond: 9, sharedBy: 2, sharePerSecond: 4.5, pacedPerSecond: 4.5 };
    const metrics = notionRequestMetrics('snap-team', {
      limiter: { learned: () => ({ configured: 3, effective: 3 }) },
      breaker: { state: () => 'closed' },
      workspace: { key: 'team-key', rates: () => rates },
    });
    const url = 'https://api.notion.com/v1/search';
    const workspaceLimit = JSON.stringify({ code: 'rate_limited', additional_data: { rate_limit_reason: 'workspace_limit' } });
    metrics.attempt({ method: 'POST', url, status: 429, durationMs: 5, retryAfterMs: 1000, body: workspaceLimit });
    metrics.attempt({ method: 'POST', url, status: 429, durationMs: 5, retryAfterMs: 1000 });
    metrics.attempt({ method: 'POST', url, status: 200, durationMs: 5 });
    const snapshot = await readMetricSnapshot();
    expect(snapshot.connections.find((c) => c.connectionId === 'snap-team')).toMatchObject({
      requests: 3,
      rateLimited: 2,
      workspaceRateLimited: 1,
      workspace: { key: 'team-key', ...rates },
    });
    // A connection without a known workspace has none.
    expect(snapshot.connections.find((c) => c.connectionId === 'snap-conn')?.workspace).toBeUndefined();
  });

  it('has no queue figures in a process that does not report the database, and no p95 without requests', () => {
    const empty: MetricSnapshot = {
      at: 0,
      connections: [],
      notionLatency: { bounds: [], counts: [], count: 0, sumSeconds: 0 },
      items: { exported: 0, failed: 0 },
      memory: { rssBytes: 1, heapUsedBytes: 1 },
      eventLoopLagMs: 0,
    };
    const rates = ratesBetween(empty, { ...empty, at: 1000 });
    expect(rates).toEqual({ seconds: 1, connections: [], itemsPerSecond: 0, notionLatencyP95Seconds: undefined });
  });
});
