import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { promtool } from '@/deploy/prometheus/promtool';
import { spawnScript } from '@/server/testing/export-checks';
import { Gauge } from 'prom-client';
import { createTestContext } from '@/server/testing/test-context';
import { metricsRegistry } from './metrics';
import { METRICS_SERVER_PATHS, serveProcessMetrics, startMetricsServer } from './metrics-server';

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'notion-sync-metrics-'));
});
afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

const TOKEN = 'worker-metrics-token-0123456789';

describe('METRICS_PORT', () => {
  it('makes the standalone worker serve /metrics with the token rule, and stop serving when it stops', async () => {
    const worker = spawnScript('server/worker.ts', [], {
      DATABASE_URL: `file:${path.join(dir, 'state.db')}`,
      EXPORTS_DIR: path.join(dir, 'exports'),
      NOTION_SYNC_SECRET: 'worker-test-secret-0123456789',
      METRICS_PORT: '0',
      METRICS_TOKEN: TOKEN,
      LOG_FORMAT: 'json',
    });
    try {
      const line = await worker.line((l) => l.includes('metrics on port'), 'the metrics server started', { stream: 'stdout' });
      const port = Number(/metrics on port (\d+)/.exec(line)?.[1]);
      expect(line).not.toContain(TOKEN);
      const url = `http://127.0.0.1:${port}/metrics`;

      const refused = await fetch(url);
      expect(refused.status).toBe(401);
      expect(await refused.text()).not.toContain('notion_sync_');
      expect((await fetch(url, { headers: { authorization: 'Bearer wrong-token-0123456789' } })).status).toBe(401);

      const scraped = await fetch(url, { headers: { authorization: `Bearer ${TOKEN}` } });
      expect(scraped.status).toBe(200);
      const text = await scraped.text();
      // The worker's own figures: its runner, its disk, its process; what the database says is the dashboard's to report.
      expect(text).toMatch(/^notion_sync_runner_heartbeat_age_seconds \d/m);
      expect(text).toMatch(/^notion_sync_exports_disk_free_bytes \d/m);
      expect(text).toMatch(/^notion_sync_process_resident_memory_bytes \d/m);
      expect(text).not.toContain('notion_sync_queue_depth');
      const lint = await promtool(['check', 'metrics'], text);
      expect(lint.stdout + lint.stderr).toBe('');
      expect(lint.code).toBe(0);

      // The probes, open without the token: alive at once; ready once its runner beats (the line says it runs).
      const base = `http://127.0.0.1:${port}`;
      expect(await (await fetch(`${base}/health/live`)).json()).toEqual({ ok: true, checks: { eventLoop: { ok: true } } });
      await worker.line((l) => l.includes(' running on '), 'the worker runs', { stream: 'stdout' });
      const ready = await fetch(`${base}/health/ready`);
      const readyText = await ready.text();
      expect(ready.status, readyText).toBe(200);
      expect(JSON.parse(readyText).checks).toEqual({ database: { ok: true }, migrations: { ok: true }, exportsDir: { ok: true }, diskSpace: { ok: true }, runner: { ok: true } });
      expect(readyText).not.toContain(dir);

      worker.child.kill('SIGTERM');
      expect((await worker.done).code).toBe(0);
      await expect(fetch(url)).rejects.toThrow();
    } finally {
      worker.child.kill('SIGKILL');
    }
  });
});

