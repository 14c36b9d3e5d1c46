import { describe, expect, it } from 'vitest';
import {
  ALLOWED_FROM,
  canCancel,
  canPause,
  canResume,
  canRetryFailed,
  countsOf,
  formatCount,
  plural,
  describeBytes,
  describeCounts,
  describeDuration,
  describeFailure,
  describeQueueWait,
  describeRetried,
  EXPORT_STATUSES,
  exportStatusLabel,
  isDownloadable,
  isFinished,
  isUnfinished,
  refusal,
  retryWaitOf,
  runningTimeMs,
} from './export-status';

describe('export status', () => {
  it('tells finished, downloadable and resumable statuses', () => {
    expect(EXPORT_STATUSES.filter(isFinished)).toEqual(['completed', 'completed_with_errors', 'failed', 'cancelled']);
    expect(EXPORT_STATUSES.filter(isDownloadable)).toEqual(['completed', 'completed_with_errors']);
    expect(EXPORT_STATUSES.filter(isUnfinished)).toEqual(['queued', 'running', 'paused', 'failed']);
  });

  it('offers each button only where its command is allowed', () => {
    expect(EXPORT_STATUSES.filter(canPause)).toEqual(['queued', 'running']);
    expect(EXPORT_STATUSES.filter(canResume)).toEqual(['paused', 'failed']);
    expect(EXPORT_STATUSES.filter(canCancel)).toEqual(['queued', 'running', 'paused']);
    expect(EXPORT_STATUSES.filter((s) => canRetryFailed(s, 2))).toEqual(['completed_with_errors']);
    expect(canRetryFailed('completed_with_errors', 0)).toBe(false);
  });

  it('says why a command does not fit, for every command', () => {
    for (const command of Object.keys(ALLOWED_FROM) as (keyof typeof ALLOWED_FROM)[]) {
      expect(refusal(command, 'cancelled')).toContain('cancelled');
    }
    expect(refusal('ResumeExport', 'running')).toBe('Cannot resume an export that is running');
  });

  it('has a label for every status', () => {
    expect(EXPORT_STATUSES.map(exportStatusLabel)).toEqual([
      'Queued',
      'Running',
      'Paused',
      'Completed',
      'Completed with errors',
      'Failed',
      'Cancelled',
    ]);
  });
});

describe('words people see', () => {
  const row = { status: 'queued' as const, attempt: 3, maxAttempts: 6, lastError: 'Cannot reach the Notion API' };

  it('says when a scheduled retry runs, which attempt it is, and after what', () => {
    const wait = retryWaitOf({ ...row, retryAt: '2026-12-01T10:05:00.000Z' }, new Date('2026-12-01T10:00:00Z'))!;
    expect(describeQueueWait(wait)).toBe(
      'Retrying at 2026-12-01T10:05:00.000Z (attempt 3 of 6) after: Cannot reach the Notion API',
    );
    expect(describeQueueWait(wait, () => '10:05')).toMatch(/^Retrying at 10:05 \(attempt 3 of 6\)/);
    // Past its time, or not queued: no retry to wait for.
    expect(retryWaitOf({ ...row, retryAt: '2026-12-01T10:05:00.000Z' }, new Date('2026-12-01T10:06:00Z'))).toBeNull();
    expect(retryWaitOf({ ...row, status: 'running', retryAt: '2026-12-01T10:05:00.000Z' }, 0)).toBeNull();
    expect(retryWaitOf({ ...row, retryAt: null }, 0)).toBeNull();
  });

  it('says what else a queued export waits for', () => {
    expect(describeQueueWait({ reason: 'connection_busy', exportId: '0123456789abcdef' })).toBe(
      'Waiting for export 01234567 of the same connection to finish (one export per connection at a time)',
    );
    expect(describeQueueWait({ reason: 'no_runner' })).toMatch(/RUNNER_ENABLED=false.*npm run worker/);
    expect(describeQueueWait({ reason: 'runner' })).toBe('Waiting for a runner to pick it up');
  });

  it('counts an export the same way everywhere', () => {
    const counts = countsOf({ pagesExported: 127, databasesExported: 3, skipped: 1, pagesFailed: 2, filesWritten: 471, bytesWritten: 5 * 1024 * 1024 });
    expect(counts).toEqual({ pages: 127, databases: 3, skipped: 1, failed: 2, files: 471, bytes: 5 * 1024 * 1024 });
    expect(describeCounts(counts)).toBe('127 pages, 3 databases, 471 files (5.0 MB); 1 linked database skipped; 2 could not be exported');
    expect(describeCounts({ pages: 1, databases: 0, skipped: 0, failed: 0, files: 1, bytes: 10 })).toBe('1 page, 0 databases, 1 file (10 B)');
    expect(describeRetried({ requested: 3, exported: 2, failed: 1 })).toBe('Retry of 3 pages: 2 exported, 1 still failing');
    expect(describeRetried({ requested: 1, exported: 1, failed: 0 })).toBe('Retry of 1 page: 1 exported');
    expect([describeBytes(0), describeBytes(1023), describeBytes(1536), describeBytes(20 * 1024)]).toEqual(['0 B', '1023 B', '1.5 KB', '20 KB']);
    expect([describeBytes(2048), describeBytes(300 * 1024 ** 3), describeBytes(3 * 1024 ** 5)]).toEqual(['2.0 KB', '300 GB', '3072 TB']);
  });

  it('says how many attempts a failure took', () => {
    expect(describeFailure('boom', 6)).toBe('Failed after 6 attempts: boom');
    expect(describeFailure('boom', 1)).toBe('boom');
    expect(describeFailure('boom')).toBe('boom');
  });

  it('counts running time without paused or queued time', () => {
    expect(runningTimeMs({ activeMs: 5_000, runningSince: null }, 1_000_000)).toBe(5_000);
    expect(runningTimeMs({ activeMs: 5_000, runningSince: new Date(10_000) }, 12_500)).toBe(7_500);
    expect(runningTimeMs({ activeMs: 0, runningSince: new Date(10_000).toISOString() }, new Date(11_000))).toBe(1_000);
    expect([describeDuration(42_000), describeDuration(185_000), describeDuration(7_800_000)]).toEqual(['42 s', '3 min 5 s', '2 h 10 min']);
  });
});

describe('formatCount and plural', () => {
  it('group thousands as en-US does, without Intl', () => {
    for (const n of [0, 7, 999, 1000, 12_345, 999_999, 1_000_000, 1_234_567_890, -1234]) {
      expect(formatCount(n)).toBe(n.toLocaleString('en-US'));
    }
    expect(plural(1, 'page')).toBe('1 page');
    expect(plural(1234, 'entry', 'entries')).toBe('1,234 entries');
  });
});
