/**
 * Traces over real OTLP/HTTP: a receiver in this test accepts what the exporter posts to
 * `/v1/traces` (JSON), tracing is pointed at it, and a small workspace is exported from the
 * Notion twin with a planted token. The spans received must form the chain export run → item →
 * Notion request (and file writes) by their ids, carry the attributes, correlate with the log
 * lines, and hold no token. With tracing off, an export loads no SDK module and makes no-op spans
 * (in a child process, so nothing this file loaded can hide or fake it).
 */
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startTwin, type Twin } from '@/e2e/notion-twin';
import { loadConfig } from '@/server/config';
import { createConnection } from '@/server/connections/connections';
import { requestExport } from '@/server/export/control/request-export';
import { Runner } from '@/server/runner/runner';
import { callerAs } from '@/server/testing/call-as';
import { spawnScript } from '@/server/testing/export-checks';
import { createTestContext, type TestContext } from '@/server/testing/test-context';
import { startTracing, stopTracing, tracingStarted } from './tracing';

const PLANTED = `secret_traced_${randomBytes(12).toString('hex')}`;

interface OtlpValue {
  stringValue?: string;
  intValue?: number | string;
  doubleValue?: number;
  boolValue?: boolean;
}
interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes: { key: string; value: OtlpValue }[];
  status?: { code?: number; message?: string };
  events?: { name: string; attributes: { key: string; value: OtlpValue }[] }[];
}
interface OtlpExport {
  resourceSpans: { resource: { attributes: { key: string; value: OtlpValue }[] }; scopeSpans: { spans: OtlpSpan[] }[] }[];
}

