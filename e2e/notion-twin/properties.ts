/**
 * Data source schemas, row property values, and the property item endpoint
 * (`GET /v1/pages/{id}/properties/{property_id}`).
 *
 * First data sources share one schema covering every property type (`SCHEMA`); second data sources
 * ("Milestones") have their own (`MILESTONE_SCHEMA`). `Related` points at the first database's
 * first data source (the first database relates to itself, the others to another database);
 * `Project` points at the first data source of the milestone's own database. The first row carries
 * more than 25 relation references and the second row more than 25 people and mentions, so clients
 * must page through the property item endpoint: page objects show only the first 25.
 */
import type {
  DataSourceObjectResponse,
  PageObjectResponse,
  PropertyItemListResponse,
  PropertyItemObjectResponse,
  RichTextItemResponse,
} from '@notionhq/client';
import type { DateResponse, EmptyObject, VerificationPropertyValueResponse } from '@notionhq/client/build/src/api-endpoints';
import { signedFileUrl } from './files';
import { hashInts, Rng, safeDecodeURIComponent } from './ids';
import type { RenderContext } from './render-context';
import { mentionPage, mentionUser, text, titleText, truncateMentions } from './rich-text';
import { minuteIso } from './time';
import { fullUser, userRef } from './users';
import { PERSON_NAMES, randomSentence } from './words';
import { type DataSourceSpec, isCrowdedRow, type PageSpec, type Workspace } from './workspace';

type SdkSchemaEntry = DataSourceObjectResponse['properties'][string];
type PropertyValue = PageObjectResponse['properties'][string];
type SelectColor = 'default' | 'gray' | 'brown' | 'orange' | 'yellow' | 'green' | 'blue' | 'purple' | 'pink' | 'red';

/**
 * Schema entries Notion returns (e.g. `"Button": {"type": "button", "button": {}}`) that SDK 5.26's
 * `DatabasePropertyConfigResponse` does not model: button, verification and place.
 */
export type ExtraSchemaEntry = { id: string; name: string; description: string | null } & (
  | { type: 'button'; button: EmptyObject }
  | { type: 'verification'; verification: EmptyObject }
  | { type: 'place'; place: EmptyObject }
);
export type TwinSchemaEntry = SdkSchemaEntry | ExtraSchemaEntry;

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
  | 'unique_id'
  | 'verification'
  | 'place'
  | 'button';

/** Which row value a property shows. */
export type ValueKey =
  | 'title'
  | 'status'
  | 'tags'
  | 'priority'
  | 'estimate'
  | 'budget'
  | 'progress'
  | 'cost'
  | 'due'
  | 'meeting'
  | 'done'
  | 'website'
  | 'email'
  | 'phone'
  | 'owners'
  | 'related'
  | 'relatedCount'
  | 'latestDue'
  | 'relatedNames'
  | 'files'
  | 'notes'
  | 'score'
  | 'label'
  | 'overdue'
  | 'nextReview'
  | 'created'
  | 'updated'
  | 'createdBy'
  | 'editedBy'
  | 'uid'
  | 'verification'
  | 'place'
  | 'action'
  /** A property added by `Workspace.addProperty`: empty until `editProperty` sets it. */
  | 'added';

export interface PropDef {
  name: string;
  /** Property id as Notion shows it (already URL-encoded, e.g. `%3AUPp`). */
  id: string;
  type: PropType;
  key: ValueKey;
}

