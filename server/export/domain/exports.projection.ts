import { and, count, eq, ne, sql } from 'drizzle-orm';
import type { DbOrTx, Tx } from '@/db/client';
import { exportFiles, exportIssues, exportItems, exports } from '@/db/schema';
import type { Projection, RecordedEvent } from '@/server/events/event-store';
import { EXPORT_EVENT_TYPES, exportIdOf, parseExportEvent, type RequestStats, statusAfter } from './export';
import { describeFailure, type ExportCounts } from './export-status';

/** The exports list the dashboard reads: status and why, phase, counts, running time, last error. */

type ExportRow = typeof exports.$inferSelect;

/** The learned pace, when the event says (events recorded before it existed leave the column as it is). */
function pacedRateOf(stats: RequestStats): { pacedRate?: number | null } {
  return stats.pacedRate === undefined ? {} : { pacedRate: stats.pacedRate };
}

/** The trigger of an event recorded before triggers existed. */
function triggerOf(requestedBy: 'dashboard' | 'cli' | 'scheduler'): ExportRow['trigger'] {
  return requestedBy === 'dashboard' ? 'manual' : requestedBy === 'cli' ? 'cli' : 'schedule';
}

/** Ends the run under way: its time joins the running time. */
function stopClock(row: ExportRow, at: Date): Pick<ExportRow, 'activeMs' | 'runningSince'> {
  const run = row.runningSince ? Math.max(0, at.getTime() - row.runningSince.getTime()) : 0;
  return { activeMs: row.activeMs + run, runningSince: null };
}

/** An export's progress and counts as defined in ExportCounts (export-status), from the item and file read models. */
export interface ExportTally extends ExportCounts {
  /** Pages and databases found so far (candidates included). */
  discovered: number;
  /** Pages and databases done: exported, or skipped (linked databases). */
  done: number;
  pagesFailed: number;
  databasesFailed: number;
}

/**
 * Counts an export from its read models; `files: false` leaves files and bytes at 0 (cheaper).
 * report.json is recorded with the export's own id as its source and manifest.json is never
 * recorded, so the files counted are those of pages, databases and attachments.
 */
export async function tallyExport(db: DbOrTx, exportId: string, options: { files?: boolean } = {}): Promise<ExportTally> {
  const byStatus = await db
    .select({ kind: exportItems.kind, status: exportItems.status, n: count() })
    .from(exportItems)
    .where(eq(exportItems.exportId, exportId))
    .groupBy(exportItems.kind, exportItems.status);
  const n = (kind: 'page' | 'database' | undefined, status: string) =>
    byStatus.filter((r) => (!kind || r.kind === kind) && r.status === status).reduce((sum, r) => sum + r.n, 0);
  const [linked] = await db
    .select({ n: count() })
    .from(exportIssues)
    .where(and(eq(exportIssues.exportId, exportId), eq(exportIssues.kind, 'linked_database')));
  const skipped = linked?.n ?? 0;
  const [files] =
    options.files === false
      ? [{ files: 0, bytes: 0 }]
      : await db
          .select({ files: count(), bytes: sql<number>`coalesce(sum(${exportFiles.bytes}), 0)` })
          .from(exportFiles)
          .where(and(eq(exportFiles.exportId, exportId), ne(exportFiles.sourceId, exportId)));
  return {
    discovered: n(undefined, 'candidate') + n(undefined, 'pending') + n(undefined, 'done') + n(undefined, 'failed'),
    done: n(undefined, 'done'),
    pages: n('page', 'done'),
    databases: Math.max(0, n('database', 'done') - skipped),
    skipped,
    failed: n(undefined, 'failed'),
    pagesFailed: n('page', 'failed'),
    databasesFailed: n('database', 'failed'),
    files: Number(files?.files ?? 0),
    bytes: Number(files?.bytes ?? 0),
  };
}

