/**
 * Database schema, row property values, and the property item endpoint
 * (`GET /v1/pages/{id}/properties/{property_id}`).
 *
 * Every data source shares one schema covering the common property types; `Related` points at the
 * first data source (the first database relates to itself), and its first row carries more than
 * 25 references so clients must page through the property item endpoint.
 */
import type {
  DataSourceObjectResponse,
  PageObjectResponse,
  PropertyItemListResponse,
  PropertyItemObjectResponse,
  RichTextItemResponse,
  UserObjectResponse,
} from '@notionhq/client';
import { signedFileUrl } from './files';
import { hashInts, Rng, safeDecodeURIComponent } from './ids';
import type { RenderContext } from './render-context';
import { mentionPage, text, titleText } from './rich-text';
import { randomSentence } from './words';
import { minuteIso, type DatabaseSpec, type PageSpec, type UserSpec, type Workspace } from './workspace';

type SchemaEntry = DataSourceObjectResponse['properties'][string];
type PropertyValue = PageObjectResponse['properties'][string];
type SelectColor = 'default' | 'gray' | 'brown' | 'orange' | 'yellow' | 'green' | 'blue' | 'purple' | 'pink' | 'red';

export type PropType =
  | 'title'
  | 'status'
  | 'multi_select'
  | 'select'
  | 'number'
  | 'date'
  | 'checkbox'
  | 'url'
  | 'email'
  | 'phone_number'
  | 'people'
  | 'relation'
  | 'rollup'
  | 'files'
  | 'rich_text'
  | 'formula'
  | 'created_time'
  | 'last_edited_time'
  | 'created_by'
  | 'last_edited_by'
  | 'unique_id';

export interface PropDef {
  name: string;
  /** Property id as Notion shows it (already URL-encoded, e.g. `%3AUPp`). */
  id: string;
  type: PropType;
}

/** The schema of every data source, in display order. */
export const SCHEMA: readonly PropDef[] = [
  { name: 'Name', id: 'title', type: 'title' },
  { name: 'Status', id: 'sT%3Fa', type: 'status' },
  { name: 'Tags', id: '%3AUPp', type: 'multi_select' },
  { name: 'Priority', id: 'A%40Hk', type: 'select' },
  { name: 'Estimate', id: 'BJXS', type: 'number' },
  { name: 'Budget', id: 'b%5Dgt', type: 'number' },
  { name: 'Due', id: 'Jsfb', type: 'date' },
  { name: 'Done', id: '%60%5Bq%3F', type: 'checkbox' },
  { name: 'Website', id: '%7DF_L', type: 'url' },
  { name: 'Contact', id: 'eM%40l', type: 'email' },
  { name: 'Phone', id: 'ph%3Dn', type: 'phone_number' },
  { name: 'Owner', id: 'Iowm', type: 'people' },
  { name: 'Related', id: 'YfIu', type: 'relation' },
  { name: 'Related count', id: 'zag~', type: 'rollup' },
  { name: 'Attachments', id: 'yfiK', type: 'files' },
  { name: 'Notes', id: '_Tc_', type: 'rich_text' },
  { name: 'Score', id: 'WOd%3B', type: 'formula' },
  { name: 'Label', id: 'fL%3Ab', type: 'formula' },
  { name: 'Created', id: 'cr%3At', type: 'created_time' },
  { name: 'Updated', id: 'up%3Dt', type: 'last_edited_time' },
  { name: 'Created by', id: 'cr%3Ab', type: 'created_by' },
  { name: 'Edited by', id: 'ed%3Ab', type: 'last_edited_by' },
  { name: 'ID', id: 'uN%3Fq', type: 'unique_id' },
];

/** The only property of an ordinary page. */
const PAGE_TITLE: PropDef = { name: 'title', id: 'title', type: 'title' };

interface Option {
  id: string;
  name: string;
  color: SelectColor;
}

