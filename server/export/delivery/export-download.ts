import { eq } from 'drizzle-orm';
import { exports } from '@/db/schema';
import type { AppContext } from '@/server/app-context';
import { DomainError } from '@/server/errors';
import { isDownloadable } from '@/server/export/domain/export-status';

/** What a download of a finished export streams: its folder, and the zip's file name. */
export interface ExportDownload {
  root: string;
  fileName: string;
}

/** The folder of a finished export, for its zip download; NOT_FOUND or INVALID_STATE otherwise. */
export async function exportDownload(ctx: AppContext, exportId: string): Promise<ExportDownload> {
  const [row] = await ctx.database.db.select({ status: exports.status, outDir: exports.outDir }).from(exports).where(eq(exports.id, exportId));
  if (!row) throw new DomainError('NOT_FOUND', `Export ${exportId} does not exist`);
  if (!isDownloadable(row.status)) {
    throw new DomainError('INVALID_STATE', `Export ${exportId} is ${row.status}; it can be downloaded once it completes`);
  }
  return { root: row.outDir, fileName: `notion-export-${exportId}.zip` };
}