export const exportsProjection: Projection = {
  name: 'exports',
  canHandle: EXPORT_EVENT_TYPES,
  async apply(tx: Tx, recorded: RecordedEvent): Promise<void> {
    const event = parseExportEvent(recorded.type, recorded.data);
    const id = exportIdOf(recorded.streamId);
    const at = recorded.recordedAt;
    const stamp = { streamVersion: recorded.streamVersion, lastPosition: recorded.globalPosition };
    const where = eq(exports.id, id);
    if (event.type === 'ExportRequested') {
      await tx.insert(exports).values({
        id,
        connectionId: event.data.connectionId,
        status: 'queued',
        phase: 'queued',
        formats: event.data.formats,
        options: event.data.options,
        outDir: event.data.outDir,
        requestedAt: at,
        requestedByUser: event.data.requestedByUser ?? null,
        mode: event.data.mode ?? 'full',
        baselineExportId: event.data.baselineExportId ?? null,
        trigger: event.data.trigger ?? triggerOf(event.data.requestedBy),
        ...stamp,
      });
      return;
    }
    const [row] = await tx.select().from(exports).where(where);
    if (!row) return;
    const set = (values: Partial<ExportRow>) =>
      tx
        .update(exports)
        .set({ ...values, ...stamp })
        .where(where);
    const status = statusAfter(event) ?? row.status;
    switch (event.type) {
      case 'ExportStarted':
        await set({
          status,
          // A resumed export goes on in the phase it had reached.
          phase: row.phase === 'queued' ? 'discovering' : row.phase === 'done' ? 'exporting' : row.phase,
          attempt: Math.max(1, row.attempt),
          startedAt: row.startedAt ?? at,
          runningSince: row.runningSince ?? at,
          retryAt: null,
          lastError: null,
          statusReason: null,
        });
        return;
      case 'PhaseChanged':
        await set({ phase: event.data.phase });
        return;
      case 'PagesExported':
        await set({
          requests: Math.max(row.requests, event.data.stats.requests),
          rateLimited: Math.max(row.rateLimited, event.data.stats.rateLimited),
          retries: Math.max(row.retries, event.data.stats.retries),
          ...pacedRateOf(event.data.stats),
        });
        return;
      case 'PageFailed':
        await set({ lastError: `${event.data.title}: ${event.data.message}` });
        return;
      case 'ItemsDiscovered':
      case 'FilesWritten':
        await set({});
        return;
      case 'ExportCompleted':
        await set({
          status,
          phase: 'done',
          finishedAt: at,
          requests: event.data.stats.requests,
          rateLimited: event.data.stats.rateLimited,
          retries: event.data.stats.retries,
          ...pacedRateOf(event.data.stats),
          ...stopClock(row, at),
          statusReason: null,
          retryingPages: null,
          retriedPages: event.data.retried ?? null,
          ...(event.data.changes ? { changes: event.data.changes } : {}),
        });
        return;
      case 'ExportFailed':
        // The phase stays: a resumed export goes on from where it stopped.
        await set({
          status,
          lastError: describeFailure(event.data.reason, event.data.attempts),
          finishedAt: at,
          retryAt: null,
          ...stopClock(row, at),
        });
        return;
      case 'ExportRetryScheduled':
        await set({
          status,
          lastError: event.data.reason,
          statusReason: null,
          attempt: event.data.retry + 1,
          maxAttempts: event.data.maxRetries + 1,
          retryAt: new Date(event.data.retryAt),
          ...stopClock(row, at),
        });
        return;
      case 'ExportPaused':
        // A pause someone chose is no error; a refused token or a full disk is one to fix.
        await set({
          status,
          statusReason: event.data.reason,
          lastError: event.data.cause === 'user' ? row.lastError : event.data.reason,
          retryAt: null,
          ...stopClock(row, at),
        });
        return;
      case 'ExportResumed': {
        // Resuming a failed export starts a new series of attempts; a paused one goes on with its own.
        const again = row.status === 'failed';
        await set({
          status,
          statusReason: null,
          lastError: null,
          finishedAt: null,
          attempt: again ? 0 : row.attempt,
          maxAttempts: again ? null : row.maxAttempts,
        });
        return;
      }
      case 'ExportInterrupted':
        await set({ status, statusReason: event.data.reason, ...stopClock(row, at) });
        return;
      case 'FailedPagesRequeued':
        await set({
          status,
          phase: 'exporting',
          statusReason: null,
          lastError: null,
          finishedAt: null,
          attempt: 0,
          maxAttempts: null,
          retryingPages: { requested: event.data.ids.length, failedBefore: Math.max(0, row.pagesFailed - event.data.ids.length) },
          retriedPages: null,
        });
        return;
      case 'ExportPinned':
      case 'ExportUnpinned':
        await set({ pinned: event.type === 'ExportPinned' });
        return;
      case 'ExportCancelled':
        await set({
          status,
          phase: 'done',
          statusReason: event.data.reason,
          finishedAt: at,
          retryAt: null,
          retryingPages: null,
          ...stopClock(row, at),
        });
        return;
      default: {
        const _exhaustive: never = event;
        return _exhaustive;
      }
    }
  },
  /** Counters are derived from the item and file read models, so replays and retries cannot skew them. */
  async afterAppend(tx: Tx, streamId: string, events: RecordedEvent[]): Promise<void> {
    const id = exportIdOf(streamId);
    const files = events.some((e) => e.type === 'PagesExported' || e.type === 'FilesWritten');
    const tally = await tallyExport(tx, id, { files });
    // Search lists everything visible up front (candidates included), so the total is known
    // early and the percentage does not jump back as the walk places pages in their folders.
    await tx
      .update(exports)
      .set({
        pagesDiscovered: tally.discovered,
        pagesDone: tally.done,
        pagesFailed: tally.failed,
        pagesExported: tally.pages,
        databasesExported: tally.databases,
        skipped: tally.skipped,
        ...(files ? { filesWritten: tally.files, bytesWritten: tally.bytes } : {}),
      })
      .where(eq(exports.id, id));
  },
};
