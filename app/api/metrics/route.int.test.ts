import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { promtool } from '@/deploy/prometheus/promtool';
import { startTwin, type Twin } from '@/e2e/notion-twin';
import type { AppContext } from '@/server/app-context';
import { createConnection } from '@/server/connections/connections';
import { getExport } from '@/server/export/control/export-queries';
import { requestExport } from '@/server/export/control/request-export';
import { Runner } from '@/server/runner/runner';
import { createTestContext, type TestContext } from '@/server/testing/test-context';
import { GET } from './route';

/**
 * The metrics of real exports against the Notion twin, read as Prometheus reads them: through the
 * route handler, in the text exposition format. The request counter must agree with what the twin
 * received, attempt for attempt, whatever the answers were.
 */

let twin: Twin;
/** A small workspace behind a rate limit. */
let limitedTwin: Twin;
const contexts: TestContext[] = [];
const g = globalThis as typeof globalThis & { __notionSyncContext?: Promise<AppContext> };

beforeAll(async () => {
  twin = await startTwin({ workspace: { seed: 12, pages: 30, databases: 1, rowsPerDatabase: 5 }, latencyMs: [1, 3] });
  limitedTwin = await startTwin({ workspace: { seed: 13, pages: 6, databases: 1, rowsPerDatabase: 3 }, rateLimit: { requestsPerSecond: 50, burst: 5 } });
});
afterAll(async () => {
  g.__notionSyncContext = undefined;
  await twin.close();
  await limitedTwin.close();
  for (const ctx of contexts) await ctx.cleanup();
});

async function context(overrides: Parameters<typeof createTestContext>[0] = {}): Promise<TestContext> {
  const ctx = await createTestContext({ notionRetry: { baseDelayMs: 5, maxDelayMs: 20 }, ...overrides });
  contexts.push(ctx);
  return ctx;
}

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** The samples of a text exposition (the comment lines left out). */
function parseExposition(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match) continue;
    const labels: Record<string, string> = {};
    for (const l of (match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[l[1] as string] = l[2] as string;
    samples.push({ name: match[1] as string, labels, value: Number(match[3]) });
  }
  return samples;
}

async function scrape(ctx: AppContext, authorization?: string): Promise<{ status: number; text: string; headers: Headers }> {
  g.__notionSyncContext = Promise.resolve(ctx);
  const response = await GET(new Request('http://localhost/api/metrics', { headers: authorization ? { authorization } : {} }));
  return { status: response.status, text: await response.text(), headers: response.headers };
}

const total = (samples: Sample[], name: string, match: Record<string, string> = {}) =>
  samples.filter((s) => s.name === name && Object.entries(match).every(([k, v]) => s.labels[k] === v)).reduce((t, s) => t + s.value, 0);

/** What a counter grew by between two scrapes. */
const grew = (before: Sample[], after: Sample[], name: string, match: Record<string, string> = {}) => total(after, name, match) - total(before, name, match);

async function exportOnce(ctx: TestContext, from: Twin = twin): Promise<{ connectionId: string; exportId: string; outcome: string | undefined }> {
  const connection = await createConnection(ctx, { token: 'secret_twin', baseUrl: from.url });
  const exportId = await requestExport(ctx, { connectionId: connection.id, formats: ['markdown', 'json'], requestedBy: 'dashboard' });
  const runner = new Runner(ctx, { concurrency: 4 });
  try {
    return { connectionId: connection.id, exportId, outcome: await runner.runOnce() };
  } finally {
    await runner.stop();
  }
}

