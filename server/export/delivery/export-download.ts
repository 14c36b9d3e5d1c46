import { lstat } from 'node:fs/promises';
import path from 'node:path';
import { eq } from 'drizzle-orm';
import { connections, exportFiles, exports } from '@/db/schema';
import type { AppContext } from '@/server/app-context';
import { DomainError } from '@/server/errors';
import { type ExportStatus, isDownloadable } from '@/server/export/domain/export-status';
import { MANIFEST_FILE } from '@/server/export/files/manifest';
import { contentDisposition, zipFileName } from './download-name';

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

/** An export's folder as the download and the file preview may read it. */
export interface ExportFolder {
  root: string;
  /** The export's own files (paths relative to `root`, `/`-separated), when its folder may hold others; undefined: everything in it. */
  only?: ReadonlySet<string>;
  status: ExportStatus;
  /** What the zip is named after. */
  workspaceName: string | null;
  finishedAt: Date | null;
  requestedAt: Date;
}

/**
 * The folder of an export, as recorded when it was requested; BAD_INPUT or NOT_FOUND otherwise.
 * It must be a folder (not a link to one). A dashboard export's folder, `EXPORTS_DIR/<id>`, holds
 * nothing but the export and is read whole. Any other folder was chosen with the CLI (`--out`) and
 * may hold other things (`--out .` would hold the database and the key): only the files the export
 * recorded may be read, with its manifest.json. Links inside are never followed
 * (zip.ts, export-file.ts).
 */
export async function exportFolder(
  ctx: AppContext,
  exportId: string,
  /** Throws when the export's status does not allow what is asked, before the disk is looked at. */
  checkStatus: (status: ExportStatus) => void = () => {},
): Promise<ExportFolder> {
  if (!isExportId(exportId)) throw new DomainError('BAD_INPUT', 'This is not an export id');
  const db = ctx.database.db;
  const [row] = await db
    .select({
      status: exports.status,
      outDir: exports.outDir,
      finishedAt: exports.finishedAt,
      requestedAt: exports.requestedAt,
      workspaceName: connections.workspaceName,
      connectionName: connections.name,
    })
    .from(exports)
    .leftJoin(connections, eq(connections.id, exports.connectionId))
    .where(eq(exports.id, exportId));
  if (!row) throw new DomainError('NOT_FOUND', `Export ${exportId} does not exist`);
  checkStatus(row.status);
  const root = path.resolve(row.outDir);
  const folder = await lstat(root).catch(() => undefined);
  if (!folder?.isDirectory()) throw new DomainError('NOT_FOUND', `The files of export ${exportId} are no longer on this server`);
  const named = {
    root,
    status: row.status,
    workspaceName: row.workspaceName ?? row.connectionName,
    finishedAt: row.finishedAt,
    requestedAt: row.requestedAt,
  };
  if (root === path.join(path.resolve(ctx.config.exportsDir), exportId)) return named;
  const files = await db.select({ path: exportFiles.path }).from(exportFiles).where(eq(exportFiles.exportId, exportId));
  // report.json is recorded when written; manifest.json never is (it lists the others).
  return { ...named, only: new Set([...files.map((f) => f.path), MANIFEST_FILE]) };
}

/** What a download of a finished export streams: its folder, the zip's file name, and which files. */
export interface ExportDownload {
  root: string;
  /** `<workspace>-<YYYY-MM-DD>.zip` (see zipFileName). */
  fileName: string;
  /** The `Content-Disposition` of the zip (RFC 6266: an ASCII name and the UTF-8 one). */
  disposition: string;
  /** The export's own files, when its folder may hold others (see exportFolder). */
  only?: ReadonlySet<string>;
}

/**
 * The folder of a finished export, for its zip download; BAD_INPUT, NOT_FOUND or INVALID_STATE
 * otherwise (see exportFolder for which files go in). The zip is named after the workspace and the
 * day the export finished.
 */
export async function exportDownload(ctx: AppContext, exportId: string): Promise<ExportDownload> {
  const folder = await exportFolder(ctx, exportId, (status) => {
    if (!isDownloadable(status)) throw new DomainError('INVALID_STATE', `Export ${exportId} is ${status}; it can be downloaded once it completes`);
  });
  const finished = folder.finishedAt ?? folder.requestedAt;
  const fileName = zipFileName(folder.workspaceName, finished);
  const disposition = contentDisposition('attachment', fileName, zipFileName(null, finished));
  return { root: folder.root, fileName, disposition, ...(folder.only ? { only: folder.only } : {}) };
}
