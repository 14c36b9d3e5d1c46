import { and, eq, sql } from 'drizzle-orm';
import type { Tx } from '@/db/client';
import { exportFiles, exportItems } from '@/db/schema';
import type { Projection, RecordedEvent } from '@/server/events/event-store';
import { parseExportEvent } from './export';

/**
 * What each export has discovered, finished and failed (its work queue and checkpoints), and
 * every file it wrote (its manifest).
 */
export const exportItemsProjection: Projection = {
  name: 'export-items',
  canHandle: ['ItemsDiscovered', 'PagesExported', 'PageFailed'],
  async apply(tx: Tx, recorded: RecordedEvent): Promise<void> {
    const event = parseExportEvent(recorded.type, recorded.data);
    const exportId = recorded.streamId.replace(/^export-/, '');
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
            seq: recorded.globalPosition * 10_000 + i,
          };
          // A candidate can be promoted to pending; nothing ever moves an item backwards.
          await tx
            .insert(exportItems)
            .values(values)
            .onConflictDoUpdate({
              target: [exportItems.exportId, exportItems.itemId],
              set: { status: values.status, title: values.title, parentId: values.parentId, dir: values.dir, seq: values.seq },
              setWhere: sql`${exportItems.status} = 'candidate' and ${values.status} = 'pending'`,
            });
        }
        return;
      case 'PagesExported':
        for (const item of event.data.items) {
          await tx
            .update(exportItems)
            .set({ status: 'done', error: null })
            .where(and(eq(exportItems.exportId, exportId), eq(exportItems.itemId, item.id)));
          for (const file of item.files) {
            await tx
              .insert(exportFiles)
              .values({ exportId, ...file })
              .onConflictDoUpdate({
                target: [exportFiles.exportId, exportFiles.path],
                set: { bytes: file.bytes, sha256: file.sha256, sourceId: file.sourceId },
              });
          }
        }
        return;
      case 'PageFailed':
        await tx
          .update(exportItems)
          .set({ status: 'failed', error: `${event.data.code}: ${event.data.message}` })
          .where(and(eq(exportItems.exportId, exportId), eq(exportItems.itemId, event.data.id)));
        return;
      default:
        return;
    }
  },
};
