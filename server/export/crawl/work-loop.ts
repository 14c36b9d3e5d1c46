import { and, asc, eq, notInArray, sql } from 'drizzle-orm';
import { exportItems } from '@/db/schema';
import { logger } from '@/server/observability/logger';
import { ATTR_EXPORT_ID, ATTR_ITEM_ID, withSpan } from '@/server/observability/spans';
import { recordItemExported, recordItemFailed } from '@/server/observability/export-metrics';
import { exportDatabase } from './database-exporter';
import { itemFailure } from './export-errors';
import type { ExportSession } from './export-session';
import { placeAtRoot, type WorkItem } from './export-target';
import { exportPage } from './page-exporter';

/**
 * The work loop: keeps `concurrency` items in flight (a number, or read at each turn when it
 * follows the settings) until nothing is pending, then queues the
 * items no walk reached, until there are none. A graceful stop (`drain`) starts no new item and
 * returns once those in flight are recorded. Throws the first error that stops the export.
 */
export async function exportAllItems(session: ExportSession, concurrency: number | (() => number), drain?: AbortSignal): Promise<void> {
  const limit = typeof concurrency === 'number' ? () => concurrency : concurrency;
  const { ctx, exportId, gateway, target, buffer, signal } = session;
  const db = ctx.database.db;
  const inFlight = new Map<string, Promise<void>>();
  let fatal: unknown;
  const stop = new AbortController();
  const onAbort = () => stop.abort();
  signal.addEventListener('abort', onAbort);

  const nextPending = async (limit: number): Promise<WorkItem[]> => {
    const busy = [...inFlight.keys(), ...buffer.unflushed];
    const rows = await db
      .select()
      .from(exportItems)
      .where(
        and(
          eq(exportItems.exportId, exportId),
          eq(exportItems.status, 'pending'),
          busy.length > 0 ? notInArray(exportItems.itemId, busy) : undefined,
        ),
      )
      .orderBy(asc(exportItems.seq))
      .limit(limit);
    return rows.map((r) => ({ id: r.itemId, kind: r.kind, title: r.title, dir: r.dir ?? '', stem: r.stem }));
  };

  const start = (item: WorkItem) => {
    const task = (async () => {
      try {
        const attributes = () => ({ [ATTR_EXPORT_ID]: exportId, [ATTR_ITEM_ID]: item.id, 'notion_sync.item_kind': item.kind });
        // The item's span: its Notion requests, attachment downloads and file writes are its children.
        const result = await withSpan(`export.${item.kind}`, attributes, () =>
          item.kind === 'page' ? exportPage(gateway.client, target, item, stop.signal) : exportDatabase(gateway.client, target, item, stop.signal),
        );
        buffer.addExported(
          {
            id: item.id,
            files: result.files,
            issues: result.issues,
            unresolvedLinks: result.unresolvedLinks,
            ...(result.links ? { links: result.links } : {}),
            ...(result.shows?.length ? { shows: result.shows } : {}),
            ...(result.holds?.length ? { holds: result.holds } : {}),
          },
          result.discovered,
        );
        recordItemExported(item.kind, result.files);
      } catch (error) {
        if (stop.signal.aborted) return;
        const notion = itemFailure(error, gateway.baseUrl, item.id);
        if (notion) {
          logger.warn({ exportId, itemId: item.id, code: notion.code ?? notion.kind }, `${item.kind} not exported: ${notion.userMessage}`);
          buffer.addFailed({
            id: item.id,
            kind: item.kind,
            title: item.title,
            code: notion.code ?? notion.kind,
            message: notion.userMessage,
          });
          recordItemFailed(item.kind);
          return;
        }
        fatal ??= error;
        stop.abort();
      } finally {
        inFlight.delete(item.id);
      }
    })();
    inFlight.set(item.id, task);
  };

  try {
    while (!stop.signal.aborted && !drain?.aborted) {
      const inFlightLimit = limit();
      const free = inFlightLimit - inFlight.size;
      const next = free > 0 ? await nextPending(free) : [];
      for (const item of next) start(item);
      if (inFlight.size > 0 && (next.length === 0 || inFlight.size >= inFlightLimit)) {
        await Promise.race(inFlight.values());
        continue;
      }
      if (inFlight.size > 0) continue;
      // Nothing in flight and nothing pending in the database: record what is buffered, which
      // may queue children, then promote candidates nobody reached.
      await buffer.flush();
      if ((await nextPending(1)).length > 0) continue;
      if (!(await promoteCandidates(session))) break;
    }
    await Promise.allSettled(inFlight.values());
    if (fatal !== undefined) throw fatal;
    if (!signal.aborted) await buffer.flush();
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}

/**
 * Queues, at the root of the export, the items that search listed but no walk reached (their
 * parent is not shared with the integration). Databases first: their rows are placed inside.
 */
async function promoteCandidates(session: ExportSession): Promise<boolean> {
  const { ctx, exportId, target, buffer } = session;
  const db = ctx.database.db;
  for (const kind of ['database', 'page'] as const) {
    const candidates = and(eq(exportItems.exportId, exportId), eq(exportItems.status, 'candidate'), eq(exportItems.kind, kind));
    // Prefer the tops of unreached subtrees: their descendants are then found by the walk.
    let rows = await db
      .select()
      .from(exportItems)
      .where(
        and(
          candidates,
          sql`not exists (select 1 from export_items p where p.export_id = ${exportId} and p.item_id = ${exportItems.parentId} and p.status = 'candidate')`,
        ),
      )
      .orderBy(asc(exportItems.seq))
      .limit(500);
    if (rows.length === 0) rows = await db.select().from(exportItems).where(candidates).orderBy(asc(exportItems.seq)).limit(500);
    if (rows.length === 0) continue;
    buffer.addDiscovered(
      await placeAtRoot(
        target,
        rows.map((r) => ({ id: r.itemId, kind: r.kind, title: r.title, parentId: r.parentId, dir: '', status: 'pending' as const })),
      ),
    );
    await buffer.flush();
    return true;
  }
  return false;
}
