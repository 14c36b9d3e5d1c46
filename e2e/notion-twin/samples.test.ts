/**
 * Checks the twin's answers against real Notion payloads (`samples/real-api/`, recorded
 * with Notion-Version 2025-09-03): same keys and value types, compared recursively.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_TOKEN, startTwin, type Twin } from './index';
import { readRealApiSample } from './real-api-samples';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

function sample(name: string): Json {
  return readRealApiSample<Json>(name);
}

/** `x[k0][k1]…` of parsed JSON (numbers index arrays); undefined when the path does not exist. */
function at(x: unknown, ...path: Array<string | number>): unknown {
  let cur: unknown = x;
  for (const k of path) {
    if (typeof k === 'number') cur = Array.isArray(cur) ? cur[k] : undefined;
    else cur = isObject(cur) ? cur[k] : undefined;
  }
  return cur;
}

/** The first element of an array of JSON objects that `match` accepts. */
function find(list: unknown, match: (x: Record<string, unknown>) => boolean): Record<string, unknown> {
  const hit = Array.isArray(list) ? list.find((x): x is Record<string, unknown> => isObject(x) && match(x)) : undefined;
  if (!hit) throw new Error('no matching element');
  return hit;
}

/** Drops keys from a JSON object (for fields whose shape a sample cannot show). */
function without(x: unknown, ...keys: string[]): Record<string, unknown> {
  if (!isObject(x)) throw new Error('not an object');
  return Object.fromEntries(Object.entries(x).filter(([k]) => !keys.includes(k)));
}

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/** `type` of a tagged object and of its payload (`formula.type`, `mention.type`…), for matching variants. */
function variant(x: unknown): string | null {
  if (!isObject(x) || typeof x.type !== 'string') return null;
  const payload = x[x.type];
  return isObject(payload) && typeof payload.type === 'string' ? `${x.type}/${payload.type}` : x.type;
}

/**
 * Recursively compares the shape of `actual` with `expected`: same keys, same `typeof`, arrays by
 * their first element (matched on `type` when elements are tagged). `null` on either side is
 * accepted (nullable fields). Maps keyed by user data (`properties`) are compared entry by entry,
 * matching entries by variant. Tagged objects of different variants are not comparable and skipped.
 */
function shapeDiff(expected: unknown, actual: unknown, at = '$', diffs: string[] = []): string[] {
  if (expected === null || actual === null || expected === undefined) return diffs;
  if (actual === undefined) {
    diffs.push(`${at}: missing`);
    return diffs;
  }
  if (Array.isArray(expected) || Array.isArray(actual)) {
    if (!Array.isArray(expected) || !Array.isArray(actual)) {
      diffs.push(`${at}: expected ${Array.isArray(expected) ? 'array' : typeof expected}, got ${Array.isArray(actual) ? 'array' : typeof actual}`);
      return diffs;
    }
    if (expected.length === 0 || actual.length === 0) return diffs;
    const first = expected[0];
    const match = variant(first) === null ? actual[0] : actual.find((a) => variant(a) === variant(first));
    if (match !== undefined) shapeDiff(first, match, `${at}[0]`, diffs);
    return diffs;
  }
  if (typeof expected !== typeof actual) {
    diffs.push(`${at}: expected ${typeof expected}, got ${typeof actual}`);
    return diffs;
  }
  if (!isObject(expected) || !isObject(actual)) return diffs;
  if (variant(expected) !== null && variant(actual) !== null && expected.type !== actual.type) return diffs;
  if (at.endsWith('.properties')) {
    for (const [name, value] of Object.entries(expected)) {
      const candidates = Object.values(actual).filter((a) => isObject(a) && isObject(value) && a.type === value.type);
      const best = candidates.find((c) => variant(c) === variant(value)) ?? candidates[0];
      if (best === undefined) diffs.push(`${at}: no property of type ${isObject(value) ? String(value.type) : '?'} (sample "${name}")`);
      else shapeDiff(value, best, `${at}[${JSON.stringify(name)}]`, diffs);
    }
    return diffs;
  }
  const expectedKeys = Object.keys(expected).sort();
  const actualKeys = Object.keys(actual).sort();
  for (const k of expectedKeys) if (!(k in actual)) diffs.push(`${at}.${k}: missing`);
  for (const k of actualKeys) if (!(k in expected)) diffs.push(`${at}.${k}: not in sample`);
  for (const k of expectedKeys) if (k in actual) shapeDiff(expected[k], actual[k], `${at}.${k}`, diffs);
  return diffs;
}

