import { readFileSync } from 'node:fs';
import path from 'node:path';
import type {
  DatabaseObjectResponse,
  DataSourceObjectResponse,
  PageObjectResponse,
} from '@notionhq/client/build/src/api-endpoints';
import { describe, expect, it } from 'vitest';
import type { BlockNode } from '@/server/export/render/block-node';
import { renderDatabaseJson, renderPageJson } from './json';
import { REAL_API_SAMPLES } from '@/e2e/notion-twin/real-api-samples';
import { everyBlock, pageWithEveryProperty, SPECIAL } from '@/server/export/render/notion-fixtures';

const samples = REAL_API_SAMPLES;
const sample = <T>(file: string): T => JSON.parse(readFileSync(path.join(samples, file), 'utf8')) as T;

describe('renderPageJson', () => {
  it('keeps the raw page and nests the block tree under children, pretty-printed', () => {
    const page = sample<PageObjectResponse>('v2025-09-03_pages.retrieve__page-parent.json');
    const blocks = sample<{ results: BlockNode[] }>('v2025-09-03_blocks.children.list__page1-has_more.json').results;
    const nested: BlockNode[] = [{ ...blocks[0], has_children: true, children: [blocks[1]] }];
    const json = renderPageJson(page, nested);
    expect(json.endsWith('}\n')).toBe(true);
    expect(json).toContain('\n  "object": "page",\n');
    const parsed = JSON.parse(json);
    expect(parsed).toEqual({ ...page, children: nested });
    expect(parsed.children[0].children[0].paragraph.rich_text[0].plain_text).toBe('paragraph 1');
  });
});

describe('renderPageJson: every block and property type', () => {
  const page = pageWithEveryProperty();

  for (const [type, block] of Object.entries(everyBlock())) {
    it(`keeps a ${type} block exactly`, () => {
      const parsed = JSON.parse(renderPageJson(page, [block]));
      expect(parsed.children).toEqual([block]);
      expect(parsed.children[0].type).toBe(type);
    });
  }

  it('keeps every property value exactly, special characters included', () => {
    const json = renderPageJson(page, []);
    expect(JSON.parse(json).properties).toEqual(page.properties);
    expect(JSON.parse(json).properties.Name.title[0].plain_text).toBe(`Row ${SPECIAL}`);
  });
});

describe('renderDatabaseJson', () => {
  const database = sample<DatabaseObjectResponse>('v2025-09-03_databases.retrieve.json');
  // The two recordings come from different databases: give the data source the id the database lists.
  const dataSource = {
    ...sample<DataSourceObjectResponse>('v2025-09-03_dataSources.retrieve.json'),
    id: database.data_sources[0].id,
  };

  it('replaces data source references with the full objects and lists the row ids', () => {
    const parsed = JSON.parse(renderDatabaseJson(database, [dataSource], ['row-1', 'row-2']));
    expect(parsed).toEqual({ ...database, data_sources: [dataSource], row_ids: ['row-1', 'row-2'] });
    expect(parsed.data_sources[0].properties).toBeDefined();
  });

  it('keeps references it has no object for and appends extra data sources', () => {
    const extra = { ...dataSource, id: 'extra-source' };
    const parsed = JSON.parse(renderDatabaseJson(database, [extra], []));
    expect(parsed.data_sources).toEqual([...database.data_sources, extra]);
    expect(parsed.row_ids).toEqual([]);
  });
});
