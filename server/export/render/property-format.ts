import type { PageObjectResponse } from '@notionhq/client/build/src/api-endpoints';
import { type DocumentContext, UNKNOWN_USER_NOTE } from './document-nodes';
import { formatInstant, formatNotionDate, rawNotionDate } from './notion-date';
import { formatNumber } from './number-format';
import { plainText } from './rich-text';

export { formatNumber } from './number-format';

/** A property value of a page (row). */
export type PropertyValue = PageObjectResponse['properties'][string];
type RollupValue = Extract<PropertyValue, { type: 'rollup' }>['rollup'];
/** One item of a `show_original` rollup: a property value of a related page. */
export type RollupArrayItem = Extract<RollupValue, { type: 'array' }>['array'][number];

/** The bits of a data source schema entry the formatter reads (number format). */
export interface PropertySchema {
  type: string;
  number?: { format?: string | null };
}

/** What a property needs from the export: titles and links of related pages, names of users, local files. */
export type PropertyContext = Pick<DocumentContext, 'linkForPage' | 'titleForPage' | 'linkForFile' | 'userName'>;

export interface PropertyLink {
  title: string;
  href: string;
}

/** A property value for people: one line of text (multi values joined with ", ") plus its links. */
export interface FormattedValue {
  text: string;
  links?: PropertyLink[];
}

/** A property value as YAML front matter shows it. */
export type PlainValue = string | number | boolean | null | PlainValue[];

/** One value of a property (a property holds one, or a list of them). */
interface Item {
  text: string;
  plain: string | number | boolean | null;
  href?: string;
}

interface Parts {
  items: Item[];
  /** Lists (multi_select, people, relation, files, array rollups) stay lists in front matter. */
  list: boolean;
}

const single = (item: Item | undefined): Parts => ({ items: item ? [item] : [], list: false });
const many = (items: Item[]): Parts => ({ items, list: true });
const textItem = (value: string | null | undefined): Item | undefined =>
  value === null || value === undefined ? undefined : { text: value, plain: value };

const numberItem = (value: number | null, format?: string | null): Item | undefined =>
  value === null ? undefined : { text: formatNumber(value, format), plain: value };

type DateLike = { start: string; end: string | null; time_zone?: string | null } | null;
const dateItem = (date: DateLike): Item | undefined =>
  date ? { text: formatNotionDate(date), plain: rawNotionDate(date) } : undefined;

type UserLike = { id: string; object?: string; name?: string | null };

/**
 * A person by name: the export's list of users first, then the name Notion sent with the value.
 * A user neither knows keeps its id, with a note, in the text; front matter keeps the bare id.
 */
function personItem(user: UserLike, ctx: PropertyContext): Item {
  const name = ctx.userName?.(user.id) || user.name;
  if (name) return { text: name, plain: name };
  return { text: `${user.id} ${UNKNOWN_USER_NOTE}`, plain: user.id };
}

function fileItem(file: Extract<PropertyValue, { type: 'files' }>['files'][number], ctx: PropertyContext): Item {
  const url = file.type === 'external' ? file.external.url : file.file.url;
  const local = ctx.linkForFile?.({ url, name: file.name });
  const name = file.name || url;
  // Notion-hosted URLs expire within the hour: what is kept is the local path or the file name,
  // never a link that stops working (a file not downloaded, or a database table's cell).
  const plain = local ?? (file.type === 'external' ? url : name);
  const href = local ?? (file.type === 'external' ? url : undefined);
  return href === undefined ? { text: name, plain } : { text: name, plain, href };
}

function booleanItem(value: boolean | null): Item | undefined {
  return value === null ? undefined : { text: value ? 'Yes' : 'No', plain: value };
}

function verificationItem(value: Extract<PropertyValue, { type: 'verification' }>['verification'], ctx: PropertyContext) {
  if (!value) return undefined;
  const state = value.state.charAt(0).toUpperCase() + value.state.slice(1);
  const by = value.verified_by ? ` by ${personItem(value.verified_by, ctx).text}` : '';
  const until = value.date ? ` (${formatNotionDate(value.date)})` : '';
  return { text: `${state}${by}${until}`, plain: value.state };
}

function rollupParts(rollup: RollupValue, ctx: PropertyContext): Parts {
  switch (rollup.type) {
    case 'number':
      return single(numberItem(rollup.number, rollup.function.startsWith('percent_') ? 'percent' : undefined));
    case 'date':
      return single(dateItem(rollup.date));
    case 'array':
      return many(rollup.array.flatMap((item) => propertyParts(item, ctx)?.items ?? []));
    case 'unsupported':
      return single(undefined);
    default: {
      const _exhaustive: never = rollup;
      // `incomplete` (too many relations to compute; see pages.properties.retrieve) is not in the SDK type.
      const type = (rollup as { type: string }).type;
      return single(type === 'incomplete' ? { text: '(incomplete)', plain: null } : undefined);
    }
  }
}

