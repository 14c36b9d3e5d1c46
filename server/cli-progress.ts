import { z } from 'zod';
import type { ExportDetail, ExportRow } from '@/server/export/control/export-queries';
import {
  countsOf,
  describeCounts,
  describeDuration,
  describeQueueWait,
  describeRetried,
  ExportStatus,
  exportStatusLabel,
  RetriedPages,
  runningTimeMs,
} from '@/server/export/domain/export-status';

/**
 * What `notion-sync export` says on stderr while it runs and when it ends: a progress line for
 * people (`--progress human`, the default), or one JSON object per line for programs
 * (`--progress json`), described by the schemas below.
 */

export const PROGRESS_MODES = ['human', 'json'] as const;
export type ProgressMode = (typeof PROGRESS_MODES)[number];

const count = z.number().int().nonnegative();

/** The export's progress, printed whenever it changes. */
export const ProgressRecord = z.object({
  type: z.literal('progress'),
  exportId: z.string(),
  status: ExportStatus,
  phase: z.enum(['queued', 'discovering', 'exporting', 'finishing', 'done']),
  pagesDone: count,
  pagesFailed: count,
  /** Pages and databases found so far. */
  pagesDiscovered: count,
  requests: count,
  rateLimited: count,
  /** Requests per second Notion's 429s taught the limiter (null: at the budget). */
  pacedRate: z.number().positive().nullable(),
  runningTimeMs: count,
});
export type ProgressRecord = z.infer<typeof ProgressRecord>;

/** Anything else worth saying: resuming, a retry scheduled, stopping, an error. */
export const MessageRecord = z.object({ type: z.literal('message'), text: z.string() });

/** The last line: how the export ended (the counts of export-status's ExportCounts), with the exit code. */
export const ResultRecord = z.object({
  type: z.literal('result'),
  exitCode: z.number().int(),
  exportId: z.string(),
  status: ExportStatus,
  pages: count,
  databases: count,
  skipped: count,
  failed: count,
  files: count,
  bytes: count,
  requests: count,
  runningTimeMs: count,
  /** What a retry of failed pages came to, when this run was one. */
  retried: RetriedPages.nullable(),
  /** The pages and databases that could not be exported, with the reason. */
  failures: z.array(z.object({ id: z.string(), title: z.string(), error: z.string().nullable() })),
  /** Why it failed, paused or still waits; null when it completed. */
  reason: z.string().nullable(),
});
export type ResultRecord = z.infer<typeof ResultRecord>;

/** The last line when the command stopped before there was an export (bad usage, a refused token…). */
export const FailureRecord = z.object({ type: z.literal('result'), exitCode: z.number().int(), exportId: z.null(), reason: z.string() });

export const CliRecord = z.union([ProgressRecord, MessageRecord, ResultRecord, FailureRecord]);
export type CliRecord = z.infer<typeof CliRecord>;

/** Where the export command reports. */
export interface ProgressReporter {
  progress(row: ExportRow): void;
  message(text: string): void;
  /** How the export ended; returns the exit code. */
  result(row: ExportDetail): number;
  /** The command stopped before or without an export; returns the exit code (1). */
  failure(text: string): number;
}

export function progressReporter(mode: ProgressMode, write: (text: string) => void, tty = false): ProgressReporter {
  return mode === 'json' ? jsonReporter(write) : humanReporter(write, tty);
}

/** 0 completed; 2 completed, some pages could not be exported; 1 anything else (failed, paused, stopped). */
export function exitCodeOf(status: ExportStatus): number {
  if (status === 'completed') return 0;
  if (status === 'completed_with_errors') return 2;
  return 1;
}

/** "[exporting] 120/300 (40%) · 12 s · 140 requests · 0 rate-limit waits[ · paced at 2.5/s (Notion's 429s)][ · 2 failed]". */
export function progressLine(row: ExportRow, now: Date): string {
  const done = row.pagesDone + row.pagesFailed;
  const pct = row.pagesDiscovered > 0 ? Math.floor((100 * done) / row.pagesDiscovered) : 0;
  const paced = row.pacedRate !== null ? ` · paced at ${row.pacedRate}/s (Notion's 429s)` : '';
  const failed = row.pagesFailed ? ` · ${row.pagesFailed} failed` : '';
  return `[${row.phase}] ${done}/${row.pagesDiscovered} (${pct}%) · ${describeDuration(runningTimeMs(row, now))} · ${row.requests} requests · ${row.rateLimited} rate-limit waits${paced}${failed}`;
}

