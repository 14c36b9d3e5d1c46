import { and, eq, gt, sql } from 'drizzle-orm';
import type { SelectedFields } from 'drizzle-orm/sqlite-core';
import type { DB, Tx } from '@/db/client';
import { exportFiles, exportIssues, exportItems, type ItemKind } from '@/db/schema';
import type { Projection, RecordedEvent } from '@/server/events/event-store';
import { exportIdOf, parseExportEvent, type WrittenFile } from './export';

/**
 * What each export has discovered, finished and failed (its work queue and checkpoints), and
 * every file it wrote (its manifest).
 */
export const exportItemsProjection: Projection = {
  name: 'export-items',
  canHandle: ['ItemsDiscovered', 'PagesExported', 'PageFailed', 'FilesWritten', 'FailedPagesRequeued'],
  async apply(tx: Tx, recorded: RecordedEvent): Promise<void> {
    const event = parseExportEvent(recorded.type, recorded.data);
    const exportId = exportIdOf(recorded.streamId);
    switch (event.type) {
      case 'ItemsDiscovered':
        for (const [i, item] of event.data.items.entries()) {
          const values = {
            exportId,
            itemId: item.id,
            kind: item.kind,
            status: item.status,
            title: item.title,
            parentId: item.parentId,
            dir: item.dir,
            stem: item.stem ?? null,
            lastEditedTime: item.lastEditedTime ?? null,
            readAt: item.readAt ?? null,
            seq: recorded.globalPosition * 10_000 + i,
          };
          // A candidate can be promoted to pending; nothing ever moves an item backwards.
          await tx
            .insert(exportItems)
            .values(values)
            .onConflictDoUpdate({
              target: [exportItems.exportId, exportItems.itemId],
              set: {
                status: values.status,
                title: values.title,
                parentId: values.parentId,
                dir: values.dir,
                stem: values.stem,
                seq: values.seq,
                // The walk that places a listed item knows nothing of its edit time: the listing's stays.
                lastEditedTime: sql`coalesce(excluded.last_edited_time, ${exportItems.lastEditedTime})`,
                readAt: sql`coalesce(excluded.read_at, ${exportItems.readAt})`,
              },
              setWhere: sql`${exportItems.status} = 'candidate' and ${values.status} = 'pending'`,
            });
        }
        return;
      case 'PagesExported':
        for (const item of event.data.items) {
          await tx
            .update(exportItems)
            .set({ status: 'done', error: null, unresolvedLinks: item.unresolvedLinks ?? false })
            .where(and(eq(exportItems.exportId, exportId), eq(exportItems.itemId, item.id)));
          await upsertFiles(tx, exportId, item.files);
          for (const issue of item.issues ?? []) {
            await tx
              .insert(exportIssues)
              .values({ exportId, itemId: item.id, ...issue })
              .onConflictDoUpdate({
                target: [exportIssues.exportId, exportIssues.itemId, exportIssues.kind, exportIssues.sourceId],
                set: { message: issue.message },
              });
          }
        }
        return;
      case 'FilesWritten':
        await upsertFiles(tx, exportId, event.data.files);
        if (event.data.reason !== 'links') return;
        for (const id of new Set(event.data.files.map((f) => f.sourceId))) {
          await tx
            .update(exportItems)
            .set({ unresolvedLinks: false })
            .where(and(eq(exportItems.exportId, exportId), eq(exportItems.itemId, id)));
        }
        return;
      case 'FailedPagesRequeued':
        for (const id of event.data.ids) {
          await tx
            .update(exportItems)
            .set({ status: 'pending', error: null })
            .where(and(eq(exportItems.exportId, exportId), eq(exportItems.itemId, id), eq(exportItems.status, 'failed')));
        }
        return;
      case 'PageFailed':
        await tx
          .update(exportItems)
          .set({ status: 'failed', error: `${event.data.code}: ${event.data.message}` })
          .where(and(eq(exportItems.exportId, exportId), eq(exportItems.itemId, event.data.id)));
        return;
      case 'ExportRequested':
      case 'ExportStarted':
      case 'PhaseChanged':
      case 'ExportCompleted':
      case 'ExportFailed':
      case 'ExportRetryScheduled':
      case 'ExportPaused':
      case 'ExportResumed':
      case 'ExportInterrupted':
      case 'ExportCancelled':
      case 'ExportPinned':
      case 'ExportUnpinned':
        return;
      default: {
        const _exhaustive: never = event;
        return _exhaustive;
      }
    }
  },
};

async function upsertFiles(
  tx: Tx,
  exportId: string,
  files: WrittenFile[],
): Promise<void> {
  for (const file of files) {
    await tx
      .insert(exportFiles)
      .values({ exportId, ...file })
      .onConflictDoUpdate({
        target: [exportFiles.exportId, exportFiles.path],
        set: { bytes: file.bytes, sha256: file.sha256, sourceId: file.sourceId },
      });
  }
}

/** An item an export finished (exported, or a linked database, which has no files of its own). */
export interface DoneItem {
  id: string;
  kind: ItemKind;
  title: string;
  parentId: string | null;
  /** Its folder (relative to the export's), and the shared stem of its files. */
  dir: string | null;
  stem: string | null;
}

/** The columns a `DoneItem` is read from, for every query of finished items. */
export const DONE_ITEM_COLUMNS = {
  id: exportItems.itemId,
  kind: exportItems.kind,
  title: exportItems.title,
  parentId: exportItems.parentId,
  dir: exportItems.dir,
  stem: exportItems.stem,
};

/**
 * An export's done items, with the `extra` columns a reader needs. The order and any limit are
 * the reader's; `afterId` keeps only the items after it by id, for a reader that takes them a
 * page at a time.
 */
export function selectDoneItems<Extra extends SelectedFields>(db: DB, exportId: string, extra: Extra, afterId?: string) {
  return db
    .select({ ...DONE_ITEM_COLUMNS, ...extra })
    .from(exportItems)
    .where(
      and(eq(exportItems.exportId, exportId), eq(exportItems.status, 'done'), afterId === undefined ? undefined : gt(exportItems.itemId, afterId)),
    );
}
