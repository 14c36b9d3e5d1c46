import type { ExportEvent, ExportEventType } from '@/server/export/domain/export';

export type ActivityTone = 'neutral' | 'success' | 'warning' | 'danger';

export interface ActivityEntry {
  /** Unique within one export: `<global position>:<index in message>`. */
  key: string;
  type: string;
  text: string;
  tone: ActivityTone;
  /** When the server recorded it, if the feed says so. */
  at?: string;
}

const KNOWN: ReadonlySet<string> = new Set<ExportEventType>([
  'ExportRequested',
  'ExportStarted',
  'PhaseChanged',
  'ItemsDiscovered',
  'PagesExported',
  'PageFailed',
  'ExportCompleted',
  'ExportFailed',
  'ExportCancelled',
]);

const plural = (n: number, word: string) => `${n.toLocaleString()} ${word}${n === 1 ? '' : 's'}`;

/** One line of the activity log for a feed event; unknown event types are shown by name. */
export function describeExportEvent(raw: { type: string; data: unknown }): { text: string; tone: ActivityTone } {
  if (!KNOWN.has(raw.type) || typeof raw.data !== 'object' || raw.data === null) {
    return { text: raw.type, tone: 'neutral' };
  }
  const event = raw as ExportEvent;
  switch (event.type) {
    case 'ExportRequested':
      return { text: `Export requested (${event.data.formats.join(' + ')})`, tone: 'neutral' };
    case 'ExportStarted':
      return { text: `Started, attempt ${event.data.attempt}`, tone: 'neutral' };
    case 'PhaseChanged':
      return { text: `Phase: ${event.data.phase}`, tone: 'neutral' };
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
    case 'PageFailed':
      return { text: `Failed: ${event.data.title || event.data.id} — ${event.data.message}`, tone: 'warning' };
    case 'ExportCompleted':
      return {
        text: `Completed: ${plural(event.data.pages, 'page')}, ${plural(event.data.files, 'file')}${
          event.data.failed > 0 ? `, ${event.data.failed} failed` : ''
        }`,
        tone: event.data.failed > 0 ? 'warning' : 'success',
      };
    case 'ExportFailed':
      return {
        text: `Export failed${event.data.retryable ? ' (will retry)' : ''}: ${event.data.reason}`,
        tone: 'danger',
      };
    case 'ExportCancelled':
      return { text: `Cancelled: ${event.data.reason}`, tone: 'neutral' };
    case 'ExportPaused':
      return { text: `Paused: ${event.data.reason}`, tone: 'warning' };
    case 'ExportResumed':
      return { text: 'Resumed', tone: 'neutral' };
    case 'FailedPagesRequeued':
      return { text: `Retrying ${plural(event.data.ids.length, 'page')} that failed`, tone: 'neutral' };
    case 'FilesWritten':
      return {
        text:
          event.data.reason === 'links'
            ? `Links between pages resolved in ${plural(event.data.files.length, 'file')}`
            : 'Report written',
        tone: 'neutral',
      };
    default: {
      const _exhaustive: never = event;
      return { text: String((_exhaustive as { type: string }).type), tone: 'neutral' };
    }
  }
}
