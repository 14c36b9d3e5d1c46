import path from 'node:path';
import type { Client } from '@notionhq/client';
import { isFullBlock, isFullDataSource, isFullDatabase, isFullPage } from '@notionhq/client';
import type {
  DataSourceObjectResponse,
  PageObjectResponse,
} from '@notionhq/client/build/src/api-endpoints';
import type { Root } from 'mdast';
import { toMarkdown } from 'mdast-util-to-markdown';
import { iterateBlockChildren, iterateDataSourceRows } from '@/server/notion/paginate';
import { writeFileAtomic } from './atomic-write';
import type { DiscoveredItem, ExportFormat } from './export';
import { folderName, relativeLink, safeFileName } from './layout';
import { databaseTitle, normalizeId, pageTitle } from './notion-text';
import type { BlockNode, WrittenFile } from './types';
import { renderDatabaseJson, renderPageJson } from './writers/json';
import { renderPageMarkdown } from './writers/markdown';

export interface ExportTarget {
  /** Absolute folder the export tree is written to. */
  root: string;
  formats: readonly ExportFormat[];
}

export interface WorkItem {
  id: string;
  kind: 'page' | 'database';
  title: string;
  /** Folder of the item's files, relative to the root ('' = the root). */
  dir: string;
}

export interface ItemResult {
  files: WrittenFile[];
  discovered: DiscoveredItem[];
}

const join = (...parts: string[]) => path.posix.join(...parts.filter((p) => p !== ''));

async function write(target: ExportTarget, relPath: string, data: string, sourceId: string): Promise<WrittenFile> {
  const { bytes, sha256 } = await writeFileAtomic(path.join(target.root, ...relPath.split('/')), data);
  return { path: relPath, bytes, sha256, sourceId };
}

/** Every block under `blockId`, children nested; child pages and databases are separate items. */
export async function fetchBlockTree(client: Client, blockId: string, signal?: AbortSignal): Promise<BlockNode[]> {
  const blocks: BlockNode[] = [];
  for await (const block of iterateBlockChildren(client, blockId)) {
    signal?.throwIfAborted();
    if (isFullBlock(block)) blocks.push(block);
  }
  for (const block of blocks) {
    if (block.has_children && block.type !== 'child_page' && block.type !== 'child_database') {
      block.children = await fetchBlockTree(client, block.id, signal);
    }
  }
  return blocks;
}

function childItems(blocks: BlockNode[], parentId: string, dir: string, out: DiscoveredItem[] = []): DiscoveredItem[] {
  for (const block of blocks) {
    if (block.type === 'child_page') {
      out.push({ id: normalizeId(block.id), kind: 'page', title: block.child_page.title, parentId, dir, status: 'pending' });
    } else if (block.type === 'child_database') {
      out.push({
        id: normalizeId(block.id),
        kind: 'database',
        title: block.child_database.title,
        parentId,
        dir,
        status: 'pending',
      });
    }
    if (block.children) childItems(block.children, parentId, dir, out);
  }
  return out;
}

/** Fetches a page and its blocks, writes it in every format, and names the children it holds. */
export async function exportPage(
  client: Client,
  target: ExportTarget,
  item: WorkItem,
  signal?: AbortSignal,
): Promise<ItemResult> {
  const page = await client.pages.retrieve({ page_id: item.id });
  if (!isFullPage(page)) throw new Error(`Notion returned a partial page for ${item.id}`);
  const blocks = await fetchBlockTree(client, item.id, signal);
  const title = pageTitle(page) || item.title;
  const childDir = join(item.dir, folderName(title, item.id));
  const children = childItems(blocks, item.id, childDir);
  const links = new Map<string, string>();
  for (const child of children) {
    links.set(child.id, relativeLink(item.dir, join(childDir, safeFileName(child.title, child.id, '.md'))));
  }
  const files: WrittenFile[] = [];
  if (target.formats.includes('markdown')) {
    const md = renderPageMarkdown(page, blocks, { linkForPage: (id) => links.get(normalizeId(id)) });
    files.push(await write(target, join(item.dir, safeFileName(title, item.id, '.md')), md, item.id));
  }
  if (target.formats.includes('json')) {
    files.push(await write(target, join(item.dir, safeFileName(title, item.id, '.json')), renderPageJson(page, blocks), item.id));
  }
  return { files, discovered: children };
}

function databaseIndexMarkdown(title: string, dir: string, rowsDir: string, rows: { id: string; title: string }[]): string {
  const tree: Root = {
    type: 'root',
    children: [
      { type: 'heading', depth: 1, children: [{ type: 'text', value: title || 'Untitled' }] },
      {
        type: 'list',
        ordered: false,
        spread: false,
        children: rows.map((row) => ({
          type: 'listItem',
          spread: false,
          children: [
            {
              type: 'paragraph',
              children: [
                {
                  type: 'link',
                  url: relativeLink(dir, join(rowsDir, safeFileName(row.title, row.id, '.md'))),
                  children: [{ type: 'text', value: row.title || 'Untitled' }],
                },
              ],
            },
          ],
        })),
      },
    ],
  };
  return toMarkdown(tree);
}

/** Fetches a database, its data sources and their rows; the rows become page items. */
export async function exportDatabase(
  client: Client,
  target: ExportTarget,
  item: WorkItem,
  signal?: AbortSignal,
): Promise<ItemResult> {
  const database = await client.databases.retrieve({ database_id: item.id });
  if (!isFullDatabase(database)) throw new Error(`Notion returned a partial database for ${item.id}`);
  const title = databaseTitle(database) || item.title;
  const rowsDir = join(item.dir, folderName(title, item.id));
  const dataSources: DataSourceObjectResponse[] = [];
  const rows: { id: string; title: string }[] = [];
  const discovered: DiscoveredItem[] = [];
  for (const ref of database.data_sources) {
    const source = await client.dataSources.retrieve({ data_source_id: ref.id });
    if (isFullDataSource(source)) dataSources.push(source);
    for await (const row of iterateDataSourceRows(client, ref.id)) {
      signal?.throwIfAborted();
      if (!isFullPage(row)) continue;
      const rowTitle = pageTitle(row as PageObjectResponse);
      const id = normalizeId(row.id);
      rows.push({ id, title: rowTitle });
      discovered.push({ id, kind: 'page', title: rowTitle, parentId: item.id, dir: rowsDir, status: 'pending' });
    }
  }
  const files: WrittenFile[] = [];
  if (target.formats.includes('markdown')) {
    const md = databaseIndexMarkdown(title, item.dir, rowsDir, rows);
    files.push(await write(target, join(item.dir, safeFileName(title, item.id, '.md')), md, item.id));
  }
  if (target.formats.includes('json')) {
    const json = renderDatabaseJson(database, dataSources, rows.map((r) => r.id));
    files.push(await write(target, join(item.dir, safeFileName(title, item.id, '.json')), json, item.id));
  }
  return { files, discovered };
}
