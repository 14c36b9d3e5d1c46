import type {
  DatabaseObjectResponse,
  DataSourceObjectResponse,
  PageObjectResponse,
  RichTextItemResponse,
} from '@notionhq/client/build/src/api-endpoints';

export const plainText = (rich: readonly RichTextItemResponse[]): string => rich.map((r) => r.plain_text).join('');

/** A page's title: the text of its title property. */
export function pageTitle(page: PageObjectResponse): string {
  for (const prop of Object.values(page.properties)) {
    if (prop.type === 'title') return plainText(prop.title).trim();
  }
  return '';
}

export const databaseTitle = (db: DatabaseObjectResponse | DataSourceObjectResponse): string => plainText(db.title).trim();

/** Notion ids in lower-case dashed form, whatever form they arrive in. */
export function normalizeId(id: string): string {
  const hex = id.replace(/-/g, '').toLowerCase();
  if (!/^[0-9a-f]{32}$/.test(hex)) return id.toLowerCase();
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