/** The schema of every first data source, in display order. */
export const SCHEMA: readonly PropDef[] = [
  { name: 'Name', id: 'title', type: 'title', key: 'title' },
  { name: 'Status', id: 'sT%3Fa', type: 'status', key: 'status' },
  { name: 'Tags', id: '%3AUPp', type: 'multi_select', key: 'tags' },
  { name: 'Priority', id: 'A%40Hk', type: 'select', key: 'priority' },
  { name: 'Estimate', id: 'BJXS', type: 'number', key: 'estimate' },
  { name: 'Budget', id: 'b%5Dgt', type: 'number', key: 'budget' },
  { name: 'Due', id: 'Jsfb', type: 'date', key: 'due' },
  { name: 'Done', id: '%60%5Bq%3F', type: 'checkbox', key: 'done' },
  { name: 'Website', id: '%7DF_L', type: 'url', key: 'website' },
  { name: 'Contact', id: 'eM%40l', type: 'email', key: 'email' },
  { name: 'Phone', id: 'ph%3Dn', type: 'phone_number', key: 'phone' },
  { name: 'Owner', id: 'Iowm', type: 'people', key: 'owners' },
  { name: 'Related', id: 'YfIu', type: 'relation', key: 'related' },
  { name: 'Related count', id: 'zag~', type: 'rollup', key: 'relatedCount' },
  { name: 'Attachments', id: 'yfiK', type: 'files', key: 'files' },
  { name: 'Notes', id: '_Tc_', type: 'rich_text', key: 'notes' },
  { name: 'Score', id: 'WOd%3B', type: 'formula', key: 'score' },
  { name: 'Label', id: 'fL%3Ab', type: 'formula', key: 'label' },
  { name: 'Created', id: 'cr%3At', type: 'created_time', key: 'created' },
  { name: 'Updated', id: 'up%3Dt', type: 'last_edited_time', key: 'updated' },
  { name: 'Created by', id: 'cr%3Ab', type: 'created_by', key: 'createdBy' },
  { name: 'Edited by', id: 'ed%3Ab', type: 'last_edited_by', key: 'editedBy' },
  { name: 'ID', id: 'uN%3Fq', type: 'unique_id', key: 'uid' },
  { name: 'Progress', id: 'pR%3Ag', type: 'number', key: 'progress' },
  { name: 'Cost', id: 'cO%3As', type: 'number', key: 'cost' },
  { name: 'Meeting', id: 'mT%3Ag', type: 'date', key: 'meeting' },
  { name: 'Latest related due', id: 'lR%3Ad', type: 'rollup', key: 'latestDue' },
  { name: 'Related names', id: 'rN%3Am', type: 'rollup', key: 'relatedNames' },
  { name: 'Overdue', id: 'oV%3Ad', type: 'formula', key: 'overdue' },
  { name: 'Next review', id: 'nR%3Av', type: 'formula', key: 'nextReview' },
  { name: 'Verified', id: 'vF%3Ad', type: 'verification', key: 'verification' },
  { name: 'Place', id: 'pL%3Ac', type: 'place', key: 'place' },
  { name: 'Action', id: 'bT%3An', type: 'button', key: 'action' },
];

/** The schema of second data sources ("Milestones"). */
export const MILESTONE_SCHEMA: readonly PropDef[] = [
  { name: 'Name', id: 'title', type: 'title', key: 'title' },
  { name: 'When', id: 'wH%3An', type: 'date', key: 'meeting' },
  { name: 'Project', id: 'pJ%3At', type: 'relation', key: 'related' },
  { name: 'Lead', id: 'lD%3Ad', type: 'people', key: 'owners' },
  { name: 'Progress', id: 'pR%3Ag', type: 'number', key: 'progress' },
  { name: 'Shipped', id: 'sH%3Ap', type: 'checkbox', key: 'done' },
  { name: 'Stage', id: 'sT%3Fa', type: 'status', key: 'status' },
  { name: 'Code', id: 'uN%3Fq', type: 'unique_id', key: 'uid' },
  { name: 'Created', id: 'cr%3At', type: 'created_time', key: 'created' },
];

/** The only property of an ordinary page. */
const PAGE_TITLE: PropDef = { name: 'title', id: 'title', type: 'title', key: 'title' };
const PAGE_SCHEMA: readonly PropDef[] = [PAGE_TITLE];

/** The properties of pages in `ds` (of ordinary pages when `ds` is null). */
export function schemaOf(ds: DataSourceSpec | null): readonly PropDef[] {
  if (ds === null) return PAGE_SCHEMA;
  return ds.changedSchema ?? (ds.schema === 'milestones' ? MILESTONE_SCHEMA : SCHEMA);
}

/** Properties `Workspace.editProperty` can change (the values it changes are in `applyPropertyEdits`). */
const EDITABLE_KEYS: ReadonlySet<ValueKey> = new Set<ValueKey>(['notes', 'estimate', 'budget', 'progress', 'cost', 'done', 'status', 'priority', 'tags', 'website', 'email', 'phone', 'added']);

