import { Counter } from 'prom-client';
import { METRIC_PREFIX, metricsRecorded, metricsRegistry } from './metrics';

/** The counter's name (docs/metrics.md, docs/webhooks.md). */
export const WEBHOOK_EVENTS_METRIC = `${METRIC_PREFIX}webhook_events_total`;

/**
 * What became of a request to the webhook endpoint: `verification_stored`, `verification_known`,
 * `verification_refused` (too many pending), `unauthorized` (no or a wrong signature), `invalid`
 * (signed, but no event we read), `too_large`, `disabled` (the flag is off), `ignored` (an event
 * that changes nothing exported), `other_workspace`, `sync_requested`, `absorbed` (a queued sync
 * will read the change), `deferred` (a sync follows within the interval), `no_connection`.
 */
export type WebhookOutcome =
  | 'verification_stored'
  | 'verification_known'
  | 'verification_refused'
  | 'unauthorized'
  | 'invalid'
  | 'too_large'
  | 'disabled'
  | 'ignored'
  | 'other_workspace'
  | 'sync_requested'
  | 'absorbed'
  | 'deferred'
  | 'no_connection';

/**
 * The counter, registered on first use (only the dashboard serves the endpoint). `type` is an
 * event type of a fixed list, `verification`, `other` (a type we do not know) or `unknown` (not
 * signed: nothing in it is trusted, so nothing of it becomes a label).
 */
function counter(): Counter<'type' | 'outcome'> {
  const registry = metricsRegistry();
  const existing = registry.getSingleMetric(WEBHOOK_EVENTS_METRIC) as Counter<'type' | 'outcome'> | undefined;
  return (
    existing ??
    new Counter({
      name: WEBHOOK_EVENTS_METRIC,
      help: "Requests to Notion's webhook endpoint, by event type and what became of them",
      labelNames: ['type', 'outcome'] as const,
      registers: [registry],
    })
  );
}

/** Counts one request to the webhook endpoint. */
export function recordWebhookEvent(type: string, outcome: WebhookOutcome): void {
  if (!metricsRecorded()) return;
  counter().inc({ type, outcome });
}
