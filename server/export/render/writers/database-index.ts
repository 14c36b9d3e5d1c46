import type { DatabaseObjectResponse, DataSourceObjectResponse } from '@notionhq/client/build/src/api-endpoints';
import type { BlockContent, ListItem, Root, RootContent } from 'mdast';
import YAML from 'yaml';
import type { DocumentContext } from '@/server/export/render/document-tree';
import { renderHtmlDocument } from './html-document';
import { mdastToSafeHast } from './html';
import { mdastToMarkdown } from './markdown';
import { plainText, richTextToPhrasing } from '@/server/export/render/rich-text';

/** One data source of a database as its index page lists it. */
export interface DataSourceIndex {
  dataSource: DataSourceObjectResponse;
  /** Relative link to the data source's CSV file, when one was written. */
  csvLink?: string;
  /** Relative links to the rows' pages. */
  rowLinks: { title: string; href: string }[];
}

const databaseTitleOf = (database: DatabaseObjectResponse) => plainText(database.title).trim() || 'Untitled';

function sourceSection(source: DataSourceIndex, withHeading: boolean): BlockContent[] {
  const name = plainText(source.dataSource.title).trim() || 'Untitled';
  const count = source.rowLinks.length;
  const summary = `${count} ${count === 1 ? 'row' : 'rows'}`;
  const items: ListItem[] = source.rowLinks.map((row) => ({
    type: 'listItem',
    spread: false,
    children: [{ type: 'paragraph', children: [{ type: 'link', url: row.href, children: [{ type: 'text', value: row.title || 'Untitled' }] }] }],
  }));
  const out: BlockContent[] = [];
  if (withHeading) out.push({ type: 'heading', depth: 2, children: [{ type: 'text', value: name }] });
  out.push({
    type: 'paragraph',
    children: source.csvLink
      ? [{ type: 'text', value: `${summary} · ` }, { type: 'link', url: source.csvLink, children: [{ type: 'text', value: 'All rows as CSV' }] }]
      : [{ type: 'text', value: summary }],
  });
  if (items.length > 0) out.push({ type: 'list', ordered: false, spread: false, children: items });
  return out;
}

/**
 * The database's own page: front matter (id, url, times), its title and description, then each data
 * source (a heading when there are several) with a link to its CSV and a list of its rows.
 */
export function databaseToMdast(database: DatabaseObjectResponse, sources: readonly DataSourceIndex[], ctx: DocumentContext = {}): Root {
  const frontMatter = new YAML.Document({
    notion_id: database.id,
    url: database.url,
    created_time: database.created_time,
    last_edited_time: database.last_edited_time,
  }).toString({ lineWidth: 0 });
  const description = richTextToPhrasing(database.description, ctx, { breaks: true });
  const children: RootContent[] = [
    { type: 'yaml', value: frontMatter.trimEnd() },
    { type: 'heading', depth: 1, children: [{ type: 'text', value: databaseTitleOf(database) }] },
  ];
  if (description.length > 0) children.push({ type: 'paragraph', children: description });
  children.push(...sources.flatMap((source) => sourceSection(source, sources.length > 1)));
  return { type: 'root', children };
}

export function renderDatabaseMarkdown(database: DatabaseObjectResponse, sources: readonly DataSourceIndex[], ctx: DocumentContext = {}): string {
  return mdastToMarkdown(databaseToMdast(database, sources, ctx));
}

export function renderDatabaseHtml(database: DatabaseObjectResponse, sources: readonly DataSourceIndex[], ctx: DocumentContext = {}): string {
  const content = mdastToSafeHast(databaseToMdast(database, sources, ctx));
  return renderHtmlDocument({ title: databaseTitleOf(database), content, meta: { 'notion-id': database.id } });
}
