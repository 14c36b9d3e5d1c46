import { lstat } from 'node:fs/promises';
import path from 'node:path';
import { and, asc, count, eq, inArray, sql } from 'drizzle-orm';
import { exportFiles, exports } from '@/db/schema';
import type { AppContext } from '@/server/app-context';
import { DomainError } from '@/server/errors';
import { REPORT_FILE } from '@/server/export/files/layout';
import { MANIFEST_FILE } from '@/server/export/files/manifest';

/** A file of the export's tree. */
export interface FileTreeFile {
  kind: 'file';
  name: string;
  /** Relative to the export's folder, `/`-separated: what the file route takes. */
  path: string;
  bytes: number;
}

/** A folder of the export's tree, with the size of everything under it. */
export interface FileTreeFolder {
  kind: 'folder';
  name: string;
  path: string;
  bytes: number;
  files: number;
  children: FileTreeNode[];
}

export type FileTreeNode = FileTreeFile | FileTreeFolder;

export interface ExportFileTree {
  /** Whether the files are there to be seen (not when the export was cancelled or its folder is gone). */
  available: boolean;
  /** Every file of the export and their bytes (those left out of `children` included). */
  files: number;
  bytes: number;
  /** Files left out of `children` past `MAX_TREE_FILES`. */
  leftOut: number;
  children: FileTreeNode[];
}

/** Files listed in the tree at most (the first by path); the zip has them all. */
export const MAX_TREE_FILES = 5_000;

/** Folders first, then by name as people sort them (`Page 2` before `Page 10`). */
const collator = new Intl.Collator('en', { numeric: true, sensitivity: 'base' });
function sortTree(nodes: FileTreeNode[]): void {
  nodes.sort((a, b) => (a.kind === b.kind ? collator.compare(a.name, b.name) : a.kind === 'folder' ? -1 : 1));
  for (const node of nodes) if (node.kind === 'folder') sortTree(node.children);
}

/** Builds the tree of `files` (paths `/`-separated), each folder with the size of what it holds. */
export function buildFileTree(files: readonly { path: string; bytes: number }[]): FileTreeNode[] {
  const root: FileTreeFolder = { kind: 'folder', name: '', path: '', bytes: 0, files: 0, children: [] };
  const folders = new Map<string, FileTreeFolder>([['', root]]);
  for (const file of files) {
    const parts = file.path.split('/');
    const name = parts.pop() ?? file.path;
    let parent = root;
    parent.bytes += file.bytes;
    parent.files += 1;
    for (const [i, part] of parts.entries()) {
      const at = parts.slice(0, i + 1).join('/');
      let folder = folders.get(at);
      if (!folder) {
        folder = { kind: 'folder', name: part, path: at, bytes: 0, files: 0, children: [] };
        folders.set(at, folder);
        parent.children.push(folder);
      }
      folder.bytes += file.bytes;
      folder.files += 1;
      parent = folder;
    }
    parent.children.push({ kind: 'file', name, path: file.path, bytes: file.bytes });
  }
  sortTree(root.children);
  return root.children;
}

/** The size of `name` at the top of `root` when it is a regular file there (never through a link). */
async function topFileBytes(root: string, name: string): Promise<number | undefined> {
  const stats = await lstat(path.join(root, name)).catch(() => undefined);
  return stats?.isFile() ? stats.size : undefined;
}

/**
 * The export's files as a tree, from what it recorded (the `export_files` read model: path and
 * bytes), with report.json and manifest.json when they are in its folder; NOT_FOUND for an unknown
 * export. The first `MAX_TREE_FILES` files by path are listed; the totals count them all.
 */
export async function exportFileTree(ctx: AppContext, exportId: string, maxFiles = MAX_TREE_FILES): Promise<ExportFileTree> {
  const db = ctx.database.db;
  const [row] = await db.select({ status: exports.status, outDir: exports.outDir }).from(exports).where(eq(exports.id, exportId));
  if (!row) throw new DomainError('NOT_FOUND', `Export ${exportId} does not exist`);
  const root = path.resolve(row.outDir);
  const folder = await lstat(root).catch(() => undefined);
  if (row.status === 'cancelled' || !folder?.isDirectory()) return { available: false, files: 0, bytes: 0, leftOut: 0, children: [] };

  const [totals] = await db
    .select({ files: count(), bytes: sql<number>`coalesce(sum(${exportFiles.bytes}), 0)` })
    .from(exportFiles)
    .where(eq(exportFiles.exportId, exportId));
  const listed = await db
    .select({ path: exportFiles.path, bytes: exportFiles.bytes })
    .from(exportFiles)
    .where(eq(exportFiles.exportId, exportId))
    .orderBy(asc(exportFiles.path))
    .limit(maxFiles);
  let files = Number(totals?.files ?? 0);
  let bytes = Number(totals?.bytes ?? 0);
  // manifest.json is never recorded (it lists the others); report.json is, once written.
  const recorded = await db
    .select({ path: exportFiles.path })
    .from(exportFiles)
    .where(and(eq(exportFiles.exportId, exportId), inArray(exportFiles.path, [REPORT_FILE, MANIFEST_FILE])));
  for (const name of [REPORT_FILE, MANIFEST_FILE]) {
    if (recorded.some((f) => f.path === name)) continue;
    const size = await topFileBytes(root, name);
    if (size === undefined) continue;
    listed.push({ path: name, bytes: size });
    files += 1;
    bytes += size;
  }
  return { available: true, files, bytes, leftOut: Math.max(0, files - listed.length), children: buildFileTree(listed) };
}
