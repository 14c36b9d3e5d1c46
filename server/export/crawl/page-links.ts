import type { PageObjectResponse, RichTextItemResponse } from '@notionhq/client/build/src/api-endpoints';
import { normalizeId } from '@/server/export/render/notion-text';
import type { BlockNode } from '@/server/export/render/block-node';

/**
 * Stand-in for a link to a page whose place in the export is not known yet when its referrer
 * is written; replaced by a relative link when the export finishes. A fragment, so that no
 * sanitiser drops it and no reader follows it anywhere.
 */
export const LINK_PLACEHOLDER_PREFIX = '#notion-sync-page-';
const PLACEHOLDER = /#notion-sync-page-([0-9a-f-]{36})/g;

export const linkPlaceholder = (id: string) => `${LINK_PLACEHOLDER_PREFIX}${normalizeId(id)}`;

function richTextTargets(rich: readonly RichTextItemResponse[] | undefined, out: Set<string>): void {
  for (const r of rich ?? []) {
    if (r.type === 'mention') {
      const m = r.mention;
      if (m.type === 'page') out.add(normalizeId(m.page.id));
      else if (m.type === 'database') out.add(normalizeId(m.database.id));
    }
    const url = r.href ?? (r.type === 'text' ? r.text.link?.url : undefined);
    const internal = url?.match(/^\/([0-9a-f]{32})(?:[?#]|$)/i);
    if (internal?.[1]) out.add(normalizeId(internal[1]));
  }
}

/** Every rich text array held in a block's type payload (text, caption, cells…). */
function blockRichTexts(block: BlockNode): (readonly RichTextItemResponse[])[] {
  const payload = (block as unknown as Record<string, unknown>)[block.type];
  if (!payload || typeof payload !== 'object') return [];
  const out: (readonly RichTextItemResponse[])[] = [];
  for (const value of Object.values(payload as Record<string, unknown>)) {
    if (Array.isArray(value) && value.length > 0 && typeof value[0] === 'object' && value[0] && 'plain_text' in value[0]) {
      out.push(value as RichTextItemResponse[]);
    } else if (Array.isArray(value) && Array.isArray(value[0])) {
      for (const cell of value) out.push(cell as RichTextItemResponse[]); // table_row cells
    }
  }
  return out;
}

/** Ids of the pages and databases a page refers to: children, link_to_page, mentions, relations. */
export function referencedIds(page: PageObjectResponse | undefined, blocks: readonly BlockNode[]): Set<string> {
  const out = new Set<string>();
  if (page) {
    for (const prop of Object.values(page.properties)) {
      if (prop.type === 'relation') for (const r of prop.relation) out.add(normalizeId(r.id));
      else if (prop.type === 'title') richTextTargets(prop.title, out);
      else if (prop.type === 'rich_text') richTextTargets(prop.rich_text, out);
    }
  }
  const walk = (list: readonly BlockNode[]) => {
    for (const block of list) {
      if (block.type === 'child_page' || block.type === 'child_database') out.add(normalizeId(block.id));
      if (block.type === 'link_to_page') {
        const target = block.link_to_page;
        if (target.type === 'page_id') out.add(normalizeId(target.page_id));
        else if (target.type === 'database_id') out.add(normalizeId(target.database_id));
      }
      for (const rich of blockRichTexts(block)) richTextTargets(rich, out);
      if (block.children) walk(block.children);
    }
  };
  walk(blocks);
  return out;
}

/** Replaces link placeholders; `resolve` gives the relative link or undefined to keep it. */
export function resolvePlaceholders(text: string, resolve: (id: string) => string | undefined): { text: string; left: number } {
  let left = 0;
  const out = text.replace(PLACEHOLDER, (match, id: string) => {
    const link = resolve(id);
    if (link === undefined) {
      left++;
      return match;
    }
    return link;
  });
  return { text: out, left };
}

export const hasPlaceholders = (text: string) => text.includes(LINK_PLACEHOLDER_PREFIX);
