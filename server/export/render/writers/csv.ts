import type { DataSourceObjectResponse, PageObjectResponse } from '@notionhq/client/build/src/api-endpoints';
import { stringify } from 'csv-stringify/sync';
import type { DocumentContext } from '@/server/export/render/document-tree';
import { formatPropertyValue } from '@/server/export/render/property-format';

/**
 * Column names in a stable order: the title property first, then the schema's order, then any
 * property the rows carry that the schema does not list (in the order they first appear).
 */
export function csvColumns(dataSource: DataSourceObjectResponse, rows: readonly PageObjectResponse[]): string[] {
  const schema = Object.entries(dataSource.properties);
  const title = schema.filter(([, config]) => config.type === 'title').map(([name]) => name);
  const columns = [...title, ...schema.filter(([, config]) => config.type !== 'title').map(([name]) => name)];
  const known = new Set(columns);
  for (const row of rows) {
    for (const name of Object.keys(row.properties)) {
      if (!known.has(name)) {
        known.add(name);
        columns.push(name);
      }
    }
  }
  return columns;
}

/**
 * A data source as CSV: a header of property names, then one line per row with each value in its
 * readable form (multi values joined with ", ", as Notion's own CSV export does).
 *
 * Like Notion's export, the file starts with a UTF-8 byte order mark: without it Excel reads the
 * file as the system's legacy code page and mangles every non-ASCII character. Lines end with CRLF
 * (RFC 4180); quoting and escaping are csv-stringify's.
 */
export function renderDataSourceCsv(
  dataSource: DataSourceObjectResponse,
  rows: readonly PageObjectResponse[],
  ctx: DocumentContext = {},
): string {
  const columns = csvColumns(dataSource, rows);
  return csvHeader(columns) + csvRecords(dataSource, columns, rows, ctx);
}

/** The BOM and header line of a CSV with these columns (for writing a large CSV piece by piece). */
export function csvHeader(columns: readonly string[]): string {
  return stringify([columns], { bom: true, record_delimiter: 'windows' });
}

/** The lines of these rows, in the columns given (a piece of a CSV written in several pieces). */
export function csvRecords(
  dataSource: DataSourceObjectResponse,
  columns: readonly string[],
  rows: readonly PageObjectResponse[],
  ctx: DocumentContext = {},
): string {
  if (rows.length === 0) return '';
  const records = rows.map((row) =>
    columns.map((name) => {
      const value = row.properties[name];
      return value ? formatPropertyValue(value, ctx, dataSource.properties[name]).text : '';
    }),
  );
  return stringify(records, { record_delimiter: 'windows' });
}
