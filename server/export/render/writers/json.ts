import type {
  DatabaseObjectResponse,
  DataSourceObjectResponse,
  PageObjectResponse,
} from '@notionhq/client/build/src/api-endpoints';
import type { BlockNode } from '@/server/export/render/block-node';

const pretty = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;

/** The page exactly as the API returned it, plus `children`: its block tree (each block with its own `children`). */
export function renderPageJson(page: PageObjectResponse, blocks: readonly BlockNode[]): string {
  return pretty({ ...page, children: blocks });
}

/**
 * The database as the API returned it, with each entry of `data_sources` replaced by the full data
 * source object (schema included) when it was fetched, and `row_ids`: the ids of its rows (pages).
 * Data sources that were fetched but are not listed on the database are appended.
 */
export function renderDatabaseJson(
  database: DatabaseObjectResponse,
  dataSources: readonly DataSourceObjectResponse[],
  rowIds: readonly string[],
): string {
  const full = new Map(dataSources.map((source) => [source.id, source]));
  const listed = database.data_sources.map((ref) => {
    const source = full.get(ref.id);
    full.delete(ref.id);
    return source ?? ref;
  });
  return pretty({ ...database, data_sources: [...listed, ...full.values()], row_ids: rowIds });
}
