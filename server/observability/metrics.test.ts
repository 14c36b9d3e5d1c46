import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { promtool } from '@/deploy/prometheus/promtool';
import { recordAttachments, recordItemExported, recordItemFailed, recordZipDownload } from './export-metrics';
import { recordEventAppend } from './event-metrics';
import {
  diskSpace,
  enableDatabaseMetrics,
  everyMetricName,
  metricsState,
  metricsText,
  type WatchedConnection,
  watchConnection,
  watchExportsDisk,
} from './metrics';
import { endpointTemplate, notionRequestMetrics, rateLimitReasonOf } from './notion-metrics';
import { trackRunner } from './runner-metrics';
import { metricSamples, sampleValue } from '@/server/testing/metric-samples';

const watched = (configured: number, effective: number, state: 'closed' | 'open' | 'half_open'): WatchedConnection => ({
  limiter: { learned: () => ({ configured, effective }) },
  breaker: { state: () => state },
});

describe('endpoint templates', () => {
  it('keeps the words of the API and turns every id into a placeholder, without the query', () => {
    const id = '59833787-2cf9-4fdf-8782-e53db20768a5';
    const cases: [string, string][] = [
      [`https://api.notion.com/v1/blocks/${id}/children?page_size=100&start_cursor=abc`, '/v1/blocks/{id}/children'],
      ['http://127.0.0.1:4100/v1/blocks/59833787cf94fdf8782e53db20768a5/children', '/v1/blocks/{id}/children'],
      [`https://api.notion.com/v1/pages/${id}`, '/v1/pages/{id}'],
      [`https://api.notion.com/v1/pages/${id}/properties/%3AUPp?page_size=100`, '/v1/pages/{id}/properties/{property_id}'],
      ['https://api.notion.com/v1/search', '/v1/search'],
      [`https://api.notion.com/v1/data_sources/${id}/query`, '/v1/data_sources/{id}/query'],
      ['https://api.notion.com/v1/users/me', '/v1/users/me'],
      [`https://api.notion.com/v1/databases/${id}/`, '/v1/databases/{id}'],
      ['https://files.example.com/secure/abc.png', 'other'],
      ['https://api.notion.com/v1/a/b/c/d/e/f/g/h/i', 'other'],
    ];
    for (const [url, template] of cases) expect(endpointTemplate(url), url).toBe(template);
  });

  it("reads the rate limit's reason from a 429's body, and nothing that is not a plain word", () => {
    expect(rateLimitReasonOf(JSON.stringify({ code: 'rate_limited', additional_data: { rate_limit_reason: 'workspace_limit' } }))).toBe('workspace_limit');
    expect(rateLimitReasonOf(JSON.stringify({ code: 'rate_limited' }))).toBe('unknown');
    expect(rateLimitReasonOf('<html>busy</html>')).toBe('unknown');
    expect(rateLimitReasonOf(undefined)).toBe('unknown');
    expect(rateLimitReasonOf(JSON.stringify({ additional_data: { rate_limit_reason: 'page 59833787-2cf9 of user x' } }))).toBe('other');
  });
});

