import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTwin, type Twin } from '@/e2e/notion-twin';
import type { AppContext } from '@/server/app-context';
import { createConnection } from '@/server/connections/connections';
import { getExport } from '@/server/export/control/export-queries';
import { requestExport } from '@/server/export/control/request-export';
import { Runner } from '@/server/runner/runner';
import { createTestContext, type TestContext } from '@/server/testing/test-context';
import { GET } from './route';

/**
 * End to end: Debian's Prometheus server scrapes the dashboard's /api/metrics (the route handler
 * behind a plain HTTP server) with the alert rules loaded, while an export runs against the twin;
 * a query over Prometheus's API then sees the request counter equal to what the twin received.
 */

const PROMETHEUS = process.env.PROMETHEUS ?? '/usr/bin/prometheus';
const TOKEN = 'prometheus-e2e-token-0123456789';
const g = globalThis as typeof globalThis & { __notionSyncContext?: Promise<AppContext> };

let twin: Twin;
let ctx: TestContext;
let dashboard: http.Server;
let prometheus: ChildProcess | undefined;
let prometheusUrl: string;
let dir: string;
let prometheusLog = '';

async function freePort(): Promise<number> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Resolves once `check` gives a value, trying every 200 ms up to `timeoutMs` (then fails with `what`). */
async function waitFor<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; Prometheus said:\n${prometheusLog.slice(-2000)}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

async function query(promql: string): Promise<{ metric: Record<string, string>; value: [number, string] }[]> {
  const response = await fetch(`${prometheusUrl}/api/v1/query?query=${encodeURIComponent(promql)}`);
  const body = (await response.json()) as { status: string; data: { result: { metric: Record<string, string>; value: [number, string] }[] } };
  if (body.status !== 'success') throw new Error(JSON.stringify(body));
  return body.data.result;
}

beforeAll(async () => {
  if (!fs.existsSync(PROMETHEUS)) throw new Error(`Prometheus is not installed at ${PROMETHEUS}: install Debian's prometheus package (apt-get install --no-install-recommends prometheus)`);
  twin = await startTwin({ workspace: { seed: 21, pages: 20, databases: 1, rowsPerDatabase: 4 }, latencyMs: [40, 60] });
  ctx = await createTestContext();
  g.__notionSyncContext = Promise.resolve({ ...ctx, config: { ...ctx.config, metricsToken: TOKEN } });
  // The route handler behind a plain HTTP server, as Next serves it.
  dashboard = http.createServer((req, res) => {
    const request = new Request(`http://127.0.0.1${req.url}`, { headers: req.headers.authorization ? { authorization: req.headers.authorization } : {} });
    GET(request).then(async (answer) => {
      res.writeHead(answer.status, Object.fromEntries(answer.headers)).end(await answer.text());
    }, () => res.writeHead(500).end());
  });
  await new Promise<void>((resolve) => dashboard.listen(0, '127.0.0.1', resolve));
  const dashboardPort = (dashboard.address() as AddressInfo).port;

  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'notion-sync-prometheus-'));
  fs.writeFileSync(path.join(dir, 'token'), TOKEN);
  fs.copyFileSync(path.join(process.cwd(), 'deploy', 'prometheus', 'alerts.yml'), path.join(dir, 'alerts.yml'));
  fs.writeFileSync(
    path.join(dir, 'prometheus.yml'),
    [
      'global: { scrape_interval: 1s, evaluation_interval: 1s }',
      'rule_files: [alerts.yml]',
      'scrape_configs:',
      '  - job_name: notion-sync',
      '    metrics_path: /api/metrics',
      `    authorization: { type: Bearer, credentials_file: ${path.join(dir, 'token')} }`,
      `    static_configs: [{ targets: ['127.0.0.1:${dashboardPort}'] }]`,
      '',
    ].join('\n'),
  );
  const port = await freePort();
  prometheusUrl = `http://127.0.0.1:${port}`;
  prometheus = spawn(
    PROMETHEUS,
    [`--config.file=${path.join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${path.join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  prometheus.stdout?.on('data', (d) => {
    prometheusLog += String(d);
  });
  prometheus.stderr?.on('data', (d) => {
    prometheusLog += String(d);
  });
  await waitFor('Prometheus to be ready', async () => ((await fetch(`${prometheusUrl}/-/ready`)).ok ? true : undefined));
});

afterAll(async () => {
  prometheus?.kill('SIGTERM');
  await new Promise((resolve) => (prometheus && prometheus.exitCode === null ? prometheus.once('exit', resolve) : resolve(undefined)));
  await new Promise((resolve) => dashboard?.close(resolve));
  g.__notionSyncContext = undefined;
  await twin?.close();
  await ctx?.cleanup();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

describe('a real Prometheus scraping /api/metrics', () => {
  it('scrapes with the token, loads the alert rules, and sees the request counter reach what the twin received', async () => {
    // Scrapes succeed with the token (a refused one shows as up == 0).
    await waitFor('a successful scrape', async () => ((await query('up{job="notion-sync"}'))[0]?.value[1] === '1' ? true : undefined));

    twin.resetStats();
    const connection = await createConnection(ctx, { token: 'secret_twin', baseUrl: twin.url });
    const exportId = await requestExport(ctx, { connectionId: connection.id, formats: ['markdown'], requestedBy: 'dashboard' });
    const runner = new Runner(ctx, { concurrency: 2 });
    let ended = false;
    const outcome = runner.runOnce().finally(() => {
      ended = true;
    });
    // Scraped while the export runs (some 5 s at the twin's 40–60 ms per request): a partial count.
    const during = await waitFor('requests counted during the export', async () => {
      const [sample] = await query(`sum(notion_sync_notion_requests_total{connection_id="${connection.id}"})`);
      return sample && Number(sample.value[1]) > 0 ? { count: Number(sample.value[1]), ended } : undefined;
    });
    expect(during.ended).toBe(false);
    expect(await outcome).toBe('completed');
    await runner.stop();
    const received = twin.stats().requests;
    expect(during.count).toBeLessThan(received);

    const total = await waitFor('the whole export to be scraped', async () => {
      const [sample] = await query('sum(notion_sync_notion_requests_total)');
      return sample && Number(sample.value[1]) === received ? Number(sample.value[1]) : undefined;
    });
    expect(total).toBe(received);
    // Read from the database at scrape time: the export's end, once a scrape followed it.
    const finishedAt = (await getExport(ctx.database.db, exportId)).finishedAt?.getTime();
    const scrapedEnd = await waitFor('the end of the export in a scrape', async () => {
      const [sample] = await query(`notion_sync_last_successful_export_timestamp_seconds{connection_id="${connection.id}"}`);
      return sample ? Number(sample.value[1]) : undefined;
    });
    expect(scrapedEnd).toBeCloseTo((finishedAt ?? 0) / 1000, 3);

    const rules = (await (await fetch(`${prometheusUrl}/api/v1/rules`)).json()) as { data: { groups: { name: string; rules: { name: string; health: string }[] }[] } };
    const loaded = rules.data.groups.flatMap((group) => group.rules);
    expect(loaded.map((r) => r.name)).toEqual(expect.arrayContaining(['NotionSyncExportOverdue', 'NotionSyncRateLimited', 'notion_sync:export_max_age_seconds']));
    // Every rule evaluates (no rule errs on the metrics as they are).
    await waitFor('every rule evaluated', async () => {
      const now = (await (await fetch(`${prometheusUrl}/api/v1/rules`)).json()) as typeof rules;
      const all = now.data.groups.flatMap((group) => group.rules);
      return all.every((r) => r.health === 'ok') ? true : undefined;
    });
  });
});
