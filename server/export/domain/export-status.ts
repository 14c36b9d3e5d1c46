import { z } from 'zod';

/**
 * The export's status, the one place that says what each status allows and how people read it.
 * Pure (zod only): the domain, the read models, the CLI and the dashboard's pages all import it.
 */

export const EXPORT_STATUSES = ['queued', 'running', 'paused', 'completed', 'completed_with_errors', 'failed', 'cancelled'] as const;
export const ExportStatus = z.enum(EXPORT_STATUSES);
export type ExportStatus = z.infer<typeof ExportStatus>;

/** Why an export paused: a person chose it, or the token or the disk needs attention first. */
export const PauseCause = z.enum(['user', 'auth', 'disk']);
export type PauseCause = z.infer<typeof PauseCause>;

/** The statuses each command may act on (RequestExport needs an export that does not exist yet). */
export const ALLOWED_FROM = {
  StartExport: ['queued', 'running'],
  ChangePhase: ['running'],
  RecordProgress: ['running'],
  RecordFiles: ['running'],
  CompleteExport: ['running'],
  FailExport: ['queued', 'running'],
  InterruptExport: ['running'],
  PauseExport: ['queued', 'running'],
  ResumeExport: ['paused', 'failed'],
  CancelExport: ['queued', 'running', 'paused'],
  RetryFailedPages: ['completed_with_errors'],
  // Pinning keeps an export from retention whatever its status (one still running is kept anyway).
  PinExport: EXPORT_STATUSES,
  UnpinExport: EXPORT_STATUSES,
} as const satisfies Record<string, readonly ExportStatus[]>;

export type ExportTransition = keyof typeof ALLOWED_FROM;

export const allows = (command: ExportTransition, status: ExportStatus): boolean =>
  (ALLOWED_FROM[command] as readonly ExportStatus[]).includes(status);

const FINISHED: ReadonlySet<ExportStatus> = new Set(['completed', 'completed_with_errors', 'failed', 'cancelled']);

/** Nothing more happens to it unless someone acts (a failed export can be resumed, failed pages retried). */
export const isFinished = (status: ExportStatus): boolean => FINISHED.has(status);
export const isDownloadable = (status: ExportStatus): boolean => status === 'completed' || status === 'completed_with_errors';
export const canPause = (status: ExportStatus): boolean => allows('PauseExport', status);
export const canResume = (status: ExportStatus): boolean => allows('ResumeExport', status);
export const canCancel = (status: ExportStatus): boolean => allows('CancelExport', status);
/** Pages that could not be exported can be tried again once the export completed with errors. */
export const canRetryFailed = (status: ExportStatus, pagesFailed: number): boolean =>
  allows('RetryFailedPages', status) && pagesFailed > 0;
/** Statuses a rerun of the same CLI command carries on (instead of starting a new export). */
export const isUnfinished = (status: ExportStatus): boolean => !isFinished(status) || canResume(status);

/** Why a command does not fit the export's status, in words for people. */
export function refusal(command: ExportTransition, status: ExportStatus): string {
  switch (command) {
    case 'StartExport':
      return `Cannot start an export that is ${status}`;
    case 'ChangePhase':
    case 'RecordProgress':
    case 'RecordFiles':
    case 'CompleteExport':
    case 'InterruptExport':
      return `Export is ${status}, not running`;
    case 'FailExport':
      return `Export is already ${status}`;
    case 'PauseExport':
      return `Cannot pause an export that is ${status}`;
    case 'ResumeExport':
      return `Cannot resume an export that is ${status}`;
    case 'CancelExport':
      return `Cannot cancel an export that is ${status}`;
    case 'RetryFailedPages':
      return `Only an export completed with errors has pages to retry; this one is ${status}`;
    case 'PinExport':
    case 'UnpinExport':
      return `Cannot pin or unpin an export that is ${status}`;
    default: {
      const _exhaustive: never = command;
      return _exhaustive;
    }
  }
}

/** Automatic retries of an export that failed with a retryable error (capped exponential backoff, full jitter). */
export const EXPORT_RETRY_POLICY = { maxRetries: 5, baseMs: 30_000, maxMs: 15 * 60_000 } as const;

// ---- Words and numbers people see (the dashboard and the CLI say the same) ----

export const EXPORT_STATUS_LABELS: Record<ExportStatus, string> = {
  queued: 'Queued',
  running: 'Running',
  paused: 'Paused',
  completed: 'Completed',
  completed_with_errors: 'Completed with errors',
  failed: 'Failed',
  cancelled: 'Cancelled',
};

export const exportStatusLabel = (status: ExportStatus): string => EXPORT_STATUS_LABELS[status];

/** What a queued export waits for. Times are ISO strings (as the browser receives them). */
export type QueueWait =
  /** A retryable failure: it runs again at `at`. */
  | { reason: 'retry'; at: string; attempt: number; maxAttempts: number; after: string }
  /** One export per connection at a time: `exportId` of the same connection runs. */
  | { reason: 'connection_busy'; exportId: string }
  /** No runner in this server (RUNNER_ENABLED=false); a worker elsewhere may still pick it up. */
  | { reason: 'no_runner' }
  /** Nothing in its way: the next runner that looks for work takes it. */
  | { reason: 'runner' };

