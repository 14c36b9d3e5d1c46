import { eq } from 'drizzle-orm';
import { exports } from '@/db/schema';
import type { AppContext } from '@/server/app-context';
import type { RecordedEvent } from '@/server/events/event-store';
import { exportStreamId } from '@/server/export/domain/export';

export type ExportRow = typeof exports.$inferSelect;

export interface ExportFeedMessage {
  /** Global position of the newest event this message reflects (the SSE event id). */
  position: number;
  events: { type: string; data: unknown; recordedAt: string }[];
  progress: ExportRow;
}

const FINISHED = new Set(['completed', 'completed_with_errors', 'failed', 'cancelled']);
export const isFinished = (row: ExportRow) => FINISHED.has(row.status);

/**
 * Follows one export's stream for a live view: first the events after `afterPosition` (a
 * reconnecting client's Last-Event-ID), then every new commit. Subscribes before reading so no
 * commit falls between the backfill and the live feed; polls the database as well, so events
 * appended by another process (a standalone worker) arrive too.
 */
export async function* followExport(
  ctx: AppContext,
  exportId: string,
  afterPosition: number,
  signal: AbortSignal,
  pollMs = 1000,
): AsyncGenerator<ExportFeedMessage> {
  const streamId = exportStreamId(exportId);
  let wake: (() => void) | undefined;
  const unsubscribe = ctx.feed.subscribe((events: RecordedEvent[]) => {
    if (events.some((e) => e.streamId === streamId)) wake?.();
  });
  const onAbort = () => wake?.();
  signal.addEventListener('abort', onAbort);
  let position = afterPosition;
  try {
    while (!signal.aborted) {
      const events = await ctx.store.readStreamAfter(streamId, position, 500);
      const [row] = await ctx.database.db.select().from(exports).where(eq(exports.id, exportId));
      if (!row) return;
      if (events.length > 0 || position === 0) {
        position = events.length > 0 ? events[events.length - 1]!.globalPosition : row.lastPosition;
        yield { position, events: events.map((e) => ({ type: e.type, data: e.data, recordedAt: e.recordedAt.toISOString() })), progress: row };
        if (events.length === 500) continue;
      }
      if (isFinished(row) && position >= row.lastPosition) return;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, pollMs);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      wake = undefined;
    }
  } finally {
    unsubscribe();
    signal.removeEventListener('abort', onAbort);
  }
}
