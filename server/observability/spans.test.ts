import { context, SpanKind, trace } from '@opentelemetry/api';
import { InMemorySpanExporter, NodeTracerProvider, type ReadableSpan, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-node';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ATTR_EXPORT_ID, openSpan, recordErrorInActiveSpan, traceWebStream, withSpan } from './spans';
import { type NotionCallObserver, traceNotionCall } from './spans-notion';

let exporter: InMemorySpanExporter | undefined;

/** A recording provider whose finished spans are kept in memory. */
function recordSpans(): InMemorySpanExporter {
  exporter = new InMemorySpanExporter();
  new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }).register();
  return exporter;
}

const named = (spans: ReadableSpan[], name: string) => spans.find((s) => s.name === name) as ReadableSpan;

afterEach(() => {
  exporter?.reset();
  trace.disable();
  context.disable();
});

function streamOf(chunks: string[], fail?: Error): ReadableStream<Uint8Array> {
  let i = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      const chunk = chunks[i++];
      if (chunk !== undefined) controller.enqueue(new TextEncoder().encode(chunk));
      else if (fail) controller.error(fail);
      else controller.close();
    },
  });
}

async function readAll(stream: ReadableStream<Uint8Array>): Promise<string> {
  return new Response(stream).text();
}

describe('spans while tracing is off', () => {
  it('run the code in a no-op span without building attributes', async () => {
    const attributes = vi.fn(() => ({ [ATTR_EXPORT_ID]: 'e1' }));
    const result = await withSpan('export.run', attributes, async (span) => (span.isRecording() ? 'recorded' : 'not recorded'));
    expect(result).toBe('not recorded');
    expect(attributes).not.toHaveBeenCalled();
    await expect(withSpan('fails', undefined, async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    recordErrorInActiveSpan(new Error('nowhere to record'));
  });

  it('hand a streamed body back as it is', () => {
    const body = streamOf(['a']);
    expect(traceWebStream('export.download', { [ATTR_EXPORT_ID]: 'e1' }, body)).toBe(body);
  });

  it('give a Notion call no observer', async () => {
    let observer: NotionCallObserver | undefined = () => undefined;
    await traceNotionCall('https://api.notion.com/v1/search', 'POST', async (observe) => {
      observer = observe;
      return new Response('{}');
    });
    expect(observer).toBeUndefined();
  });
});

describe('spans while tracing is on', () => {
  it('nest, carry their attributes, and record a thrown error with its message scrubbed, without a stack', async () => {
    const spans = recordSpans();
    await withSpan('export.run', () => ({ [ATTR_EXPORT_ID]: 'e1' }), async () => {
      await withSpan('export.page', { 'notion_sync.item_id': 'p1' }, async () => 'ok');
      await expect(
        withSpan('file.write', undefined, async () => {
          throw new TypeError('bad header "Bearer secret_abc123"');
        }),
      ).rejects.toThrow(TypeError);
      recordErrorInActiveSpan('stopped: ntn_xyz');
    });
    const finished = spans.getFinishedSpans();
    const run = named(finished, 'export.run');
    const page = named(finished, 'export.page');
    const write = named(finished, 'file.write');
    expect(run.attributes).toEqual({ [ATTR_EXPORT_ID]: 'e1' });
    expect(page.parentSpanContext?.spanId).toBe(run.spanContext().spanId);
    expect(page.attributes).toEqual({ 'notion_sync.item_id': 'p1' });
    expect(write.status).toEqual({ code: 2, message: 'bad header "Bearer [redacted]"' });
    expect(write.events[0]?.attributes).toEqual({ 'exception.type': 'TypeError', 'exception.message': 'bad header "Bearer [redacted]"' });
    expect(run.status).toEqual({ code: 2, message: 'stopped: [redacted]' });
  });

  it('open a span whose end comes later, active inside `run`, ended once', async () => {
    const spans = recordSpans();
    const open = openSpan('export.download', { [ATTR_EXPORT_ID]: 'e1' }, SpanKind.SERVER);
    await open.run(() => withSpan('zip.entry', undefined, async () => undefined));
    open.end(new Error('client went away'));
    open.end();
    const finished = spans.getFinishedSpans();
    expect(finished.filter((s) => s.name === 'export.download')).toHaveLength(1);
    expect(named(finished, 'zip.entry').parentSpanContext?.spanId).toBe(open.span.spanContext().spanId);
    expect(named(finished, 'export.download').status.code).toBe(2);
    expect(named(finished, 'export.download').kind).toBe(SpanKind.SERVER);
  });

  it('follow a streamed body to its last byte, a cancel, or a failure', async () => {
    const spans = recordSpans();
    expect(await readAll(traceWebStream('whole', { [ATTR_EXPORT_ID]: 'e1' }, streamOf(['abc', 'de'])))).toBe('abcde');
    const cancelled = traceWebStream('cancelled', undefined, streamOf(['abc', 'de']));
    const reader = cancelled.getReader();
    await reader.read();
    await reader.cancel('gone');
    await expect(readAll(traceWebStream('failed', undefined, streamOf(['abc'], new Error('disk gone'))))).rejects.toThrow('disk gone');
    const finished = spans.getFinishedSpans();
    expect(named(finished, 'whole').attributes).toEqual({ [ATTR_EXPORT_ID]: 'e1', 'notion_sync.bytes': 5 });
    expect(named(finished, 'cancelled').attributes).toEqual({ 'notion_sync.cancelled': true, 'notion_sync.bytes': 3 });
    expect(named(finished, 'cancelled').status.code).not.toBe(2);
    expect(named(finished, 'failed').status).toEqual({ code: 2, message: 'disk gone' });
  });

  it('make one client span per Notion call, over its attempts: template, status, retries and waits', async () => {
    const spans = recordSpans();
    const answer = await traceNotionCall('https://api.notion.com/v1/blocks/0a1b2c3d-0000-4000-8000-000000000001/children?page_size=100', 'GET', async (observe) => {
      observe?.({ type: 'request', waitMs: 12.4 });
      observe?.({ type: 'rate_limited', waitMs: 1000 });
      observe?.({ type: 'request', waitMs: 1000.2 });
      observe?.({ type: 'retry', waitMs: 250 });
      observe?.({ type: 'request', waitMs: 0 });
      return new Response('{}', { status: 200 });
    });
    expect(answer.status).toBe(200);
    await traceNotionCall('https://api.notion.com/v1/pages/0a1b2c3d-0000-4000-8000-000000000002', 'GET', async (observe) => {
      observe?.({ type: 'request' });
      return new Response('{}', { status: 404 });
    });
    await expect(
      traceNotionCall('not a url', 'GET', async () => {
        throw new TypeError('fetch failed');
      }),
    ).rejects.toThrow('fetch failed');
    const [children, page, broken] = spans.getFinishedSpans();
    expect(children?.name).toBe('GET /v1/blocks/{id}/children');
    expect(children?.kind).toBe(SpanKind.CLIENT);
    expect(children?.attributes).toEqual({
      'http.request.method': 'GET',
      'url.template': '/v1/blocks/{id}/children',
      'server.address': 'api.notion.com',
      'http.response.status_code': 200,
      'notion_sync.notion.attempts': 3,
      'notion_sync.notion.retry_count': 2,
      'notion_sync.notion.rate_limited_count': 1,
      'notion_sync.notion.limiter_wait_ms': 1013,
      'notion_sync.notion.backoff_ms': 250,
    });
    expect(page?.status).toEqual({ code: 2, message: 'HTTP 404' });
    expect(page?.attributes['notion_sync.notion.retry_count']).toBe(0);
    expect(broken?.attributes['server.address']).toBe('');
    expect(broken?.status.code).toBe(2);
  });
});