/** The property of `ds` that `editProperty` would change (name or id; default the first editable text, else the first editable one), or why not. */
export function editableProperty(ds: DataSourceSpec, property: string | undefined): PropDef | string {
  const schema = schemaOf(ds);
  const editable = (d: PropDef) => EDITABLE_KEYS.has(d.key);
  const def = property === undefined ? (schema.find((d) => editable(d) && d.type === 'rich_text') ?? schema.find(editable)) : findProperty(schema, property);
  if (!def) return `no property ${JSON.stringify(property)} in ${ds.name}`;
  if (!EDITABLE_KEYS.has(def.key)) return `${def.name} (${def.type}) cannot be edited by the twin; rename the row with editPage/renamePage`;
  return def;
}

/** A row's values after its property edits: the generated values, changed n times. */
function applyPropertyEdits(ws: Workspace, page: PageSpec, ds: DataSourceSpec, v: RowValues): RowValues {
  const edits = ws.propertyEditCounts(page);
  if (!edits) return v;
  const schema = schemaOf(ds);
  for (const [id, n] of edits) {
    const def = findProperty(schema, id);
    switch (def?.key) {
      case 'notes':
        v.notes = `${v.notes} (edited ${n})`.trim();
        break;
      case 'estimate':
      case 'budget':
      case 'progress':
      case 'cost':
        v[def.key] = (v[def.key] ?? 0) + n;
        break;
      case 'done':
        if (n % 2 === 1) v.done = !v.done;
        break;
      case 'status':
        v.status = (v.status + n) % STATUS_OPTIONS.length;
        break;
      case 'priority':
        v.priority = (Math.max(0, v.priority) + n) % PRIORITY_OPTIONS.length;
        break;
      case 'tags':
        v.tags = v.tags.includes(n % TAG_OPTIONS.length) ? v.tags.filter((t) => t !== n % TAG_OPTIONS.length) : [...v.tags, n % TAG_OPTIONS.length].sort();
        break;
      case 'website':
        v.website = `https://example.com/edited/${n}`;
        break;
      case 'email':
        v.email = `edited${n}@twin.example`;
        break;
      case 'phone':
        v.phone = `+1 555 02${pad(n % 100)}`;
        break;
      default:
        break; // added properties are read from the edit counts directly
    }
  }
  return v;
}

/** The value of a property added by `addProperty`: empty until edited, then derived from its edit count. */
function addedValue(ws: Workspace, page: PageSpec, def: PropDef): { count: number; text: string | null } {
  const count = ws.propertyEditCounts(page)?.get(def.id) ?? 0;
  return { count, text: count > 0 ? `Edit ${count}` : null };
}

const NUMBER_FORMATS: Partial<Record<ValueKey, string>> = { estimate: 'number', budget: 'dollar', progress: 'percent', cost: 'euro' };

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
const PLACES = [
  { lat: 52.520008, lon: 13.404954, name: 'Alexanderplatz', address: 'Alexanderplatz, 10178 Berlin, Germany', google_place_id: 'ChIJbd2OryfOqEcRX0j3T4nUfSA' },
  { lat: 35.6812, lon: 139.7671, name: '東京駅', address: '1 Chome Marunouchi, Chiyoda City, Tokyo 100-0005, Japan', google_place_id: null },
  { lat: -23.5505, lon: -46.6333, name: 'São Paulo', address: null, google_place_id: null },
] as const;

/** Page references shown inline in page objects before `has_more` (Notion's limit). */
export const INLINE_REFERENCE_LIMIT = 25;

type DateValue = { start: string; end: string | null; time_zone: string | null };

/** Typed values of one row, the single source for rendering, filtering and sorting. */
export interface RowValues {
  status: number;
  tags: number[];
  priority: number;
  estimate: number | null;
  budget: number | null;
  progress: number | null;
  cost: number | null;
  due: DateValue | null;
  meeting: DateValue | null;
  done: boolean;
  website: string | null;
  email: string | null;
  phone: string | null;
  /** User indices (1-based). */
  owners: number[];
  /** Page indices of related rows. */
  related: number[];
  files: Array<{ name: string; hosted: boolean }>;
  notesMention: number;
  notes: string;
  verification: { state: 'unverified' | 'verified' | 'expired'; by: number; startMs: number };
  place: number;
}

const pad = (n: number) => String(n).padStart(2, '0');

/** The files of a row's `Attachments` property (shared with `allAttachments()`). */
export function rowFiles(ws: Workspace, page: PageSpec): RowValues['files'] {
  return page.kind === 'row' && ws.dataSourceOf(page)?.schema === 'main' ? rowValues(ws, page).files : [];
}

