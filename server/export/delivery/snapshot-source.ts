import path from 'node:path';
import { and, eq, gt, inArray, ne } from 'drizzle-orm';
import { exportFiles, exportItems, exports } from '@/db/schema';
import type { AppContext } from '@/server/app-context';
import { DomainError } from '@/server/errors';
import { DONE_ITEM_COLUMNS, type DoneItem } from '@/server/export/domain/export-items.projection';
import { isDownloadable } from '@/server/export/domain/export-status';
import { REPORT_FILE } from '@/server/export/files/layout';
import { MANIFEST_FILE, Manifest } from '@/server/export/files/manifest';
import { exportFolder, isExportId } from './export-download';
import { openExportFile } from './export-file';

/**
 * A snapshot as the comparisons read it: a finished export of a connection, its files (as its
 * manifest lists them) and its items (ids, titles, parents and places). Files come from the
 * export's file read model, which the manifest is written from; an export without those rows
 * (older ones, copied folders) is read from its manifest.json, through the same checks as the
 * file preview (never a link, never outside its folder).
 */

export interface SnapshotFile {
  /** Relative to the snapshot's folder, `/`-separated. */
  path: string;
  bytes: number;
  sha256: string;
  /** The Notion id of the page or database the file belongs to. */
  sourceId: string;
}

/** An item the snapshot finished (exported or skipped). */
export type SnapshotItem = DoneItem;

export interface Snapshot {
  id: string;
  connectionId: string;
  /** When it finished (its point in time). */
  at: Date;
  files: SnapshotFile[];
  /** The items it exported, by id. */
  items: Map<string, SnapshotItem>;
}

/** Largest manifest.json read when an export has no file rows (about 200,000 files). */
export const MAX_MANIFEST_BYTES = 64 * 1024 * 1024;

/** Files that describe the export rather than belong to a page: never compared. */
const EXPORT_OWN_FILES: ReadonlySet<string> = new Set([REPORT_FILE, MANIFEST_FILE]);

/** The export row of a snapshot, checked: it exists, is of `connectionId` when given, and finished. */
export async function snapshotRow(ctx: AppContext, exportId: string, connectionId?: string) {
  if (!isExportId(exportId)) throw new DomainError('BAD_INPUT', 'This is not a snapshot id');
  const [row] = await ctx.database.db
    .select({
      id: exports.id,
      connectionId: exports.connectionId,
      status: exports.status,
      outDir: exports.outDir,
      finishedAt: exports.finishedAt,
      requestedAt: exports.requestedAt,
    })
    .from(exports)
    .where(eq(exports.id, exportId));
  if (!row) throw new DomainError('NOT_FOUND', `Snapshot ${exportId} does not exist`);
  if (connectionId !== undefined && row.connectionId !== connectionId) {
    throw new DomainError('BAD_INPUT', `Snapshot ${exportId} belongs to another connection`);
  }
  if (!isDownloadable(row.status)) {
    throw new DomainError('INVALID_STATE', `Snapshot ${exportId} is ${row.status.replaceAll('_', ' ')}; only finished snapshots can be compared`);
  }
  // The CLI syncs a folder in place: an older export of that folder no longer holds its own files.
  const [later] = await ctx.database.db
    .select({ id: exports.id })
    .from(exports)
    .where(and(eq(exports.outDir, row.outDir), ne(exports.id, row.id), gt(exports.requestedAt, row.requestedAt)))
    .limit(1);
  if (later) throw new DomainError('INVALID_STATE', `The folder of snapshot ${exportId} was written again by a later export; it can no longer be compared`);
  const { outDir: _outDir, ...named } = row;
  return { ...named, at: row.finishedAt ?? row.requestedAt };
}

/**
 * Loads a finished snapshot of `connectionId` (when given) with its files and items (only
 * `itemId`'s when given); BAD_INPUT for another connection's, INVALID_STATE for an unfinished
 * one, NOT_FOUND when it or its folder is gone.
 */