let twin: Twin;

beforeAll(async () => {
  twin = await startTwin({ workspace: { seed: 3, pages: 25, databases: 2, rowsPerDatabase: 12 } });
});
afterAll(() => twin.close());

async function call(method: 'GET' | 'POST', route: string, body?: object, token = DEFAULT_TOKEN): Promise<{ status: number; json: Json }> {
  const res = await fetch(`${twin.url}/v1/${route}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'Notion-Version': '2025-09-03', ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: res.status, json: await res.json() };
}

async function get(route: string): Promise<Json> {
  const { status, json } = await call('GET', route);
  expect(status, `GET ${route}`).toBe(200);
  return json;
}

function expectSameShape(sampleFile: string, actual: unknown, pick: (s: Record<string, unknown>) => unknown = (s) => s): void {
  const expected = sample(sampleFile);
  if (!isObject(expected)) throw new Error(`${sampleFile} is not an object`);
  expect(shapeDiff(pick(expected), actual), sampleFile).toEqual([]);
}

/** Like expectSameShape, for a part of a sample picked from its parsed JSON (any top-level type). */
function expectSameShapeAs(sampleFile: string, pick: (s: Json) => unknown, actual: unknown): void {
  const expected = pick(sample(sampleFile));
  if (expected === undefined) throw new Error(`${sampleFile}: nothing picked`);
  expect(shapeDiff(expected, actual), sampleFile).toEqual([]);
}

describe('twin answers have the shapes of recorded Notion payloads (2025-09-03)', () => {
  it('comparator catches differences', () => {
    expect(shapeDiff({ a: 1, b: { c: 'x' } }, { a: 1, b: { c: 'y' } })).toEqual([]);
    expect(shapeDiff({ a: 1, b: { c: 'x' } }, { a: '1', b: {} })).toEqual(['$.a: expected number, got string', '$.b.c: missing']);
    expect(shapeDiff({ a: [{ type: 't', t: { x: 1 } }] }, { a: [{ type: 'u', u: {} }, { type: 't', t: { x: 2, y: 3 } }] })).toEqual(['$.a[0].t.y: not in sample']);
  });

  it('pages.retrieve (page parent)', async () => {
    const page = twin.workspace.allPages().find((p) => p.kind === 'page' && p.parent.type === 'page_id');
    expectSameShape('v2025-09-03_pages.retrieve__page-parent.json', await get(`pages/${page!.id}`));
  });

  it('search (workspace root page)', async () => {
    const { json } = await call('POST', 'search', { filter: { property: 'object', value: 'page' } });
    if (!isObject(json) || !Array.isArray(json.results)) throw new Error('bad search answer');
    const root = json.results.find((r) => isObject(r) && isObject(r.parent) && r.parent.type === 'workspace');
    expectSameShape('v2025-09-03_search__workspace-root-page.json', { ...json, results: [root] });
  });

  it('blocks.children.list (first page with has_more, and last page)', async () => {
    const gallery = twin.workspace.allPages()[0];
    const first = await get(`blocks/${gallery.id}/children?page_size=2`);
    expect(isObject(first) && first.has_more).toBe(true);
    expectSameShape('v2025-09-03_blocks.children.list__page1-has_more.json', first);
    let last: Json = first;
    for (let cursor = isObject(first) ? first.next_cursor : null; typeof cursor === 'string'; cursor = isObject(last) ? last.next_cursor : null) {
      last = await get(`blocks/${gallery.id}/children?start_cursor=${cursor}`);
    }
    expect(isObject(last) && last.has_more).toBe(false);
    expectSameShape('v2025-09-03_blocks.children.list__last-page.json', last);
  });

  it('child_page and child_database blocks', async () => {
    const page = twin.workspace.allPages().find((p) => p.kind === 'page' && p.parent.type === 'page_id');
    const db = twin.workspace.allDatabases().find((d) => d.parentPageId !== null);
    expectSameShape('v2025-09-03_blocks.delete__child_page-trashed.json', await get(`blocks/${page!.id}`));
    expectSameShape('v2025-09-03_blocks.delete__child_database-trashed.json', await get(`blocks/${db!.id}`));
  });

  it('databases.retrieve and dataSources.retrieve', async () => {
    const db = twin.workspace.allDatabases().find((d) => d.parentPageId !== null);
    expectSameShape('v2025-09-03_databases.retrieve.json', await get(`databases/${db!.id}`));
    expectSameShape('v2025-09-03_dataSources.retrieve.json', await get(`data_sources/${db!.dataSourceId}`));
  });

  it('dataSources.query (empty result envelope)', async () => {
    const db = twin.workspace.allDatabases()[0];
    const { status, json } = await call('POST', `data_sources/${db.dataSourceId}/query`, { filter: { property: 'Name', title: { equals: 'no such row' } } });
    expect(status).toBe(200);
    expectSameShape('v2025-09-03_dataSources.query__empty.json', json);
    expect(isObject(json) && json.results).toEqual([]);
  });

  it('users.me (bot)', async () => {
    expectSameShape('v2025-09-03_users.me__bot.json', await get('users/me'));
  });

  it('comments.list', async () => {
    for (const page of twin.workspace.allPages()) {
      const json = await get(`comments?block_id=${page.id}`);
      if (isObject(json) && Array.isArray(json.results) && json.results.length > 0) {
        expectSameShape('v2025-09-03_comments.list.json', json);
        return;
      }
    }
    throw new Error('no page with comments');
  });

  it('pages.properties.retrieve (title list)', async () => {
    const page = twin.workspace.allPages().find((p) => p.kind === 'page' && p.title !== '');
    expectSameShape('v2025-09-03_pages.properties.retrieve__title-list.json', await get(`pages/${page!.id}/properties/title`));
  });

  it('error 401 unauthorized', async () => {
    const { status, json } = await call('GET', 'users', undefined, 'secret_wrong');
    expect(status).toBe(401);
    expectSameShape('v2025-09-03_error-401_unauthorized.json', json);
    expect(json).toMatchObject({ code: 'unauthorized', message: 'API token is invalid.' });
  });

  it('error 404 object_not_found', async () => {
    const { status, json } = await call('GET', 'pages/00000000-0000-0000-0000-000000000000');
    expect(status).toBe(404);
    expectSameShape('v2025-09-03_error-404_object_not_found.json', json);
    const message = isObject(json) && typeof json.message === 'string' ? json.message : '';
    expect(message).toMatch(/^Could not find page with ID: 00000000-0000-0000-0000-000000000000\. Make sure the relevant pages and databases are shared with your integration ".+"\.$/);
  });

  it('row property values per type (docs example, older version: properties only)', async () => {
    const db = twin.workspace.allDatabases()[0];
    const rows = await call('POST', `data_sources/${db.dataSourceId}/query`, {});
    if (!isObject(rows.json) || !Array.isArray(rows.json.results)) throw new Error('bad query answer');
    // Gather, per property type, the most populated value across rows.
    const populated: Record<string, Json> = {};
    for (const row of rows.json.results) {
      if (!isObject(row) || !isObject(row.properties)) continue;
      for (const value of Object.values(row.properties)) {
        if (!isObject(value) || typeof value.type !== 'string') continue;
        const v = value[value.type];
        const full = v !== null && !(Array.isArray(v) && v.length === 0);
        const key = variant(value) ?? value.type;
        if (full || !(key in populated)) populated[key] = value;
      }
    }
    expectSameShape('pages.retrieve__database-row-many-property-types.json', { properties: populated }, (s) => ({ properties: s.properties }));
  });

  describe('gallery hard cases', () => {
    let blocks: Record<string, unknown>[];
    beforeAll(async () => {
      blocks = [];
      const walk = async (id: string): Promise<void> => {
        let cursor: unknown = null;
        do {
          const page = await get(`blocks/${id}/children${typeof cursor === 'string' ? `?start_cursor=${cursor}` : ''}`);
          const results = at(page, 'results');
          for (const b of Array.isArray(results) ? results : []) {
            if (!isObject(b)) continue;
            blocks.push(b);
            if (b.has_children === true && b.type !== 'child_page' && b.type !== 'child_database') await walk(String(b.id));
          }
          cursor = at(page, 'next_cursor');
        } while (typeof cursor === 'string');
      };
      await walk(twin.workspace.allPages()[0].id);
    });
    const richItems = (): Record<string, unknown>[] =>
      blocks.flatMap((b) => {
        const items = at(b, String(b.type), 'rich_text');
        return Array.isArray(items) ? items.filter(isObject) : [];
      });
    const mention = (type: string, field?: string) => find(richItems(), (t) => at(t, 'mention', 'type') === type && (field === undefined || at(t, 'mention', type, field) !== undefined));

    it('synced block original and reference', () => {
      const original = find(blocks, (b) => b.type === 'synced_block' && at(b, 'synced_block', 'synced_from') === null);
      const reference = find(blocks, (b) => b.type === 'synced_block' && isObject(at(b, 'synced_block', 'synced_from')));
      // The recorded original predates the deprecated `archived` field that 2025-09-03 answers carry.
      expectSameShapeAs('blocks__synced_block-original-and-reference.json', (s) => ({ ...without(at(s, 0)), archived: false }), original);
      expectSameShapeAs('blocks__synced_block-original-and-reference.json', (s) => ({ ...without(at(s, 0)), archived: false }), reference);
    });

    it('hosted image, native icon, linked database block', async () => {
      const image = find(blocks, (b) => b.type === 'image' && at(b, 'image', 'type') === 'file');
      expectSameShapeAs('blocks.children.list__synced_block-image-file-child_page.json', (s) => at(find(at(s, 'results'), (b) => b.type === 'image'), 'image'), image.image);
      const native = await get(`pages/${twin.workspace.allPages()[4].id}`);
      expectSameShapeAs('page__native-icon-type-icon.json', (s) => at(s, 'icon'), at(native, 'icon'));
      const linked = find(blocks, (b) => b.id === twin.workspace.linkedDatabases()[0].id);
      expectSameShape('v2025-09-03_blocks.delete__child_database-trashed.json', linked, (d) => without(d, 'request_id'));
    });

    it('mentions (link_mention, page, date)', () => {
      const paragraph = (s: Json) => at(s, 'paragraph', 'rich_text');
      expectSameShapeAs('block__paragraph-with-link_mention.json', (s) => find(paragraph(s), (t) => at(t, 'mention', 'type') === 'link_mention'), mention('link_mention', 'iframe_url'));
      expectSameShapeAs('block__paragraph-with-link_mention.json', (s) => find(paragraph(s), (t) => at(t, 'mention', 'type') === 'page'), mention('page'));
      expectSameShapeAs('rich_text__mention-date.json', (s) => s, mention('date'));
    });

    it('meeting notes (Notion-Version 2026-03-11)', async () => {
      const transcription = find(blocks, (b) => b.type === 'transcription');
      const res = await fetch(`${twin.url}/v1/blocks/${String(transcription.id)}`, { headers: { authorization: `Bearer ${DEFAULT_TOKEN}`, 'Notion-Version': '2026-03-11' } });
      const block: unknown = await res.json();
      expect(at(block, 'type')).toBe('meeting_notes');
      // The sample is hand-written: its title items lack annotations, and the block lacks parent/in_trash.
      expectSameShapeAs('block__meeting_notes.json', (s) => without(at(s, 'meeting_notes'), 'title'), without(at(block, 'meeting_notes'), 'title'));
      expect(at(transcription, 'transcription')).toEqual(at(block, 'meeting_notes'));
    });
  });

  it('data source with its own schema, database with two data sources, button schema entry', async () => {
    const db = twin.workspace.allDatabases().find((d) => d.dataSources.length > 1)!;
    expectSameShape('v2025-09-03_databases.retrieve.json', await get(`databases/${db.id}`));
    const second = await get(`data_sources/${db.dataSources[1].id}`);
    expectSameShape('v2025-09-03_dataSources.retrieve.json', second);
    const main = await get(`data_sources/${db.dataSources[0].id}`);
    // The 2022-06-28 sample predates the `description` of schema entries.
    expectSameShapeAs('v2022-06-28_databases.retrieve__grocery-list-schema.json', (s) => ({ ...without(at(s, 'properties', 'Button')), description: null }), at(main, 'properties', 'Action'));
  });

  it('pages.properties.retrieve (rollup of a paginated relation, rich text with a page mention)', async () => {
    const row = twin.workspace.allDatabases()[0].rowIds[0];
    // A docs example: no top-level request_id.
    const rollup = await get(`pages/${row}/properties/${encodeURIComponent('zag~')}?page_size=3`);
    expectSameShape('pages.properties.retrieve__rollup-of-relation-paginated.json', without(rollup, 'request_id'));
    const rows = twin.workspace.allDatabases()[0].rowIds;
    for (const id of rows) {
      const list = await get(`pages/${id}/properties/_Tc_`);
      const item = Array.isArray(at(list, 'results')) ? (at(list, 'results') as unknown[]).find((r) => at(r, 'rich_text', 'type') === 'mention') : undefined;
      if (item === undefined) continue;
      expectSameShapeAs('pages.properties.retrieve__rich_text-with-page-mention.json', (s) => find(at(s, 'results'), (r) => at(r, 'rich_text', 'type') === 'mention'), item);
      return;
    }
    throw new Error('no row with a mention in Notes');
  });
});
