import type { DatabaseObjectResponse, PageObjectResponse } from '@notionhq/client/build/src/api-endpoints';
import { runInNewContext } from 'node:vm';
import type { Nodes } from 'hast';
import { fromHtml } from 'hast-util-from-html';
import { describe, expect, it } from 'vitest';
import type { DocumentContext } from '@/server/export/render/document-nodes';
import { dataSourceWithEveryProperty, pageWithEveryProperty, sample, text } from '@/server/export/render/notion-fixtures';
import { expectGolden } from '@/server/testing/golden';
import { renderDataSourceCsv } from './csv';
import { renderDatabaseHtml, renderDatabaseMarkdown } from './database-index';
import { MAX_TABLE_CELLS, MAX_TABLE_ROWS, TABLE_SORT_SCRIPT, tableRowLimit } from './database-table';

const database = sample<DatabaseObjectResponse>('v2025-09-03_databases.retrieve.json');
const dataSource = dataSourceWithEveryProperty();

const ctx: DocumentContext = {
  userName: (id) => ({ u1: 'Ada Lovelace' })[id],
  titleForPage: (id) => ({ 'rel-1': 'First related', 'rel-2': 'Second <related>' })[id],
  linkForPage: (id) => ({ 'rel-1': '../Other/First related.html' })[id],
  linkForFile: ({ name }) => (name === 'hosted.pdf' ? '../attachments/hosted.pdf' : undefined),
};

/** Three rows: every property, a second one with other values, and one with an unsafe link. */
function rows(): { page: PageObjectResponse; href: string }[] {
  const first = pageWithEveryProperty();
  const second = pageWithEveryProperty();
  second.properties = {
    ...second.properties,
    Name: { id: 'title', type: 'title', title: [text('Apple')] },
    Price: { id: 'p', type: 'number', number: 3 },
    Done: { id: 'c', type: 'checkbox', checkbox: true },
    Author: { id: 'cb', type: 'created_by', created_by: { object: 'user', id: 'u-gone' } },
    Link: { id: 'u', type: 'url', url: 'javascript:alert(1)' },
  } as PageObjectResponse['properties'];
  const third = pageWithEveryProperty();
  third.properties = { ...third.properties, Name: { id: 'title', type: 'title', title: [] }, Price: { id: 'p', type: 'number', number: null } } as PageObjectResponse['properties'];
  return [
    { page: first, href: 'Tasks/Row 1.html' },
    { page: second, href: 'Tasks/Apple 2.html' },
    { page: third, href: 'Tasks/Untitled 3.html' },
  ];
}

const source = (format: 'html' | 'md') => {
  const r = rows().map((row) => ({ ...row, href: row.href.replace('.html', `.${format}`) }));
  return { dataSource, csvLink: 'Tasks abc.csv', rowLinks: r.map((row) => ({ title: '', href: row.href })), rows: r };
};

