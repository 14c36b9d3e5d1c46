import type { PageObjectResponse } from '@notionhq/client/build/src/api-endpoints';
import type { Root } from 'mdast';
import { frontmatterToMarkdown } from 'mdast-util-frontmatter';
import { gfmToMarkdown } from 'mdast-util-gfm';
import { mathToMarkdown } from 'mdast-util-math';
import { toMarkdown } from 'mdast-util-to-markdown';
import { type DocumentContext, pageToMdast } from '@/server/export/render/document-tree';
import type { BlockNode } from '@/server/export/render/block-node';
import { lowerForMarkdown } from '@/server/export/render/markdown-lowering';

const MARKDOWN_OPTIONS = {
  bullet: '-',
  emphasis: '*',
  strong: '*',
  rule: '-',
  fences: true,
  listItemIndent: 'one',
} as const;

/**
 * Serialises a document tree (see document-tree.ts) as Markdown: GFM (tables, task lists,
 * strikethrough), `$…$`/`$$…$$` math and YAML front matter. All escaping is done by
 * mdast-util-to-markdown.
 */
export function mdastToMarkdown(tree: Root): string {
  return toMarkdown(lowerForMarkdown(tree), {
    ...MARKDOWN_OPTIONS,
    extensions: [gfmToMarkdown(), mathToMarkdown(), frontmatterToMarkdown(['yaml'])],
  });
}

/**
 * A page as Markdown: front matter with its id, url, times and every property as a plain value,
 * the title as H1, then the blocks.
 */
export function renderPageMarkdown(page: PageObjectResponse, blocks: readonly BlockNode[], ctx: DocumentContext = {}): string {
  return mdastToMarkdown(pageToMdast(page, blocks, ctx));
}
