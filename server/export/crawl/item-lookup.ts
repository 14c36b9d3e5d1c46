import type { DataSourceObjectResponse, PageObjectResponse } from '@notionhq/client/build/src/api-endpoints';
import { and, eq, inArray, isNotNull, notInArray, sql } from 'drizzle-orm';
import type { DB } from '@/db/client';
import { exportItems, exportPageObjects } from '@/db/schema';
import { normalizeId } from '@/server/export/render/notion-text';

/** What the exporter knows about another item: its title, and its place once it has one. */
export interface KnownItem {
  title: string;
  kind: 'page' | 'database';
  status: 'candidate' | 'pending' | 'done' | 'failed';
  dir: string | null;
  stem: string | null;
  /**
   * Search listed it (its edit time is known). A page it does not list (not shared, a linked
   * database view) is named by its id: whether its title is known when a link to it is written
   * would otherwise depend on the order pages are read in.
   */
  listed: boolean;
}

/** Items of an export by id, from its read model (titles of all, places of those placed). */
export async function lookupItems(db: DB, exportId: string, ids: readonly string[]): Promise<Map<string, KnownItem>> {
  const out = new Map<string, KnownItem>();
  for (let i = 0; i < ids.length; i += 500) {
    const rows = await db
      .select({
        id: exportItems.itemId,
        title: exportItems.title,
        kind: exportItems.kind,
        status: exportItems.status,
        dir: exportItems.dir,
        stem: exportItems.stem,
        listed: sql<number>`${exportItems.lastEditedTime} is not null`,
        // A linked database is "done" but has no files of its own: links to it go to Notion.
        linked: sql<number>`exists (select 1 from export_issues i where i.export_id = "export_items"."export_id" and i.item_id = "export_items"."item_id" and i.kind = 'linked_database')`,
      })
      .from(exportItems)
      .where(and(eq(exportItems.exportId, exportId), inArray(exportItems.itemId, ids.slice(i, i + 500))));
    for (const r of rows) {
      const status = r.linked ? 'failed' : r.status;
      out.set(r.id, { title: r.title, kind: r.kind, status, dir: r.dir, stem: r.stem, listed: Boolean(r.listed) });
    }
  }
  return out;
}

/** Stems already given to other items in `dir`. */
export async function stemsInDir(db: DB, exportId: string, dir: string, except: readonly string[]): Promise<string[]> {
  const rows = await db
    .select({ stem: exportItems.stem })
    .from(exportItems)
    .where(
      and(
        eq(exportItems.exportId, exportId),
        eq(exportItems.dir, dir),
        isNotNull(exportItems.stem),
        except.length > 0 && except.length <= 500 ? notInArray(exportItems.itemId, [...except]) : undefined,
      ),
    );
  return rows.flatMap((r) => (r.stem ? [r.stem] : []));
}

/**
 * Page objects already read, kept on disk until their page is exported (flat memory); likewise
 * the data source objects search listed (schema included), read by their database and its rows
 * until the export finishes.
 */
export interface PageObjectStore {
  put(pages: readonly (PageObjectResponse | DataSourceObjectResponse)[]): Promise<void>;
  take(id: string): Promise<PageObjectResponse | undefined>;
  dataSource(id: string): Promise<DataSourceObjectResponse | undefined>;
  clear(): Promise<void>;
}

export function pageObjectStore(db: DB, exportId: string): PageObjectStore {
  const read = async (id: string, remove: boolean): Promise<unknown> => {
    const where = and(eq(exportPageObjects.exportId, exportId), eq(exportPageObjects.pageId, id));
    const [row] = await db.select({ data: exportPageObjects.data }).from(exportPageObjects).where(where);
    if (!row) return undefined;
    if (remove) await db.delete(exportPageObjects).where(where);
    return row.data;
  };
  return {
    async put(pages) {
      for (let i = 0; i < pages.length; i += 100) {
        const rows = pages.slice(i, i + 100).map((p) => ({ exportId, pageId: normalizeId(p.id), data: p as unknown }));
        await db
          .insert(exportPageObjects)
          .values(rows)
          .onConflictDoUpdate({ target: [exportPageObjects.exportId, exportPageObjects.pageId], set: { data: sql`excluded.data` } });
      }
    },
    async take(id) {
      const data = await read(id, true);
      return (data as { object?: string } | undefined)?.object === 'page' ? (data as PageObjectResponse) : undefined;
    },
    async dataSource(id) {
      const data = await read(id, false);
      return (data as { object?: string } | undefined)?.object === 'data_source' ? (data as DataSourceObjectResponse) : undefined;
    },
    async clear() {
      await db.delete(exportPageObjects).where(eq(exportPageObjects.exportId, exportId));
    },
  };
}
