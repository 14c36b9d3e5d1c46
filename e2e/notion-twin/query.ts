/**
 * Data source query filters and sorts: the subset exporters use (timestamp windows as in the SDK's
 * `iterateAllDataSourceRows`, property conditions on text/number/checkbox/select/status/
 * multi_select/date/relation/people, `and`/`or`). Anything else is refused with a 400
 * validation_error naming the twin, so an unsupported filter never silently matches everything.
 */
import { type Comparable, comparableValue, findProperty, type PropDef, type RowValues, rowValues } from './properties';
import { minuteIso } from './time';
import type { PageSpec, Workspace } from './workspace';

export interface Row {
  page: PageSpec;
  values: RowValues;
}

type Predicate = (row: Row) => boolean;
export type Compiled<T> = { ok: true; value: T } | { ok: false; message: string };

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

const fail = (message: string): { ok: false; message: string } => ({ ok: false, message });

function dayOf(s: string): string {
  return s.slice(0, 10);
}

function dateCondition(cond: unknown, where: string): Compiled<(value: string | null) => boolean> {
  if (!isRecord(cond)) return fail(`body failed validation: ${where} should be an object.`);
  const [op, arg] = Object.entries(cond)[0] ?? [];
  if (op === 'is_empty') return { ok: true, value: (v) => v === null };
  if (op === 'is_not_empty') return { ok: true, value: (v) => v !== null };
  if (typeof arg !== 'string' || Number.isNaN(Date.parse(arg))) {
    return fail(`twin: unsupported date condition ${where}.${String(op)} (use equals/before/after/on_or_before/on_or_after with an ISO date)`);
  }
  const dateOnly = /^\d{4}-\d{2}-\d{2}$/.test(arg);
  const t = Date.parse(arg);
  const cmp = (v: string): number => (dateOnly ? dayOf(v).localeCompare(arg) : Date.parse(v) - t);
  switch (op) {
    case 'equals':
      return { ok: true, value: (v) => v !== null && cmp(v) === 0 };
    case 'before':
      return { ok: true, value: (v) => v !== null && cmp(v) < 0 };
    case 'after':
      return { ok: true, value: (v) => v !== null && cmp(v) > 0 };
    case 'on_or_before':
      return { ok: true, value: (v) => v !== null && cmp(v) <= 0 };
    case 'on_or_after':
      return { ok: true, value: (v) => v !== null && cmp(v) >= 0 };
    default:
      return fail(`twin: unsupported date condition ${where}.${String(op)}`);
  }
}

function textCondition(cond: Record<string, unknown>, where: string): Compiled<(value: Comparable) => boolean> {
  const [op, arg] = Object.entries(cond)[0] ?? [];
  const s = (v: Comparable): string => (typeof v === 'string' ? v.toLowerCase() : '');
  if (op === 'is_empty') return { ok: true, value: (v) => v === null || v === '' };
  if (op === 'is_not_empty') return { ok: true, value: (v) => v !== null && v !== '' };
  if (typeof arg !== 'string') return fail(`body failed validation: ${where}.${String(op)} should be a string.`);
  const a = arg.toLowerCase();
  switch (op) {
    case 'equals':
      return { ok: true, value: (v) => s(v) === a };
    case 'does_not_equal':
      return { ok: true, value: (v) => s(v) !== a };
    case 'contains':
      return { ok: true, value: (v) => s(v).includes(a) };
    case 'does_not_contain':
      return { ok: true, value: (v) => !s(v).includes(a) };
    case 'starts_with':
      return { ok: true, value: (v) => s(v).startsWith(a) };
    case 'ends_with':
      return { ok: true, value: (v) => s(v).endsWith(a) };
    default:
      return fail(`twin: unsupported text condition ${where}.${String(op)}`);
  }
}

function numberCondition(cond: Record<string, unknown>, where: string): Compiled<(value: Comparable) => boolean> {
  const [op, arg] = Object.entries(cond)[0] ?? [];
  if (op === 'is_empty') return { ok: true, value: (v) => v === null };
  if (op === 'is_not_empty') return { ok: true, value: (v) => v !== null };
  if (typeof arg !== 'number') return fail(`body failed validation: ${where}.${String(op)} should be a number.`);
  const n = (f: (x: number) => boolean) => (v: Comparable) => typeof v === 'number' && f(v);
  switch (op) {
    case 'equals':
      return { ok: true, value: n((x) => x === arg) };
    case 'does_not_equal':
      return { ok: true, value: (v) => v !== arg };
    case 'greater_than':
      return { ok: true, value: n((x) => x > arg) };
    case 'less_than':
      return { ok: true, value: n((x) => x < arg) };
    case 'greater_than_or_equal_to':
      return { ok: true, value: n((x) => x >= arg) };
    case 'less_than_or_equal_to':
      return { ok: true, value: n((x) => x <= arg) };
    default:
      return fail(`twin: unsupported number condition ${where}.${String(op)}`);
  }
}