const STATUS_OPTIONS: readonly Option[] = [
  { id: 'nS%3At', name: 'Not started', color: 'default' },
  { id: 'iP%3Ag', name: 'In progress', color: 'blue' },
  { id: 'dN%3Ae', name: 'Done', color: 'green' },
];
const STATUS_GROUPS = [
  { id: 'gTo%3Ad', name: 'To-do', color: 'gray' as const, option_ids: ['nS%3At'] },
  { id: 'gIn%3Ap', name: 'In progress', color: 'blue' as const, option_ids: ['iP%3Ag'] },
  { id: 'gCo%3Am', name: 'Complete', color: 'green' as const, option_ids: ['dN%3Ae'] },
];
const TAG_OPTIONS: readonly Option[] = [
  { id: 't|O@', name: 'urgent', color: 'red' },
  { id: '{Ml\\', name: 'backend', color: 'gray' },
  { id: 'fr%3Ae', name: 'frontend', color: 'yellow' },
  { id: 'dS%3Ag', name: 'design', color: 'purple' },
  { id: 'rS%3Ah', name: 'research', color: 'green' },
  { id: 'oP%3As', name: 'ops, infra', color: 'orange' },
];
const PRIORITY_OPTIONS: readonly Option[] = [
  { id: 'p0%3A0', name: 'P0 🔥', color: 'red' },
  { id: 'p1%3A1', name: 'P1', color: 'orange' },
  { id: 'p2%3A2', name: 'P2', color: 'yellow' },
  { id: 'p3%3A3', name: 'P3', color: 'gray' },
];
const UNIQUE_PREFIXES = ['TSK', 'PRJ', 'READ', 'BUG', 'CON', 'MTG', 'RCP', 'INV'] as const;

/** Page references shown inline in page objects before `has_more` (Notion's limit). */
export const INLINE_REFERENCE_LIMIT = 25;

/** Typed values of one row, the single source for rendering, filtering and sorting. */
export interface RowValues {
  status: number;
  tags: number[];
  priority: number;
  estimate: number | null;
  budget: number | null;
  due: { start: string; end: string | null } | null;
  done: boolean;
  website: string | null;
  email: string | null;
  phone: string | null;
  owners: number[];
  related: number[];
  files: Array<{ name: string; hosted: boolean }>;
  notesMention: number;
  notes: string;
}

export function databaseOf(ws: Workspace, page: PageSpec): DatabaseSpec | null {
  return page.parent.type === 'data_source_id' ? ws.databases[page.parent.database] : null;
}

export function rowValues(ws: Workspace, page: PageSpec): RowValues {
  const rng = new Rng(hashInts(ws.options.seed, page.index, 0x20f5));
  const db = databaseOf(ws, page);
  const targets = ws.databases.length > 0 ? ws.databases[0].rows : [];
  let related: number[] = [];
  if (db?.index === 0 && page.rowNumber === 0 && ws.options.manyRelationRefs > 0) {
    related = targets.slice(1, 1 + ws.options.manyRelationRefs);
  } else if (targets.length > 1) {
    const k = rng.int(0, 3);
    const seen = new Set<number>();
    for (let i = 0; i < k * 3 && seen.size < k; i++) {
      const t = rng.pick(targets);
      if (t !== page.index) seen.add(t);
    }
    related = [...seen];
  }
  const tags: number[] = [];
  for (let i = 0; i < TAG_OPTIONS.length; i++) if (rng.chance(0.25)) tags.push(i);
  const month = rng.int(1, 12);
  const day = rng.int(1, 28);
  const pad = (n: number) => String(n).padStart(2, '0');
  const dueKind = rng.int(0, 9);
  const due =
    dueKind < 2
      ? null
      : dueKind < 6
        ? { start: `2025-${pad(month)}-${pad(day)}`, end: null }
        : dueKind < 8
          ? { start: `2025-${pad(month)}-${pad(day)}T${pad(rng.int(8, 17))}:30:00.000+00:00`, end: null }
          : { start: `2025-${pad(month)}-${pad(day)}`, end: `2025-${pad(month)}-${pad(Math.min(28, day + rng.int(1, 5)))}` };
  const owners: number[] = [];
  for (const u of ws.users) if (rng.chance(0.2)) owners.push(u.index);
  const files: RowValues['files'] = [];
  if (rng.chance(0.3)) files.push({ name: `spec-${page.rowNumber + 1}.pdf`, hosted: true });
  if (rng.chance(0.3)) files.push({ name: 'diagram.png', hosted: false });
  const first = ws.options.pages > 0 ? rng.int(0, ws.options.pages - 1) : -1;
  return {
    status: rng.int(0, STATUS_OPTIONS.length - 1),
    tags,
    priority: rng.chance(0.2) ? -1 : rng.int(0, PRIORITY_OPTIONS.length - 1),
    estimate: rng.chance(0.15) ? null : rng.int(1, 40),
    budget: rng.chance(0.3) ? null : Math.round(rng.float() * 100_000) / 100,
    due,
    done: rng.chance(0.4),
    website: rng.chance(0.3) ? null : `https://example.com/items/${page.rowNumber + 1}?ref=twin&x=1`,
    email: rng.chance(0.4) ? null : `owner${page.rowNumber + 1}@twin.example`,
    phone: rng.chance(0.5) ? null : `+1 555 01${pad(page.rowNumber % 100)}`,
    owners,
    related,
    files,
    notesMention: rng.chance(0.3) ? first : -1,
    notes: rng.chance(0.2) ? '' : randomSentence(rng),
  };
}

