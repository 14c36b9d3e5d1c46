import type { Client } from '@notionhq/client';
import { isFullDataSource, isFullPage } from '@notionhq/client';
import type { DataSourceObjectResponse, PageObjectResponse } from '@notionhq/client/build/src/api-endpoints';
import type { DiscoveredItem } from '@/server/export/domain/export';
import { databaseTitle, normalizeId, pageTitle } from '@/server/export/render/notion-text';
import { iterateSearch } from '@/server/notion/paginate';
import type { ExportSession } from './export-session';
import { placeAtRoot } from './export-target';
import type { PageObjectStore } from './item-lookup';
import type { BaselineEntry } from './sync-plan';

/** One page or data source as search lists it. */
export interface ListedItem {
  id: string;
  kind: 'page' | 'database';
  title: string;
  /** The parent's id (a page, a database, a data source for rows, a block); null at the top of the workspace. */
  parentId: string | null;
  parentType: string;
  lastEditedTime: string;
  /** In Notion's trash (`in_trash`, or `archived` in older answers): never part of an export. */
  trashed: boolean;
  /** The page object (pages only), kept so the page is not fetched again. */
  page?: PageObjectResponse;
  /**
   * The data source as search lists it (databases only: one entry per data source), schema
   * included: the same object `dataSources.retrieve` answers, so it is not fetched again.
   */
  dataSource?: DataSourceObjectResponse;
}

/** Whether Notion's answer marks the object as in the trash (`in_trash`, or `archived` in older answers). */
export function isTrashed(object: object): boolean {
  const flags = object as { in_trash?: boolean; archived?: boolean };
  return flags.in_trash === true || flags.archived === true;
}

/** Every page and data source search lists, as it lists them (data sources under their database's id). */
export async function* listWorkspace(client: Client, signal?: AbortSignal): AsyncGenerator<ListedItem> {
  for await (const result of iterateSearch(client)) {
    signal?.throwIfAborted();
    if (isFullPage(result)) {
      yield {
        id: normalizeId(result.id),
        kind: 'page',
        title: pageTitle(result),
        // A row's parent item is its database (the data source is part of it).
        parentId: result.parent.type === 'data_source_id' ? normalizeId(result.parent.database_id) : parentIdOf(result.parent),
        parentType: result.parent.type,
        lastEditedTime: result.last_edited_time,
        trashed: isTrashed(result),
        page: result,
      };
    } else if (isFullDataSource(result) && result.parent.type === 'database_id') {
      yield {
        id: normalizeId(result.parent.database_id),
        kind: 'database',
        title: databaseTitle(result),
        parentId: parentIdOf(result.database_parent),
        parentType: result.database_parent.type,
        lastEditedTime: result.last_edited_time,
        trashed: isTrashed(result),
        dataSource: result,
      };
    }
  }
}

/**
 * A database's entries merged into one: search lists each of its data sources; the database was
 * edited when any of them was (the latest time), and is in the trash only when all are.
 */
export function mergeDatabaseEntry(seen: ListedItem | undefined, entry: ListedItem): ListedItem {
  const { dataSource: _, ...rest } = entry;
  if (!seen) return rest;
  return {
    ...seen,
    // ISO 8601 times in UTC sort as text.
    lastEditedTime: [seen.lastEditedTime, entry.lastEditedTime].sort()[1] ?? entry.lastEditedTime,
    trashed: seen.trashed && entry.trashed,
  };
}

/**
 * A listed item as discovery records it: queued at once at the top of the workspace, otherwise a
 * candidate that its parent's walk places (or the root at the end).
 */
export function discoveredItem(listed: ListedItem, readAt?: number): DiscoveredItem {
  const atRoot = listed.parentType === 'workspace';
  return {
    id: listed.id,
    kind: listed.kind,
    title: listed.title,
    parentId: listed.parentId,
    dir: atRoot ? '' : null,
    status: atRoot ? 'pending' : 'candidate',
    lastEditedTime: listed.lastEditedTime,
    ...(readAt === undefined ? {} : { readAt }),
  };
}

/**
 * A sync's item recorded where its baseline had it (pending, in the baseline's folder under the
 * baseline's name), with the edit time and read time the sync records for it (none when null).
 */