describe('Notion request metrics', () => {
  it('counts every attempt by connection, method, endpoint and status, and its latency', async () => {
    const metrics = notionRequestMetrics('conn-requests');
    const url = 'https://api.notion.com/v1/blocks/59833787-2cf9-4fdf-8782-e53db20768a5/children?page_size=100';
    metrics.attempt({ method: 'GET', url, status: 200, durationMs: 120 });
    metrics.attempt({ method: 'GET', url: url.replace('5983', 'aaaa'), status: 200, durationMs: 80 });
    metrics.attempt({ method: 'GET', url, status: 502, durationMs: 30 });
    metrics.attempt({ method: 'GET', url, error: 'timeout', durationMs: 60_000 });
    metrics.attempt({ method: 'POST', url: 'https://api.notion.com/v1/search', error: 'network', durationMs: 5 });
    metrics.attempt({ method: 'BREW', url: 'https://api.notion.com/v1/search', status: 200, durationMs: 5 });
    const conn = { connection_id: 'conn-requests' };
    const children = { ...conn, method: 'GET', endpoint: '/v1/blocks/{id}/children' };
    expect(await sampleValue('notion_sync_notion_requests_total', { ...children, status: '200' })).toBe(2);
    expect(await sampleValue('notion_sync_notion_requests_total', { ...children, status: '502' })).toBe(1);
    expect(await sampleValue('notion_sync_notion_requests_total', { ...children, status: 'timeout' })).toBe(1);
    expect(await sampleValue('notion_sync_notion_requests_total', { ...conn, method: 'POST', endpoint: '/v1/search', status: 'network' })).toBe(1);
    expect(await sampleValue('notion_sync_notion_requests_total', { ...conn, method: 'OTHER', endpoint: '/v1/search' })).toBe(1);
    expect(await sampleValue('notion_sync_notion_requests_total', conn)).toBe(6);
    const latency = (await metricSamples('notion_sync_notion_request_duration_seconds')).filter((s) => s.labels.connection_id === 'conn-requests');
    const count = latency.filter((s) => s.metricName?.endsWith('_count') && s.labels.endpoint === '/v1/blocks/{id}/children');
    expect(count.reduce((t, s) => t + s.value, 0)).toBe(4);
    const le100ms = latency.find((s) => s.labels.le === 0.1 && s.labels.endpoint === '/v1/blocks/{id}/children');
    expect(le100ms?.value).toBe(2); // 80 ms and 30 ms
  });

  it('counts 429 and 529 by rate_limit_reason, with their Retry-After, and the waits for the limiter', async () => {
    const metrics = notionRequestMetrics('conn-limited');
    const body = (reason: string) => JSON.stringify({ object: 'error', status: 429, code: 'rate_limited', additional_data: { rate_limit_reason: reason } });
    metrics.attempt({ method: 'GET', url: 'https://api.notion.com/v1/users/me', status: 429, durationMs: 5, retryAfterMs: 2000, body: body('connection_limit') });
    metrics.attempt({ method: 'GET', url: 'https://api.notion.com/v1/users/me', status: 429, durationMs: 5, retryAfterMs: 30_000, body: body('workspace_limit') });
    metrics.attempt({ method: 'GET', url: 'https://api.notion.com/v1/users/me', status: 529, durationMs: 5 });
    metrics.waited(1500);
    metrics.waited(0);
    const conn = { connection_id: 'conn-limited' };
    expect(await sampleValue('notion_sync_notion_rate_limited_total', { ...conn, status: '429', rate_limit_reason: 'connection_limit' })).toBe(1);
    expect(await sampleValue('notion_sync_notion_rate_limited_total', { ...conn, status: '429', rate_limit_reason: 'workspace_limit' })).toBe(1);
    expect(await sampleValue('notion_sync_notion_rate_limited_total', { ...conn, status: '529', rate_limit_reason: 'unknown' })).toBe(1);
    const retryAfter = (await metricSamples('notion_sync_notion_retry_after_seconds')).filter((s) => s.labels.connection_id === 'conn-limited');
    expect(retryAfter.find((s) => s.metricName?.endsWith('_sum'))?.value).toBe(32);
    expect(retryAfter.find((s) => s.metricName?.endsWith('_count'))?.value).toBe(2);
    const wait = (await metricSamples('notion_sync_notion_limiter_wait_seconds')).filter((s) => s.labels.connection_id === 'conn-limited');
    expect(wait.find((s) => s.metricName?.endsWith('_sum'))?.value).toBe(1.5);
    expect(wait.find((s) => s.metricName?.endsWith('_count'))?.value).toBe(2);
  });

  it("reports each watched connection's budget, pace and breaker state at scrape time, forgetting the oldest beyond 64", async () => {
    notionRequestMetrics('conn-watched', watched(3, 2.5, 'open'));
    expect(await sampleValue('notion_sync_notion_budget_requests_per_second', { connection_id: 'conn-watched' })).toBe(3);
    expect(await sampleValue('notion_sync_notion_paced_requests_per_second', { connection_id: 'conn-watched' })).toBe(2.5);
    const breaker = (await metricSamples('notion_sync_notion_circuit_breaker_state')).filter((s) => s.labels.connection_id === 'conn-watched');
    expect(Object.fromEntries(breaker.map((s) => [s.labels.state, s.value]))).toEqual({ closed: 0, open: 1, half_open: 0 });
    // Requests of a token being checked (no connection yet) are counted, without a gauge.
    notionRequestMetrics(undefined).attempt({ method: 'GET', url: 'https://api.notion.com/v1/users/me', status: 401, durationMs: 1 });
    expect(await sampleValue('notion_sync_notion_requests_total', { connection_id: '', status: '401' })).toBe(1);

    // Recorders of connections that came and went (tokens replaced, connections removed) are bounded too.
    const first = notionRequestMetrics('conn-recorder-0');
    for (let i = 1; i <= 64; i++) notionRequestMetrics(`conn-recorder-${i}`);
    expect(notionRequestMetrics('conn-recorder-0')).not.toBe(first);
    for (let i = 0; i < 64; i++) watchConnection(`conn-many-${i}`, watched(3, 3, 'closed'));
    expect(metricsState().connections.size).toBe(64);
    expect(metricsState().connections.has('conn-watched')).toBe(false);
    expect(await sampleValue('notion_sync_notion_budget_requests_per_second', { connection_id: 'conn-watched' })).toBe(0);
  });
});

