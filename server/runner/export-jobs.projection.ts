import { eq } from 'drizzle-orm';
import type { Tx } from '@/db/client';
import { exportJobs } from '@/db/schema';
import type { Projection, RecordedEvent } from '@/server/events/event-store';
import { exportIdOf, parseExportEvent, statusAfter } from '@/server/export/domain/export';
import { type ExportStatus, isFinished } from '@/server/export/domain/export-status';

type JobStatus = (typeof exportJobs.$inferSelect)['status'];

/** The job row of an export in a status (running is set by the claim itself, not by an event). */
function jobStatusOf(status: ExportStatus): JobStatus {
  if (status === 'paused') return 'paused';
  return isFinished(status) ? 'finished' : 'queued';
}

/**
 * Keeps the job queue in step with the export, in the same transaction: queued when requested,
 * resumed, retried or interrupted (at `retryAt` for an automatic retry), paused, or finished.
 */
export const exportJobsProjection: Projection = {
  name: 'export-jobs',
  canHandle: [
    'ExportRequested',
    'ExportCompleted',
    'ExportFailed',
    'ExportRetryScheduled',
    'ExportCancelled',
    'ExportPaused',
    'ExportResumed',
    'ExportInterrupted',
    'FailedPagesRequeued',
  ],
  async apply(tx: Tx, recorded: RecordedEvent): Promise<void> {
    const event = parseExportEvent(recorded.type, recorded.data);
    const exportId = exportIdOf(recorded.streamId);
    const at = recorded.recordedAt.getTime();
    if (event.type === 'ExportRequested') {
      await tx
        .insert(exportJobs)
        .values({ exportId, connectionId: event.data.connectionId, status: 'queued', runAt: at, createdAt: at })
        .onConflictDoNothing();
      return;
    }
    const status = statusAfter(event);
    if (!status || status === 'running') return;
    const runAt = event.type === 'ExportRetryScheduled' ? Date.parse(event.data.retryAt) : at;
    // Clearing the lease fences the runner that held it: its next heartbeat or write fails.
    await tx
      .update(exportJobs)
      .set({ status: jobStatusOf(status), leaseOwner: null, leaseExpiresAt: null, runAt })
      .where(eq(exportJobs.exportId, exportId));
  },
};