function fullUser(u: UserSpec): UserObjectResponse {
  return { object: 'user', id: u.id, name: u.name, avatar_url: u.avatarUrl, type: 'person', person: { email: u.email } };
}

function userRef(ws: Workspace, index: number): { object: 'user'; id: string } {
  return { object: 'user', id: index === 0 ? ws.botUserId : ws.users[index - 1].id };
}

function option(o: Option): Option {
  return { id: o.id, name: o.name, color: o.color };
}

function notesRich(ws: Workspace, v: RowValues): RichTextItemResponse[] {
  const out: RichTextItemResponse[] = [];
  if (v.notes) out.push(text(v.notes));
  if (v.notesMention >= 0) {
    const target = ws.pages[v.notesMention];
    out.push(text(' See '), mentionPage(target.id, target.title), text('.'));
  }
  return out;
}

function defFor(page: PageSpec, propertyId: string): PropDef | undefined {
  const defs = page.kind === 'row' ? SCHEMA : [PAGE_TITLE];
  const decoded = safeDecodeURIComponent(propertyId);
  return defs.find((d) => d.id === propertyId || d.id === decoded || safeDecodeURIComponent(d.id) === decoded || d.name === decoded);
}

/** The value of one property, as it appears in a page object's `properties`. */
function propertyValue(ctx: RenderContext, page: PageSpec, def: PropDef, v: RowValues | null): PropertyValue {
  const ws = ctx.ws;
  const id = def.id;
  const db = databaseOf(ws, page);
  if (v === null || db === null) return { id, type: 'title', title: titleText(page.title) };
  switch (def.type) {
    case 'title':
      return { id, type: 'title', title: titleText(page.title) };
    case 'status':
      return { id, type: 'status', status: option(STATUS_OPTIONS[v.status]) };
    case 'multi_select':
      return { id, type: 'multi_select', multi_select: v.tags.map((t) => option(TAG_OPTIONS[t])) };
    case 'select':
      return { id, type: 'select', select: v.priority >= 0 ? option(PRIORITY_OPTIONS[v.priority]) : null };
    case 'number':
      return { id, type: 'number', number: def.name === 'Budget' ? v.budget : v.estimate };
    case 'date':
      return { id, type: 'date', date: v.due ? { start: v.due.start, end: v.due.end, time_zone: null } : null };
    case 'checkbox':
      return { id, type: 'checkbox', checkbox: v.done };
    case 'url':
      return { id, type: 'url', url: v.website };
    case 'email':
      return { id, type: 'email', email: v.email };
    case 'phone_number':
      return { id, type: 'phone_number', phone_number: v.phone };
    case 'people':
      return { id, type: 'people', people: v.owners.slice(0, INLINE_REFERENCE_LIMIT).map((i) => fullUser(ws.users[i - 1])) };
    case 'relation': {
      // Notion adds `has_more` next to the array; the SDK type does not model it, so the value is
      // built as a variable (no excess-property check) and still checked against PropertyValue.
      const value = {
        id,
        type: 'relation' as const,
        relation: v.related.slice(0, INLINE_REFERENCE_LIMIT).map((i) => ({ id: ws.pages[i].id })),
        has_more: v.related.length > INLINE_REFERENCE_LIMIT,
      };
      return value;
    }
    case 'rollup':
      return { id, type: 'rollup', rollup: { type: 'number', number: v.related.length, function: 'count' } };
    case 'files':
      return {
        id,
        type: 'files',
        files: v.files.map((f) =>
          f.hosted
            ? { name: f.name, type: 'file' as const, file: signedFileUrl(ctx.baseUrl, page.id, f.name, ctx.nowMs, ctx.fileTtlMs) }
            : { name: f.name, type: 'external' as const, external: { url: `https://files.twin.example/${f.name}` } },
        ),
      };
    case 'rich_text':
      return { id, type: 'rich_text', rich_text: notesRich(ws, v) };
    case 'formula':
      return def.name === 'Score'
        ? { id, type: 'formula', formula: { type: 'number', number: v.estimate === null ? null : v.estimate * 2 } }
        : { id, type: 'formula', formula: { type: 'string', string: `${page.title} (${STATUS_OPTIONS[v.status].name})` } };
    case 'created_time':
      return { id, type: 'created_time', created_time: minuteIso(page.createdMs) };
    case 'last_edited_time':
      return { id, type: 'last_edited_time', last_edited_time: minuteIso(ws.editState(page).editedMs) };
    case 'created_by':
      return { id, type: 'created_by', created_by: userRef(ws, page.createdBy) };
    case 'last_edited_by':
      return { id, type: 'last_edited_by', last_edited_by: userRef(ws, page.editedBy) };
    case 'unique_id':
      return { id, type: 'unique_id', unique_id: { prefix: UNIQUE_PREFIXES[db.index % UNIQUE_PREFIXES.length], number: page.rowNumber + 1 } };
  }
}