export function itemFromBaseline(id: string, entry: BaselineEntry, lastEditedTime: string | null, readAt: number | null): DiscoveredItem {
  return {
    id,
    kind: entry.kind,
    title: entry.title,
    parentId: entry.parentId,
    dir: entry.dir ?? '',
    stem: entry.stem,
    status: 'pending',
    ...(lastEditedTime === null ? {} : { lastEditedTime }),
    ...(readAt === null ? {} : { readAt }),
  };
}

/**
 * Lists everything the token can see, trashed items left out. Items at the top of the workspace
 * are queued at once; everything else is a candidate that the walk down from the roots will place
 * in its parent's folder. Candidates the walk never reaches (their parent is not shared) are
 * exported at the root at the end, so nothing visible is left out. Databases come last, once all
 * their data sources were listed. Page and data source objects go to `pages` (read from there
 * when their item is exported, not fetched again). `readAt`: when the listing began (recorded
 * with each item's `last_edited_time`, for the next sync).
 */
export async function* discoverWorkspace(
  client: Client,
  signal?: AbortSignal,
  pages?: PageObjectStore,
  readAt?: number,
  trashed?: ListedItem[],
): AsyncGenerator<DiscoveredItem[]> {
  let chunk: DiscoveredItem[] = [];
  let objects: (PageObjectResponse | DataSourceObjectResponse)[] = [];
  const databases = new Map<string, ListedItem>();
  const item = (listed: ListedItem): DiscoveredItem => discoveredItem(listed, readAt);
  for await (const listed of listWorkspace(client, signal)) {
    if (listed.kind === 'database') {
      databases.set(listed.id, mergeDatabaseEntry(databases.get(listed.id), listed));
      // Its schema as search shows it: the database's export reads it from the store, not from Notion.
      if (listed.dataSource && !listed.trashed) objects.push(listed.dataSource);
      continue;
    }
    if (listed.trashed) {
      trashed?.push({ ...listed, page: undefined });
      continue;
    }
    if (listed.page) objects.push(listed.page);
    chunk.push(item(listed));
    if (chunk.length >= 200) {
      await pages?.put(objects);
      objects = [];
      yield chunk;
      chunk = [];
    }
  }
  await pages?.put(objects);
  for (const database of databases.values()) {
    if (database.trashed) trashed?.push(database);
    else chunk.push(item(database));
  }
  if (chunk.length > 0) yield chunk;
}

export function parentIdOf(parent: { type: string } & Record<string, unknown>): string | null {
  const value = parent[parent.type];
  return typeof value === 'string' ? normalizeId(value) : null;
}

/**
 * The discovery phase: records what search lists (the roots named in the export's root folder),
 * then moves the export on to exporting.
 */
export async function discoverItems(session: ExportSession): Promise<void> {
  const { gateway, target, buffer, signal } = session;
  const readAt = session.clock.now();
  const trashed: ListedItem[] = [];
  for await (const items of discoverWorkspace(gateway.client, signal, target.pages, readAt, trashed)) {
    buffer.addDiscovered(await placeAtRoot(target, items));
  }
  await buffer.flush();
  await recordTrashed(session, trashed);
  await session.record({ type: 'ChangePhase', data: { phase: 'exporting' } });
}

/**
 * Items listed in the trash: not exported, named in report.json among the skipped. Recorded as
 * issues of the export itself (by its own id), since they are no items of it: `in_trash` for a
 * page or row, `database_in_trash` for a database.
 */
export async function recordTrashed(session: ExportSession, trashed: readonly Pick<ListedItem, 'id' | 'kind' | 'title'>[]): Promise<void> {
  if (trashed.length === 0) return;
  const issues = trashed.map((item) => ({
    kind: item.kind === 'database' ? ('database_in_trash' as const) : ('in_trash' as const),
    sourceId: item.id,
    message: item.title || 'Untitled',
  }));
  await session.record({
    type: 'RecordProgress',
    data: { discovered: [], exported: [{ id: session.exportId, files: [], issues }], failed: [], stats: session.stats() },
  });
}
