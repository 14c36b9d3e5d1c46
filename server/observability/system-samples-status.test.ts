import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { OutcomeCounts, SystemSample } from './system-samples';
import { ALERT_NAMES, ALERT_THRESHOLDS, conditionsOf, connectionStatuses, slopePerSecond } from './system-samples-status';

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

/** A 2-second sample at `at` made by hand; `connections` give each connection's requests and answers. */
function sample(at: number, parts: Partial<Omit<SystemSample, 'connections'>> & { connections?: Record<string, Partial<OutcomeCounts> & { breaker?: 'closed' | 'open' | 'half_open' }> } = {}): SystemSample {
  const { connections = {}, ...rest } = parts;
  return {
    at,
    seconds: 2,
    pagesPerSecond: 0,
    memory: { rssBytes: 1, heapUsedBytes: 1 },
    eventLoopLagMs: 0,
    workspaces: [],
    ...rest,
    connections: Object.entries(connections).map(([connectionId, { breaker, ...answers }]) => {
      const counts = outcomes(answers);
      const requests = Object.values(counts).reduce((a, b) => a + b, 0);
      return {
        connectionId,
        requests,
        requestsPerSecond: requests / 2,
        rateLimited: counts.rateLimited,
        rateLimitedPerSecond: counts.rateLimited / 2,
        outcomes: counts,
        ...(breaker ? { breaker } : {}),
      };
    }),
  };
}

const names = (id: string) => ({ c1: 'Team wiki', c2: 'Archive' })[id] ?? id;

describe('the thresholds', () => {
  it('are those of the alert rules in deploy/prometheus/alerts.yml', () => {
    const file = path.join(import.meta.dirname, '..', '..', 'deploy', 'prometheus', 'alerts.yml');
    const rules = (parse(fs.readFileSync(file, 'utf8')) as { groups: { rules: { alert?: string; expr: string }[] }[] }).groups.flatMap((g) => g.rules);
    const expr = (alert: string) => rules.find((r) => r.alert === alert)?.expr.replace(/\s+/g, ' ').trim() ?? '';
    for (const alert of ALERT_NAMES) expect(expr(alert), alert).not.toBe('');
    expect(expr('NotionSyncRateLimited')).toContain(`status="429"}[${ALERT_THRESHOLDS.rateLimitedWindowMs / 60_000}m]`);
    expect(expr('NotionSyncRateLimited')).toMatch(new RegExp(`> ${ALERT_THRESHOLDS.rateLimitedRatio}$`));
    expect(expr('NotionSyncCircuitBreakerOpen')).toBe('notion_sync_notion_circuit_breaker_state{state="closed"} == 0');
    expect(expr('NotionSyncRunnerHeartbeatMissing')).toBe(`notion_sync_runner_heartbeat_age_seconds > ${ALERT_THRESHOLDS.heartbeatStaleSeconds}`);
    expect(expr('NotionSyncDiskAlmostFull')).toContain(`< ${ALERT_THRESHOLDS.diskAlmostFullRatio}`);
    expect(expr('NotionSyncDiskFilling')).toContain(`< ${ALERT_THRESHOLDS.diskFillingRatio}`);
    expect(ALERT_THRESHOLDS.diskFillingHorizonSeconds).toBe(24 * 3600);
    expect(expr('NotionSyncDiskFilling')).toContain('24 * 3600) < 0');
    expect(expr('NotionSyncQueueBacklogGrowing')).toContain('notion_sync_queue_depth{state="due"} > 0 and deriv(');
  });
});