describe('the metrics server', () => {
  it('answers GET and HEAD of /metrics only', async () => {
    const server = await startMetricsServer({ port: 0, host: '127.0.0.1' });
    try {
      const base = `http://127.0.0.1:${server.port}`;
      const open = await fetch(`${base}/metrics?x=1`);
      expect(open.status).toBe(200);
      expect(open.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
      expect(await open.text()).toContain('# TYPE notion_sync_notion_requests_total counter');
      const head = await fetch(`${base}/metrics`, { method: 'HEAD' });
      expect(head.status).toBe(200);
      expect(await head.text()).toBe('');
      const missing = await fetch(`${base}/`);
      expect(missing.status).toBe(404);
      expect(await missing.text()).toContain('/health/ready');
      expect((await fetch(`${base}/api/metrics`)).status).toBe(404);
      const post = await fetch(`${base}/metrics`, { method: 'POST', body: 'x' });
      expect(post.status).toBe(405);
      expect(post.headers.get('allow')).toBe('GET, HEAD');
    } finally {
      await server.close();
    }
  });
});

describe('the probes on the metrics port', () => {
  it('answer as the dashboard’s: live at once, ready only once given the process’s context, never naming its folders', async () => {
    const server = await startMetricsServer({ port: 0, host: '127.0.0.1', token: TOKEN });
    const ctx = await createTestContext();
    try {
      const base = `http://127.0.0.1:${server.port}`;
      // No token needed: a kubelet's probe carries none, and the answers say what works, never where.
      const live = await fetch(`${base}/health/live`);
      expect(live.status).toBe(200);
      expect(live.headers.get('cache-control')).toBe('no-store');
      expect(await live.json()).toEqual({ ok: true, checks: { eventLoop: { ok: true } } });
      expect((await fetch(`${base}/health/live`, { method: 'HEAD' })).status).toBe(200);

      const starting = await fetch(`${base}/health/ready`);
      expect(starting.status).toBe(503);
      expect(await starting.json()).toEqual({ ok: false, error: 'The process is starting' });

      server.serveHealth(ctx);
      const ready = await fetch(`${base}/health/ready?probe=1`);
      expect(ready.status).toBe(200);
      const text = await ready.text();
      expect(JSON.parse(text)).toEqual({ ok: true, checks: { database: { ok: true }, migrations: { ok: true }, exportsDir: { ok: true }, diskSpace: { ok: true } } });
      expect(text).not.toContain(ctx.dir);
      const head = await fetch(`${base}/health/ready`, { method: 'HEAD' });
      expect(head.status).toBe(200);
      expect(await head.text()).toBe('');
      expect((await fetch(`${base}/health/ready`, { method: 'POST', body: '{}' })).status).toBe(405);

      // A worker runs a runner whatever RUNNER_ENABLED says: none beats here, so it is not ready.
      server.serveHealth(ctx, { runner: true });
      const noRunner = await fetch(`${base}/health/ready`);
      expect(noRunner.status).toBe(503);
      expect((await noRunner.json()).checks.runner).toEqual({ ok: false, error: 'is not running' });

      // The database gone: not ready, and still alive (a restart would not bring it back).
      ctx.database.close();
      server.serveHealth(ctx);
      const errors = vi.spyOn(console, 'error').mockImplementation(() => {});
      const down = await fetch(`${base}/health/ready`);
      errors.mockRestore();
      expect(down.status).toBe(503);
      expect((await down.json()).checks.database.ok).toBe(false);
      expect((await fetch(`${base}/health/live`)).status).toBe(200);
    } finally {
      await server.close();
      await ctx.cleanup();
    }
  });

  it('are the paths the server names, and the only ones it answers besides /metrics', () => {
    expect(METRICS_SERVER_PATHS).toEqual(['/metrics', '/health/live', '/health/ready']);
  });
});

describe('serveProcessMetrics', () => {
  it('serves nothing without METRICS_PORT, and otherwise says where with the token rule', async () => {
    const lines: string[] = [];
    expect(await serveProcessMetrics({ exportsDir: dir }, (line) => lines.push(line))).toBeUndefined();
    expect(lines).toEqual([]);
    const server = await serveProcessMetrics({ exportsDir: dir, metricsPort: 0, metricsToken: TOKEN }, (line) => lines.push(line));
    try {
      expect(lines).toEqual([`metrics on port ${server?.port} at /metrics (with METRICS_TOKEN), probes at /health/live and /health/ready`]);
      const url = `http://127.0.0.1:${server?.port}/metrics`;
      expect((await fetch(url)).status).toBe(401);
      const text = await (await fetch(url, { headers: { authorization: `Bearer ${TOKEN}` } })).text();
      expect(text).toMatch(/^notion_sync_exports_disk_size_bytes \d/m);
    } finally {
      await server?.close();
    }
  });

  it('answers 500 without details when a metric cannot be collected', async () => {
    new Gauge({
      name: 'notion_sync_test_broken',
      help: 'a collector that fails',
      registers: [metricsRegistry()],
      collect() {
        throw new Error('secret detail');
      },
    });
    const server = await startMetricsServer({ port: 0, host: '127.0.0.1' });
    try {
      const answer = await fetch(`http://127.0.0.1:${server.port}/metrics`);
      expect(answer.status).toBe(500);
      expect(await answer.text()).toBe('The metrics could not be collected\n');
    } finally {
      metricsRegistry().removeSingleMetric('notion_sync_test_broken');
      await server.close();
    }
  });
});
