import { lstat } from 'node:fs/promises';
import path from 'node:path';
import { and, asc, count, eq, inArray, max, ne } from 'drizzle-orm';
import { exportFiles, exportItems, exports, type ItemKind } from '@/db/schema';
import type { AppContext } from '@/server/app-context';
import { DomainError } from '@/server/errors';
import { DONE_ITEM_COLUMNS } from '@/server/export/domain/export-items.projection';
import { isExportId } from './export-download';
import { differsOnlyWhereReadsDo, itemsOf, MAX_CONFIRMED_FILES } from './snapshot-diff';
import { manifestFiles, type SnapshotFile, type SnapshotItem } from './snapshot-source';

/**
 * A page's history: its versions across a connection's finished snapshots, oldest first. A new
 * version is recorded where the page first appears, where one of its files changed (sha256),
 * where it moved or was renamed, where it disappeared and where it came back. Each version names
 * the snapshot of the version before it, so the two can be compared (`diffPage`).
 */

export type VersionChange = 'added' | 'edited' | 'moved' | 'renamed' | 'removed' | 'restored';

export interface PageVersion {
  /** The snapshot that holds this version (for `removed`: the first one without the page). */
  exportId: string;
  at: Date;
  changes: VersionChange[];
  title: string;
  /** Its document in that snapshot (null once removed). */
  path: string | null;
  /** The snapshot of the version before, to compare with; null for the first. */
  previousExportId: string | null;
  /** Whether both folders are still here, so the change can be shown line by line. */
  comparable: boolean;
}

export interface PageHistory {
  id: string;
  kind: ItemKind;
  title: string;
  /** Snapshots looked at (the most recent MAX_HISTORY_SNAPSHOTS finished ones). */
  snapshots: number;
  /** Newest first. */
  versions: PageVersion[];
}

/** Snapshots a history reads at most: the most recent ones. */
export const MAX_HISTORY_SNAPSHOTS = 1_000;
/** Ids per `in (…)` list, well under SQLite's limit on variables. */
const CHUNK = 500;

const ITEM_ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/;

function chunks<T>(list: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < list.length; i += CHUNK) out.push(list.slice(i, i + CHUNK));
  return out;
}

