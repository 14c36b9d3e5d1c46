import type { DatabaseObjectResponse, DataSourceObjectResponse } from '@notionhq/client/build/src/api-endpoints';
import { describe, expect, it } from 'vitest';
import { paragraph, pageWithEveryProperty, sample, text } from '@/server/export/render/notion-fixtures';
import { documentWritersFor, htmlWriter, jsonWriter, markdownWriter } from './document-writers';

const database = sample<DatabaseObjectResponse>('v2025-09-03_databases.retrieve.json');
const dataSource = sample<DataSourceObjectResponse>('v2025-09-03_dataSources.retrieve.json');

describe('document writers', () => {
  it('are chosen by the formats asked for, in a fixed order; CSV is not a document writer', () => {
    expect(documentWritersFor(['json', 'csv', 'markdown']).map((w) => w.format)).toEqual(['markdown', 'json']);
    expect(documentWritersFor(['csv'])).toEqual([]);
    expect(documentWritersFor(['html', 'markdown', 'json']).map((w) => w.extension)).toEqual(['.md', '.html', '.json']);
  });

  it('render a page in their own format, through the links the context gives', () => {
    const page = pageWithEveryProperty();
    const blocks = [paragraph(text('Hello from the writer'))];
    const context = { linkForPage: () => undefined };
    const md = markdownWriter.renderPage({ page, blocks, context });
    const html = htmlWriter.renderPage({ page, blocks, context });
    const json = JSON.parse(jsonWriter.renderPage({ page, blocks, context }));
    expect(md).toMatch(/^---\n/);
    expect(md).toContain('Hello from the writer');
    expect(html).toMatch(/^<!doctype html>/i);
    expect(html).toContain('<p>Hello from the writer</p>');
    expect(json.id).toBe(page.id);
    expect(json.children[0].paragraph.rich_text[0].plain_text).toBe('Hello from the writer');
  });

  it('render a database with its rows linked in their own format; JSON keeps the full data sources and row ids', () => {
    const source = (ext: string) => [{ dataSource, csvLink: 'Tasks.csv', rowLinks: [{ title: 'Row one', href: `Tasks/Row one${ext}` }] }];
    const md = markdownWriter.renderDatabase({ database, sources: source('.md'), rowIds: ['r1'], context: {} });
    const html = htmlWriter.renderDatabase({ database, sources: source('.html'), rowIds: ['r1'], context: {} });
    const json = JSON.parse(jsonWriter.renderDatabase({ database, sources: source('.json'), rowIds: ['r1'], context: {} }));
    expect(md).toContain('[Row one](<Tasks/Row one.md>)');
    expect(html).toContain('href="Tasks/Row%20one.html"');
    expect(json.row_ids).toEqual(['r1']);
    expect(json.data_sources.some((s: DataSourceObjectResponse) => s.id === dataSource.id && 'properties' in s)).toBe(true);
  });
});
