import { and, eq, inArray } from 'drizzle-orm';
import type { DB } from '@/db/client';
import { exportFiles, exportIssues, exportItems } from '@/db/schema';
import { type ExportChanges, TRASH_ISSUE_KINDS } from '@/server/export/domain/export';
import { type DoneItem, selectDoneItems } from '@/server/export/domain/export-items.projection';
import { ATTACHMENTS_DIR } from '@/server/export/files/attachments';
import { removeFiles } from '@/server/export/files/link-tree';
import { failpoint } from '@/server/failpoints';
import { baselineFiles } from './sync-baseline';

/**
 * Removes from the sync's folder the baseline's files the sync did not record: those of removed
 * items, of moved or renamed ones at their old place, attachments nothing uses any more; then the
 * folders left empty. Idempotent (a killed run removes the rest when it runs again). Runs once
 * every item is recorded, before the manifest.
 */
export async function removeStaleFiles(db: DB, exportId: string, baselineId: string, root: string): Promise<number> {
  const kept = new Set(
    (await db.select({ path: exportFiles.path }).from(exportFiles).where(eq(exportFiles.exportId, exportId))).map((r) => r.path),
  );
  const stale = (await baselineFiles(db, baselineId)).map((f) => f.path).filter((p) => !kept.has(p));
  return removeFiles(root, stale, () => failpoint('sync-mid-removal'));
}

async function doneItems(db: DB, exportId: string): Promise<Map<string, DoneItem>> {
  const rows = await selectDoneItems(db, exportId, {}).orderBy(exportItems.seq);
  return new Map(rows.map((r) => [r.id, r]));
}

/** Each item's files (path → checksum), by the item that wrote them last. */
async function filesBySource(db: DB, exportId: string): Promise<Map<string, Map<string, string>>> {
  const out = new Map<string, Map<string, string>>();
  const rows = await db
    .select({ path: exportFiles.path, sha256: exportFiles.sha256, sourceId: exportFiles.sourceId })
    .from(exportFiles)
    .where(eq(exportFiles.exportId, exportId));
  for (const r of rows) {
    // Attachments are shared by content (recorded by whichever item saved one last): an item's
    // change shows in its own documents.
    if (r.path.startsWith(`${ATTACHMENTS_DIR}/`)) continue;
    const files = out.get(r.sourceId) ?? new Map<string, string>();
    files.set(r.path, r.sha256);
    out.set(r.sourceId, files);
  }
  return out;
}

const sameFiles = (a: Map<string, string> | undefined, b: Map<string, string> | undefined) =>
  (a?.size ?? 0) === (b?.size ?? 0) && [...(a ?? [])].every(([p, sha]) => b?.get(p) === sha);

/**
 * What the sync changed since its baseline, item by item: added, updated (its files differ),
 * moved (its folder differs: a new parent, or a parent moved or renamed) and removed, with why.
 */
export async function describeChanges(db: DB, exportId: string, baselineId: string): Promise<ExportChanges> {
  const [before, after] = await Promise.all([doneItems(db, baselineId), doneItems(db, exportId)]);
  const [filesBefore, filesAfter] = await Promise.all([filesBySource(db, baselineId), filesBySource(db, exportId)]);
  const trashed = new Set(
    (
      await db
        .select({ id: exportIssues.sourceId })
        .from(exportIssues)
        .where(and(eq(exportIssues.exportId, exportId), inArray(exportIssues.kind, [...TRASH_ISSUE_KINDS])))
    ).map((r) => r.id),
  );
  const changes: ExportChanges = { added: [], updated: [], moved: [], removed: [] };
  const named = (item: DoneItem) => ({ id: item.id, title: item.title, kind: item.kind });
  for (const item of after.values()) {
    const old = before.get(item.id);
    if (!old) changes.added.push(named(item));
    else if (old.parentId !== item.parentId || old.dir !== item.dir) {
      changes.moved.push({ ...named(item), from: old.dir ?? '', to: item.dir ?? '' });
    } else if (old.stem !== item.stem || !sameFiles(filesBefore.get(item.id), filesAfter.get(item.id))) {
      changes.updated.push(named(item));
    }
  }
  for (const item of before.values()) {
    if (after.has(item.id)) continue;
    changes.removed.push({ ...named(item), reason: trashed.has(item.id) ? 'in trash' : 'no longer shared or deleted' });
  }
  return changes;
}