export function rowValues(ws: Workspace, page: PageSpec): RowValues {
  const rng = new Rng(hashInts(ws.options.seed, page.index, 0x20f5));
  const ds = ws.dataSourceOf(page);
  const main = ds === null || ds.schema === 'main';
  const targetSource = main ? ws.databases[0]?.dataSources[0] : ws.databases[ds.database].dataSources[0];
  const targets = targetSource === undefined ? [] : targetSource.generatedRows === undefined ? targetSource.rows : targetSource.rows.slice(0, targetSource.generatedRows);
  const crowded = isCrowdedRow(ws, page);
  let related: number[] = [];
  if (main && ds?.database === 0 && ds.source === 0 && page.rowNumber === 0 && ws.options.manyRelationRefs > 0) {
    related = targets.slice(1, 1 + ws.options.manyRelationRefs);
  } else if (targets.length > 1) {
    const k = rng.int(main ? 0 : 1, 3);
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
  const dueKind = rng.int(0, 9);
  const due: DateValue | null =
    dueKind < 2
      ? null
      : dueKind < 6
        ? { start: `2025-${pad(month)}-${pad(day)}`, end: null, time_zone: null }
        : dueKind < 8
          ? { start: `2025-${pad(month)}-${pad(day)}T${pad(rng.int(8, 17))}:30:00.000+00:00`, end: null, time_zone: null }
          : { start: `2025-${pad(month)}-${pad(day)}`, end: `2025-${pad(month)}-${pad(Math.min(28, day + rng.int(1, 5)))}`, time_zone: null };
  const hour = rng.int(7, 18);
  const meetingKind = rng.int(0, 3);
  const meetingDay = `2025-${pad(rng.int(1, 12))}-${pad(rng.int(1, 28))}`;
  const meeting: DateValue | null =
    meetingKind === 0
      ? null
      : meetingKind === 1
        ? { start: `${meetingDay}T${pad(hour)}:00:00.000+02:00`, end: `${meetingDay}T${pad(hour + 1)}:30:00.000+02:00`, time_zone: null }
        : meetingKind === 2
          ? { start: `${meetingDay}T${pad(hour)}:15:00.000-07:00`, end: null, time_zone: 'America/Los_Angeles' }
          : { start: `${meetingDay}T${pad(hour)}:00:00.000+09:00`, end: `${meetingDay}T${pad(hour + 2)}:00:00.000+09:00`, time_zone: 'Asia/Tokyo' };
  const owners: number[] = [];
  if (crowded) for (let i = 1; i <= ws.options.manyMentionRefs; i++) owners.push(i);
  else for (let i = 1; i <= PERSON_NAMES.length; i++) if (rng.chance(0.2)) owners.push(i);
  const files: RowValues['files'] = [];
  if (rng.chance(0.3)) files.push({ name: `spec-${page.rowNumber + 1}.pdf`, hosted: true });
  if (rng.chance(0.3)) files.push({ name: 'diagram.png', hosted: false });
  if (rng.chance(0.1)) files.push({ name: `photo ${page.rowNumber + 1} (1).png`, hosted: true });
  const first = ws.options.pages > 0 ? rng.int(0, ws.options.pages - 1) : -1;
  const verificationRoll = rng.float();
  const values: RowValues = {
    status: rng.int(0, STATUS_OPTIONS.length - 1),
    tags,
    priority: rng.chance(0.2) ? -1 : rng.int(0, PRIORITY_OPTIONS.length - 1),
    estimate: rng.chance(0.15) ? null : rng.int(1, 40),
    budget: rng.chance(0.3) ? null : Math.round(rng.float() * 100_000) / 100,
    progress: rng.chance(0.2) ? null : rng.int(0, 20) / 20,
    cost: rng.chance(0.3) ? null : Math.round(rng.float() * 1_000_000) / 100,
    due,
    meeting,
    done: rng.chance(0.4),
    website: rng.chance(0.3) ? null : `https://example.com/items/${page.rowNumber + 1}?ref=twin&x=1`,
    email: rng.chance(0.4) ? null : `owner${page.rowNumber + 1}@twin.example`,
    phone: rng.chance(0.5) ? null : `+1 555 01${pad(page.rowNumber % 100)}`,
    owners,
    related,
    files,
    notesMention: rng.chance(0.3) ? first : -1,
    notes: rng.chance(0.2) ? '' : randomSentence(rng),
    verification: {
      state: verificationRoll < 0.5 ? 'unverified' : verificationRoll < 0.8 ? 'verified' : 'expired',
      by: rng.int(1, PERSON_NAMES.length),
      startMs: page.createdMs + rng.int(1, 30) * 86_400_000,
    },
    place: rng.chance(0.5) ? -1 : rng.int(0, PLACES.length - 1),
  };
  return ds === null ? values : applyPropertyEdits(ws, page, ds, values);
}

function option(o: Option): Option {
  return { id: o.id, name: o.name, color: o.color };
}

/** Full title of a page (the crowded row's title is a run of user mentions). */
export function titleRich(ws: Workspace, page: PageSpec): RichTextItemResponse[] {
  if (!isCrowdedRow(ws, page)) return titleText(page.title);
  const out: RichTextItemResponse[] = [text('Sync with ')];
  ws.users.slice(0, ws.options.manyMentionRefs).forEach((u, i) => {
    if (i > 0) out.push(text(', '));
    out.push(mentionUser(u.id, u.name));
  });
  return out;
}

/** Full `Notes` rich text of a row. */
function notesRich(ws: Workspace, page: PageSpec, v: RowValues): RichTextItemResponse[] {
  const out: RichTextItemResponse[] = [];
  if (isCrowdedRow(ws, page)) {
    out.push(text('Attendees: '));
    v.owners.forEach((i, k) => {
      const u = ws.users[i - 1];
      if (k > 0) out.push(text(', '));
      out.push(mentionUser(u.id, u.name));
    });
    return out;
  }
  if (v.notes) out.push(text(v.notes));
  if (v.notesMention >= 0) {
    const target = ws.pages[v.notesMention];
    out.push(text(' See '), mentionPage(target.id, target.title), text('.'));
  }
  return out;
}

function defFor(ws: Workspace, page: PageSpec, propertyId: string): PropDef | undefined {
  return findProperty(schemaOf(ws.dataSourceOf(page)), propertyId);
}

function addDays(isoDate: string, days: number): string {
  return new Date(Date.parse(isoDate.slice(0, 10)) + days * 86_400_000).toISOString().slice(0, 10);
}

function dateResponse(d: DateValue | null): DateResponse | null {
  return d ? { start: d.start, end: d.end, time_zone: d.time_zone } : null;
}

/** Latest `Due` start among the given rows. */
function latestDue(ws: Workspace, rows: readonly number[]): DateResponse | null {
  let best: string | null = null;
  for (const i of rows) {
    const due = rowValues(ws, ws.pages[i]).due;
    if (due && (best === null || Date.parse(due.start) > Date.parse(best))) best = due.start;
  }
  return best === null ? null : { start: best, end: null, time_zone: null };
}

function overdue(v: RowValues): boolean {
  return v.due !== null && !v.done && Date.parse(v.due.start) < Date.UTC(2025, 6, 1);
}

function verificationValue(ws: Workspace, v: RowValues): VerificationPropertyValueResponse {
  const { state, by, startMs } = v.verification;
  if (state === 'unverified') return { state, date: null, verified_by: null };
  const start = new Date(startMs).toISOString().slice(0, 10);
  return { state, date: { start, end: state === 'expired' ? addDays(start, 90) : null, time_zone: null }, verified_by: userRef(ws, by) };
}

/** The value of one property, as it appears in a page object's `properties`. */
function propertyValue(ctx: RenderContext, page: PageSpec, def: PropDef, v: RowValues | null): PropertyValue {
  const ws = ctx.ws;
  const id = def.id;
  const ds = ws.dataSourceOf(page);
  const title = () => truncateMentions(titleRich(ws, page), INLINE_REFERENCE_LIMIT);
  if (v === null || ds === null) return { id, type: 'title', title: title() };
  const inline = v.related.slice(0, INLINE_REFERENCE_LIMIT);
  switch (def.key) {
    case 'title':
      return { id, type: 'title', title: title() };
    case 'status':
      return { id, type: 'status', status: option(STATUS_OPTIONS[v.status]) };
    case 'tags':
      return { id, type: 'multi_select', multi_select: v.tags.map((t) => option(TAG_OPTIONS[t])) };
    case 'priority':
      return { id, type: 'select', select: v.priority >= 0 ? option(PRIORITY_OPTIONS[v.priority]) : null };
    case 'estimate':
    case 'budget':
    case 'progress':
    case 'cost':
      return { id, type: 'number', number: v[def.key] };
    case 'due':
    case 'meeting':
      return { id, type: 'date', date: dateResponse(v[def.key]) };
    case 'done':
      return { id, type: 'checkbox', checkbox: v.done };
    case 'website':
      return { id, type: 'url', url: v.website };
    case 'email':
      return { id, type: 'email', email: v.email };
    case 'phone':
      return { id, type: 'phone_number', phone_number: v.phone };
    case 'owners':
      return { id, type: 'people', people: v.owners.slice(0, INLINE_REFERENCE_LIMIT).map((i) => fullUser(ws.users[i - 1])) };
    case 'related': {
      // Notion adds `has_more` next to the array; the SDK type does not model it, so the value is
      // built as a variable (no excess-property check) and still checked against PropertyValue.
      const value = {
        id,
        type: 'relation' as const,
        relation: inline.map((i) => ({ id: ws.pages[i].id })),
        has_more: v.related.length > INLINE_REFERENCE_LIMIT,
      };
      return value;
    }
    // Rollups in page objects are computed from the first 25 relations only.
    case 'relatedCount':
      return { id, type: 'rollup', rollup: { type: 'number', number: inline.length, function: 'count' } };
    case 'latestDue':
      return { id, type: 'rollup', rollup: { type: 'date', date: latestDue(ws, inline), function: 'latest_date' } };
    case 'relatedNames':
      return {
        id,
        type: 'rollup',
        rollup: { type: 'array', array: inline.map((i) => ({ type: 'title' as const, title: titleRich(ws, ws.pages[i]) })), function: 'show_original' },
      };
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
    case 'notes':
      return { id, type: 'rich_text', rich_text: truncateMentions(notesRich(ws, page, v), INLINE_REFERENCE_LIMIT) };
    case 'score':
      return { id, type: 'formula', formula: { type: 'number', number: v.estimate === null ? null : v.estimate * 2 } };
    case 'label':
      return { id, type: 'formula', formula: { type: 'string', string: `${page.title} (${STATUS_OPTIONS[v.status].name})` } };
    case 'overdue':
      return { id, type: 'formula', formula: { type: 'boolean', boolean: overdue(v) } };
    case 'nextReview':
      return { id, type: 'formula', formula: { type: 'date', date: v.due ? { start: addDays(v.due.start, 7), end: null, time_zone: null } : null } };
    case 'created':
      return { id, type: 'created_time', created_time: minuteIso(page.createdMs) };
    case 'updated':
      return { id, type: 'last_edited_time', last_edited_time: minuteIso(ws.editState(page).editedMs) };
    case 'createdBy':
      return { id, type: 'created_by', created_by: userRef(ws, page.createdBy) };
    case 'editedBy':
      return { id, type: 'last_edited_by', last_edited_by: userRef(ws, page.editedBy) };
    case 'uid':
      return { id, type: 'unique_id', unique_id: { prefix: uniquePrefix(ds), number: page.rowNumber + 1 } };
    case 'verification':
      return { id, type: 'verification', verification: verificationValue(ws, v) };
    case 'place':
      return { id, type: 'place', place: v.place >= 0 ? { ...PLACES[v.place] } : null };
    case 'action':
      return { id, type: 'button', button: {} };
    case 'added': {
      const { count, text: shown } = addedValue(ws, page, def);
      if (def.type === 'number') return { id, type: 'number', number: count > 0 ? count : null };
      if (def.type === 'checkbox') return { id, type: 'checkbox', checkbox: count % 2 === 1 };
      if (def.type === 'url') return { id, type: 'url', url: count > 0 ? `https://example.com/edits/${count}` : null };
      return { id, type: 'rich_text', rich_text: shown === null ? [] : [text(shown)] };
    }
  }
}

function uniquePrefix(ds: DataSourceSpec): string {
  return ds.schema === 'milestones' ? 'MS' : UNIQUE_PREFIXES[ds.database % UNIQUE_PREFIXES.length];
}

/**
 * A page's `properties`. `filterProperties` (ids or names, from `filter_properties[]`) trims the
 * map like Notion does.
 */
export function pageProperties(ctx: RenderContext, page: PageSpec, filterProperties: readonly string[] = []): PageObjectResponse['properties'] {
  const defs = schemaOf(ctx.ws.dataSourceOf(page));
  const values = page.kind === 'row' ? rowValues(ctx.ws, page) : null;
  const wanted = filterProperties.length > 0 ? new Set(filterProperties.map(safeDecodeURIComponent)) : null;
  const out: PageObjectResponse['properties'] = {};
  for (const def of defs) {
    if (wanted && !wanted.has(safeDecodeURIComponent(def.id)) && !wanted.has(def.name)) continue;
    out[def.name] = propertyValue(ctx, page, def, values);
  }
  return out;
}

/** The schema of a data source (`properties` of a data source object). */
export function dataSourceSchema(ws: Workspace, ds: DataSourceSpec): Record<string, TwinSchemaEntry> {
  const out: Record<string, TwinSchemaEntry> = {};
  const relationTarget = ds.schema === 'milestones' ? ws.databases[ds.database] : ws.databases[0];
  for (const def of schemaOf(ds)) {
    const base = { id: def.id, name: def.name, description: def.key === 'related' ? 'Rows this row depends on.' : null };
    let entry: TwinSchemaEntry;
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
        entry = { ...base, type: 'number', number: { format: NUMBER_FORMATS[def.key] ?? 'number' } };
        break;
      case 'relation':
        entry = {
          ...base,
          type: 'relation',
          relation: { database_id: relationTarget.id, data_source_id: relationTarget.dataSources[0].id, type: 'single_property', single_property: {} },
        };
        break;
      case 'rollup': {
        const rollup =
          def.key === 'latestDue'
            ? { function: 'latest_date' as const, rollup_property_name: 'Due', rollup_property_id: 'Jsfb' }
            : def.key === 'relatedNames'
              ? { function: 'show_original' as const, rollup_property_name: 'Name', rollup_property_id: 'title' }
              : { function: 'count' as const, rollup_property_name: 'Name', rollup_property_id: 'title' };
        entry = { ...base, type: 'rollup', rollup: { ...rollup, relation_property_name: 'Related', relation_property_id: 'YfIu' } };
        break;
      }
      case 'formula': {
        const expressions: Partial<Record<ValueKey, string>> = {
          score: 'prop("Estimate") * 2',
          label: 'prop("Name") + " (" + prop("Status") + ")"',
          overdue: 'not prop("Done") and prop("Due") < parseDate("2025-07-01")',
          nextReview: 'dateAdd(prop("Due"), 7, "days")',
        };
        entry = { ...base, type: 'formula', formula: { expression: expressions[def.key] ?? '' } };
        break;
      }
      case 'unique_id':
        entry = { ...base, type: 'unique_id', unique_id: { prefix: uniquePrefix(ds) } };
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
      case 'verification':
        entry = { ...base, type: 'verification', verification: {} };
        break;
      case 'place':
        entry = { ...base, type: 'place', place: {} };
        break;
      case 'button':
        entry = { ...base, type: 'button', button: {} };
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

type ListHeader = PropertyItemListResponse['property_item'];

/** Answers `GET /v1/pages/{page}/properties/{property}` (page already resolved and shared). */
export function propertyItem(
  ctx: RenderContext,
  page: PageSpec,
  propertyId: string,
  startCursor: string | null,
  pageSize: number,
): PropertyItemResult {
  const ws = ctx.ws;
  const def = defFor(ws, page, propertyId);
  if (!def) return { ok: false, status: 404, code: 'object_not_found', message: `Could not find property with ID: ${propertyId}.` };
  const values = page.kind === 'row' ? rowValues(ws, page) : null;
  const id = def.id;

  const list = (items: PropertyItemObjectResponse[], header: ListHeader | ((done: boolean) => ListHeader)): PropertyItemResult => {
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
        titleRich(ws, page).map((t) => ({ object: 'property_item', id, type: 'title', title: t })),
        { id, next_url: null, type: 'title', title: {} },
      );
    case 'rich_text':
      return list(
        (def.key === 'added' ? addedRich(ws, page, def) : values ? notesRich(ws, page, values) : []).map((t) => ({ object: 'property_item', id, type: 'rich_text', rich_text: t })),
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
      // Like Notion: the relation's items, then the rollup computed over all of them on the last page.
      const related = values?.related ?? [];
      const relationId = 'YfIu';
      const final = (): ListHeader => {
        if (def.key === 'latestDue') return { id, next_url: null, type: 'rollup', rollup: { type: 'date', date: latestDue(ws, related), function: 'latest_date' } };
        if (def.key === 'relatedNames') return { id, next_url: null, type: 'rollup', rollup: { type: 'array', array: related.map(() => ({})), function: 'show_original' } };
        return { id, next_url: null, type: 'rollup', rollup: { type: 'number', number: related.length, function: 'count' } };
      };
      const fn = def.key === 'latestDue' ? 'latest_date' : def.key === 'relatedNames' ? 'show_original' : 'count';
      return list(
        related.map((i) => ({ object: 'property_item', id: relationId, type: 'relation', relation: { id: ws.pages[i].id } })),
        (done) => (done ? final() : { id, next_url: null, type: 'rollup', rollup: { type: 'incomplete', incomplete: {}, function: fn } }),
      );
    }
    default: {
      const value = propertyValue(ctx, page, def, values);
      const item = singleItem(value);
      return item ? { ok: true, body: item } : { ok: false, status: 404, code: 'object_not_found', message: `Could not find property with ID: ${propertyId}.` };
    }
  }
}

function addedRich(ws: Workspace, page: PageSpec, def: PropDef): RichTextItemResponse[] {
  const shown = addedValue(ws, page, def).text;
  return shown === null ? [] : [text(shown)];
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
    case 'verification':
      return { ...base, type: 'verification', verification: value.verification };
    case 'place':
      return { ...base, type: 'place', place: value.place };
    case 'button':
      return { ...base, type: 'button', button: value.button };
    default:
      return null;
  }
}

// ---- values for query filters and sorts ------------------------------------------------------------

/** The comparable value of a property for filters and sorts. */
export type Comparable = string | number | boolean | null | string[];

export function findProperty(schema: readonly PropDef[], nameOrId: string): PropDef | undefined {
  const decoded = safeDecodeURIComponent(nameOrId);
  return schema.find((d) => d.name === nameOrId || d.id === nameOrId || safeDecodeURIComponent(d.id) === decoded || d.name === decoded);
}

/** Value used to filter and sort on `def` (select/status: option name; relation/people: ids). */
export function comparableValue(ws: Workspace, page: PageSpec, v: RowValues, def: PropDef): Comparable {
  switch (def.key) {
    case 'title':
      return page.title;
    case 'notes':
      return notesRich(ws, page, v)
        .map((t) => t.plain_text)
        .join('');
    case 'status':
      return STATUS_OPTIONS[v.status].name;
    case 'priority':
      return v.priority >= 0 ? PRIORITY_OPTIONS[v.priority].name : null;
    case 'tags':
      return v.tags.map((t) => TAG_OPTIONS[t].name);
    case 'estimate':
    case 'budget':
    case 'progress':
    case 'cost':
      return v[def.key];
    case 'due':
    case 'meeting':
      return v[def.key]?.start ?? null;
    case 'done':
      return v.done;
    case 'website':
      return v.website;
    case 'email':
      return v.email;
    case 'phone':
      return v.phone;
    case 'owners':
      return v.owners.map((i) => ws.users[i - 1].id);
    case 'related':
      return v.related.map((i) => ws.pages[i].id);
    case 'relatedCount':
      return v.related.length;
    case 'latestDue':
      return latestDue(ws, v.related)?.start ?? null;
    case 'relatedNames':
      return v.related.map((i) => ws.pages[i].title);
    case 'files':
      return v.files.map((f) => f.name);
    case 'score':
      return v.estimate === null ? null : v.estimate * 2;
    case 'label':
      return `${page.title} (${STATUS_OPTIONS[v.status].name})`;
    case 'overdue':
      return overdue(v);
    case 'nextReview':
      return v.due ? addDays(v.due.start, 7) : null;
    case 'created':
      return minuteIso(page.createdMs);
    case 'updated':
      return minuteIso(ws.editState(page).editedMs);
    case 'createdBy':
      return ws.userId(page.createdBy);
    case 'editedBy':
      return ws.userId(page.editedBy);
    case 'uid':
      return page.rowNumber + 1;
    case 'verification':
      return v.verification.state;
    case 'place':
      return v.place >= 0 ? PLACES[v.place].name : null;
    case 'action':
      return null;
    case 'added': {
      const { count, text: shown } = addedValue(ws, page, def);
      if (def.type === 'number') return count > 0 ? count : null;
      if (def.type === 'checkbox') return count % 2 === 1;
      if (def.type === 'url') return count > 0 ? `https://example.com/edits/${count}` : null;
      return shown ?? '';
    }
  }
}
