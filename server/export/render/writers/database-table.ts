import type { DataSourceObjectResponse, PageObjectResponse } from '@notionhq/client/build/src/api-endpoints';
import type { Element, ElementContent } from 'hast';
import type { PhrasingContent, Table, TableCell, TableRow } from 'mdast';
import type { DocumentContext } from '@/server/export/render/document-nodes';
import { formatPropertyValue, type PropertyValue, propertyItems } from '@/server/export/render/property-format';
import { plainText } from '@/server/export/render/rich-text';
import { csvColumns } from './csv';
import { element, text } from './html-document';

/** A row of a data source as its database page shows it: the page object and the link to its file. */
export interface TableRowSource {
  page: PageObjectResponse;
  href: string;
}

/** Rows a database page shows as a table at most; beyond them, the CSV has every row. */
export const MAX_TABLE_ROWS = 1_000;
/**
 * Cells a database page's table holds at most. Rendering costs about 1.5 KB of heap per cell at
 * its peak (the page objects, the HTML tree, its sanitised copy and the text): a table of 1,000
 * rows of 33 properties took about 50 MB, more than half of what the worker may use.
 */
export const MAX_TABLE_CELLS = 8_000;
/** Rows shown of a data source: as many as MAX_TABLE_CELLS allows for its properties, from 50 to MAX_TABLE_ROWS. */
export const tableRowLimit = (dataSource: Pick<DataSourceObjectResponse, 'properties'>): number =>
  Math.max(50, Math.min(MAX_TABLE_ROWS, Math.floor(MAX_TABLE_CELLS / Math.max(1, Object.keys(dataSource.properties).length))));
/** Columns the Markdown table keeps after the title (Markdown tables do not scroll well). */
export const MAX_MARKDOWN_COLUMNS = 6;
/** Characters of a Markdown cell before it is cut with `…` (the CSV and the row's page have it whole). */
export const MAX_MARKDOWN_CELL = 60;
/** Kinds whose values are long or many by nature: left out of the Markdown table. */
const LONG_KINDS = new Set(['rich_text', 'files', 'relation', 'rollup', 'button', 'place']);

/**
 * A link as the rest of the page writes it (mdast-util-to-hast's normalising): characters outside
 * URL syntax percent-encoded, escapes already there kept.
 */
