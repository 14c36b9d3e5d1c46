import { count, eq } from 'drizzle-orm';
import type { Tx } from '@/db/client';
import { exportItems, exports } from '@/db/schema';
import type { Projection, RecordedEvent } from '@/server/events/event-store';
import { EXPORT_EVENT_TYPES, parseExportEvent, type RequestStats } from './export';

/** The exports list the dashboard reads: status, phase, counters, last error. */

/** The learned pace, when the event says (events recorded before it existed leave the column as it is). */
function pacedRateOf(stats: RequestStats): { pacedRate?: number | null } {
  return stats.pacedRate === undefined ? {} : { pacedRate: stats.pacedRate };
}

export const exportsProjection: Projection = {
  name: 'exports',
  canHandle: EXPORT_EVENT_TYPES,
  async apply(tx: Tx, recorded: RecordedEvent): Promise<void> {
    const event = parseExportEvent(recorded.type, recorded.data);
    const id = recorded.streamId.replace(/^export-/, '');
    const at = recorded.recordedAt;
    const stamp = { streamVersion: recorded.streamVersion, lastPosition: recorded.globalPosition };
    const where = eq(exports.id, id);
    switch (event.type) {
      case 'ExportRequested':
        await tx.insert(exports).values({
          id,
          connectionId: event.data.connectionId,
          status: 'queued',
          phase: 'queued',
          formats: event.data.formats,
          options: event.data.options,
          outDir: event.data.outDir,
          requestedAt: at,
          ...stamp,
        });
        return;
      case 'ExportStarted': {
        const [row] = await tx.select({ phase: exports.phase, startedAt: exports.startedAt }).from(exports).where(where);
        await tx
          .update(exports)
          .set({
            status: 'running',
            // A resumed export goes on in the phase it had reached.
            phase: !row || row.phase === 'queued' ? 'discovering' : row.phase === 'done' ? 'exporting' : row.phase,
            attempt: event.data.attempt,
            startedAt: row?.startedAt ?? at,
            lastError: null,
            ...stamp,
          })
          .where(where);
        return;
      }
      case 'PhaseChanged':
        await tx.update(exports).set({ phase: event.data.phase, ...stamp }).where(where);
        return;
      case 'PagesExported': {
        const files = event.data.items.flatMap((i) => i.files);
        const [row] = await tx.select().from(exports).where(where);
        if (!row) return;
        await tx
          .update(exports)
          .set({
            filesWritten: row.filesWritten + files.length,
            bytesWritten: row.bytesWritten + files.reduce((n, f) => n + f.bytes, 0),
            requests: Math.max(row.requests, event.data.stats.requests),
            rateLimited: Math.max(row.rateLimited, event.data.stats.rateLimited),
            retries: Math.max(row.retries, event.data.stats.retries),
            ...pacedRateOf(event.data.stats),
            ...stamp,
          })
          .where(where);
        return;
      }
      case 'PageFailed':
        await tx
          .update(exports)
          .set({ lastError: `${event.data.title}: ${event.data.message}`, ...stamp })
          .where(where);
        return;
      case 'ItemsDiscovered':
      case 'FilesWritten':
        await tx.update(exports).set(stamp).where(where);
        return;
      case 'ExportCompleted':
        await tx
          .update(exports)
          .set({
            status: event.data.failed > 0 ? 'completed_with_errors' : 'completed',
            phase: 'done',
            finishedAt: at,
            requests: event.data.stats.requests,
            rateLimited: event.data.stats.rateLimited,
            retries: event.data.stats.retries,
            ...pacedRateOf(event.data.stats),
            ...stamp,
          })
          .where(where);
        return;
      case 'ExportFailed':
        // The phase stays: a resumed export goes on from where it stopped.
        await tx.update(exports).set({ status: 'failed', lastError: event.data.reason, finishedAt: at, ...stamp }).where(where);
        return;
      case 'ExportPaused':
        await tx.update(exports).set({ status: 'paused', lastError: event.data.reason, ...stamp }).where(where);
        return;
      case 'ExportResumed':
        await tx.update(exports).set({ status: 'queued', lastError: null, finishedAt: null, ...stamp }).where(where);
        return;
      case 'FailedPagesRequeued':
        await tx
          .update(exports)
          .set({ status: 'queued', phase: 'exporting', lastError: null, finishedAt: null, ...stamp })
          .where(where);
        return;
      case 'ExportCancelled':
        await tx
          .update(exports)
          .set({ status: 'cancelled', phase: 'done', lastError: event.data.reason, finishedAt: at, ...stamp })
          .where(where);
        return;
      default: {
        const _exhaustive: never = event;
        return _exhaustive;
      }
    }
  },
  /** Counters are derived from the item read model, so replays and retries cannot skew them. */
  async afterAppend(tx: Tx, streamId: string): Promise<void> {
    const id = streamId.replace(/^export-/, '');
    const byStatus = await tx
      .select({ status: exportItems.status, n: count() })
      .from(exportItems)
      .where(eq(exportItems.exportId, id))
      .groupBy(exportItems.status);
    const n = (s: string) => byStatus.find((r) => r.status === s)?.n ?? 0;
    // Search lists everything visible up front (candidates included), so the total is known
    // early and the percentage does not jump back as the walk places pages in their folders.
    await tx
      .update(exports)
      .set({
        pagesDiscovered: n('candidate') + n('pending') + n('done') + n('failed'),
        pagesDone: n('done'),
        pagesFailed: n('failed'),
      })
      .where(eq(exports.id, id));
  },
};