/** The end of an export in words: the same counts and running time as the dashboard. */
function describeEnd(row: ExportDetail, now: Date): string[] {
  const done = `${describeCounts(countsOf(row))}; ${row.requests} API requests; running time ${describeDuration(runningTimeMs(row, now))}.`;
  const lines = row.retriedPages ? [`${describeRetried(row.retriedPages)}.`] : [];
  switch (row.status) {
    case 'completed':
      return [...lines, `Completed: ${done}`];
    case 'completed_with_errors':
      return [
        ...lines,
        `Completed with errors: ${done}`,
        'Could not be exported:',
        ...row.failures.map((item) => `  - ${item.title || item.id}: ${item.error}`),
      ];
    case 'failed':
      return [...lines, `Export failed: ${row.lastError}`, 'Run the same command again to resume it.'];
    case 'paused':
      return [...lines, `Export paused: ${row.statusReason}`, 'Run the same command again to resume it.'];
    default:
      return [
        ...lines,
        `Export ${exportStatusLabel(row.status).toLowerCase()}${row.wait ? ` (${describeQueueWait(row.wait)})` : ''}; run the same command again to resume.`,
      ];
  }
}

/** A line rewritten in place on a terminal (a line each elsewhere), and the summary at the end. */
function humanReporter(write: (text: string) => void, tty: boolean): ProgressReporter {
  let last = '';
  const endLine = () => {
    if (tty && last) write('\n');
    last = '';
  };
  const say = (text: string) => {
    endLine();
    write(`${text}\n`);
  };
  return {
    progress(row) {
      const line = progressLine(row, new Date());
      if (line === last) return;
      last = line;
      write(tty ? `\r\x1b[2K${line}` : `${line}\n`);
    },
    message: say,
    result(row) {
      for (const line of describeEnd(row, new Date())) say(line);
      return exitCodeOf(row.status);
    },
    failure(text) {
      say(text);
      return 1;
    },
  };
}

/** One JSON object per line; a progress record only when something other than the running time changed. */
function jsonReporter(write: (text: string) => void): ProgressReporter {
  let last = '';
  const emit = (record: CliRecord) => write(`${JSON.stringify(record)}\n`);
  return {
    progress(row) {
      const record: ProgressRecord = {
        type: 'progress',
        exportId: row.id,
        status: row.status,
        phase: row.phase,
        pagesDone: row.pagesDone,
        pagesFailed: row.pagesFailed,
        pagesDiscovered: row.pagesDiscovered,
        requests: row.requests,
        rateLimited: row.rateLimited,
        pacedRate: row.pacedRate,
        runningTimeMs: runningTimeMs(row, new Date()),
      };
      const key = JSON.stringify({ ...record, runningTimeMs: 0 });
      if (key === last) return;
      last = key;
      emit(record);
    },
    message: (text) => emit({ type: 'message', text }),
    result(row) {
      const exitCode = exitCodeOf(row.status);
      const reason =
        row.status === 'failed' ? row.lastError : row.status === 'paused' ? row.statusReason : row.wait ? describeQueueWait(row.wait) : null;
      emit({
        type: 'result',
        exitCode,
        exportId: row.id,
        status: row.status,
        ...countsOf(row),
        requests: row.requests,
        runningTimeMs: runningTimeMs(row, new Date()),
        retried: row.retriedPages ?? null,
        failures: row.failures.map((f) => ({ id: f.id, title: f.title, error: f.error })),
        reason: exitCode === 1 ? (reason ?? exportStatusLabel(row.status)) : null,
      });
      return exitCode;
    },
    failure(text) {
      emit({ type: 'message', text });
      emit({ type: 'result', exitCode: 1, exportId: null, reason: text.split('\n')[0] ?? text });
      return 1;
    },
  };
}
