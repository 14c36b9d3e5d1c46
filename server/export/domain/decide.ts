import type { z } from 'zod';
import { backoffDelay } from '@/server/retry/backoff';
import type { ExportEvent, ExportEventSchemas, ExportState } from './export';
import { allows, EXPORT_RETRY_POLICY, type ExportCounts, type ExportStatus, type ExportTransition, refusal } from './export-status';

type EventData<K extends keyof typeof ExportEventSchemas> = z.infer<(typeof ExportEventSchemas)[K]>;

/** A batch of progress: what was discovered, exported and failed since the last one. */
export interface ProgressBatch {
  discovered: EventData<'ItemsDiscovered'>['items'];
  exported: EventData<'PagesExported'>['items'];
  failed: EventData<'PageFailed'>[];
  stats: EventData<'PagesExported'>['stats'];
}

export type ExportCommand =
  | { type: 'RequestExport'; data: EventData<'ExportRequested'> }
  | { type: 'StartExport'; data: EventData<'ExportStarted'> }
  | { type: 'ChangePhase'; data: EventData<'PhaseChanged'> }
  | { type: 'RecordProgress'; data: ProgressBatch }
  /** The export's counts as people see them; `retried` is the decider's to fill in (when the run retried failed pages). */
  | { type: 'CompleteExport'; data: ExportCounts & Pick<EventData<'ExportCompleted'>, 'stats' | 'changes'> }
  | { type: 'RecordFiles'; data: EventData<'FilesWritten'> }
  /**
   * The runner could not finish it. A retryable failure with retries left is queued again
   * (backoff from `now`, `jitter` in [0, 1) picks the delay within it); otherwise it fails for good.
   */
  | { type: 'FailExport'; data: { reason: string; retryable: boolean; now: Date; jitter: number } }
  | { type: 'InterruptExport'; data: EventData<'ExportInterrupted'> }
  | { type: 'CancelExport'; data: EventData<'ExportCancelled'> }
  | { type: 'PauseExport'; data: EventData<'ExportPaused'> }
  | { type: 'ResumeExport'; data: EventData<'ExportResumed'> }
  | { type: 'RetryFailedPages'; data: EventData<'FailedPagesRequeued'> }
  | { type: 'PinExport'; data: EventData<'ExportPinned'> }
  | { type: 'UnpinExport'; data: EventData<'ExportUnpinned'> };

export type ExportCommandOf<K extends ExportCommand['type']> = Extract<ExportCommand, { type: K }>;

/** A command that does not fit the export's current state. */
export class InvalidStateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidStateError';
  }
}

/** Every command but RequestExport has the statuses it acts on in export-status (this call does not compile otherwise). */
function assertAllowed(command: ExportTransition, status: ExportStatus): void {
  if (!allows(command, status)) throw new InvalidStateError(refusal(command, status));
}

/** Pure: what happens when `command` meets `state`. */
export function decide(command: ExportCommand, state: ExportState): ExportEvent[] {
  if (command.type === 'RequestExport') {
    if (state.status !== 'initial') throw new InvalidStateError(`Export ${command.data.exportId} already exists`);
    return [{ type: 'ExportRequested', data: command.data }];
  }
  if (state.status === 'initial') throw new InvalidStateError('Export does not exist');
  assertAllowed(command.type, state.status);
  const { type } = command;
  switch (type) {
    case 'StartExport':
      return [{ type: 'ExportStarted', data: command.data }];
    case 'ChangePhase':
      return [{ type: 'PhaseChanged', data: command.data }];
    case 'RecordProgress': {
      const { discovered, exported, failed, stats } = command.data;
      const out: ExportEvent[] = [];
      if (discovered.length > 0) out.push({ type: 'ItemsDiscovered', data: { items: discovered } });
      for (const f of failed) out.push({ type: 'PageFailed', data: f });
      if (exported.length > 0 || out.length === 0) out.push({ type: 'PagesExported', data: { items: exported, stats } });
      return out;
    }
    case 'RecordFiles':
      return [{ type: 'FilesWritten', data: command.data }];
    case 'CompleteExport': {
      if (!state.retrying) return [{ type: 'ExportCompleted', data: command.data }];
      // The failures that were not retried are still failed; the rest of the failed are retried pages.
      const { requested, failedBefore } = state.retrying;
      const failed = Math.min(requested, Math.max(0, command.data.failed - failedBefore));
      return [{ type: 'ExportCompleted', data: { ...command.data, retried: { requested, exported: requested - failed, failed } } }];
    }
    case 'FailExport':
      return [failure(command.data, state.attempt)];
    case 'InterruptExport':
      return [{ type: 'ExportInterrupted', data: command.data }];
    case 'CancelExport':
      return [{ type: 'ExportCancelled', data: command.data }];
    case 'PauseExport':
      return [{ type: 'ExportPaused', data: command.data }];
    case 'ResumeExport':
      return [{ type: 'ExportResumed', data: command.data }];
    case 'RetryFailedPages':
      if (command.data.ids.length === 0) throw new InvalidStateError('There are no failed pages to retry');
      return [{ type: 'FailedPagesRequeued', data: command.data }];
    case 'PinExport':
      return [{ type: 'ExportPinned', data: command.data }];
    case 'UnpinExport':
      return [{ type: 'ExportUnpinned', data: command.data }];
    default: {
      const _exhaustive: never = type;
      return _exhaustive;
    }
  }
}

/** A retryable failure of attempt `attempt` is retried while retries are left; then, or when no retry can help, it fails. */
function failure(data: ExportCommandOf<'FailExport'>['data'], attempt: number): ExportEvent {
  const { maxRetries, baseMs, maxMs } = EXPORT_RETRY_POLICY;
  const tried = Math.max(1, attempt);
  if (!data.retryable) return { type: 'ExportFailed', data: { reason: data.reason, retryable: false } };
  if (tried > maxRetries) return { type: 'ExportFailed', data: { reason: data.reason, retryable: true, attempts: tried } };
  const delay = backoffDelay(tried, { baseMs, maxMs }, () => data.jitter);
  return {
    type: 'ExportRetryScheduled',
    data: { reason: data.reason, retryAt: new Date(data.now.getTime() + delay).toISOString(), retry: tried, maxRetries },
  };
}