export async function loadSnapshot(ctx: AppContext, exportId: string, connectionId?: string, itemId?: string): Promise<Snapshot> {
  const row = await snapshotRow(ctx, exportId, connectionId);
  await exportFolder(ctx, exportId); // NOT_FOUND when its folder is gone
  const [files, items] = await Promise.all([snapshotFiles(ctx, exportId, itemId), snapshotItems(ctx, exportId, itemId === undefined ? undefined : [itemId])]);
  return { id: row.id, connectionId: row.connectionId, at: row.at, files, items };
}

/** The files of a snapshot that belong to its pages and databases (not report.json or the manifest); only `sourceId`'s when given. */
export async function snapshotFiles(ctx: AppContext, exportId: string, sourceId?: string): Promise<SnapshotFile[]> {
  const db = ctx.database.db;
  const rows = await db
    .select({ path: exportFiles.path, bytes: exportFiles.bytes, sha256: exportFiles.sha256, sourceId: exportFiles.sourceId })
    .from(exportFiles)
    .where(and(eq(exportFiles.exportId, exportId), sourceId === undefined ? ne(exportFiles.sourceId, exportId) : eq(exportFiles.sourceId, sourceId)));
  // No rows: the export recorded none (read its manifest), or, asked for one item, that item has none.
  const recorded =
    rows.length > 0 ||
    (sourceId !== undefined &&
      (await db.select({ path: exportFiles.path }).from(exportFiles).where(and(eq(exportFiles.exportId, exportId), ne(exportFiles.sourceId, exportId))).limit(1))
        .length > 0);
  const files = recorded ? rows : (await manifestFiles(ctx, exportId)).filter((f) => sourceId === undefined || f.sourceId === sourceId);
  return files.filter((f) => !EXPORT_OWN_FILES.has(f.path) && f.sourceId !== exportId);
}

/** The files manifest.json lists, read as the file preview reads files. */
export async function manifestFiles(ctx: AppContext, exportId: string): Promise<SnapshotFile[]> {
  const file = await openExportFile(ctx, exportId, [MANIFEST_FILE]).catch(() => {
    throw new DomainError('NOT_FOUND', `Snapshot ${exportId} has no manifest.json to compare`);
  });
  let text: string;
  try {
    if (file.bytes > MAX_MANIFEST_BYTES) throw new DomainError('INVALID_STATE', `The manifest of snapshot ${exportId} is too large to compare`);
    text = await file.handle.readFile('utf8');
  } finally {
    await file.handle.close();
  }
  let parsed: Manifest;
  try {
    parsed = Manifest.parse(JSON.parse(text));
  } catch {
    throw new DomainError('INVALID_STATE', `The manifest of snapshot ${exportId} cannot be read`);
  }
  // A manifest's paths are relative and inside the folder (writeManifest checks); keep only those.
  return parsed.files.filter((f) => isRelativeInside(f.path));
}

/** A `/`-separated relative path with no `..`, `.` or empty segment. */
export function isRelativeInside(rel: string): boolean {
  if (rel === '' || rel.startsWith('/') || rel.includes('\\') || rel.includes('\0')) return false;
  return rel.split('/').every((s) => s !== '' && s !== '.' && s !== '..') && !path.isAbsolute(rel);
}

/** The items a snapshot finished (exported or skipped), by id. */
export async function snapshotItems(ctx: AppContext, exportId: string, itemIds?: readonly string[]): Promise<Map<string, SnapshotItem>> {
  const where = and(eq(exportItems.exportId, exportId), eq(exportItems.status, 'done'), itemIds ? inArray(exportItems.itemId, [...itemIds]) : undefined);
  const rows = await ctx.database.db.select(DONE_ITEM_COLUMNS).from(exportItems).where(where);
  return new Map(rows.map((r) => [r.id, r]));
}
