import { eq } from 'drizzle-orm';
import type { Tx } from '@/db/client';
import { exportJobs } from '@/db/schema';
import type { Projection, RecordedEvent } from '@/server/events/event-store';
import { parseExportEvent } from '@/server/export/domain/export';

/** Queues an export for the runner when it is requested, in the same transaction. */
export const exportJobsProjection: Projection = {
  name: 'export-jobs',
  canHandle: ['ExportRequested', 'ExportCompleted', 'ExportFailed', 'ExportCancelled', 'ExportPaused', 'ExportResumed', 'FailedPagesRequeued'],
  async apply(tx: Tx, recorded: RecordedEvent): Promise<void> {
    const event = parseExportEvent(recorded.type, recorded.data);
    const exportId = recorded.streamId.replace(/^export-/, '');
    if (event.type === 'ExportRequested') {
      await tx
        .insert(exportJobs)
        .values({
          exportId,
          connectionId: event.data.connectionId,
          status: 'queued',
          runAt: recorded.recordedAt.getTime(),
          createdAt: recorded.recordedAt.getTime(),
        })
        .onConflictDoNothing();
      return;
    }
    const status = event.type === 'ExportPaused' ? 'paused' : event.type === 'ExportResumed' || event.type === 'FailedPagesRequeued' ? 'queued' : 'finished';
    // Clearing the lease fences the runner that held it: its next heartbeat or write fails.
    await tx
      .update(exportJobs)
      .set({ status, leaseOwner: null, leaseExpiresAt: null, runAt: recorded.recordedAt.getTime() })
      .where(eq(exportJobs.exportId, exportId));
  },
};