/**
 * A page's `properties`. `filterProperties` (ids or names, from `filter_properties[]`) trims the
 * map like Notion does.
 */
export function pageProperties(ctx: RenderContext, page: PageSpec, filterProperties: readonly string[] = []): PageObjectResponse['properties'] {
  const defs = page.kind === 'row' ? SCHEMA : [PAGE_TITLE];
  const values = page.kind === 'row' ? rowValues(ctx.ws, page) : null;
  const wanted = filterProperties.length > 0 ? new Set(filterProperties.map(safeDecodeURIComponent)) : null;
  const out: PageObjectResponse['properties'] = {};
  for (const def of defs) {
    if (wanted && !wanted.has(safeDecodeURIComponent(def.id)) && !wanted.has(def.name)) continue;
    out[def.name] = propertyValue(ctx, page, def, values);
  }
  return out;
}

/** The data source schema (`properties` of a data source object). */
export function dataSourceSchema(ws: Workspace, db: DatabaseSpec): DataSourceObjectResponse['properties'] {
  const target = ws.databases[0];
  const out: DataSourceObjectResponse['properties'] = {};
  for (const def of SCHEMA) {
    const base = { id: def.id, name: def.name, description: null };
    let entry: SchemaEntry;
    switch (def.type) {
      case 'status':
        entry = {
          ...base,
          type: 'status',
          status: { options: STATUS_OPTIONS.map((o) => ({ ...option(o), description: null })), groups: STATUS_GROUPS },
        };
        break;
      case 'multi_select':
        entry = { ...base, type: 'multi_select', multi_select: { options: TAG_OPTIONS.map((o) => ({ ...option(o), description: null })) } };
        break;
      case 'select':
        entry = { ...base, type: 'select', select: { options: PRIORITY_OPTIONS.map((o) => ({ ...option(o), description: null })) } };
        break;
      case 'number':
        entry = { ...base, type: 'number', number: { format: def.name === 'Budget' ? 'dollar' : 'number' } };
        break;
      case 'relation':
        entry = {
          ...base,
          type: 'relation',
          relation: { database_id: target.id, data_source_id: target.dataSourceId, type: 'single_property', single_property: {} },
        };
        break;
      case 'rollup':
        entry = {
          ...base,
          type: 'rollup',
          rollup: { function: 'count', rollup_property_name: 'Name', relation_property_name: 'Related', rollup_property_id: 'title', relation_property_id: 'YfIu' },
        };
        break;
      case 'formula':
        entry = {
          ...base,
          type: 'formula',
          formula: { expression: def.name === 'Score' ? 'prop("Estimate") * 2' : 'prop("Name") + " (" + prop("Status") + ")"' },
        };
        break;
      case 'unique_id':
        entry = { ...base, type: 'unique_id', unique_id: { prefix: UNIQUE_PREFIXES[db.index % UNIQUE_PREFIXES.length] } };
        break;
      case 'title':
        entry = { ...base, type: 'title', title: {} };
        break;
      case 'rich_text':
        entry = { ...base, type: 'rich_text', rich_text: {} };
        break;
      case 'date':
        entry = { ...base, type: 'date', date: {} };
        break;
      case 'checkbox':
        entry = { ...base, type: 'checkbox', checkbox: {} };
        break;
      case 'url':
        entry = { ...base, type: 'url', url: {} };
        break;
      case 'email':
        entry = { ...base, type: 'email', email: {} };
        break;
      case 'phone_number':
        entry = { ...base, type: 'phone_number', phone_number: {} };
        break;
      case 'people':
        entry = { ...base, type: 'people', people: {} };
        break;
      case 'files':
        entry = { ...base, type: 'files', files: {} };
        break;
      case 'created_time':
        entry = { ...base, type: 'created_time', created_time: {} };
        break;
      case 'last_edited_time':
        entry = { ...base, type: 'last_edited_time', last_edited_time: {} };
        break;
      case 'created_by':
        entry = { ...base, type: 'created_by', created_by: {} };
        break;
      case 'last_edited_by':
        entry = { ...base, type: 'last_edited_by', last_edited_by: {} };
        break;
    }
    out[def.name] = entry;
  }
  return out;
}

