import { rm } from 'node:fs/promises';
import { eq } from 'drizzle-orm';
import { events, exportFiles, exportIssues, exportItems, exportJobs, exportPageObjects, exports } from '@/db/schema';
import type { AppContext } from '@/server/app-context';
import { DomainError } from '@/server/errors';
import { exportStreamId } from '@/server/export/domain/export';
import type { ExportStatus } from '@/server/export/domain/export-status';
import { measureFolder, ownExportFolder } from './export-folder';

/** What deleting an export did on disk. */
export interface DeletedExport {
  /** Whether its folder was removed: false for a folder outside EXPORTS_DIR (a CLI `--out`), which keeps its files. */
  filesRemoved: boolean;
  /** Bytes of the files removed (0 when none were). */
  bytes: number;
}

/** Statuses in which a runner may be writing (or about to write) the export: it must be cancelled first. */
const ACTIVE: ReadonlySet<ExportStatus> = new Set(['queued', 'running']);

/**
 * Deletes an export that is not queued or running (cancel it first): its folder when that folder
 * is its own (inside EXPORTS_DIR, by real path: a link never leads the removal outside it), then,
 * in one transaction, its rows in every read model and its event stream. A CLI export written
 * elsewhere keeps its files (the answer says so). The audit log, kept by the caller, still records it.
 *
 * Files go first: should the transaction fail, the export is still listed and deleting it again
 * finishes the job; the other way round a failed removal would leave a folder nothing points to.
 * The transaction checks that nobody resumed or retried it meanwhile (the stream's version).
 */
export async function deleteExport(ctx: AppContext, exportId: string): Promise<DeletedExport> {
  const db = ctx.database.db;
  const [row] = await db
    .select({ status: exports.status, outDir: exports.outDir, streamVersion: exports.streamVersion })
    .from(exports)
    .where(eq(exports.id, exportId));
  if (!row) throw new DomainError('NOT_FOUND', `Export ${exportId} does not exist`);
  if (ACTIVE.has(row.status)) {
    throw new DomainError('INVALID_STATE', `Export ${exportId} is ${row.status}: cancel it first, then delete it`);
  }

  const folder = await ownExportFolder(ctx.config.exportsDir, row.outDir);
  let bytes = 0;
  if (folder) {
    bytes = (await measureFolder(folder)).bytes;
    // `rm` removes a link inside the folder, never what it points to.
    await rm(folder, { recursive: true, force: true });
  }

  await db.transaction(async (tx) => {
    const [now] = await tx.select({ streamVersion: exports.streamVersion }).from(exports).where(eq(exports.id, exportId));
    if (!now) throw new DomainError('NOT_FOUND', `Export ${exportId} does not exist`);
    if (now.streamVersion !== row.streamVersion) {
      throw new DomainError('CONFLICT', `Export ${exportId} changed while it was being deleted (resumed or retried?); look at it again`);
    }
    await tx.delete(exportItems).where(eq(exportItems.exportId, exportId));
    await tx.delete(exportFiles).where(eq(exportFiles.exportId, exportId));
    await tx.delete(exportIssues).where(eq(exportIssues.exportId, exportId));
    await tx.delete(exportPageObjects).where(eq(exportPageObjects.exportId, exportId));
    await tx.delete(exportJobs).where(eq(exportJobs.exportId, exportId));
    await tx.delete(exports).where(eq(exports.id, exportId));
    await tx.delete(events).where(eq(events.streamId, exportStreamId(exportId)));
  });
  return { filesRemoved: folder !== null, bytes };
}
