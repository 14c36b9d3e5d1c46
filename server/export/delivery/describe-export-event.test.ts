import { describe, expect, it } from 'vitest';
import type { RecordedEvent } from '@/server/events/event-store';
import { DEFAULT_EXPORT_OPTIONS, EXPORT_EVENT_TYPES, type ExportEventOf, type ExportEventType } from '@/server/export/domain/export';
import { describeExportEvent } from './describe-export-event';

const at = new Date('2026-12-01T10:00:00.000Z');
const stats = { requests: 12, rateLimited: 1, retries: 0 };
const file = (path: string) => ({ path, bytes: 10, sha256: 'a'.repeat(64), sourceId: 'p1' });

/** One valid example of every export event (a new event type needs one here, and words in describe-export-event.ts). */
const SAMPLES: { [K in ExportEventType]: ExportEventOf<K>['data'] } = {
  ExportRequested: {
    exportId: 'e1',
    connectionId: 'c1',
    formats: ['markdown', 'json'],
    outDir: '/tmp/e1',
    requestedBy: 'dashboard',
    options: DEFAULT_EXPORT_OPTIONS,
  },
  ExportStarted: { attempt: 2, runner: 'r1' },
  PhaseChanged: { phase: 'exporting' },
  ItemsDiscovered: {
    items: [
      { id: 'p1', kind: 'page', title: 'A', parentId: null, dir: '', stem: 'A', status: 'pending' },
      { id: 'p2', kind: 'page', title: 'B', parentId: null, dir: null, status: 'candidate' },
      { id: 'd1', kind: 'database', title: 'Tasks', parentId: 'p1', dir: 'A', stem: 'Tasks', status: 'pending' },
    ],
  },
  PagesExported: { items: [{ id: 'p1', files: [file('A.md'), file('A.json')] }], stats },
  FilesWritten: { files: [file('A.md'), file('B.md')], reason: 'links' },
  PageFailed: { id: 'p3', kind: 'page', title: 'Secret', code: 'object_not_found', message: 'Not shared with the integration' },
  ExportCompleted: { pages: 3, databases: 2, skipped: 1, failed: 1, files: 7, bytes: 1234, stats },
  ExportFailed: { reason: 'Notion kept answering 502', retryable: true, attempts: 6 },
  ExportRetryScheduled: { reason: 'Notion answered 502', retryAt: '2026-12-01T10:00:30.000Z', retry: 1, maxRetries: 5 },
  ExportPaused: { reason: 'Notion refused the token', cause: 'auth' },
  ExportResumed: { by: 'the dashboard' },
  ExportInterrupted: { reason: 'the server is shutting down' },
  FailedPagesRequeued: { ids: ['p3', 'p4'] },
  ExportCancelled: { reason: 'Cancelled from the dashboard' },
  ExportPinned: { by: 'ann@example.com' },
  ExportUnpinned: {},
};

const recorded = (type: string, data: unknown, globalPosition = 7): RecordedEvent => ({
  globalPosition,
  eventId: `ev-${globalPosition}`,
  streamId: 'export-e1',
  streamVersion: 1,
  type,
  data,
  metadata: {},
  recordedAt: at,
});