// ---- property items ------------------------------------------------------------------------------

export type PropertyItemResult =
  | { ok: true; body: PropertyItemObjectResponse | PropertyItemListResponse }
  | { ok: false; status: 400 | 404; code: 'validation_error' | 'object_not_found'; message: string };

function encodeCursor(page: PageSpec, def: PropDef, offset: number): string {
  return Buffer.from(`${page.index}:${def.id}:${offset}`).toString('base64url');
}

function decodeCursor(page: PageSpec, def: PropDef, cursor: string): number | null {
  const parts = Buffer.from(cursor, 'base64url').toString().split(':');
  if (parts.length !== 3 || parts[0] !== String(page.index) || parts[1] !== def.id) return null;
  const offset = Number(parts[2]);
  return Number.isInteger(offset) && offset >= 0 ? offset : null;
}

/** Answers `GET /v1/pages/{page}/properties/{property}` (page already resolved and shared). */
export function propertyItem(
  ctx: RenderContext,
  page: PageSpec,
  propertyId: string,
  startCursor: string | null,
  pageSize: number,
): PropertyItemResult {
  const def = defFor(page, propertyId);
  if (!def) return { ok: false, status: 404, code: 'object_not_found', message: `Could not find property with ID: ${propertyId}.` };
  const ws = ctx.ws;
  const values = page.kind === 'row' ? rowValues(ws, page) : null;
  const id = def.id;

  const list = (items: PropertyItemObjectResponse[], header: PropertyItemListResponse['property_item'] | ((done: boolean) => PropertyItemListResponse['property_item'])): PropertyItemResult => {
    let offset = 0;
    if (startCursor !== null) {
      const decoded = decodeCursor(page, def, startCursor);
      if (decoded === null || decoded > items.length) {
        return { ok: false, status: 400, code: 'validation_error', message: `start_cursor provided is invalid: ${startCursor}` };
      }
      offset = decoded;
    }
    const end = Math.min(items.length, offset + pageSize);
    const hasMore = end < items.length;
    const nextCursor = hasMore ? encodeCursor(page, def, end) : null;
    const propertyItemHeader = typeof header === 'function' ? header(!hasMore) : header;
    return {
      ok: true,
      body: {
        object: 'list',
        results: items.slice(offset, end),
        next_cursor: nextCursor,
        has_more: hasMore,
        type: 'property_item',
        property_item: {
          ...propertyItemHeader,
          next_url: nextCursor ? `${ctx.baseUrl}/v1/pages/${page.id}/properties/${id}?start_cursor=${nextCursor}&page_size=${pageSize}` : null,
        },
      },
    };
  };

  switch (def.type) {
    case 'title':
      return list(
        titleText(page.title).map((t) => ({ object: 'property_item', id, type: 'title', title: t })),
        { id, next_url: null, type: 'title', title: {} },
      );
    case 'rich_text':
      return list(
        (values ? notesRich(ws, values) : []).map((t) => ({ object: 'property_item', id, type: 'rich_text', rich_text: t })),
        { id, next_url: null, type: 'rich_text', rich_text: {} },
      );
    case 'people':
      return list(
        (values?.owners ?? []).map((i) => ({ object: 'property_item', id, type: 'people', people: fullUser(ws.users[i - 1]) })),
        { id, next_url: null, type: 'people', people: {} },
      );
    case 'relation':
      return list(
        (values?.related ?? []).map((i) => ({ object: 'property_item', id, type: 'relation', relation: { id: ws.pages[i].id } })),
        { id, next_url: null, type: 'relation', relation: {} },
      );
    case 'rollup': {
      const related = values?.related ?? [];
      const relationId = 'YfIu';
      return list(
        related.map((i) => ({ object: 'property_item', id: relationId, type: 'relation', relation: { id: ws.pages[i].id } })),
        (done) => ({
          id,
          next_url: null,
          type: 'rollup',
          rollup: done ? { type: 'number', number: related.length, function: 'count' } : { type: 'incomplete', incomplete: {}, function: 'count' },
        }),
      );
    }
    default: {
      const value = propertyValue(ctx, page, def, values);
      const item = singleItem(value);
      return item ? { ok: true, body: item } : { ok: false, status: 404, code: 'object_not_found', message: `Could not find property with ID: ${propertyId}.` };
    }
  }
}

