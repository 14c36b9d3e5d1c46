import type { Client } from '@notionhq/client';
import { isFullDataSource, isFullPage } from '@notionhq/client';
import type { DataSourceObjectResponse } from '@notionhq/client/build/src/api-endpoints';
import type { WrittenFile } from '@/server/export/domain/export';
import { childFolder } from '@/server/export/files/layout';
import { normalizeId, pageTitle } from '@/server/export/render/notion-text';
import { documentWritersFor } from '@/server/export/render/writers/document-writers';
import { attachmentRefs, saveAttachments } from './attachment-refs';
import { childItems, fetchBlockTree, syncedOriginals, unsupportedIssues } from './block-tree';
import { completeProperties } from './complete-properties';
import {
  documentContext,
  type ExportTarget,
  type ItemResult,
  join,
  stemOf,
  type WorkItem,
  withoutRequestId,
  writeItemFile,
} from './export-target';
import { referencedIds } from './page-links';

/** Fetches a page and its blocks, saves its files, writes it in every format, names its children. */
export async function exportPage(
  client: Client,
  target: ExportTarget,
  item: WorkItem,
  signal?: AbortSignal,
): Promise<ItemResult> {
  const relinked = await target.relink?.(item);
  if (relinked) return relinked;
  let page = await target.pages.take(item.id);
  if (!page) {
    const fetched = withoutRequestId(await client.pages.retrieve({ page_id: item.id }));
    if (!isFullPage(fetched)) throw new Error(`Notion returned a partial page for ${item.id}`);
    page = fetched;
  }
  // The row's schema first: rollups over relations that are not cut need no calls of their own.
  const parent = page.parent;
  const dataSource = parent.type === 'data_source_id' ? await dataSourceOf(client, target, normalizeId(parent.data_source_id)) : undefined;
  await completeProperties(client, page, dataSource);
  const blocks = await fetchBlockTree(client, item.id, target.synced, signal);
  const title = pageTitle(page) || item.title;
  const stem = stemOf({ ...item, title: item.title || title }, target.options.naming);
  const childDir = childFolder(item.dir, stem);
  const discovered = await childItems(target, blocks, item.id, childDir);

  const refs = attachmentRefs(page, blocks);
  const { saved, files: attachmentFiles, issues } = await saveAttachments(target, refs, item.id);
  issues.push(...unsupportedIssues(blocks));

  const links = [...referencedIds(page, blocks)];
  const known = await target.lookup(links);
  const unresolved = { value: false };
  const files: WrittenFile[] = [...attachmentFiles];
  const base = join(item.dir, stem);
  await target.users.learn(page, blocks);
  const users = await target.users.names();
  for (const writer of documentWritersFor(target.formats)) {
    const context = { ...documentContext(item.dir, writer.extension, known, saved, unresolved, users), dataSource };
    files.push(await writeItemFile(target, `${base}${writer.extension}`, writer.renderPage({ page, blocks, context }), item.id));
  }
  return { files, discovered, issues, unresolvedLinks: unresolved.value, links, ...syncedOriginals(blocks) };
}


/**
 * The schema a row's properties are shown with (number formats, property order): the one its
 * database's export just read, the one search listed (a sync reading a row but not its
 * database), or read now (a schema neither holds any more).
 */
async function dataSourceOf(client: Client, target: ExportTarget, id: string): Promise<DataSourceObjectResponse | undefined> {
  const cached = target.dataSources.get(id);
  if (cached) return cached;
  const source = (await target.pages.dataSource(id)) ?? withoutRequestId(await client.dataSources.retrieve({ data_source_id: id }));
  if (!isFullDataSource(source)) return undefined;
  target.dataSources.set(id, source);
  return source;
}
