import type { Client } from '@notionhq/client';
import { isFullDataSource, isFullPage } from '@notionhq/client';
import type { PageObjectResponse } from '@notionhq/client/build/src/api-endpoints';
import { iterateSearch } from '@/server/notion/paginate';
import type { ExportSession } from './export-session';
import { placeAtRoot } from './export-target';
import type { PageObjectStore } from './item-lookup';
import type { DiscoveredItem } from '@/server/export/domain/export';
import { databaseTitle, normalizeId, pageTitle } from '@/server/export/render/notion-text';

/**
 * Lists everything the token can see. Items at the top of the workspace are queued at once;
 * everything else is a candidate that the walk down from the roots will place in its parent's
 * folder. Candidates the walk never reaches (their parent is not shared) are exported at the
 * root at the end, so nothing visible is left out.
 */
export async function* discoverWorkspace(
  client: Client,
  signal?: AbortSignal,
  pages?: PageObjectStore,
): AsyncGenerator<DiscoveredItem[]> {
  let chunk: DiscoveredItem[] = [];
  let objects: PageObjectResponse[] = [];
  for await (const result of iterateSearch(client)) {
    signal?.throwIfAborted();
    if (isFullPage(result)) {
      objects.push(result);
      const atRoot = result.parent.type === 'workspace';
      chunk.push({
        id: normalizeId(result.id),
        kind: 'page',
        title: pageTitle(result),
        parentId: parentIdOf(result.parent),
        dir: atRoot ? '' : null,
        status: atRoot ? 'pending' : 'candidate',
      });
    } else if (isFullDataSource(result) && result.parent.type === 'database_id') {
      const atRoot = result.database_parent.type === 'workspace';
      chunk.push({
        id: normalizeId(result.parent.database_id),
        kind: 'database',
        title: databaseTitle(result),
        parentId: parentIdOf(result.database_parent),
        dir: atRoot ? '' : null,
        status: atRoot ? 'pending' : 'candidate',
      });
    }
    if (chunk.length >= 200) {
      await pages?.put(objects);
      objects = [];
      yield chunk;
      chunk = [];
    }
  }
  await pages?.put(objects);
  if (chunk.length > 0) yield chunk;
}

function parentIdOf(parent: { type: string } & Record<string, unknown>): string | null {
  const value = parent[parent.type];
  return typeof value === 'string' ? normalizeId(value) : null;
}

/**
 * The discovery phase: records what search lists (the roots named in the export's root folder),
 * then moves the export on to exporting.
 */
export async function discoverItems(session: ExportSession): Promise<void> {
  const { gateway, target, buffer, signal } = session;
  for await (const items of discoverWorkspace(gateway.client, signal, target.pages)) {
    buffer.addDiscovered(await placeAtRoot(target, items));
  }
  await buffer.flush();
  await session.record({ type: 'ChangePhase', data: { phase: 'exporting' } });
}
