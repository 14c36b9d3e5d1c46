import {
  type Client,
  type FullDataSourceQueryArgs,
  iterateAllDataSourceRows,
  iteratePaginatedAPI,
  type ListBlockChildrenResponse,
  type PropertyItemListResponse,
  type PropertyItemObjectResponse,
  type QueryDataSourceResponse,
  type SearchParameters,
  type SearchResponse,
} from '@notionhq/client';

const PAGE_SIZE = 100;

export type SearchResult = SearchResponse['results'][number];
export type BlockChild = ListBlockChildrenResponse['results'][number];
export type DataSourceRow = QueryDataSourceResponse['results'][number];

/** Everything the token can see (pages and data sources), 100 per request. */
export function iterateSearch(
  client: Client,
  params: Omit<SearchParameters, 'start_cursor' | 'page_size'> = {},
): AsyncIterableIterator<SearchResult> {
  return iteratePaginatedAPI(client.search, { ...params, page_size: PAGE_SIZE });
}

/** One level of children of a block or page, every cursor followed. */
export function iterateBlockChildren(client: Client, blockId: string): AsyncIterableIterator<BlockChild> {
  return iteratePaginatedAPI(client.blocks.children.list, { block_id: blockId, page_size: PAGE_SIZE });
}

/**
 * Every row of a data source. Uses the SDK's created_time windowing, so data sources with more
 * than the 10,000-rows-per-query cap are read completely (rows come sorted by created_time).
 */
export function iterateDataSourceRows(
  client: Client,
  dataSourceId: string,
  args: Omit<FullDataSourceQueryArgs, 'data_source_id' | 'page_size'> = {},
): AsyncIterableIterator<DataSourceRow> {
  return iterateAllDataSourceRows(client, { ...args, data_source_id: dataSourceId, page_size: PAGE_SIZE });
}

export interface CollectedPropertyItems {
  /** All items (one per title/rich_text segment, person, relation…; a single item for simple types). */
  items: PropertyItemObjectResponse[];
  /** The list's `property_item` from the last page (for rollups it carries the final value); undefined for simple types. */
  propertyItem?: PropertyItemListResponse['property_item'];
}

/** The full value of one page property, beyond the 25 references a page object carries. */
export async function collectPropertyItems(
  client: Client,
  pageId: string,
  propertyId: string,
): Promise<CollectedPropertyItems> {
  const items: PropertyItemObjectResponse[] = [];
  let propertyItem: PropertyItemListResponse['property_item'] | undefined;
  let cursor: string | undefined;
  do {
    const response = await client.pages.properties.retrieve({
      page_id: pageId,
      property_id: propertyId,
      start_cursor: cursor,
      page_size: PAGE_SIZE,
    });
    if (response.object !== 'list') return { items: [response] };
    items.push(...response.results);
    propertyItem = response.property_item;
    cursor = response.has_more ? (response.next_cursor ?? undefined) : undefined;
  } while (cursor);
  return { items, propertyItem };
}
