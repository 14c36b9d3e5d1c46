/**
 * The span of one Notion API call, from the first wait for the rate limiter to the answer handed
 * to the SDK, across every attempt: its endpoint as a template (never a page id), the answer's
 * status, the retries, and the time spent waiting for the circuit breaker and the limiter.
 */
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { endpointTemplate } from './notion-metrics';
import { withSpan } from './spans';

/** What the retrying fetch reports of a call as it goes (its RetryEvent, by shape). */
export interface NotionCallEvent {
  /** `request`: an attempt goes out; `rate_limited`: a 429/529 is waited out; `retry`: a backoff before another attempt. */
  type: 'request' | 'rate_limited' | 'retry';
  waitMs?: number;
}

export type NotionCallObserver = (event: NotionCallEvent) => void;

function hostOf(url: string): string {
  try {
    return new URL(url).hostname;
  } catch {
    return '';
  }
}

/**
 * Runs `send` (the whole retrying call) in a client span. `send` receives an observer to report
 * its attempts to, or undefined while tracing is off (then nothing is counted or built).
 */
export function traceNotionCall(url: string, method: string, send: (observe: NotionCallObserver | undefined) => Promise<Response>): Promise<Response> {
  return withSpan(
    'notion.request',
    undefined,
    async (span) => {
      if (!span.isRecording()) return send(undefined);
      // The same template as the request metrics' endpoint label.
      const template = endpointTemplate(url);
      span.updateName(`${method} ${template}`);
      span.setAttributes({ 'http.request.method': method, 'url.template': template, 'server.address': hostOf(url) });
      let attempts = 0;
      let rateLimited = 0;
      let limiterWaitMs = 0;
      let backoffMs = 0;
      const observe: NotionCallObserver = (event) => {
        if (event.type === 'request') {
          attempts += 1;
          limiterWaitMs += event.waitMs ?? 0;
        } else if (event.type === 'rate_limited') {
          rateLimited += 1;
        } else {
          backoffMs += event.waitMs ?? 0;
        }
      };
      try {
        const response = await send(observe);
        span.setAttribute('http.response.status_code', response.status);
        if (response.status >= 400) span.setStatus({ code: SpanStatusCode.ERROR, message: `HTTP ${response.status}` });
        return response;
      } finally {
        span.setAttributes({
          'notion_sync.notion.attempts': attempts,
          'notion_sync.notion.retry_count': Math.max(0, attempts - 1),
          'notion_sync.notion.rate_limited_count': rateLimited,
          'notion_sync.notion.limiter_wait_ms': Math.round(limiterWaitMs),
          'notion_sync.notion.backoff_ms': Math.round(backoffMs),
        });
      }
    },
    SpanKind.CLIENT,
  );
}
