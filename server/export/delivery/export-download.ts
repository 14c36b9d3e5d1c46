import { lstat } from 'node:fs/promises';
import path from 'node:path';
import { eq } from 'drizzle-orm';
import { exportFiles, exports } from '@/db/schema';
import type { AppContext } from '@/server/app-context';
import { DomainError } from '@/server/errors';
import { isDownloadable } from '@/server/export/domain/export-status';
import { MANIFEST_FILE } from '@/server/export/files/manifest';

/**
 * Export ids as a URL may carry them: a UUID (what `requestExport` makes) or letters, digits, `-`
 * and `_`. No dot, slash, backslash, `%`, NUL or anything else that could name another path,
 * decoded once or twice.
 */
const EXPORT_ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/;

/** Whether `id` can be an export id; checked before the database or the disk is touched. */
export function isExportId(id: string): boolean {
  return EXPORT_ID.test(id);
}

/** What a download of a finished export streams: its folder, the zip's file name, and which files. */
export interface ExportDownload {
  root: string;
  fileName: string;
  /** The export's own files, when its folder may hold others (see exportDownload). */
  only?: ReadonlySet<string>;
}

/**
 * The folder of a finished export, for its zip download; BAD_INPUT, NOT_FOUND or INVALID_STATE
 * otherwise. The folder is the one recorded when the export was requested, and must be a folder
 * (not a link to one). A dashboard export's folder, `EXPORTS_DIR/<id>`, holds nothing but the
 * export and is zipped whole. Any other folder was chosen with the CLI (`--out`) and may hold other
 * things (`--out .` would hold the database and the key): only the files the export recorded go
 * in the zip, with its manifest.json. Either way the zip leaves out symbolic links (zip.ts).
 */
export async function exportDownload(ctx: AppContext, exportId: string): Promise<ExportDownload> {
  if (!isExportId(exportId)) throw new DomainError('BAD_INPUT', 'This is not an export id');
  const db = ctx.database.db;
  const [row] = await db.select({ status: exports.status, outDir: exports.outDir }).from(exports).where(eq(exports.id, exportId));
  if (!row) throw new DomainError('NOT_FOUND', `Export ${exportId} does not exist`);
  if (!isDownloadable(row.status)) {
    throw new DomainError('INVALID_STATE', `Export ${exportId} is ${row.status}; it can be downloaded once it completes`);
  }
  const root = path.resolve(row.outDir);
  const folder = await lstat(root).catch(() => undefined);
  if (!folder?.isDirectory()) throw new DomainError('NOT_FOUND', `The files of export ${exportId} are no longer on this server`);
  const fileName = `notion-export-${exportId}.zip`;
  if (root === path.join(path.resolve(ctx.config.exportsDir), exportId)) return { root, fileName };
  const files = await db.select({ path: exportFiles.path }).from(exportFiles).where(eq(exportFiles.exportId, exportId));
  return { root, fileName, only: new Set([...files.map((f) => f.path), MANIFEST_FILE]) };
}