describe('GET /api/metrics during real exports', () => {
  it('counts every attempt the twin received, by status and endpoint, whatever the answer', async () => {
    const ctx = await context();
    const before = parseExposition((await scrape(ctx)).text);
    twin.resetStats();
    // A dropped connection, two 503s and a 529 are retried; a page not shared fails (a dead letter).
    twin.injectFault({ kind: 'reset' }, { endpoint: 'blocks.children.list' });
    twin.injectFault({ kind: 'error', status: 503 }, { endpoint: 'blocks.children.list', times: 2 });
    twin.injectFault({ kind: 'error', status: 529, retryAfterSeconds: 1 }, { endpoint: 'blocks.children.list' });
    twin.injectFault({ kind: 'error', status: 404, code: 'object_not_found' }, { endpoint: 'blocks.children.list' });
    const { connectionId, exportId, outcome } = await exportOnce(ctx);
    twin.clearFaults();
    expect(outcome).toBe('completed_with_errors');

    const scraped = await scrape(ctx);
    expect(scraped.status).toBe(200);
    expect(scraped.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const after = parseExposition(scraped.text);
    const stats = twin.stats();
    const requests = 'notion_sync_notion_requests_total';
    expect(grew(before, after, requests)).toBe(stats.requests);
    expect(stats.requests).toBeGreaterThan(50);
    for (const [status, count] of Object.entries(stats.byStatus)) expect(grew(before, after, requests, { status }), `status ${status}`).toBe(count);
    expect(grew(before, after, requests, { status: 'network' })).toBe(1); // the dropped connection: no status at the twin either
    expect(grew(before, after, requests, { endpoint: '/v1/blocks/{id}/children' })).toBe(stats.byEndpoint['blocks.children.list']);
    expect(grew(before, after, requests, { endpoint: '/v1/users/me', connection_id: '' })).toBe(1); // checking the token
    expect(grew(before, after, requests, { connection_id: connectionId })).toBe(stats.requests - 1);
    expect(grew(before, after, 'notion_sync_notion_rate_limited_total', { status: '529', connection_id: connectionId })).toBe(1);
    expect(grew(before, after, 'notion_sync_notion_request_duration_seconds_count')).toBe(stats.requests);
    expect(grew(before, after, 'notion_sync_notion_limiter_wait_seconds_count')).toBe(stats.requests);
    expect(grew(before, after, 'notion_sync_export_items_total', { outcome: 'failed' })).toBe(1);
    expect(grew(before, after, 'notion_sync_export_files_total', { format: 'markdown' })).toBeGreaterThanOrEqual(30);
    expect(grew(before, after, 'notion_sync_export_run_duration_seconds_count', { outcome: 'completed_with_errors' })).toBe(1);
    expect(grew(before, after, 'notion_sync_event_store_append_duration_seconds_count')).toBeGreaterThan(3);

    // Read from the database at scrape time.
    const row = await getExport(ctx.database.db, exportId);
    expect(total(after, 'notion_sync_exports', { status: 'completed_with_errors' })).toBe(1);
    expect(total(after, 'notion_sync_dead_letters', { connection_id: connectionId })).toBe(1);
    expect(total(after, 'notion_sync_last_successful_export_timestamp_seconds', { connection_id: connectionId })).toBe((row?.finishedAt?.getTime() ?? 0) / 1000);
    expect(total(after, 'notion_sync_queue_depth')).toBe(0);
    expect(total(after, 'notion_sync_database_up')).toBe(1);
    expect(total(after, 'notion_sync_notion_budget_requests_per_second', { connection_id: connectionId })).toBe(1000);
    expect(total(after, 'notion_sync_notion_circuit_breaker_state', { connection_id: connectionId, state: 'closed' })).toBe(1);
    expect(total(after, 'notion_sync_exports_disk_size_bytes')).toBeGreaterThan(0);

    const lint = await promtool(['check', 'metrics'], scraped.text);
    expect(lint.stdout + lint.stderr).toBe('');
    expect(lint.code).toBe(0);
  });

  it("agrees with the twin when its rate limit answers 429s, counting them by rate_limit_reason", async () => {
    // Above the twin's rate: 429s until the limiter has learned the pace.
    const ctx = await context({ requestsPerSecond: 70 });
    const before = parseExposition((await scrape(ctx)).text);
    limitedTwin.resetStats();
    const result = await exportOnce(ctx, limitedTwin);
    expect(result.outcome).toBe('completed');
    const after = parseExposition((await scrape(ctx)).text);
    const stats = limitedTwin.stats();
    expect(stats.rateLimited).toBeGreaterThan(0);
    expect(grew(before, after, 'notion_sync_notion_requests_total')).toBe(stats.requests);
    expect(grew(before, after, 'notion_sync_notion_requests_total', { status: '429' })).toBe(stats.byStatus['429']);
    const limited = { connection_id: result.connectionId, status: '429' };
    expect(grew(before, after, 'notion_sync_notion_rate_limited_total', { ...limited, rate_limit_reason: 'connection_limit' })).toBe(stats.rateLimited);
    expect(grew(before, after, 'notion_sync_notion_retry_after_seconds_count', { connection_id: result.connectionId })).toBe(stats.rateLimited);
    expect(total(after, 'notion_sync_notion_budget_requests_per_second', { connection_id: result.connectionId })).toBe(70);
    expect(total(after, 'notion_sync_notion_paced_requests_per_second', { connection_id: result.connectionId })).toBeLessThanOrEqual(70);
  });
});

describe('GET /api/metrics: METRICS_TOKEN', () => {
  const token = 'metrics-token-0123456789abcdef';

  it('is open without a token, and with one answers only its bearer (401 before anything is read)', async () => {
    const base = await context();
    expect((await scrape(base)).status).toBe(200);
    const ctx = { ...base, config: { ...base.config, metricsToken: token } };
    for (const authorization of [undefined, `Bearer ${token}x`, `Bearer ${token.slice(0, -1)}`, token, `Basic ${token}`, 'Bearer ']) {
      const refused = await scrape(ctx, authorization);
      expect(refused.status, String(authorization)).toBe(401);
      expect(refused.headers.get('www-authenticate')).toBe('Bearer realm="metrics"');
      expect(refused.text).not.toContain('notion_sync_');
      expect(refused.text).not.toContain(token);
    }
    const allowed = await scrape(ctx, `Bearer ${token}`);
    expect(allowed.status).toBe(200);
    expect(allowed.text).toContain('# TYPE notion_sync_notion_requests_total counter');
    expect((await scrape(ctx, `bearer  ${token} `)).status).toBe(200);
  });

  it('answers 503 without naming why when the server did not start', async () => {
    const failure = Promise.reject(new Error('Cannot open /secret/place/secret.key'));
    failure.catch(() => {});
    g.__notionSyncContext = failure;
    const errors: unknown[] = [];
    const original = console.error;
    console.error = (...args: unknown[]) => errors.push(...args);
    try {
      const response = await GET(new Request('http://localhost/api/metrics'));
      expect(response.status).toBe(503);
      expect(await response.text()).not.toContain('/secret/place');
    } finally {
      console.error = original;
    }
    expect(String(errors[1])).toContain('secret.key');
  });
});