export const normalizeHref = (href: string): string =>
  href.replace(/%(?![\da-fA-F]{2})|[^A-Za-z\d!#$%&'()*+,\-./:;=?@_~]/gu, (c) => encodeURIComponent(c));

type Color = string | undefined;
const tagClass = (color: Color) => (color && color !== 'default' ? ['tag', `bg-${color}`] : ['tag']);

/** The value a column sorts by: numbers as numbers, dates as ISO, checkboxes 1/0, else the text. */
function sortKey(value: PropertyValue, shown: string): string {
  switch (value.type) {
    case 'number':
      return value.number === null ? '' : String(value.number);
    case 'checkbox':
      return value.checkbox ? '1' : '0';
    case 'date':
      return value.date?.start ?? '';
    case 'created_time':
      return value.created_time;
    case 'last_edited_time':
      return value.last_edited_time;
    case 'unique_id':
      return value.unique_id.number === null ? '' : String(value.unique_id.number);
    case 'formula':
      if (value.formula.type === 'number') return value.formula.number === null ? '' : String(value.formula.number);
      if (value.formula.type === 'date') return value.formula.date?.start ?? '';
      return shown;
    default:
      return shown;
  }
}

/** One cell: tags for selects, a box for checkboxes, links for relations, people, files and URLs. */
function cellContent(value: PropertyValue, ctx: DocumentContext, schema: DataSourceObjectResponse['properties'][string] | undefined): ElementContent[] {
  switch (value.type) {
    case 'select':
    case 'status': {
      const option = value.type === 'select' ? value.select : value.status;
      return option ? [element('span', { className: tagClass(option.color) }, [text(option.name)])] : [];
    }
    case 'multi_select':
      return value.multi_select.flatMap((option, i) => [
        ...(i > 0 ? [text(' ')] : []),
        element('span', { className: tagClass(option.color) }, [text(option.name)]),
      ]);
    case 'checkbox':
      // The box for the eye, the word for screen readers and for copying.
      return [
        element('span', { className: ['checkbox'], ariaHidden: 'true' }, [text(value.checkbox ? '☑' : '☐')]),
        element('span', { className: ['visually-hidden'] }, [text(value.checkbox ? 'Yes' : 'No')]),
      ];
    default: {
      const items = propertyItems(value, ctx, schema) ?? [];
      return items.flatMap((item, i) => [
        ...(i > 0 ? [text(', ')] : []),
        item.href ? element('a', { href: normalizeHref(item.href) }, [text(item.text)]) : text(item.text),
      ]);
    }
  }
}

/** A data source's table in parts: the table with its header and an empty body, and its rows one at a time. */
export interface TableParts {
  table: Element;
  /** The body's rows, each made as it is reached. */
  rows(): Generator<Element>;
}

/**
 * A data source's rows as an HTML table: every property a column (the title first, linked to the
 * row's page), each cell formatted as in Notion, with `data-sort` keys the page's small sort
 * script reads. The table is whole without the script; the caller sanitises it with the page.
 * The rows come one by one (a row's tree is garbage once written): a whole table's tree, with its
 * sanitised copy, held ~4 MB for 50 content-rich rows, and a few databases rendered between two
 * collections were the CLI's peak at 10,000 pages.
 */
export function dataSourceTable(dataSource: DataSourceObjectResponse, rows: readonly TableRowSource[], ctx: DocumentContext = {}): TableParts {
  const shown = rows.slice(0, tableRowLimit(dataSource));
  const columns = csvColumns(
    dataSource,
    shown.map((row) => row.page),
    // Buttons hold no value. (The SDK's schema type does not list them, pages' values do.)
  ).filter((name) => (dataSource.properties[name]?.type as string | undefined) !== 'button');
  const head = element('thead', {}, [
    element(
      'tr',
      {},
      columns.map((name) => element('th', { scope: 'col' }, [text(name)])),
    ),
  ]);
  const row = ({ page, href }: TableRowSource): Element =>
    element(
      'tr',
      {},
      columns.map((name) => {
        const value = page.properties[name];
        if (!value) return element('td', { dataSort: '' });
        const schema = dataSource.properties[name];
        const shownText = formatPropertyValue(value, ctx, schema).text;
        if (value.type === 'title') {
          const title = plainText(value.title).trim() || 'Untitled';
          return element('th', { scope: 'row', dataSort: title }, [element('a', { href: normalizeHref(href) }, [text(title)])]);
        }
        return element('td', { dataSort: sortKey(value, shownText) }, cellContent(value, ctx, schema));
      }),
    );
  return {
    table: element('table', { className: ['database-table'] }, [head, element('tbody', {}, [])]),
    *rows() {
      for (const source of shown) yield row(source);
    },
  };
}

const cut = (value: string) => (value.length > MAX_MARKDOWN_CELL ? `${value.slice(0, MAX_MARKDOWN_CELL - 1)}…` : value);

/**
 * The same rows as a GFM table for Markdown: the title (linked) and the first few properties whose
 * values are short, each cell cut at MAX_MARKDOWN_CELL characters. The CSV has every column.
 */
export function dataSourceMarkdownTable(
  dataSource: DataSourceObjectResponse,
  rows: readonly TableRowSource[],
  ctx: DocumentContext = {},
): Table {
  const shown = rows.slice(0, tableRowLimit(dataSource));
  const all = csvColumns(
    dataSource,
    shown.map((row) => row.page),
  );
  const typeOf = (name: string) => dataSource.properties[name]?.type ?? shown.find((r) => r.page.properties[name])?.page.properties[name]?.type;
  const title = all.filter((name) => typeOf(name) === 'title');
  const rest = all.filter((name) => typeOf(name) !== 'title' && !LONG_KINDS.has(typeOf(name) ?? '')).slice(0, MAX_MARKDOWN_COLUMNS);
  const columns = [...title, ...rest];
  const cell = (children: PhrasingContent[]): TableCell => ({ type: 'tableCell', children });
  const header: TableRow = { type: 'tableRow', children: columns.map((name) => cell([{ type: 'text', value: name }])) };
  const body = shown.map(
    ({ page, href }): TableRow => ({
      type: 'tableRow',
      children: columns.map((name) => {
        const value = page.properties[name];
        if (!value) return cell([]);
        if (value.type === 'title') {
          const label = cut(plainText(value.title).trim() || 'Untitled');
          return cell([{ type: 'link', url: href, children: [{ type: 'text', value: label }] }]);
        }
        const shownText = formatPropertyValue(value, ctx, dataSource.properties[name]).text;
        return cell(shownText ? [{ type: 'text', value: cut(shownText.replace(/\s+/g, ' ')) }] : []);
      }),
    }),
  );
  return { type: 'table', align: columns.map(() => null), children: [header, ...body] };
}

/**
 * Sorts a database table by the column whose header is clicked (again: the other way), by each
 * cell's `data-sort` key, numerically when both keys are numbers. Without script the table stays
 * as exported, in Notion's order. Buttons are added by the script so that none is dead without it.
 */
export const TABLE_SORT_SCRIPT = `(function(){
document.querySelectorAll('table.database-table').forEach(function(table){
  var body=table.tBodies[0];if(!body)return;
  var headers=table.tHead.rows[0].cells;
  Array.prototype.forEach.call(headers,function(th,column){
    var button=document.createElement('button');button.type='button';button.className='sort';
    button.textContent=th.textContent;th.textContent='';th.appendChild(button);
    button.addEventListener('click',function(){
      var ascending=th.getAttribute('aria-sort')!=='ascending';
      Array.prototype.forEach.call(headers,function(h){h.removeAttribute('aria-sort');});
      th.setAttribute('aria-sort',ascending?'ascending':'descending');
      var rows=Array.prototype.slice.call(body.rows);
      var key=function(row){var cell=row.cells[column];return cell?(cell.getAttribute('data-sort')||cell.textContent||''):'';};
      rows.sort(function(a,b){
        var x=key(a),y=key(b),nx=Number(x),ny=Number(y);
        var order=x===''&&y!==''?1:y===''&&x!==''?-1:x!==''&&y!==''&&!isNaN(nx)&&!isNaN(ny)?nx-ny:x.localeCompare(y,undefined,{numeric:true,sensitivity:'base'});
        return ascending||x===''||y===''?order:-order;
      });
      rows.forEach(function(row){body.appendChild(row);});
    });
  });
});
})();`;

/** The tables' look: tags in Notion's colours, a sticky header, sort buttons that look like headers. */
export const TABLE_STYLE = [
  'article.wide{max-width:none}table.database-table{font-size:.92em}table.database-table th,table.database-table td{white-space:nowrap;max-width:24rem;overflow:hidden;text-overflow:ellipsis}',
  'table.database-table thead th{position:sticky;top:0}table.database-table tbody th{background:none;font-weight:600}',
  '.tag{display:inline-block;padding:0 .4em;border-radius:3px;background:var(--soft);line-height:1.5}',
  'button.sort{all:unset;cursor:pointer;font-weight:600}button.sort:focus-visible{outline:2px solid var(--link)}',
  '.visually-hidden{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}',
  'th[aria-sort=ascending] button.sort::after{content:" ▲"}th[aria-sort=descending] button.sort::after{content:" ▼"}',
].join('\n');