describe('the activity log in words', () => {
  it.each(EXPORT_EVENT_TYPES)('says what %s means, not its name', (type) => {
    expect(SAMPLES, `a sample of ${type}`).toHaveProperty(type);
    const entry = describeExportEvent(recorded(type, SAMPLES[type]));
    expect(entry.text).not.toBe(type);
    expect(entry.text).not.toMatch(/undefined|null|NaN|\[object/);
    expect(entry).toMatchObject({ position: 7, type, at: '2026-12-01T10:00:00.000Z' });
  });

  it('gives the numbers and reasons each event carries', () => {
    const text = (type: ExportEventType, data: unknown = SAMPLES[type]) => describeExportEvent(recorded(type, data)).text;
    expect(text('ExportRequested')).toBe('Export requested from the dashboard (markdown + json)');
    const requested = SAMPLES.ExportRequested as Record<string, unknown>;
    expect(text('ExportRequested', { ...requested, requestedBy: 'scheduler', mode: 'sync', baselineExportId: 'e0', trigger: 'schedule' })).toBe(
      'Sync requested by the schedule (markdown + json)',
    );
    expect(text('ExportRequested', { ...requested, requestedBy: 'scheduler', trigger: 'webhook' })).toBe(
      'Export requested by a change Notion reported (markdown + json)',
    );
    expect(text('ItemsDiscovered')).toBe('Discovered 2 pages and 1 database');
    expect(text('PagesExported')).toBe('Exported 1 item (2 files)');
    expect(text('FilesWritten')).toBe('Links between pages resolved in 2 files');
    expect(text('FilesWritten', { files: [file('report.json')], reason: 'report' })).toBe('Report written (report.json)');
    expect(text('PageFailed')).toBe('Could not export page “Secret”: Not shared with the integration');
    // The counts as the dashboard, the CLI and report.json give them (describeCounts).
    expect(text('ExportCompleted')).toBe('Completed: 3 pages, 2 databases, 7 files (1.2 KB); 1 linked database skipped; 1 could not be exported');
    expect(text('ExportCompleted', { ...SAMPLES.ExportCompleted, failed: 0, retried: { requested: 2, exported: 2, failed: 0 } })).toBe(
      'Completed: 3 pages, 2 databases, 7 files (1.2 KB); 1 linked database skipped; Retry of 2 pages: 2 exported',
    );
    // Recorded before the event carried them: the items done, files and failures, as it was.
    const { databases: _d, skipped: _s, ...older } = SAMPLES.ExportCompleted as Record<string, unknown>;
    expect(text('ExportCompleted', older)).toBe('Completed: 3 pages, 7 files, 1 failed');
    expect(text('ExportFailed')).toBe('Export failed: Failed after 6 attempts: Notion kept answering 502');
    expect(text('ExportRetryScheduled')).toBe('Failed; retry 1 of 5 in 30 s: Notion answered 502');
    expect(text('ExportResumed')).toBe('Resumed (the dashboard)');
    expect(text('ExportPinned')).toBe('Pinned by ann@example.com: retention keeps it');
    expect(text('ExportUnpinned')).toBe('Unpinned: retention may remove it');
    expect(text('FailedPagesRequeued')).toBe('Trying again 2 pages that could not be exported');
  });

  it('tells why an export paused', () => {
    const paused = (cause: string, reason: string) => describeExportEvent(recorded('ExportPaused', { reason, cause }));
    expect(paused('user', 'Paused by the dashboard')).toMatchObject({ text: 'Paused by the dashboard', tone: 'warning' });
    expect(paused('auth', 'Notion refused the token').text).toBe(
      "Paused until the connection's token works again: Notion refused the token",
    );
    expect(paused('disk', 'No space left on device').text).toBe('Paused until there is room on the disk: No space left on device');
  });

  it('marks success, trouble and failure with their tones', () => {
    const tone = (type: ExportEventType, data: unknown = SAMPLES[type]) => describeExportEvent(recorded(type, data)).tone;
    expect(tone('PagesExported')).toBe('success');
    expect(tone('ExportCompleted', { ...SAMPLES.ExportCompleted, failed: 0 })).toBe('success');
    expect(tone('ExportCompleted')).toBe('warning');
    expect(tone('PageFailed')).toBe('warning');
    expect(tone('ExportFailed')).toBe('danger');
    expect(tone('PhaseChanged')).toBe('neutral');
  });

  it('shows an event it cannot read by its type name', () => {
    expect(describeExportEvent(recorded('ExportTeleported', {}))).toMatchObject({ text: 'ExportTeleported', tone: 'neutral' });
    expect(describeExportEvent(recorded('PageFailed', { id: 1 }))).toMatchObject({ text: 'PageFailed', tone: 'neutral' });
  });
});
