import { and, eq, inArray, isNotNull, notInArray } from 'drizzle-orm';
import type { DB } from '@/db/client';
import { exportItems } from '@/db/schema';
import type { KnownItem } from './item-exporter';

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
      })
      .from(exportItems)
      .where(and(eq(exportItems.exportId, exportId), inArray(exportItems.itemId, ids.slice(i, i + 500))));
    for (const r of rows) out.set(r.id, { title: r.title, kind: r.kind, status: r.status, dir: r.dir, stem: r.stem });
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
  return rows.map((r) => r.stem!);
}