describe('conditionsOf', () => {
  it('finds nothing in no samples, or in samples where all is well', () => {
    expect(conditionsOf([])).toEqual([]);
    const calm = [0, 2000, 4000].map((at) =>
      sample(at, {
        connections: { c1: { ok: 100, rateLimited: 1, breaker: 'closed' } },
        runner: { heartbeatAgeSeconds: 3, activeExports: 1 },
        disk: { freeBytes: 50, sizeBytes: 100 },
        queue: { due: 2, scheduled: 0, activeLeases: 1 },
      }),
    );
    expect(conditionsOf(calm, names)).toEqual([]);
  });

  it('names a connection whose 429s pass 1 % of its requests over the last 5 minutes, and only that window', () => {
    // An old burst of 429s (6 minutes before the latest sample) no longer counts.
    const old = sample(0, { connections: { c1: { rateLimited: 50, ok: 50 } } });
    const recent = Array.from({ length: 10 }, (_, i) => sample(360_000 + i * 2000, { connections: { c1: { ok: 100 }, c2: { ok: 97, rateLimited: 3 } } }));
    expect(conditionsOf([old, ...recent], names)).toEqual([
      {
        alert: 'NotionSyncRateLimited',
        severity: 'warning',
        connectionId: 'c2',
        text: 'Notion answered 3.0 % of the requests of Archive with 429 (rate limited) in the last 20 s: 30 of 1000, above 1.0 %.',
      },
    ]);
    // Exactly 1 % is not above it.
    expect(conditionsOf([sample(0, { connections: { c1: { ok: 99, rateLimited: 1 } } })])).toEqual([]);
  });

  it('reports a circuit breaker that is not closed, a stale heartbeat and a disk almost full', () => {
    const conditions = conditionsOf(
      [
        sample(0, {
          connections: { c1: { breaker: 'open' }, c2: { breaker: 'half_open' } },
          runner: { heartbeatAgeSeconds: 240, activeExports: 0 },
          disk: { freeBytes: 4, sizeBytes: 100 },
        }),
      ],
      names,
    );
    expect(conditions.map((c) => [c.alert, c.severity, c.text])).toEqual([
      ['NotionSyncCircuitBreakerOpen', 'warning', 'The circuit breaker of Team wiki is open: its requests to Notion are held back after repeated failures.'],
      ['NotionSyncCircuitBreakerOpen', 'warning', 'The circuit breaker of Archive is half-open: a trial request tests whether Notion answers again.'],
      ['NotionSyncRunnerHeartbeatMissing', 'critical', 'The runner of this process has not shown it is alive for 4 min (more than 3 min).'],
      ['NotionSyncDiskAlmostFull', 'critical', 'The exports disk has 4.0 % free (less than 5.0 %): exports pause when it is full.'],
    ]);
    expect(conditionsOf([sample(0, { runner: { heartbeatAgeSeconds: 180, activeExports: 0 } })])).toEqual([]);
  });

  it('reports a disk under a quarter free that fills within a day at the recent pace, and not one that holds', () => {
    // 20 % free of 1000 GB, losing 10 GB a minute: full in 20 minutes.
    const gb = 1e9;
    const filling = [0, 60_000, 120_000].map((at, i) => sample(at, { disk: { freeBytes: (220 - 10 * i) * gb, sizeBytes: 1000 * gb } }));
    expect(conditionsOf(filling)).toEqual([
      {
        alert: 'NotionSyncDiskFilling',
        severity: 'warning',
        text: 'The exports disk has 20 % free and, at the pace of the last 2 min, is full in about 20 min.',
      },
    ]);
    const steady = [0, 60_000].map((at) => sample(at, { disk: { freeBytes: 200 * gb, sizeBytes: 1000 * gb } }));
    expect(conditionsOf(steady)).toEqual([]);
    // Filling fast but with more than a quarter free: Prometheus's rule waits too.
    const roomy = [0, 60_000].map((at, i) => sample(at, { disk: { freeBytes: (400 - 100 * i) * gb, sizeBytes: 1000 * gb } }));
    expect(conditionsOf(roomy)).toEqual([]);
  });

  it('reports a queue of due exports that grows, and not one that shrinks or is empty', () => {
    const queue = (due: number[]) => due.map((d, i) => sample(i * 60_000, { queue: { due: d, scheduled: 0, activeLeases: 1 } }));
    expect(conditionsOf(queue([1, 2, 2, 4]))).toEqual([
      { alert: 'NotionSyncQueueBacklogGrowing', severity: 'warning', text: '4 exports wait for a runner, up from 1 3 min ago.' },
    ]);
    expect(conditionsOf(queue([4, 3, 1]))).toEqual([]);
    expect(conditionsOf(queue([0, 0]))).toEqual([]);
    expect(conditionsOf(queue([1]))).toEqual([]);
  });
});

describe('slopePerSecond', () => {
  it("is the least-squares slope over time, as Prometheus's deriv", () => {
    expect(slopePerSecond([{ at: 0, value: 1 }])).toBeUndefined();
    expect(slopePerSecond([{ at: 5000, value: 1 }, { at: 5000, value: 3 }])).toBeUndefined();
    expect(slopePerSecond([{ at: 0, value: 0 }, { at: 1000, value: 3 }, { at: 2000, value: 3 }])).toBeCloseTo(1.5);
  });
});

describe('connectionStatuses', () => {
  const row = (id: string, checkedAt: number | null = null) => ({ id, name: names(id), workspaceName: 'Acme', checkedAt: checkedAt === null ? null : new Date(checkedAt) });

  it('gives the last interval with requests, the breaker and pace of the metrics now, and whether the token is accepted', () => {
    const samples = [
      sample(10_000, { connections: { c1: { ok: 5 } } }),
      sample(12_000, { connections: { c1: { ok: 3, rateLimited: 1 } } }),
      sample(14_000, { connections: { c1: {} } }),
    ];
    const snapshot = { connections: [{ connectionId: 'c1', requests: 9, rateLimited: 1, breaker: 'closed' as const, pacedPerSecond: 2.5, budgetPerSecond: 3 }] };
    expect(connectionStatuses([row('c1', 1000), row('c2')], samples, snapshot)).toEqual([
      {
        id: 'c1',
        name: 'Team wiki',
        workspaceName: 'Acme',
        lastCall: { at: 12_000, requests: 4, outcome: 'rateLimited', outcomes: outcomes({ ok: 3, rateLimited: 1 }) },
        breaker: 'closed',
        pace: { pacedPerSecond: 2.5, budgetPerSecond: 3 },
        token: { state: 'accepted', at: 12_000 },
      },
      { id: 'c2', name: 'Archive', workspaceName: 'Acme', lastCall: null, breaker: null, pace: null, token: { state: 'unknown', at: null } },
    ]);
  });

  it('calls a token refused after a 401 newer than its last success and check, and accepted again after a newer check', () => {
    const samples = [sample(10_000, { connections: { c1: { ok: 2 } } }), sample(12_000, { connections: { c1: { tokenRefused: 1, ok: 1 } } })];
    const [refused] = connectionStatuses([row('c1', 5000)], samples, { connections: [] });
    expect(refused?.token).toEqual({ state: 'refused', at: 12_000 });
    expect(refused?.lastCall?.outcome).toBe('tokenRefused');
    const [checkedSince] = connectionStatuses([row('c1', 20_000)], samples, { connections: [] });
    expect(checkedSince?.token).toEqual({ state: 'accepted', at: 20_000 });
  });
});
