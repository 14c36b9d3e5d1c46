import type { DataSourceObjectResponse, PageObjectResponse } from '@notionhq/client/build/src/api-endpoints';
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { csvColumns, renderDataSourceCsv } from './csv';
import { dataSourceWithEveryProperty, pageWithEveryProperty, SPECIAL, sample, text } from '@/server/export/render/notion-fixtures';
import { formatPropertyValue } from '@/server/export/render/property-format';

const readCsv = (csv: string): string[][] => parse(csv, { bom: true, relax_column_count: false });

describe('renderDataSourceCsv', () => {
  const dataSource = dataSourceWithEveryProperty();
  const page = pageWithEveryProperty();
  const ctx = { titleForPage: (id: string) => ({ 'rel-1': 'First, "one"' })[id] };

  it('starts with a UTF-8 BOM for Excel and ends lines with CRLF', () => {
    const csv = renderDataSourceCsv(dataSource, [page], ctx);
    expect(csv.charCodeAt(0)).toBe(0xfeff);
    expect(csv.endsWith('\r\n')).toBe(true);
  });

  it('has the title column first, then the schema order, and round-trips every cell', () => {
    const csv = renderDataSourceCsv(dataSource, [page, page], ctx);
    const [header, ...rows] = readCsv(csv);
    expect(header[0]).toBe('Name');
    expect(header.slice(1)).toEqual(Object.keys(dataSource.properties).filter((name) => name !== 'Name'));
    expect(rows).toHaveLength(2);
    const expected = header.map((name) => formatPropertyValue(page.properties[name], ctx, dataSource.properties[name]).text);
    expect(rows[0]).toEqual(expected);
    const cells = Object.fromEntries(header.map((name, i) => [name, rows[0][i]]));
    expect(cells).toMatchObject({
      Name: `Row ${SPECIAL}`,
      Notes: 'line 1\nline 2, "quoted"',
      Price: '$1,234.50',
      Share: '25%',
      Tags: 'a, b "c"',
      Related: 'First, "one", rel-2',
      Done: 'No',
      Ticket: 'TASK-42',
      Action: '',
    });
  });

  it('leaves cells empty for properties a row lacks and adds columns the schema does not list', () => {
    const base = sample<PageObjectResponse>('v2025-09-03_pages.retrieve__page-parent.json');
    const sparse = {
      ...base,
      properties: {
        Name: { id: 'title', type: 'title', title: [text('Only a title')] },
        Extra: { id: 'x', type: 'rich_text', rich_text: [text('=1+1')] },
      },
    } as unknown as PageObjectResponse;
    const columns = csvColumns(dataSource, [sparse]);
    expect(columns.at(-1)).toBe('Extra');
    const [header, row] = readCsv(renderDataSourceCsv(dataSource, [sparse]));
    expect(header).toEqual(columns);
    expect(row[0]).toBe('Only a title');
    expect(row.at(-1)).toBe('=1+1');
    expect(row.slice(1, -1).every((cell) => cell === '')).toBe(true);
  });

  it('writes just the header for a data source without rows (recorded data source)', () => {
    const recorded = sample<DataSourceObjectResponse>('v2025-09-03_dataSources.retrieve.json');
    expect(renderDataSourceCsv(recorded, [])).toBe('\ufeffName\r\n');
  });
});
