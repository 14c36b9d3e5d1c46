import type { DatabaseObjectResponse, DataSourceObjectResponse } from '@notionhq/client/build/src/api-endpoints';
import { randomUUID } from 'node:crypto';
import type { Element, ElementContent } from 'hast';
import type { BlockContent, ListItem, Root, RootContent } from 'mdast';
import YAML from 'yaml';
import type { DocumentContext } from '@/server/export/render/document-tree';
import { formatNumber } from '@/server/export/render/number-format';
import { dataSourceMarkdownTable, dataSourceTable, TABLE_SORT_SCRIPT, TABLE_STYLE, type TableRowSource, tableRowLimit } from './database-table';
import { element, htmlOf, renderHtmlDocument } from './html-document';
import { mdastToSafeHast, sanitizeHast } from './html';
import { mdastToMarkdown } from './markdown';
import { plainText, richTextToPhrasing } from '@/server/export/render/rich-text';

/** One data source of a database as its index page lists it. */
export interface DataSourceIndex {
  dataSource: DataSourceObjectResponse;
  /** Relative link to the data source's CSV file, when one was written. */
  csvLink?: string;
  /** Relative links to the rows' pages. */
  rowLinks: { title: string; href: string }[];
  /**
   * The rows themselves (page objects, with the same links): given, the page shows them as a
   * table of every property (HTML) or of the short ones (Markdown) instead of a list of titles.
   */
  rows?: readonly TableRowSource[];
}

const databaseTitleOf = (database: DatabaseObjectResponse) => plainText(database.title).trim() || 'Untitled';

/** What a data source's section shows of its rows: a list of titles, a GFM table, or nothing (HTML adds its table). */
type RowsAs = 'list' | 'markdown-table' | 'none';

function sourceSection(source: DataSourceIndex, withHeading: boolean, ctx: DocumentContext = {}, rowsAs: RowsAs = 'list'): BlockContent[] {
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
  // The crawl keeps only the rows' objects the table shows (memory stays flat): the rest are counted by their links.
  const shown = source.rows ? Math.min(source.rows.length, tableRowLimit(source.dataSource)) : 0;
  const total = Math.max(count, source.rows?.length ?? 0);
  if (source.rows && total > shown) {
    // Grouped by hand: toLocaleString would load ICU's number data into the worker for good (~7 MB).
    const more = `${formatNumber(total - shown, 'number_with_commas')} more ${total - shown === 1 ? 'row' : 'rows'}`;
    const where = source.csvLink ? 'see the CSV' : 'each has its page in the database’s folder';
    out.push({ type: 'paragraph', children: [{ type: 'text', value: `The first ${formatNumber(shown, 'number_with_commas')} rows are shown. ${more}: ${where}.` }] });
  }
  if (source.rows && rowsAs === 'markdown-table') out.push(dataSourceMarkdownTable(source.dataSource, source.rows, ctx));
  else if (rowsAs !== 'none' || !source.rows) {
    if (items.length > 0) out.push({ type: 'list', ordered: false, spread: false, children: items });
  }
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
  children.push(...sources.flatMap((source) => sourceSection(source, sources.length > 1, ctx, 'markdown-table')));
  return { type: 'root', children };
}

export function renderDatabaseMarkdown(database: DatabaseObjectResponse, sources: readonly DataSourceIndex[], ctx: DocumentContext = {}): string {
  return mdastToMarkdown(databaseToMdast(database, sources, ctx));
}

/**
 * The database's page in HTML: its title and description, then each data source with its CSV link
 * and, when its rows are given, a table of every property, sortable by clicking a column's header
 * (a small inline script; without it the table stays in Notion's order). Otherwise a list of rows.
 * A table's rows are sanitised and written one at a time into the page, where a marker (a comment
 * no content can hold: sanitised content has none, and its name is new at each call) stands for
 * them, so a table's tree is never held whole.
 */
export function renderDatabaseHtml(database: DatabaseObjectResponse, sources: readonly DataSourceIndex[], ctx: DocumentContext = {}): string {
  const tree = databaseToMdast(database, [], ctx);
  const children: ElementContent[] = mdastToSafeHast(tree).children as ElementContent[];
  const tables: { marker: string; rows: () => Generator<Element> }[] = [];
  for (const source of sources) {
    const section = sourceSection(source, sources.length > 1, ctx, 'none');
    children.push(...(mdastToSafeHast({ type: 'root', children: section }).children as ElementContent[]));
    if (!source.rows) continue;
    const parts = dataSourceTable(source.dataSource, source.rows, ctx);
    const safe = sanitizeHast({ type: 'root', children: [parts.table] }).children as ElementContent[];
    const body = bodyOf(safe);
    // Without its marker the rows would have no place: never written past a lost body.
    if (!body) throw new Error('Sanitising a database table removed its body');
    const marker = `notion-sync-rows-${randomUUID()}`;
    body.children.push({ type: 'comment', value: marker });
    tables.push({ marker: `<!--${marker}-->`, rows: parts.rows });
    children.push(...safe);
  }
  let html = renderHtmlDocument({
    title: databaseTitleOf(database),
    content: { type: 'root', children },
    meta: { 'notion-id': database.id },
    ...(tables.length > 0 ? { style: TABLE_STYLE, script: TABLE_SORT_SCRIPT, articleClass: ['wide'] } : {}),
  });
  for (const { marker, rows } of tables) {
    const at = html.indexOf(marker);
    const written: string[] = [];
    for (const row of rows()) written.push(safeRowHtml(row));
    html = `${html.slice(0, at)}${written.join('')}${html.slice(at + marker.length)}`;
  }
  return html;
}

/** The body of a sanitised table. */
function bodyOf(nodes: readonly ElementContent[]): Element | undefined {
  const [table] = nodes;
  if (table?.type !== 'element') return undefined;
  return table.children.find((child): child is Element => child.type === 'element' && child.tagName === 'tbody');
}

/** A table row, sanitised as it would be inside its table (the schema allows rows only there), as HTML. */
function safeRowHtml(row: Element): string {
  const safe = sanitizeHast({ type: 'root', children: [element('table', {}, [element('tbody', {}, [row])])] }).children as ElementContent[];
  const [tr] = bodyOf(safe)?.children ?? [];
  return tr ? htmlOf(tr) : '';
}
