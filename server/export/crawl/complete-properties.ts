import type { Client } from '@notionhq/client';
import type {
  DataSourceObjectResponse,
  PageObjectResponse,
  PropertyItemObjectResponse,
  RichTextItemResponse,
} from '@notionhq/client/build/src/api-endpoints';
import { collectPropertyItems } from '@/server/notion/paginate';

/** A page object carries at most this many references per property; the rest need their own calls. */
export const REFERENCE_LIMIT = 25;

type Property = PageObjectResponse['properties'][string];

/** The schema's rollups by property id: the id of the relation each one rolls up. */
type RollupRelations = ReadonlyMap<string, string>;

/**
 * The properties of `page` whose value the page object does not hold in full. With the data
 * source's schema, a rollup counts as cut only when the relation it rolls up is; without it, every
 * rollup of a page with a cut relation does.
 */
export function truncatedProperties(page: PageObjectResponse, schema?: DataSourceObjectResponse): { name: string; id: string }[] {
  const out: { name: string; id: string }[] = [];
  const props = Object.entries(page.properties);
  // A rollup over a cut relation was computed from the first 25 references only.
  const cutRelations = new Set(props.filter(([, prop]) => prop.type === 'relation' && isTruncated(prop)).map(([, prop]) => prop.id));
  const rollups = schema ? rollupRelations(schema) : undefined;
  for (const [name, prop] of props) {
    if (isTruncated(prop) || (prop.type === 'rollup' && rollsUpCut(prop.id, cutRelations, rollups))) {
      out.push({ name, id: prop.id });
    }
  }
  return out;
}

function rollsUpCut(id: string, cutRelations: ReadonlySet<string>, rollups: RollupRelations | undefined): boolean {
  if (cutRelations.size === 0) return false;
  const relation = rollups?.get(id);
  return relation === undefined ? true : cutRelations.has(relation);
}

function rollupRelations(schema: DataSourceObjectResponse): RollupRelations {
  const out = new Map<string, string>();
  for (const prop of Object.values(schema.properties)) {
    if (prop.type !== 'rollup') continue;
    const relation = prop.rollup.relation_property_id;
    if (relation) out.set(prop.id, relation);
  }
  return out;
}

/** Mentions in a title or text: the references the page object holds at most 25 of (plain text runs are never cut). */
const mentions = (items: readonly RichTextItemResponse[]) => items.filter((item) => item.type === 'mention').length;

/**
 * A page object holds at most 25 references of a property: exactly 25 may be cut; more than 25
 * were completed here already (the same row read with its data source, then as a page), fewer
 * are complete.
 */
function isTruncated(prop: Property): boolean {
  switch (prop.type) {
    case 'relation':
      // The API marks a cut relation with has_more (not in the SDK's type); without the flag, 25
      // refs means "maybe cut". A completed relation has has_more false and is not read again.
      {
        const more = (prop as { has_more?: boolean }).has_more;
        return more === true || (more === undefined && prop.relation.length >= REFERENCE_LIMIT);
      }
    case 'people':
      return prop.people.length === REFERENCE_LIMIT;
    case 'title':
      return mentions(prop.title) === REFERENCE_LIMIT;
    case 'rich_text':
      return mentions(prop.rich_text) === REFERENCE_LIMIT;
    case 'rollup':
      return (prop.rollup.type as string) === 'incomplete';
    default:
      return false;
  }
}

type RollupValue = Extract<Property, { type: 'rollup' }>['rollup'];

/**
 * A rollup's complete value from the property item endpoint. A `show_original` rollup comes back
 * as one empty object per related page (the endpoint gives the related pages, not their values):
 * when it shows the related pages' titles (the schema's `rollup_property_id` is `title`), its
 * values are those pages, as relation references the writers name by title; otherwise the page
 * object's first values are kept rather than none.
 */
function completedRollup(
  inline: RollupValue,
  final: unknown,
  related: Extract<PropertyItemObjectResponse, { type: 'relation' }>[],
  schema: DataSourceObjectResponse['properties'][string] | undefined,
): RollupValue {
  const value = final as RollupValue;
  if (value.type !== 'array' || value.array.every((item) => typeof (item as { type?: unknown }).type === 'string')) return value;
  if (schema?.type === 'rollup' && schema.rollup.rollup_property_id === 'title') {
    return { ...value, array: related.map((r) => ({ type: 'relation', relation: [{ id: r.relation.id }] })) } as RollupValue;
  }
  return inline;
}

function itemsOf<T extends PropertyItemObjectResponse['type']>(
  items: PropertyItemObjectResponse[],
  type: T,
): Extract<PropertyItemObjectResponse, { type: T }>[] {
  return items.filter((i): i is Extract<PropertyItemObjectResponse, { type: T }> => i.type === type);
}

/**
 * Fetches, through the page property endpoint, the full value of every property the page
 * object cut short, and writes it into `page` so every writer sees complete values. A completed
 * object is not completed again (a row read with its data source, then exported as a page: its
 * relation says `has_more: false`, its people and mentions number more than 25). `schema`: the
 * row's data source, when known (rollups over relations that are not cut are left as they are).
 * Returns how many properties were completed.
 */
export async function completeProperties(client: Client, page: PageObjectResponse, schema?: DataSourceObjectResponse): Promise<number> {
  const cut = truncatedProperties(page, schema);
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
          (prop as { rollup: unknown }).rollup = completedRollup(prop.rollup, propertyItem.rollup, itemsOf(items, 'relation'), schema?.properties[name]);
        }
        break;
      default:
        break;
    }
  }
  return cut.length;
}