function listCondition(cond: Record<string, unknown>, where: string): Compiled<(value: Comparable) => boolean> {
  const [op, arg] = Object.entries(cond)[0] ?? [];
  const list = (v: Comparable): string[] => (Array.isArray(v) ? v : []);
  if (op === 'is_empty') return { ok: true, value: (v) => list(v).length === 0 };
  if (op === 'is_not_empty') return { ok: true, value: (v) => list(v).length > 0 };
  if (typeof arg !== 'string') return fail(`body failed validation: ${where}.${String(op)} should be a string.`);
  const norm = (x: string) => x.replaceAll('-', '').toLowerCase();
  const has = (v: Comparable) => list(v).some((x) => x === arg || norm(x) === norm(arg));
  if (op === 'contains') return { ok: true, value: has };
  if (op === 'does_not_contain') return { ok: true, value: (v) => !has(v) };
  return fail(`twin: unsupported condition ${where}.${String(op)}`);
}

function optionCondition(cond: Record<string, unknown>, where: string): Compiled<(value: Comparable) => boolean> {
  const [op, arg] = Object.entries(cond)[0] ?? [];
  if (op === 'is_empty') return { ok: true, value: (v) => v === null };
  if (op === 'is_not_empty') return { ok: true, value: (v) => v !== null };
  const names = typeof arg === 'string' ? [arg] : Array.isArray(arg) && arg.every((x) => typeof x === 'string') ? arg : null;
  if (names === null) return fail(`body failed validation: ${where}.${String(op)} should be a string or an array of strings.`);
  const matches = (v: Comparable) => typeof v === 'string' && names.includes(v);
  if (op === 'equals') return { ok: true, value: matches };
  if (op === 'does_not_equal') return { ok: true, value: (v) => !matches(v) };
  return fail(`twin: unsupported condition ${where}.${String(op)}`);
}

function propertyPredicate(ws: Workspace, schema: readonly PropDef[], f: Record<string, unknown>, where: string): Compiled<Predicate> {
  const name = f.property;
  if (typeof name !== 'string') return fail(`body failed validation: ${where}.property should be a string.`);
  const def = findProperty(schema, name);
  if (!def) return fail(`Could not find property with name or id: ${name}`);
  const typeKey = Object.keys(f).find((k) => k !== 'property' && k !== 'type');
  if (typeKey === undefined) return fail(`body failed validation: ${where} should define a condition for property ${name}.`);
  const cond = f[typeKey];
  if (!isRecord(cond)) return fail(`body failed validation: ${where}.${typeKey} should be an object.`);
  const accepted: Record<string, readonly PropDef['type'][]> = {
    title: ['title'],
    rich_text: ['rich_text', 'title'],
    url: ['url'],
    email: ['email'],
    phone_number: ['phone_number'],
    number: ['number'],
    unique_id: ['unique_id'],
    checkbox: ['checkbox'],
    select: ['select'],
    status: ['status'],
    multi_select: ['multi_select'],
    relation: ['relation'],
    people: ['people'],
    date: ['date'],
    created_time: ['created_time'],
    last_edited_time: ['last_edited_time'],
  };
  if (!accepted[typeKey]) return fail(`twin: unsupported property filter type ${typeKey}`);
  if (!accepted[typeKey].includes(def.type)) {
    return fail(`body failed validation: ${where}.${typeKey} does not match the type of property ${name} (${def.type}).`);
  }
  const value = (row: Row) => comparableValue(ws, row.page, row.values, def);
  let test: Compiled<(v: Comparable) => boolean>;
  switch (typeKey) {
    case 'number':
    case 'unique_id':
      test = numberCondition(cond, `${where}.${typeKey}`);
      break;
    case 'checkbox': {
      const [op, arg] = Object.entries(cond)[0] ?? [];
      if (typeof arg !== 'boolean' || (op !== 'equals' && op !== 'does_not_equal')) return fail(`body failed validation: ${where}.checkbox should be {equals|does_not_equal: boolean}.`);
      test = { ok: true, value: (v) => (v === arg) === (op === 'equals') };
      break;
    }
    case 'select':
    case 'status':
      test = optionCondition(cond, `${where}.${typeKey}`);
      break;
    case 'multi_select':
    case 'relation':
    case 'people':
      test = listCondition(cond, `${where}.${typeKey}`);
      break;
    case 'date':
    case 'created_time':
    case 'last_edited_time': {
      const d = dateCondition(cond, `${where}.${typeKey}`);
      if (!d.ok) return d;
      test = { ok: true, value: (v) => d.value(typeof v === 'string' ? v : null) };
      break;
    }
    default:
      test = textCondition(cond, `${where}.${typeKey}`);
  }
  if (!test.ok) return test;
  const t = test.value;
  return { ok: true, value: (row) => t(value(row)) };
}

