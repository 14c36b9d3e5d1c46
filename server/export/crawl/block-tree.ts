import type { Client } from '@notionhq/client';
import { isFullBlock } from '@notionhq/client';
import type { DiscoveredItem, ExportIssue } from '@/server/export/domain/export';
import type { BlockNode } from '@/server/export/render/block-node';
import { normalizeId } from '@/server/export/render/notion-text';
import { iterateBlockChildren } from '@/server/notion/paginate';
import type { BoundedCache } from './bounded-cache';
import { type ExportTarget, placeItems } from './export-target';

/** Every block under `blockId`, children nested; child pages and databases are separate items. */
export async function fetchBlockTree(
  client: Client,
  blockId: string,
  synced: BoundedCache<string, BlockNode[]>,
  signal?: AbortSignal,
): Promise<BlockNode[]> {
  const blocks: BlockNode[] = [];
  for await (const block of iterateBlockChildren(client, blockId)) {
    signal?.throwIfAborted();
    if (isFullBlock(block)) blocks.push(block);
  }
  for (const block of blocks) {
    if (!block.has_children || block.type === 'child_page' || block.type === 'child_database') continue;
    // A synced block's references all show the original's content: read it once.
    const original =
      block.type === 'synced_block' ? normalizeId(block.synced_block.synced_from?.block_id ?? block.id) : undefined;
    const cached = original ? synced.get(original) : undefined;
    block.children = cached ?? (await fetchBlockTree(client, block.id, synced, signal));
    if (original && !cached) synced.set(original, block.children);
  }
  return blocks;
}

/** Children of a page that are items of their own, named deterministically within their folder. */
export async function childItems(
  target: ExportTarget,
  blocks: readonly BlockNode[],
  parentId: string,
  dir: string,
): Promise<DiscoveredItem[]> {
  const found: { id: string; kind: 'page' | 'database'; title: string }[] = [];
  const walk = (list: readonly BlockNode[]) => {
    for (const block of list) {
      if (block.type === 'child_page') found.push({ id: normalizeId(block.id), kind: 'page', title: block.child_page.title });
      else if (block.type === 'child_database') {
        found.push({ id: normalizeId(block.id), kind: 'database', title: block.child_database.title });
      }
      if (block.children && block.type !== 'synced_block') walk(block.children);
    }
  };
  walk(blocks);
  return placeItems(target, found, parentId, dir);
}

/** Blocks the API does not expose, as issues of the page. */
export function unsupportedIssues(blocks: readonly BlockNode[], out: ExportIssue[] = []): ExportIssue[] {
  for (const block of blocks) {
    if (block.type === 'unsupported') {
      out.push({ kind: 'unsupported_block', sourceId: block.id, message: 'A block the Notion API does not expose was left out' });
    }
    if (block.children) unsupportedIssues(block.children, out);
  }
  return out;
}


/**
 * Synced block originals a page shows by reference (their content lives on another page, whose
 * edits do not bump this one) and those it holds itself.
 */
export function syncedOriginals(blocks: readonly BlockNode[]): { shows: string[]; holds: string[] } {
  const shows = new Set<string>();
  const holds = new Set<string>();
  const walk = (list: readonly BlockNode[]) => {
    for (const block of list) {
      if (block.type === 'synced_block') {
        const from = block.synced_block.synced_from?.block_id;
        if (from) {
          shows.add(normalizeId(from));
          continue;
        }
        holds.add(normalizeId(block.id));
      }
      if (block.children && block.type !== 'child_page' && block.type !== 'child_database') walk(block.children);
    }
  };
  walk(blocks);
  return { shows: [...shows], holds: [...holds] };
}
