import { Counter } from 'prom-client';
import { METRIC_PREFIX, metricsRecorded, metricsRegistry } from './metrics';

/** The counter's name (docs/metrics.md, docs/schedules.md). */
export const SCHEDULE_SKIPS_METRIC = `${METRIC_PREFIX}schedule_skips_total`;

/**
 * Why a schedule's due time brought no sync of its own: `busy` (an export of the connection was
 * queued or running: never a second one at once), `refused` (the request was refused otherwise,
 * the connection removed meanwhile), `catch_up` (missed while no scheduler looked: one catch-up
 * runs for the latest, the others are counted here).
 */
export type ScheduleSkipReason = 'busy' | 'refused' | 'catch_up';

/** The counter, registered on first use (by the scheduler, in the server and the worker). */
function counter(): Counter<'reason'> {
  const registry = metricsRegistry();
  const existing = registry.getSingleMetric(SCHEDULE_SKIPS_METRIC) as Counter<'reason'> | undefined;
  return (
    existing ??
    new Counter({
      name: SCHEDULE_SKIPS_METRIC,
      help: 'Due times of schedules that brought no sync of their own, by reason: busy (a sync of the connection queued or running), refused, catch_up (missed times collapsed into one catch-up run)',
      labelNames: ['reason'] as const,
      registers: [registry],
    })
  );
}

/** Counts `count` skipped due times. */
export function recordScheduleSkips(reason: ScheduleSkipReason, count = 1): void {
  if (!metricsRecorded() || count <= 0) return;
  counter().inc({ reason }, count);
}