/** Compiles a query `filter` into a predicate. */
export function compileFilter(ws: Workspace, schema: readonly PropDef[], filter: unknown, where = 'body.filter'): Compiled<Predicate> {
  if (filter === undefined || filter === null) return { ok: true, value: () => true };
  if (!isRecord(filter)) return fail(`body failed validation: ${where} should be an object or \`undefined\`.`);
  for (const combinator of ['and', 'or'] as const) {
    const parts = filter[combinator];
    if (parts === undefined) continue;
    if (!Array.isArray(parts)) return fail(`body failed validation: ${where}.${combinator} should be an array.`);
    const compiled: Predicate[] = [];
    for (let i = 0; i < parts.length; i++) {
      const c = compileFilter(ws, schema, parts[i], `${where}.${combinator}[${i}]`);
      if (!c.ok) return c;
      compiled.push(c.value);
    }
    return { ok: true, value: combinator === 'and' ? (row) => compiled.every((p) => p(row)) : (row) => compiled.some((p) => p(row)) };
  }
  if (filter.timestamp === 'created_time' || filter.timestamp === 'last_edited_time') {
    const key = filter.timestamp;
    const d = dateCondition(filter[key], `${where}.${key}`);
    if (!d.ok) return d;
    return {
      ok: true,
      value: (row) => d.value(key === 'created_time' ? minuteIso(row.page.createdMs) : minuteIso(ws.editState(row.page).editedMs)),
    };
  }
  if (filter.property !== undefined) return propertyPredicate(ws, schema, filter, where);
  return fail(`body failed validation: ${where} should be a property filter, a timestamp filter, or an and/or group.`);
}

type Comparator = (x: Row, y: Row) => number;

function compareComparable(a: Comparable, b: Comparable): number {
  if (a === b) return 0;
  if (a === null) return 1; // empty values sort last in both directions, like Notion
  if (b === null) return -1;
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'boolean' && typeof b === 'boolean') return a ? 1 : -1;
  return String(a).localeCompare(String(b));
}

/** Compiles query `sorts` into a comparator (stable: ties keep creation order). */
export function compileSorts(ws: Workspace, schema: readonly PropDef[], sorts: unknown): Compiled<Comparator> {
  if (sorts === undefined || sorts === null) return { ok: true, value: (x, y) => x.page.index - y.page.index };
  if (!Array.isArray(sorts)) return fail('body failed validation: body.sorts should be an array or `undefined`.');
  const keys: Array<{ get: (row: Row) => Comparable; sign: number }> = [];
  for (let i = 0; i < sorts.length; i++) {
    const s: unknown = sorts[i];
    if (!isRecord(s) || (s.direction !== 'ascending' && s.direction !== 'descending')) {
      return fail(`body failed validation: body.sorts[${i}].direction should be "ascending" or "descending".`);
    }
    const sign = s.direction === 'ascending' ? 1 : -1;
    if (s.timestamp === 'created_time') keys.push({ get: (r) => r.page.createdMs, sign });
    else if (s.timestamp === 'last_edited_time') keys.push({ get: (r) => ws.editState(r.page).editedMs, sign });
    else if (typeof s.property === 'string') {
      const def = findProperty(schema, s.property);
      if (!def) return fail(`Could not find sort property with name or id: ${s.property}`);
      keys.push({ get: (r) => comparableValue(ws, r.page, r.values, def), sign });
    } else return fail(`body failed validation: body.sorts[${i}] should have a property or a timestamp.`);
  }
  return {
    ok: true,
    value: (x, y) => {
      for (const k of keys) {
        const a = k.get(x);
        const b = k.get(y);
        const c = a === null || b === null ? compareComparable(a, b) : k.sign * compareComparable(a, b);
        if (c !== 0) return c;
      }
      return x.page.index - y.page.index;
    },
  };
}

/** The rows of a data source (with the given schema) after filter and sorts. */
export function queryRows(ws: Workspace, schema: readonly PropDef[], rows: readonly number[], filter: unknown, sorts: unknown): Compiled<PageSpec[]> {
  const f = compileFilter(ws, schema, filter);
  if (!f.ok) return f;
  const s = compileSorts(ws, schema, sorts);
  if (!s.ok) return s;
  const matched: Row[] = [];
  for (const i of rows) {
    const page = ws.pages[i];
    const row = { page, values: rowValues(ws, page) };
    if (f.value(row)) matched.push(row);
  }
  if (sorts !== undefined && sorts !== null) matched.sort(s.value);
  return { ok: true, value: matched.map((r) => r.page) };
}