/** The value(s) a property holds, or undefined for properties without a value (buttons). */
function propertyParts(value: PropertyValue | RollupArrayItem, ctx: PropertyContext, schema?: PropertySchema): Parts | undefined {
  switch (value.type) {
    case 'title':
      return single(textItem(plainText(value.title)));
    case 'rich_text':
      return single(textItem(plainText(value.rich_text)));
    case 'number':
      return single(numberItem(value.number, schema?.number?.format));
    case 'select':
      return single(textItem(value.select?.name));
    case 'status':
      return single(textItem(value.status?.name));
    case 'multi_select':
      return many(value.multi_select.map((option) => ({ text: option.name, plain: option.name })));
    case 'date':
      return single(dateItem(value.date));
    case 'checkbox':
      return single(booleanItem(value.checkbox));
    case 'url':
      return single(value.url ? { text: value.url, plain: value.url, href: value.url } : undefined);
    case 'email':
      return single(value.email ? { text: value.email, plain: value.email, href: `mailto:${value.email}` } : undefined);
    case 'phone_number': {
      const phone = value.phone_number;
      return single(phone ? { text: phone, plain: phone, href: `tel:${phone.replace(/[^\d+]/g, '')}` } : undefined);
    }
    case 'people':
      return many(value.people.map((person) => personItem(person as UserLike, ctx)));
    case 'relation':
      return many(
        value.relation.map(({ id }) => {
          const title = ctx.titleForPage?.(id) || id;
          const href = ctx.linkForPage?.(id);
          return href ? { text: title, plain: title, href } : { text: title, plain: title };
        }),
      );
    case 'files':
      return many(value.files.map((file) => fileItem(file, ctx)));
    case 'formula': {
      const formula = value.formula;
      if (formula.type === 'string') return single(textItem(formula.string));
      if (formula.type === 'number') return single(numberItem(formula.number));
      if (formula.type === 'boolean') return single(booleanItem(formula.boolean));
      if (formula.type === 'date') return single(dateItem(formula.date));
      return single(undefined);
    }
    case 'rollup':
      return rollupParts(value.rollup, ctx);
    case 'unique_id': {
      const { prefix, number } = value.unique_id;
      if (number === null) return single(undefined);
      return single(prefix ? { text: `${prefix}-${number}`, plain: `${prefix}-${number}` } : { text: String(number), plain: number });
    }
    case 'created_time':
      return single({ text: formatInstant(value.created_time), plain: value.created_time });
    case 'last_edited_time':
      return single({ text: formatInstant(value.last_edited_time), plain: value.last_edited_time });
    case 'created_by':
      return single(personItem(value.created_by as UserLike, ctx));
    case 'last_edited_by':
      return single(personItem(value.last_edited_by as UserLike, ctx));
    case 'verification':
      return single(verificationItem(value.verification, ctx));
    case 'place': {
      const place = value.place;
      if (!place) return single(undefined);
      return single(textItem(place.name || place.address || `${place.lat}, ${place.lon}`));
    }
    case 'button':
      return undefined;
    default: {
      const _exhaustive: never = value;
      return single(undefined);
    }
  }
}

/**
 * The one readable form of a property value, used by the HTML properties table and CSV cells:
 * names for select/status/people, titles for relations, formatted numbers and dates, `PREFIX-n`
 * for unique ids, `Yes`/`No` for checkboxes; multi values joined with ", " as Notion's CSV does.
 * `links` holds the targets the value points at (related pages, files, URLs, e-mail, phone).
 * `schema` is the property's entry in the data source schema (for its number format).
 */
export function formatPropertyValue(
  value: PropertyValue | RollupArrayItem,
  ctx: PropertyContext = {},
  schema?: PropertySchema,
): FormattedValue {
  const parts = propertyParts(value, ctx, schema);
  if (!parts) return { text: '' };
  const text = parts.items.map((item) => item.text).join(', ');
  const links = parts.items.flatMap((item) => (item.href ? [{ title: item.text, href: item.href }] : []));
  return links.length > 0 ? { text, links } : { text };
}

/**
 * A property as one plain value for YAML front matter: text for title/rich_text, names for
 * select/status/people, lists for multi_select/relation (titles)/files/people, raw ISO dates
 * (`start → end` for ranges), numbers as numbers, "PREFIX-n" for unique ids.
 * Returns undefined for properties that hold no value (buttons).
 */
export function propertyPlainValue(value: PropertyValue | RollupArrayItem, ctx: PropertyContext = {}): PlainValue | undefined {
  const parts = propertyParts(value, ctx);
  if (!parts) return undefined;
  if (parts.list) return parts.items.map((item) => item.plain);
  return parts.items[0]?.plain ?? null;
}

/** The values of a property one by one, each with its link if it has one; undefined for buttons. */
export function propertyItems(
  value: PropertyValue | RollupArrayItem,
  ctx: PropertyContext = {},
  schema?: PropertySchema,
): { text: string; href?: string }[] | undefined {
  return propertyParts(value, ctx, schema)?.items.map(({ text, href }) => (href ? { text, href } : { text }));
}