/** An OTLP/HTTP receiver: every JSON body posted to /v1/traces, as received. */
async function startReceiver(): Promise<{ url: string; bodies: Buffer[]; close(): Promise<void> }> {
  const bodies: Buffer[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const json = (req.headers['content-type'] ?? '').includes('application/json');
      if (req.method !== 'POST' || req.url !== '/v1/traces' || !json) {
        res.writeHead(404).end();
        return;
      }
      bodies.push(Buffer.concat(chunks));
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    bodies,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const unwrap = (value: OtlpValue | undefined) =>
  value?.stringValue ?? (value?.intValue === undefined ? undefined : Number(value.intValue)) ?? value?.doubleValue ?? value?.boolValue;
const attr = (span: OtlpSpan, key: string) => unwrap(span.attributes.find((a) => a.key === key)?.value);
const hex = (id: string) => id.replace(/-/g, '');

let twin: Twin;
let ctx: TestContext;
let receiver: Awaited<ReturnType<typeof startReceiver>>;
/** Log lines this process wrote while tracing was on. */
const logLines: string[] = [];

beforeAll(async () => {
  receiver = await startReceiver();
  twin = await startTwin({
    tokens: [PLANTED],
    workspace: { seed: 21, pages: 6, databases: 1, rowsPerDatabase: 2, unsharedPages: 1, largePages: 0 },
  });
  ctx = await createTestContext({ notionRetry: { baseDelayMs: 1, maxDelayMs: 1 } });
});
afterAll(async () => {
  vi.restoreAllMocks();
  await stopTracing();
  await ctx.cleanup();
  await twin.close();
  await receiver.close();
});

describe('tracing over OTLP/HTTP', () => {
  let exportId: string;
  let spans: OtlpSpan[];
  let payload: Buffer;

  it('sends the spans of an export, tRPC calls included, to the collector the OTEL_* variables name', async () => {
    const config = loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: `${receiver.url}/`, OTEL_SERVICE_NAME: 'notion-sync-test' });
    expect(config.tracing).toEqual({ url: `${receiver.url}/v1/traces`, serviceName: 'notion-sync-test' });
    expect(await startTracing(config.tracing)).toBe(true);
    expect(tracingStarted()).toBe(true);
    const write = process.stdout.write.bind(process.stdout);
    vi.spyOn(process.stdout, 'write').mockImplementation(((chunk: string | Uint8Array, ...rest: never[]) => {
      logLines.push(...String(chunk).split('\n').filter((line) => line.startsWith('{')));
      return write(chunk, ...rest);
    }) as typeof process.stdout.write);

    const connection = await createConnection(ctx, { token: PLANTED, baseUrl: twin.url, name: 'Traced' });
    exportId = await requestExport(ctx, { connectionId: connection.id, formats: ['markdown', 'json'], requestedBy: 'cli' });
    expect(await new Runner(ctx, { concurrency: 2 }).runOnce()).toBe('completed_with_errors'); // the unshared page
    await callerAs(ctx, 'admin').exports.list();
    await expect(callerAs(ctx, 'admin').exports.get({ id: 'no-such-export' })).rejects.toThrow();
    // A graceful stop sends what is still batched.
    await stopTracing();
    expect(tracingStarted()).toBe(false);

    expect(receiver.bodies.length).toBeGreaterThan(0);
    payload = Buffer.concat(receiver.bodies);
    const exported = receiver.bodies.map((body) => JSON.parse(body.toString('utf8')) as OtlpExport);
    const resources = exported.flatMap((e) => e.resourceSpans);
    expect(resources.every((r) => r.resource.attributes.some((a) => a.key === 'service.name' && a.value.stringValue === 'notion-sync-test'))).toBe(
      true,
    );
    spans = resources.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans));
    expect(spans.length).toBeGreaterThan(20);
  });

  it('chains export run → page → Notion request and file writes, by span and parent ids', () => {
    const runs = spans.filter((s) => s.name === 'export.run');
    expect(runs).toHaveLength(1);
    const run = runs[0] as OtlpSpan;
    expect(attr(run, 'notion_sync.export_id')).toBe(exportId);
    expect(attr(run, 'notion_sync.attempt')).toBe(1);
    expect(attr(run, 'notion_sync.outcome')).toBe('completed_with_errors');
    expect(run.parentSpanId ?? '').toBe('');

    // One ordinary page: its item span is the run's child.
    const page = twin.workspace.allPages().find((p) => p.kind === 'page') as { id: string };
    const items = spans.filter((s) => s.name === 'export.page' && hex(String(attr(s, 'notion_sync.item_id'))) === hex(page.id));
    expect(items).toHaveLength(1);
    const item = items[0] as OtlpSpan;
    expect(item.traceId).toBe(run.traceId);
    expect(item.parentSpanId).toBe(run.spanId);
    expect(attr(item, 'notion_sync.export_id')).toBe(exportId);
    expect(attr(item, 'notion_sync.item_kind')).toBe('page');
    expect(item.status?.code ?? 0).not.toBe(2);

    // Its Notion requests are its children: templates, never ids; status, retries, limiter wait.
    const requests = spans.filter((s) => s.parentSpanId === item.spanId && s.kind === 3);
    const blocks = requests.find((s) => attr(s, 'url.template') === '/v1/blocks/{id}/children');
    expect(blocks?.name).toBe('GET /v1/blocks/{id}/children');
    expect(blocks && attr(blocks, 'http.request.method')).toBe('GET');
    expect(blocks && attr(blocks, 'http.response.status_code')).toBe(200);
    expect(blocks && attr(blocks, 'notion_sync.notion.retry_count')).toBe(0);
    expect(blocks && attr(blocks, 'notion_sync.notion.attempts')).toBe(1);
    expect(blocks && attr(blocks, 'notion_sync.notion.limiter_wait_ms')).toEqual(expect.any(Number));
    expect(blocks && attr(blocks, 'server.address')).toBe('127.0.0.1');
    for (const request of requests) expect(request.name).not.toContain(hex(page.id).slice(0, 8));

    // Its files (Markdown and JSON) are written in its span too.
    const writes = spans.filter((s) => s.parentSpanId === item.spanId && s.name === 'file.write');
    expect(writes.map((w) => attr(w, 'notion_sync.file.extension')).sort()).toEqual(['.json', '.md']);
    for (const w of writes) expect(attr(w, 'notion_sync.file.bytes')).toBeGreaterThan(0);

    // Attachments are downloaded in their item's span, named by host only (the URL's query is its signature).
    const itemIds = new Set(spans.filter((s) => s.name === 'export.page' || s.name === 'export.database').map((s) => s.spanId));
    const downloads = spans.filter((s) => s.name === 'attachment.download');
    expect(downloads.length).toBeGreaterThan(0);
    for (const d of downloads) {
      expect(itemIds.has(d.parentSpanId ?? '')).toBe(true);
      expect(attr(d, 'notion_sync.file.bytes')).toBeGreaterThan(0);
      expect(d.attributes.map((a) => a.key).sort()).toEqual(['notion_sync.attachment.kind', 'notion_sync.file.bytes', 'server.address']);
    }

    // Discovery's search and the finish (report, manifest) hang off the run.
    const discover = spans.find((s) => s.name === 'export.discover');
    expect(discover?.parentSpanId).toBe(run.spanId);
    expect(spans.some((s) => s.parentSpanId === discover?.spanId && attr(s, 'url.template') === '/v1/search')).toBe(true);
    const finish = spans.find((s) => s.name === 'export.finish');
    expect(finish?.parentSpanId).toBe(run.spanId);
    expect(spans.filter((s) => s.parentSpanId === finish?.spanId && s.name === 'file.write').length).toBeGreaterThanOrEqual(2);
  });

  it('marks the page Notion refuses as failed, with its 404 request, and says why without a token', () => {
    const unshared = twin.workspace.unsharedPages()[0] as { id: string };
    const item = spans.find((s) => s.name === 'export.page' && hex(String(attr(s, 'notion_sync.item_id'))) === hex(unshared.id));
    expect(item?.status?.code).toBe(2);
    expect(item?.events?.some((e) => e.name === 'exception')).toBe(true);
    const refused = spans.find((s) => s.parentSpanId === item?.spanId && attr(s, 'http.response.status_code') === 404);
    expect(refused?.status?.code).toBe(2);
    expect(attr(refused as OtlpSpan, 'url.template')).toBe('/v1/pages/{id}');
  });

  it('traces tRPC procedures: a refusal is an answer, not a failure', () => {
    const list = spans.find((s) => s.name === 'trpc exports.list');
    expect(list && attr(list, 'rpc.system')).toBe('trpc');
    expect(list && attr(list, 'notion_sync.trpc.type')).toBe('query');
    const missing = spans.find((s) => s.name === 'trpc exports.get');
    expect(missing && attr(missing, 'notion_sync.trpc.code')).toBe('NOT_FOUND');
    expect(missing?.status?.code ?? 0).not.toBe(2);
  });

  it('logs with the ids of the span a line is written in', () => {
    const records = logLines.map((line) => JSON.parse(line) as Record<string, unknown>);
    const run = spans.find((s) => s.name === 'export.run') as OtlpSpan;
    const started = records.find((r) => r.msg === 'export run started');
    expect(started).toMatchObject({ level: 'info', exportId, traceId: run.traceId, spanId: run.spanId });
    const unshared = twin.workspace.unsharedPages()[0] as { id: string };
    const item = spans.find((s) => s.name === 'export.page' && hex(String(attr(s, 'notion_sync.item_id'))) === hex(unshared.id)) as OtlpSpan;
    const refused = records.find((r) => r.level === 'warn' && typeof r.itemId === 'string' && hex(r.itemId) === hex(unshared.id));
    expect(refused).toMatchObject({ exportId, traceId: item.traceId });
  });

  it('sends no token and no Authorization header to the collector, nor logs one', () => {
    expect(payload.includes(PLANTED)).toBe(false);
    expect(payload.includes(PLANTED.slice('secret_'.length))).toBe(false);
    expect(payload.toString('utf8')).not.toMatch(/authorization|bearer/i);
    expect(logLines.join('\n')).not.toContain(PLANTED.slice('secret_'.length));
  });
});

describe('tracing off', () => {
  it('loads no SDK module during a whole export, and spans do not record', async () => {
    const child = spawnScript('server/testing/tracing-off-child.ts', [], {
      OTEL_EXPORTER_OTLP_ENDPOINT: undefined,
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: undefined,
      LOG_LEVEL: 'silent',
    });
    const { code, stdout, stderr } = await child.done;
    expect(code, stderr).toBe(0);
    const report = JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}');
    expect(report).toEqual({
      outcome: 'completed',
      recording: false,
      before: { started: false, tracingStarted: false, sdkModules: [] },
      // The control: the same look finds the SDK once tracing is started.
      after: { tracingStarted: true, sdkModules: expect.any(Number) },
    });
    expect(report.after.sdkModules).toBeGreaterThan(10);
  });
});
