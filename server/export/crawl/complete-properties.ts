import type { Client } from '@notionhq/client';
import type {
  PageObjectResponse,
  PropertyItemObjectResponse,
  RichTextItemResponse,
} from '@notionhq/client/build/src/api-endpoints';
import { collectPropertyItems } from '@/server/notion/paginate';

/** A page object carries at most this many references per property; the rest need their own calls. */
export const REFERENCE_LIMIT = 25;

type Property = PageObjectResponse['properties'][string];

/** The properties of `page` whose value the page object does not hold in full. */
export function truncatedProperties(page: PageObjectResponse): { name: string; id: string }[] {
  const out: { name: string; id: string }[] = [];
  const props = Object.entries(page.properties);
  // A rollup over a cut relation was computed from the first 25 references only.
  const relationCut = props.some(([, prop]) => prop.type === 'relation' && isTruncated(prop));
  for (const [name, prop] of props) {
    if (isTruncated(prop) || (relationCut && prop.type === 'rollup')) out.push({ name, id: prop.id });
  }
  return out;
}

function isTruncated(prop: Property): boolean {
  switch (prop.type) {
    case 'relation':
      // The API marks a cut relation with has_more (not in the SDK's type); without the flag, 25
      // refs means "maybe cut". A completed relation has has_more false and is not fetched again.
      {
        const more = (prop as { has_more?: boolean }).has_more;
        return more === true || (more === undefined && prop.relation.length >= REFERENCE_LIMIT);
      }
    case 'people':
      return prop.people.length >= REFERENCE_LIMIT;
    case 'title':
      return prop.title.length >= REFERENCE_LIMIT;
    case 'rich_text':
      return prop.rich_text.length >= REFERENCE_LIMIT;
    case 'rollup':
      return (prop.rollup.type as string) === 'incomplete';
    default:
      return false;
  }
}

function itemsOf<T extends PropertyItemObjectResponse['type']>(
  items: PropertyItemObjectResponse[],
  type: T,
): Extract<PropertyItemObjectResponse, { type: T }>[] {
  return items.filter((i): i is Extract<PropertyItemObjectResponse, { type: T }> => i.type === type);
}

/**
 * Fetches, through the page property endpoint, the full value of every property the page
 * object cut short, and writes it into `page` so every writer sees complete values.
 * Returns how many properties were completed.
 */
export async function completeProperties(client: Client, page: PageObjectResponse): Promise<number> {
  const cut = truncatedProperties(page);
  for (const { name, id } of cut) {
    const prop = page.properties[name];
    if (!prop) continue;
    const { items, propertyItem } = await collectPropertyItems(client, page.id, id);
    switch (prop.type) {
      case 'relation':
        prop.relation = itemsOf(items, 'relation').map((i) => ({ id: i.relation.id }));
        (prop as { has_more?: boolean }).has_more = false;
        break;
      case 'people':
        prop.people = itemsOf(items, 'people').map((i) => i.people);
        break;
      case 'title':
        prop.title = itemsOf(items, 'title').map((i) => i.title as RichTextItemResponse);
        break;
      case 'rich_text':
        prop.rich_text = itemsOf(items, 'rich_text').map((i) => i.rich_text as RichTextItemResponse);
        break;
      case 'rollup':
        if (propertyItem && propertyItem.type === 'rollup') {
          (prop as { rollup: unknown }).rollup = propertyItem.rollup;
        }
        break;
      default:
        break;
    }
  }
  return cut.length;
}
