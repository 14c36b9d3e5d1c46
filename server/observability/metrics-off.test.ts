import { afterEach, describe, expect, it } from 'vitest';
import { recordEventAppend } from './event-metrics';
import { recordItemExported } from './export-metrics';
import { metricsRecorded, metricsState } from './metrics';
import { serveProcessMetrics } from './metrics-server';
import { notionRequestMetrics } from './notion-metrics';
import { trackRunner } from './runner-metrics';

const OFF_KEY = Symbol.for('notion-sync.observability.metrics-off');

afterEach(() => {
  delete (globalThis as Record<symbol, unknown>)[OFF_KEY];
});

const total = async (metric: { get(): Promise<{ values: { value: number }[] }> }) =>
  (await metric.get()).values.reduce((sum, v) => sum + v.value, 0);

describe('a process without METRICS_PORT', () => {
  it('records nothing once serveProcessMetrics finds no port (a worker or the CLI nobody scrapes)', async () => {
    const state = metricsState();
    const before = { requests: await total(state.process.notionRequests), pages: await total(state.process.exportItems) };
    expect(await serveProcessMetrics({ exportsDir: '/nowhere' }, () => {})).toBeUndefined();
    expect(metricsRecorded()).toBe(false);

    notionRequestMetrics('c1').attempt({ url: 'https://api.notion.com/v1/pages/abc', method: 'GET', status: 200, durationMs: 5 });
    recordItemExported('page', [{ path: 'a.md', bytes: 3 }]);
    recordEventAppend(2);
    const tracker = trackRunner('runner-without-metrics');
    tracker.runStarted()('completed');
    tracker.beat();

    expect(await total(state.process.notionRequests)).toBe(before.requests);
    expect(await total(state.process.exportItems)).toBe(before.pages);
    expect(state.runners.has('runner-without-metrics')).toBe(false);
  });

  it('records as usual by default (the dashboard)', async () => {
    expect(metricsRecorded()).toBe(true);
    const state = metricsState();
    const before = await total(state.process.exportItems);
    recordItemExported('page', [{ path: 'a.md', bytes: 3 }]);
    expect(await total(state.process.exportItems)).toBe(before + 1);
  });
});