describe('database pages as tables', () => {
  it('HTML: every property a column, formatted as in Notion, sortable, safe (golden)', () => {
    const html = renderDatabaseHtml(database, [source('html')], ctx);
    expectGolden(import.meta.dirname, 'database-table.html', html);
    expect(html).toContain('<span class="tag bg-blue">In progress</span>');
    expect(html).toContain('<span class="checkbox" aria-hidden="true">☑</span><span class="visually-hidden">Yes</span>');
    expect(html).toContain('<a href="../Other/First%20related.html">First related</a>, Second &#x3C;related>');
    expect(html).toContain('<a href="Tasks/Apple%202.html">Apple</a>');
    expect(html).toContain('u-gone (unknown user)');
    expect(html).toContain('<a href="Tasks%20abc.csv">All rows as CSV</a>');
    expect(html).not.toContain('href="javascript');
    expect(html).toContain('<a>javascript:alert(1)</a>');
    expect(fromHtml(html, { onerror: (e) => expect.unreachable(e.message) })).toBeDefined();
  });

  it('Markdown: a GFM table of the short properties and the CSV link (golden)', () => {
    const md = renderDatabaseMarkdown(database, [source('md')], ctx);
    expectGolden(import.meta.dirname, 'database-table.md', md);
    expect(md).toMatch(/^\| \[Apple\]\(<Tasks\/Apple 2\.md>\) +\| Verified by Ada Lovelace/m);
    // Long kinds (text, files, relations, rollups) stay in the CSV and the row's page.
    expect(md).not.toMatch(/^\|.*\| Notes/m);
  });

  it('says when a table shows only the first rows, as many as its cells allow', () => {
    const limit = tableRowLimit(dataSource);
    expect(limit).toBe(Math.floor(MAX_TABLE_CELLS / Object.keys(dataSource.properties).length));
    expect(tableRowLimit({ properties: { Name: dataSource.properties.Name! } })).toBe(MAX_TABLE_ROWS);
    const row = rows()[1];
    const many = Array.from({ length: limit + 1 }, (_, i) => ({ ...row, href: `r/${i}.html` }));
    const html = renderDatabaseHtml(database, [{ ...source('html'), rows: many }], ctx);
    expect(html).toContain(`The first ${limit.toLocaleString('en-US')} rows are shown. 1 more row: see the CSV.`);
    expect(html.match(/<tr>/g)).toHaveLength(limit + 1);
    // As the crawl gives them: the shown rows' objects, and a link for every row.
    const links = Array.from({ length: limit + 1234 }, (_, i) => ({ title: `Row ${i}`, href: `r/${i}.md` }));
    const md = renderDatabaseMarkdown(database, [{ dataSource, rowLinks: links, rows: many.slice(0, limit) }], ctx);
    expect(md).toContain(`The first ${limit.toLocaleString('en-US')} rows are shown. 1,234 more rows: each has its page in the database’s folder.`);
    expect(md.split('\n').filter((line) => line.startsWith('| ['))).toHaveLength(limit);
  });

  it('writes each table its own rows, in order, whatever text the content holds', () => {
    const titled = (title: string, href: string) => {
      const row = rows()[1];
      return { page: { ...row.page, properties: { ...row.page.properties, Name: { id: 'title', type: 'title', title: [text(title)] } } } as PageObjectResponse, href };
    };
    // Text that looks like the marker the rows are written at, and like a comment.
    const sneaky = '<!--notion-sync-rows-x--> <tbody>';
    const first = [titled('One', 'a/1.html'), titled(sneaky, 'a/2.html')];
    const second = [titled('Three', 'b/3.html')];
    const html = renderDatabaseHtml(
      database,
      [
        { dataSource: { ...dataSource, title: [text(sneaky)] }, rowLinks: [], rows: first },
        { dataSource, rowLinks: [], rows: second },
      ],
      ctx,
    );
    expect(html).not.toMatch(/<!--notion-sync-rows-[0-9a-f-]{36}-->/);
    expect(html).toContain('&#x3C;!--notion-sync-rows-x--> &#x3C;tbody>');
    const tree = fromHtml(html, { onerror: (e) => expect.unreachable(e.message) });
    const bodies: string[][] = [];
    const visit = (node: Nodes, rowsOf?: string[]) => {
      let into = rowsOf;
      if (node.type === 'element') {
        if (node.tagName === 'tbody') {
          into = [];
          bodies.push(into);
        }
        // The rows' own links (the title cells'), not the links in their other cells.
        const href = node.tagName === 'a' ? String(node.properties.href) : '';
        if (into && /^[ab]\//.test(href)) into.push(href);
      }
      if ('children' in node) for (const child of node.children) visit(child, into);
    };
    visit(tree);
    expect(bodies).toEqual([['a/1.html', 'a/2.html'], ['b/3.html']]);
  });

  it('keeps the list of rows and no script when the rows are not given', () => {
    const html = renderDatabaseHtml(database, [{ dataSource, rowLinks: [{ title: 'A', href: 'A.html' }] }], ctx);
    expect(html).not.toContain('<script');
    expect(html).toContain('<li><a href="A.html">A</a></li>');
  });

  it('sorts by a column when its header is clicked, numbers as numbers, empty cells last', () => {
    // A table in miniature with the DOM calls the script makes.
    const cell = (sort: string) => ({ getAttribute: () => sort, textContent: sort });
    const body = { rows: [] as { cells: ReturnType<typeof cell>[] }[], appendChild(row: { cells: ReturnType<typeof cell>[] }) {
      this.rows.splice(this.rows.indexOf(row), 1);
      this.rows.push(row);
    } };
    for (const price of ['10', '', '9', '100']) body.rows.push({ cells: [cell(`name ${price}`), cell(price)] });
    const headers = [0, 1].map(() => {
      const attributes: Record<string, string> = {};
      let listener = () => {};
      return {
        textContent: 'h',
        attributes,
        appendChild() {},
        getAttribute: (name: string) => attributes[name] ?? null,
        setAttribute: (name: string, value: string) => (attributes[name] = value),
        removeAttribute: (name: string) => delete attributes[name],
        button: { addEventListener: (_: string, fn: () => void) => (listener = fn) } as Record<string, unknown>,
        click: () => listener(),
      };
    });
    let made = 0;
    const table = { tBodies: [body], tHead: { rows: [{ cells: headers }] } };
    const document = {
      querySelectorAll: () => [table],
      createElement: () => headers[made++].button,
    };
    runInNewContext(TABLE_SORT_SCRIPT, { document });
    const prices = () => body.rows.map((row) => row.cells[1].textContent);
    headers[1].click();
    expect(prices()).toEqual(['9', '10', '100', '']);
    expect(headers[1].attributes['aria-sort']).toBe('ascending');
    headers[1].click();
    expect(prices()).toEqual(['100', '10', '9', '']);
    expect(headers[1].attributes['aria-sort']).toBe('descending');
  });
});

describe('CSV cells are complete', () => {
  it('carries every relation, person, multi-select option and rollup value (golden)', () => {
    const page = pageWithEveryProperty();
    const related = Array.from({ length: 30 }, (_, i) => ({ id: `rel-${i + 1}` }));
    page.properties = {
      ...page.properties,
      Related: { id: 'r', type: 'relation', relation: related, has_more: false },
      Tags: { id: 't', type: 'multi_select', multi_select: Array.from({ length: 30 }, (_, i) => ({ id: `${i}`, name: `tag ${i}`, color: 'default' })) },
      People: { id: 'pe', type: 'people', people: Array.from({ length: 30 }, (_, i) => ({ object: 'user', id: `u${i}` })) },
    } as PageObjectResponse['properties'];
    const csv = renderDataSourceCsv(dataSource, [page], { ...ctx, titleForPage: (id) => `Title of ${id}`, userName: (id) => `Person ${id}` });
    expectGolden(import.meta.dirname, 'complete-cells.csv', csv);
    expect(csv).toContain('Title of rel-30');
    expect(csv).toContain('tag 29');
    expect(csv).toContain('Person u29');
  });
});