/** The retry a queued export waits for, if one is scheduled after `now` (dates or ISO strings, as the browser has them). */
export function retryWaitOf(
  row: { status: ExportStatus; retryAt: Date | string | null; attempt: number; maxAttempts: number | null; lastError: string | null },
  now: Date | number,
): QueueWait | null {
  if (row.status !== 'queued' || row.retryAt === null) return null;
  const at = new Date(row.retryAt);
  if (at.getTime() <= new Date(now).getTime()) return null;
  return {
    reason: 'retry',
    at: at.toISOString(),
    attempt: row.attempt,
    maxAttempts: row.maxAttempts ?? row.attempt,
    after: row.lastError ?? 'a failure',
  };
}

const isoTime = (iso: string) => iso;

/** The sentence for a queued export; `formatTime` shows the retry time in the reader's locale. */
export function describeQueueWait(wait: QueueWait, formatTime: (iso: string) => string = isoTime): string {
  switch (wait.reason) {
    case 'retry':
      return `Retrying at ${formatTime(wait.at)} (attempt ${wait.attempt} of ${wait.maxAttempts}) after: ${wait.after}`;
    case 'connection_busy':
      return `Waiting for export ${wait.exportId.slice(0, 8)} of the same connection to finish (one export per connection at a time)`;
    case 'no_runner':
      return 'Waiting for a runner: this server runs none (RUNNER_ENABLED=false); start one with `npm run worker`';
    case 'runner':
      return 'Waiting for a runner to pick it up';
    default: {
      const _exhaustive: never = wait;
      return _exhaustive;
    }
  }
}

/** The last error of an export that failed for good. */
export const describeFailure = (reason: string, attempts?: number): string =>
  attempts && attempts > 1 ? `Failed after ${attempts} attempts: ${reason}` : reason;

/**
 * How an export's results are counted, everywhere people see them (dashboard, CLI, report.json):
 * pages and databases exported; linked databases (views the Notion API cannot read) skipped, not
 * exported; pages and databases that could not be exported; and files: every file of the export
 * folder except report.json and manifest.json (the export's own bookkeeping), with their bytes.
 */
export interface ExportCounts {
  pages: number;
  databases: number;
  skipped: number;
  failed: number;
  files: number;
  bytes: number;
}

/** The counts of an export's row (the exports read model keeps them as defined above). */
export const countsOf = (row: {
  pagesExported: number;
  databasesExported: number;
  skipped: number;
  pagesFailed: number;
  filesWritten: number;
  bytesWritten: number;
}): ExportCounts => ({
  pages: row.pagesExported,
  databases: row.databasesExported,
  skipped: row.skipped,
  failed: row.pagesFailed,
  files: row.filesWritten,
  bytes: row.bytesWritten,
});

/**
 * A whole number with its thousands grouped, `1,234`: by hand, as toLocaleString would load ICU's
 * number data into the process for good (~7 MB; the CLI prints its counts at the end of an export).
 */
export const formatCount = (n: number): string => String(n).replace(/\B(?=(\d{3})+$)/g, ',');

/** "1 page", "1,234 pages". */
export const plural = (n: number, one: string, many = `${one}s`): string => `${formatCount(n)} ${n === 1 ? one : many}`;

/** "127 pages, 3 databases, 471 files (12.4 MB); 1 linked database skipped; 2 could not be exported". */
export function describeCounts(counts: ExportCounts): string {
  const parts = [
    `${plural(counts.pages, 'page')}, ${plural(counts.databases, 'database')}, ${plural(counts.files, 'file')} (${describeBytes(counts.bytes)})`,
  ];
  if (counts.skipped > 0) parts.push(`${plural(counts.skipped, 'linked database')} skipped`);
  if (counts.failed > 0) parts.push(`${formatCount(counts.failed)} could not be exported`);
  return parts.join('; ');
}

/** What a retry of failed pages came to (recorded on ExportCompleted). */
export const RetriedPages = z.object({
  requested: z.number().int().nonnegative(),
  exported: z.number().int().nonnegative(),
  failed: z.number().int().nonnegative(),
});
export type RetriedPages = z.infer<typeof RetriedPages>;

/** What a retry of failed pages started from: how many were requeued, and how many failures were not. */
export interface RetryingPages {
  requested: number;
  failedBefore: number;
}

/** "Retry of 3 pages: 2 exported, 1 still failing". */
export function describeRetried(retried: RetriedPages): string {
  const still = retried.failed > 0 ? `, ${formatCount(retried.failed)} still failing` : '';
  return `Retry of ${plural(retried.requested, 'page')}: ${formatCount(retried.exported)} exported${still}`;
}

export function describeBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}

/**
 * How long the export has been running, paused and queued time left out: the time of its
 * finished runs plus the one under way. `runningSince` is a Date or an ISO string (the browser's).
 */
export function runningTimeMs(row: { activeMs: number; runningSince: Date | string | null }, now: Date | number): number {
  const since = row.runningSince === null ? null : new Date(row.runningSince).getTime();
  return row.activeMs + (since === null ? 0 : Math.max(0, new Date(now).getTime() - since));
}

/** "42 s", "3 min 5 s", "2 h 10 min". */
export function describeDuration(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ${seconds % 60} s`;
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

/** A sync's changes as counted for people (structural: ExportChanges in export.ts). */
export interface ChangeLists {
  added: readonly unknown[];
  updated: readonly unknown[];
  moved: readonly unknown[];
  removed: readonly unknown[];
}

/** One line for people: how many pages and databases a sync added, updated, moved and removed. */
export function describeChanges(changes: ChangeLists): string {
  const { added, updated, moved, removed } = changes;
  if (added.length + updated.length + moved.length + removed.length === 0) return 'No changes since the last sync';
  return `${added.length} added, ${updated.length} updated, ${moved.length} moved, ${removed.length} removed`;
}