describe('export metrics', () => {
  it('counts items, and files and bytes by format, attachments from the store counters once each', async () => {
    const before = {
      pages: await sampleValue('notion_sync_export_items_total', { kind: 'page', outcome: 'exported' }),
      failed: await sampleValue('notion_sync_export_items_total', { kind: 'database', outcome: 'failed' }),
      markdown: await sampleValue('notion_sync_export_bytes_total', { format: 'markdown' }),
      attachmentFiles: await sampleValue('notion_sync_export_files_total', { format: 'attachment' }),
      attachmentBytes: await sampleValue('notion_sync_export_bytes_total', { format: 'attachment' }),
    };
    recordItemExported('page', [
      { path: 'Page 1.md', bytes: 10 },
      { path: 'Page 1.html', bytes: 20 },
      { path: 'Page 1/Tasks.csv', bytes: 5 },
      { path: 'Page 1.json', bytes: 30 },
      { path: 'attachments/0123/a.png', bytes: 1000 },
      { path: 'README', bytes: 1 },
    ]);
    recordItemFailed('database');
    expect(await sampleValue('notion_sync_export_items_total', { kind: 'page', outcome: 'exported' })).toBe(before.pages + 1);
    expect(await sampleValue('notion_sync_export_items_total', { kind: 'database', outcome: 'failed' })).toBe(before.failed + 1);
    expect(await sampleValue('notion_sync_export_bytes_total', { format: 'markdown' })).toBe(before.markdown + 10);
    expect(await sampleValue('notion_sync_export_files_total', { format: 'csv' })).toBeGreaterThanOrEqual(1);
    expect(await sampleValue('notion_sync_export_files_total', { format: 'other' })).toBeGreaterThanOrEqual(1);

    const counts = { saved: 2, deduplicated: 1, failed: 0, bytes: 3000 };
    const store = { stats: () => ({ ...counts }) };
    recordAttachments(store);
    recordAttachments(store); // nothing new
    Object.assign(counts, { saved: 3, failed: 1, bytes: 3500 });
    recordAttachments(store);
    expect(await sampleValue('notion_sync_export_files_total', { format: 'attachment' })).toBe(before.attachmentFiles + 3);
    expect(await sampleValue('notion_sync_export_bytes_total', { format: 'attachment' })).toBe(before.attachmentBytes + 3500);
    expect(await sampleValue('notion_sync_attachments_total', { outcome: 'deduplicated' })).toBeGreaterThanOrEqual(1);
  });

  it('counts zip downloads and their bytes, and times event-store appends', async () => {
    const bytesBefore = await sampleValue('notion_sync_zip_download_bytes_total');
    recordZipDownload({ outcome: 'completed', bytes: 4096 });
    recordZipDownload({ outcome: 'aborted', bytes: 0 });
    expect(await sampleValue('notion_sync_zip_download_bytes_total')).toBe(bytesBefore + 4096);
    expect(await sampleValue('notion_sync_zip_downloads_total', { outcome: 'aborted' })).toBeGreaterThanOrEqual(1);
    const appendsBefore = (await metricSamples('notion_sync_event_store_append_duration_seconds')).find((s) => s.metricName?.endsWith('_count'))?.value ?? 0;
    recordEventAppend(3);
    const appends = await metricSamples('notion_sync_event_store_append_duration_seconds');
    expect(appends.find((s) => s.metricName?.endsWith('_count'))?.value).toBe(appendsBefore + 1);
  });
});

