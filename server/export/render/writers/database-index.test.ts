import type { DatabaseObjectResponse, DataSourceObjectResponse } from '@notionhq/client/build/src/api-endpoints';
import { fromHtml } from 'hast-util-from-html';
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { databaseToMdast, renderDatabaseHtml, renderDatabaseMarkdown } from './database-index';
import { sample, text } from '@/server/export/render/notion-fixtures';

const database = sample<DatabaseObjectResponse>('v2025-09-03_databases.retrieve.json');
const dataSource = sample<DataSourceObjectResponse>('v2025-09-03_dataSources.retrieve.json');
const titled = (title: string): DataSourceObjectResponse => ({ ...dataSource, title: [text(title)] });

describe('renderDatabaseMarkdown', () => {
  it('lists one data source with its CSV and rows, without a heading of its own', () => {
    const md = renderDatabaseMarkdown(database, [
      {
        dataSource,
        csvLink: 'Tasks abc.csv',
        rowLinks: [
          { title: 'First [row]', href: 'Tasks/First row.md' },
          { title: '', href: 'Tasks/Untitled.md' },
        ],
      },
    ]);
    const [, yaml, body] = /^---\n([\s\S]*?)\n---\n\n([\s\S]*)$/.exec(md)!;
    expect(YAML.parse(yaml)).toEqual({
      notion_id: database.id,
      url: database.url,
      created_time: database.created_time,
      last_edited_time: database.last_edited_time,
    });
    expect(body).toBe(
      [
        `# ${database.title.map((t) => t.plain_text).join('')}`,
        '',
        '2 rows · [All rows as CSV](<Tasks abc.csv>)',
        '',
        '- [First \\[row\\]](<Tasks/First row.md>)',
        '- [Untitled](Tasks/Untitled.md)',
        '',
      ].join('\n'),
    );
  });

  it('gives each of several data sources a heading, and says when there are no rows', () => {
    const md = renderDatabaseMarkdown({ ...database, description: [text('About *this*')] }, [
      { dataSource: titled('Open'), rowLinks: [{ title: 'One', href: 'Open/One.md' }] },
      { dataSource: titled(''), rowLinks: [] },
    ]);
    expect(md).toContain('\nAbout \\*this\\*\n\n## Open\n\n1 row\n\n- [One](Open/One.md)\n\n## Untitled\n\n0 rows\n');
    const tree = databaseToMdast({ ...database, title: [] }, []);
    expect(tree.children[1]).toEqual({ type: 'heading', depth: 1, children: [{ type: 'text', value: 'Untitled' }] });
  });
});

describe('renderDatabaseHtml', () => {
  it('is a valid standalone document with the same links', () => {
    const html = renderDatabaseHtml(database, [
      { dataSource, csvLink: 'Tasks.csv', rowLinks: [{ title: 'A <b>', href: 'Tasks/A.html' }] },
    ]);
    const errors: string[] = [];
    fromHtml(html, {
      onerror: (error) => {
        errors.push(error.message);
      },
    });
    expect(errors).toEqual([]);
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html).toContain('<p>1 row · <a href="Tasks.csv">All rows as CSV</a></p>');
    expect(html).toContain('<li><a href="Tasks/A.html">A &#x3C;b></a></li>');
    expect(html).not.toContain('<script');
  });
});
