/**
 * Spans for the code that does the work: an export run, its items, Notion requests, file writes,
 * attachment downloads, tRPC procedures, the zip download. Through the OpenTelemetry API only:
 * while tracing is off (tracing.ts registered no provider) every span is the API's no-op span and
 * no attribute object is built (attributes are given as a function, called only for a recording
 * span).
 *
 * No attribute, status or event carries a token or an Authorization header: the code that makes
 * spans passes ids, templates and counts, and error messages are scrubbed (logger-redaction.ts).
 */
import { type Attributes, context, type Span, type SpanKind, SpanStatusCode, type Tracer, type TracerProvider, trace } from '@opentelemetry/api';
import { scrubSecrets } from './logger-redaction';

/** The export a span belongs to. */
export const ATTR_EXPORT_ID = 'notion_sync.export_id';
/** The page or database (Notion id) a span belongs to. */
export const ATTR_ITEM_ID = 'notion_sync.item_id';

/** Attributes, or a function that makes them (called only when the span records). */
export type SpanAttributes = Attributes | (() => Attributes);

/**
 * The tracer of the process's current provider: the API's proxy provider hands out a tracer that
 * finds the provider tracing.ts registers whenever that happens; a stop (`trace.disable()`)
 * replaces the proxy, and the next call takes a tracer of the new one.
 */
let current: { provider: TracerProvider; tracer: Tracer } | undefined;
function tracer(): Tracer {
  const provider = trace.getTracerProvider();
  if (current?.provider !== provider) current = { provider, tracer: provider.getTracer('notion-sync') };
  return current.tracer;
}

/** Shared by every span of the default kind (internal): nothing is allocated per span for it. */
const NO_OPTIONS = {};

function setAttributes(span: Span, attributes: SpanAttributes | undefined): void {
  if (attributes === undefined || !span.isRecording()) return;
  span.setAttributes(typeof attributes === 'function' ? attributes() : attributes);
}

/**
 * Marks `span` failed: status ERROR and an `exception` event with the error's type and its
 * message scrubbed of secrets (no stack: it repeats the message and says nothing a trace needs).
 */
export function recordError(span: Span, error: unknown): void {
  if (!span.isRecording()) return;
  const message = scrubSecrets(error instanceof Error ? error.message : String(error));
  span.recordException({ name: error instanceof Error ? error.name : 'Error', message });
  span.setStatus({ code: SpanStatusCode.ERROR, message });
}

/** Marks the span this code runs in failed (a failure that is handled, not thrown on). */
export function recordErrorInActiveSpan(error: unknown): void {
  const span = trace.getActiveSpan();
  if (span) recordError(span, error);
}

/**
 * Runs `fn` in a new span, a child of the active one, and active itself while `fn` runs (so spans
 * and log lines made inside belong to it). A throw is recorded as the span's error and rethrown.
 */
export function withSpan<T>(name: string, attributes: SpanAttributes | undefined, fn: (span: Span) => Promise<T>, kind?: SpanKind): Promise<T> {
  return tracer().startActiveSpan(name, kind === undefined ? NO_OPTIONS : { kind }, async (span) => {
    setAttributes(span, attributes);
    try {
      return await fn(span);
    } catch (error) {
      recordError(span, error);
      throw error;
    } finally {
      span.end();
    }
  });
}

/** A span whose end is decided later (a streamed answer); `run` makes it the active span for `fn`. */
export interface OpenSpan {
  readonly span: Span;
  run<T>(fn: () => T): T;
  /** Ends the span, failed when `error` is given. Ending twice does nothing. */
  end(error?: unknown): void;
}

export function openSpan(name: string, attributes?: SpanAttributes, kind?: SpanKind): OpenSpan {
  const span = tracer().startSpan(name, kind === undefined ? NO_OPTIONS : { kind });
  setAttributes(span, attributes);
  const active = trace.setSpan(context.active(), span);
  let ended = false;
  return {
    span,
    run: (fn) => context.with(active, fn),
    end(error) {
      if (ended) return;
      ended = true;
      if (error !== undefined) recordError(span, error);
      span.end();
    },
  };
}

/**
 * `body` as it reaches the client, inside a span that lasts until its last byte is read, the
 * client goes away (the span says `notion_sync.cancelled`) or it fails; with the bytes sent. For
 * the zip download: `new Response(traceWebStream('export.download', { [ATTR_EXPORT_ID]: id }, zip))`.
 * While tracing is off, `body` itself is returned.
 */
export function traceWebStream(name: string, attributes: SpanAttributes | undefined, body: ReadableStream<Uint8Array>): ReadableStream<Uint8Array> {
  const open = openSpan(name, attributes);
  if (!open.span.isRecording()) {
    open.end();
    return body;
  }
  const reader = body.getReader();
  let bytes = 0;
  const finish = (error?: unknown) => {
    open.span.setAttribute('notion_sync.bytes', bytes);
    open.end(error);
  };
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const { done, value } = await open.run(() => reader.read());
        if (done) {
          finish();
          controller.close();
          return;
        }
        bytes += value.byteLength;
        controller.enqueue(value);
      } catch (error) {
        finish(error);
        controller.error(error);
      }
    },
    async cancel(reason) {
      open.span.setAttribute('notion_sync.cancelled', true);
      finish();
      await reader.cancel(reason);
    },
  });
}