/** A single (non-paginated) property item from a page property value. */
function singleItem(value: PropertyValue): PropertyItemObjectResponse | null {
  const base = { object: 'property_item' as const, id: value.id };
  switch (value.type) {
    case 'number':
      return { ...base, type: 'number', number: value.number };
    case 'url':
      return { ...base, type: 'url', url: value.url };
    case 'select':
      return { ...base, type: 'select', select: value.select };
    case 'multi_select':
      return { ...base, type: 'multi_select', multi_select: value.multi_select };
    case 'status':
      return { ...base, type: 'status', status: value.status };
    case 'date':
      return { ...base, type: 'date', date: value.date };
    case 'email':
      return { ...base, type: 'email', email: value.email };
    case 'phone_number':
      return { ...base, type: 'phone_number', phone_number: value.phone_number };
    case 'checkbox':
      return { ...base, type: 'checkbox', checkbox: value.checkbox };
    case 'files':
      return { ...base, type: 'files', files: value.files };
    case 'created_by':
      return { ...base, type: 'created_by', created_by: value.created_by };
    case 'created_time':
      return { ...base, type: 'created_time', created_time: value.created_time };
    case 'last_edited_by':
      return { ...base, type: 'last_edited_by', last_edited_by: value.last_edited_by };
    case 'last_edited_time':
      return { ...base, type: 'last_edited_time', last_edited_time: value.last_edited_time };
    case 'formula':
      return { ...base, type: 'formula', formula: value.formula };
    case 'unique_id':
      return { ...base, type: 'unique_id', unique_id: value.unique_id };
    default:
      return null;
  }
}

// ---- values for query filters and sorts ------------------------------------------------------------

/** The comparable value of a property for filters and sorts. */
export type Comparable = string | number | boolean | null | string[];

export function findProperty(nameOrId: string): PropDef | undefined {
  const decoded = safeDecodeURIComponent(nameOrId);
  return SCHEMA.find((d) => d.name === nameOrId || d.id === nameOrId || safeDecodeURIComponent(d.id) === decoded);
}

/** Value used to filter and sort on `def` (select/status: option name; relation/people: ids). */
export function comparableValue(ws: Workspace, page: PageSpec, v: RowValues, def: PropDef): Comparable {
  switch (def.type) {
    case 'title':
      return page.title;
    case 'rich_text':
      return notesRich(ws, v)
        .map((t) => t.plain_text)
        .join('');
    case 'status':
      return STATUS_OPTIONS[v.status].name;
    case 'select':
      return v.priority >= 0 ? PRIORITY_OPTIONS[v.priority].name : null;
    case 'multi_select':
      return v.tags.map((t) => TAG_OPTIONS[t].name);
    case 'number':
      return def.name === 'Budget' ? v.budget : v.estimate;
    case 'date':
      return v.due?.start ?? null;
    case 'checkbox':
      return v.done;
    case 'url':
      return v.website;
    case 'email':
      return v.email;
    case 'phone_number':
      return v.phone;
    case 'people':
      return v.owners.map((i) => ws.users[i - 1].id);
    case 'relation':
      return v.related.map((i) => ws.pages[i].id);
    case 'rollup':
      return v.related.length;
    case 'files':
      return v.files.map((f) => f.name);
    case 'formula':
      return def.name === 'Score' ? (v.estimate === null ? null : v.estimate * 2) : `${page.title} (${STATUS_OPTIONS[v.status].name})`;
    case 'created_time':
      return minuteIso(page.createdMs);
    case 'last_edited_time':
      return minuteIso(ws.editState(page).editedMs);
    case 'created_by':
      return userRef(ws, page.createdBy).id;
    case 'last_edited_by':
      return userRef(ws, page.editedBy).id;
    case 'unique_id':
      return page.rowNumber + 1;
  }
}
