import type { RecordedEvent } from '@/server/events/event-store';
import { completedCounts, type ExportEvent, type ExportEventType, parseExportEvent } from '@/server/export/domain/export';
import { describeCounts, describeFailure, describeRetried, formatCount, plural } from '@/server/export/domain/export-status';

export type ActivityTone = 'neutral' | 'success' | 'warning' | 'danger';

/** One line of an export's activity log, as the dashboard shows it. */
export interface ActivityEntry {
  /** Global position of the event: unique, and the order of the log. */
  position: number;
  type: string;
  text: string;
  tone: ActivityTone;
  /** When the event was recorded (ISO 8601). */
  at: string;
}


const REQUESTED_BY: Record<ExportEventOf<'ExportRequested'>['data']['requestedBy'], string> = {
  dashboard: 'from the dashboard',
  cli: 'from the command line',
  scheduler: 'by the scheduler',
};

const REQUESTED_BY_TRIGGER: Record<NonNullable<ExportEventOf<'ExportRequested'>['data']['trigger']>, string> = {
  manual: 'from the dashboard',
  cli: 'from the command line',
  schedule: 'by the schedule',
  webhook: 'by a change Notion reported',
};

/** A sync names what it starts from; an export is an export. */
function requestedWhat(data: ExportEventOf<'ExportRequested'>['data']): string {
  return data.mode === 'sync' ? 'Sync requested' : 'Export requested';
}

const PHASE: Record<ExportEventOf<'PhaseChanged'>['data']['phase'], string> = {
  discovering: 'Discovering the pages and databases the integration can see',
  exporting: 'Exporting pages and databases',
  finishing: 'Finishing: links between pages, report and manifest',
};

const PAUSED: Record<ExportEventOf<'ExportPaused'>['data']['cause'], (reason: string) => string> = {
  user: (reason) => reason,
  auth: (reason) => `Paused until the connection's token works again: ${reason}`,
  disk: (reason) => `Paused until there is room on the disk: ${reason}`,
};

type ExportEventOf<K extends ExportEventType> = Extract<ExportEvent, { type: K }>;
type Words = { text: string; tone: ActivityTone };

const seconds = (ms: number) => `${formatCount(Math.max(0, Math.round(ms / 1000)))} s`;

/**
 * Every export event in words (`at`: when it was recorded). The switch is exhaustive, so a new
 * event type must be given words here.
 */
export function exportEventWords(event: ExportEvent, at: Date): Words {
  switch (event.type) {
    case 'ExportRequested':
      return {
        text: `${requestedWhat(event.data)} ${event.data.trigger ? REQUESTED_BY_TRIGGER[event.data.trigger] : REQUESTED_BY[event.data.requestedBy]} (${event.data.formats.join(' + ')})`,
        tone: 'neutral',
      };
    case 'ExportStarted':
      return { text: `Started (run ${event.data.attempt})`, tone: 'neutral' };
    case 'PhaseChanged':
      return { text: PHASE[event.data.phase], tone: 'neutral' };
    case 'ItemsDiscovered': {
      const pages = event.data.items.filter((i) => i.kind === 'page').length;
      const databases = event.data.items.length - pages;
      const parts = [plural(pages, 'page'), databases > 0 ? plural(databases, 'database') : null].filter(Boolean);
      return { text: `Discovered ${parts.join(' and ')}`, tone: 'neutral' };
    }
    case 'PagesExported': {
      const files = event.data.items.reduce((sum, i) => sum + i.files.length, 0);
      return { text: `Exported ${plural(event.data.items.length, 'item')} (${plural(files, 'file')})`, tone: 'success' };
    }
    case 'FilesWritten':
      return event.data.reason === 'links'
        ? { text: `Links between pages resolved in ${plural(event.data.files.length, 'file')}`, tone: 'neutral' }
        : { text: 'Report written (report.json)', tone: 'neutral' };
    case 'PageFailed':
      return {
        text: `Could not export ${event.data.kind} “${event.data.title || event.data.id}”: ${event.data.message}`,
        tone: 'warning',
      };
    case 'ExportCompleted': {
      // The counts as the dashboard, the CLI and report.json give them; events recorded before
      // they were carried give the items done, files and failures.
      const counts = completedCounts(event.data);
      const done = counts
        ? describeCounts(counts)
        : `${plural(event.data.pages, 'page')}, ${plural(event.data.files, 'file')}${
            event.data.failed > 0 ? `, ${formatCount(event.data.failed)} failed` : ''
          }`;
      return {
        text: `Completed: ${done}${event.data.retried ? `; ${describeRetried(event.data.retried)}` : ''}`,
        tone: event.data.failed > 0 ? 'warning' : 'success',
      };
    }
    case 'ExportFailed':
      return { text: `Export failed: ${describeFailure(event.data.reason, event.data.attempts)}`, tone: 'danger' };
    case 'ExportRetryScheduled':
      return {
        text: `Failed; retry ${event.data.retry} of ${event.data.maxRetries} in ${seconds(Date.parse(event.data.retryAt) - at.getTime())}: ${event.data.reason}`,
        tone: 'warning',
      };
    case 'ExportPaused':
      return { text: PAUSED[event.data.cause](event.data.reason), tone: 'warning' };
    case 'ExportInterrupted':
      return { text: `Interrupted (${event.data.reason}); it goes on from its checkpoints`, tone: 'warning' };
    case 'ExportResumed':
      return { text: `Resumed (${event.data.by})`, tone: 'neutral' };
    case 'FailedPagesRequeued':
      return { text: `Trying again ${plural(event.data.ids.length, 'page')} that could not be exported`, tone: 'neutral' };
    case 'ExportCancelled':
      return { text: `Cancelled: ${event.data.reason}`, tone: 'neutral' };
    case 'ExportPinned':
      return { text: `Pinned${event.data.by ? ` by ${event.data.by}` : ''}: retention keeps it`, tone: 'neutral' };
    case 'ExportUnpinned':
      return { text: `Unpinned${event.data.by ? ` by ${event.data.by}` : ''}: retention may remove it`, tone: 'neutral' };
    default: {
      const unknown: never = event;
      return { text: String((unknown as { type: string }).type), tone: 'neutral' };
    }
  }
}

/** The activity-log line of a recorded event; data that does not parse is shown by its type name. */
export function describeExportEvent(event: RecordedEvent): ActivityEntry {
  let words: Words;
  try {
    words = exportEventWords(parseExportEvent(event.type, event.data), event.recordedAt);
  } catch {
    words = { text: event.type, tone: 'neutral' };
  }
  return { position: event.globalPosition, type: event.type, ...words, at: event.recordedAt.toISOString() };
}