describe('runner metrics', () => {
  it("reports the stalest runner's heartbeat age and the exports in flight, and forgets a stopped runner", async () => {
    const state = metricsState();
    const realNow = state.now;
    let now = 1_000_000;
    state.now = () => now;
    try {
      for (const owner of [...state.runners.keys()]) state.runners.delete(owner);
      const a = trackRunner('host:1:a');
      const b = trackRunner('host:1:b');
      now += 30_000;
      a.beat();
      const ended = b.runStarted();
      now += 5_000;
      expect(await sampleValue('notion_sync_runner_heartbeat_age_seconds')).toBe(5);
      expect(await sampleValue('notion_sync_runner_active_exports')).toBe(1);
      ended('completed');
      ended('completed'); // once
      expect(await sampleValue('notion_sync_runner_active_exports')).toBe(0);
      expect(await sampleValue('notion_sync_export_run_duration_seconds', { outcome: 'completed' })).toBeGreaterThan(0);
      b.stopped();
      a.stopped();
      expect(state.runners.size).toBe(0);
      // Runners nobody stopped (tests make many) are forgotten beyond 64, the oldest first.
      for (let i = 0; i < 70; i++) trackRunner(`host:1:many-${i}`);
      expect(state.runners.size).toBe(64);
      expect(state.runners.has('host:1:many-5')).toBe(false);
      expect(state.runners.has('host:1:many-6')).toBe(true);
      for (const owner of [...state.runners.keys()]) state.runners.delete(owner);
    } finally {
      state.now = realNow;
    }
  });
});

describe('database and disk metrics', () => {
  it('shows a database that does not answer as notion_sync_database_up 0, without failing the scrape', async () => {
    enableDatabaseMetrics(() => Promise.reject(new Error('SQLITE_BUSY')));
    const text = await metricsText();
    expect(text).toMatch(/^notion_sync_database_up 0$/m);
    expect(text).not.toMatch(/^notion_sync_queue_depth\{/m);
    enableDatabaseMetrics(async () => ({
      exportsByStatus: [{ status: 'queued', count: 2 }],
      queue: { due: 1, scheduled: 1, oldestDueAgeSeconds: 12, activeLeases: 1, expiredLeases: 0 },
      connections: [{ connectionId: 'c1', lastSuccessSeconds: 1_700_000_000, deadLetters: 3 }],
    }));
    const read = await metricsText();
    expect(read).toMatch(/^notion_sync_database_up 1$/m);
    expect(read).toMatch(/^notion_sync_queue_depth\{state="due"\} 1$/m);
    expect(read).toMatch(/^notion_sync_exports\{status="queued"\} 2$/m);
    expect(read).toMatch(/^notion_sync_dead_letters\{connection_id="c1"\} 3$/m);
    expect(read).toMatch(/^notion_sync_last_successful_export_timestamp_seconds\{connection_id="c1"\} 1700000000$/m);
  });

  it("reads the disk of the exports folder, or of its nearest existing parent before it exists", async () => {
    const missing = path.join(process.cwd(), 'no-such-folder', 'exports');
    const space = await diskSpace(missing);
    expect(space.sizeBytes).toBeGreaterThan(0);
    expect(space.freeBytes).toBeGreaterThan(0);
    await expect(diskSpace('/x', () => Promise.reject(Object.assign(new Error('denied'), { code: 'EACCES' })))).rejects.toThrow('denied');
    watchExportsDisk(missing);
    expect(await sampleValue('notion_sync_exports_disk_size_bytes')).toBe(space.sizeBytes);
  });
});

describe('the exposition', () => {
  it('is accepted by promtool check metrics, with every metric of every group and a value in each', async () => {
    const names = everyMetricName();
    // Default process metrics, prefixed; the three *_total gauges are gone (promtool refuses them).
    expect(names).toEqual(expect.arrayContaining(['notion_sync_process_resident_memory_bytes', 'notion_sync_nodejs_eventloop_lag_p99_seconds', 'notion_sync_nodejs_gc_duration_seconds']));
    expect(names.filter((n) => /^notion_sync_nodejs_active_\w+_total$/.test(n))).toEqual([]);
    expect(names.every((n) => n.startsWith('notion_sync_'))).toBe(true);
    trackRunner('host:1:lint');
    const text = await metricsText();
    const result = await promtool(['check', 'metrics'], text);
    expect(result.stdout + result.stderr).toBe('');
    expect(result.code).toBe(0);
  });

  it('is refused by promtool when a metric breaks the conventions (the check can fail)', async () => {
    const result = await promtool(['check', 'metrics'], '# HELP x_total a gauge\n# TYPE x_total gauge\nx_total 1\n');
    expect(result.stdout + result.stderr).toContain('non-counter metrics should not have "_total" suffix');
  });
});

describe('docs/metrics.md', () => {
  it('describes every metric of the registry (the default process metrics by their prefixes)', () => {
    const doc = fs.readFileSync(path.join(import.meta.dirname, '..', '..', 'docs', 'metrics.md'), 'utf8');
    const ours = everyMetricName().filter((name) => !/^notion_sync_(process|nodejs)_/.test(name));
    expect(ours.filter((name) => !doc.includes(`\`${name}\``))).toEqual([]);
    expect(ours.length).toBeGreaterThan(25);
  });
});
