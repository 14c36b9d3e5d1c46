import { metricsRecorded, metricsState } from './metrics';

/** One append to the event store (its transaction with the inline projections) took `ms` milliseconds. */
export function recordEventAppend(ms: number): void {
  if (!metricsRecorded()) return;
  metricsState().process.eventAppendDuration.observe(Math.max(0, ms) / 1000);
}