/** `itemId`'s versions across the finished snapshots of `connectionId`; NOT_FOUND when no snapshot holds it. */
export async function pageHistory(ctx: AppContext, connectionId: string, itemId: string): Promise<PageHistory> {
  if (!ITEM_ID.test(itemId)) throw new DomainError('BAD_INPUT', 'This is not a page id');
  const db = ctx.database.db;
  const rows = (
    await db
      .select({ id: exports.id, status: exports.status, outDir: exports.outDir, finishedAt: exports.finishedAt, requestedAt: exports.requestedAt })
      .from(exports)
      .where(and(eq(exports.connectionId, connectionId), inArray(exports.status, ['completed', 'completed_with_errors'])))
      .orderBy(asc(exports.finishedAt), asc(exports.requestedAt))
  )
    .filter((r) => isExportId(r.id))
    .slice(-MAX_HISTORY_SNAPSHOTS);
  const ids = rows.map((r) => r.id);

  const files = new Map<string, SnapshotFile[]>(ids.map((id) => [id, []]));
  const items = new Map<string, Map<string, SnapshotItem>>(ids.map((id) => [id, new Map()]));
  const withRows = new Set<string>();
  for (const part of chunks(ids)) {
    const [fileRows, itemRows, counted] = await Promise.all([
      db
        .select({ exportId: exportFiles.exportId, path: exportFiles.path, bytes: exportFiles.bytes, sha256: exportFiles.sha256, sourceId: exportFiles.sourceId })
        .from(exportFiles)
        .where(and(inArray(exportFiles.exportId, part), eq(exportFiles.sourceId, itemId))),
      db
        .select({ exportId: exportItems.exportId, ...DONE_ITEM_COLUMNS })
        .from(exportItems)
        .where(and(inArray(exportItems.exportId, part), eq(exportItems.itemId, itemId), eq(exportItems.status, 'done'))),
      // Files of its pages, report.json (the export's own) left out, as snapshotFiles counts them.
      db
        .select({ exportId: exportFiles.exportId, n: count() })
        .from(exportFiles)
        .where(and(inArray(exportFiles.exportId, part), ne(exportFiles.sourceId, exportFiles.exportId)))
        .groupBy(exportFiles.exportId),
    ]);
    for (const { exportId, ...file } of fileRows) files.get(exportId)?.push(file);
    for (const { exportId, ...item } of itemRows) items.get(exportId)?.set(item.id, item);
    for (const c of counted) if (c.n > 0) withRows.add(c.exportId);
  }
  // An export without file rows is read from its manifest (bounded by MAX_MANIFEST_BYTES); one whose folder is gone has none.
  for (const id of ids) {
    if (withRows.has(id)) continue;
    const listed = await manifestFiles(ctx, id).catch(() => []);
    files.set(id, listed.filter((f) => f.sourceId === itemId));
  }

  // A snapshot can be compared while its folder is there and no later export wrote into it (the CLI syncs a folder in place).
  const latestInFolder = new Map<string, number>();
  for (const part of chunks([...new Set(rows.map((r) => r.outDir))])) {
    const latest = await db.select({ outDir: exports.outDir, at: max(exports.requestedAt) }).from(exports).where(inArray(exports.outDir, part)).groupBy(exports.outDir);
    for (const l of latest) if (l.at) latestInFolder.set(l.outDir, new Date(l.at).getTime());
  }
  const present = await Promise.all(
    rows.map(async (r) => {
      if (r.requestedAt.getTime() < (latestInFolder.get(r.outDir) ?? 0)) return false;
      return (await lstat(path.resolve(r.outDir)).catch(() => undefined))?.isDirectory() ?? false;
    }),
  );
  const versions: PageVersion[] = [];
  let last: {
    exportId: string;
    fingerprint: string;
    /** Its JSON files (key → path and sha256), compared apart: they differ at every read. */
    json: Map<string, { path: string; sha256: string }>;
    folder: string;
    parentId: string | null | undefined;
    title: string;
    comparable: boolean;
  } | null = null;
  let confirmations = MAX_CONFIRMED_FILES;
  /** Whether the JSON files changed, beyond what differs at every read (checked by content while the budget lasts and both folders are here). */
  const jsonChanged = async (before: NonNullable<typeof last>, afterId: string, json: Map<string, { path: string; sha256: string }>, here: boolean) => {
    if (before.json.size !== json.size) return true;
    for (const [key, file] of json) {
      const earlier = before.json.get(key);
      if (!earlier) return true;
      if (earlier.sha256 === file.sha256) continue;
      if (!before.comparable || !here || confirmations <= 0) return true;
      confirmations--;
      if (!(await differsOnlyWhereReadsDo(ctx, before.exportId, earlier.path, afterId, file.path))) return true;
    }
    return false;
  };
  let gone = false;
  let kind: ItemKind = 'page';
  let latestTitle: string | null = null;
  for (const [i, row] of rows.entries()) {
    const at = row.finishedAt ?? row.requestedAt;
    const side = itemsOf({ files: files.get(row.id) ?? [], items: items.get(row.id) ?? new Map() }).get(itemId);
    if (!side) {
      if (last && !gone) {
        versions.push({ exportId: row.id, at, changes: ['removed'], title: last.title, path: null, previousExportId: last.exportId, comparable: last.comparable && (present[i] ?? false) });
        gone = true;
      }
      continue;
    }
    const title = side.item?.title ?? (side.main ? path.posix.basename(side.main, path.posix.extname(side.main)) : itemId);
    latestTitle = title;
    if (side.item) kind = side.item.kind;
    // Keys are `.json` for the item's own JSON (no extname: it starts with the dot), paths otherwise.
    const isJson = (key: string) => key.toLowerCase().endsWith('.json');
    const fingerprint = [...side.files]
      .filter(([key]) => !isJson(key))
      .map(([key, f]) => `${key}\0${f.sha256}`)
      .sort()
      .join('\n');
    const json = new Map([...side.files].filter(([key]) => isJson(key)).map(([key, f]) => [key, { path: f.path, sha256: f.sha256 }]));
    const folder = side.item?.dir ?? (side.main ? path.posix.dirname(side.main) : '');
    const changes: VersionChange[] = [];
    if (!last) changes.push('added');
    else if (gone) changes.push('restored');
    else {
      if (fingerprint !== last.fingerprint || (await jsonChanged(last, row.id, json, present[i] ?? false))) changes.push('edited');
      const moved = side.item && last.parentId !== undefined ? side.item.parentId !== last.parentId : folder !== last.folder;
      if (moved) changes.push('moved');
      if (title !== last.title) changes.push('renamed');
    }
    if (changes.length > 0) {
      versions.push({
        exportId: row.id,
        at,
        changes,
        title,
        path: side.main,
        previousExportId: last?.exportId ?? null,
        comparable: (last?.comparable ?? false) && (present[i] ?? false),
      });
    }
    // The version a later one compares with is the snapshot where it was last seen unchanged.
    last = { exportId: row.id, fingerprint, json, folder, parentId: side.item ? side.item.parentId : undefined, title, comparable: present[i] ?? false };
    gone = false;
  }
  if (!latestTitle) throw new DomainError('NOT_FOUND', 'No snapshot of this connection holds this page');
  return { id: itemId, kind, title: latestTitle, snapshots: rows.length, versions: versions.reverse() };
}
