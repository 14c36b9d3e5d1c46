import {
  APIResponseError,
  Client,
  collectAllDataSourceRows,
  collectPaginatedAPI,
  isFullBlock,
  isFullPage,
  isFullPageOrDataSource,
  LogLevel,
  UnknownHTTPResponseError,
} from '@notionhq/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signedFileUrl } from './files';
import { DEFAULT_TOKEN, generateWorkspace, startTwin, type Twin, type TwinPage } from './index';
import { pageBody } from './page-content';

const WORKSPACE = { seed: 1, pages: 30, databases: 3, rowsPerDatabase: 8, unsharedPages: 2 };

let twin: Twin;
let notion: Client;

beforeAll(async () => {
  twin = await startTwin({ port: 0, workspace: WORKSPACE });
  notion = new Client({ auth: DEFAULT_TOKEN, baseUrl: twin.url, retry: false, logLevel: LogLevel.ERROR });
});
afterAll(() => twin.close());

async function apiError(p: Promise<unknown>): Promise<APIResponseError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  if (!APIResponseError.isAPIResponseError(err)) throw new Error(`expected an APIResponseError, got ${String(err)}`);
  return err;
}

describe('notion twin over HTTP with the real SDK', () => {
  it('answers users.me with the bot user', async () => {
    const me = await notion.users.me({});
    expect(me.type).toBe('bot');
    expect(me.id).toBe(twin.workspace.botUserId);
    if (me.type === 'bot' && 'workspace_name' in me.bot) expect(me.bot.workspace_name).toBe('Twin Workspace');
    else throw new Error('bot info missing');
  });

  it('paginates search with cursors and returns every shared page and data source exactly once', async () => {
    const seen: string[] = [];
    let cursor: string | undefined;
    let calls = 0;
    do {
      const res = await notion.search({ page_size: 7, start_cursor: cursor });
      calls++;
      expect(res.results.length).toBeLessThanOrEqual(7);
      expect(res.has_more).toBe(res.next_cursor !== null);
      seen.push(...res.results.map((r) => r.id));
      cursor = res.next_cursor ?? undefined;
    } while (cursor);
    const ws = twin.workspace;
    const expected = [...ws.allPages().map((p) => p.id), ...ws.allDatabases().map((d) => d.dataSourceId)];
    expect(calls).toBe(Math.ceil(expected.length / 7));
    expect(new Set(seen).size).toBe(seen.length);
    expect(new Set(seen)).toEqual(new Set(expected));
    for (const root of ws.rootPages()) expect(seen).toContain(root.id);
    for (const hidden of ws.unsharedPages()) expect(seen).not.toContain(hidden.id);

    const dataSources = await collectPaginatedAPI(notion.search, { filter: { property: 'object', value: 'data_source' } });
    expect(dataSources.map((d) => d.id).sort()).toEqual(ws.allDatabases().map((d) => d.dataSourceId).sort());
    const byTitle = await notion.search({ query: 'block GALLERY' });
    expect(byTitle.results.map((r) => r.id)).toEqual([ws.allPages()[0].id]);
  });

  it('lists a >100-block page in order across cursors with page_size 100', async () => {
    const large = twin.workspace.allPages().find((p) => p.large);
    if (!large) throw new Error('no large page');
    const pages: string[][] = [];
    let cursor: string | undefined;
    do {
      const res = await notion.blocks.children.list({ block_id: large.id, page_size: 100, start_cursor: cursor });
      pages.push(res.results.map((b) => b.id));
      if (res.has_more) expect(res.next_cursor).toBeTypeOf('string');
      cursor = res.next_cursor ?? undefined;
    } while (cursor);
    const all = pages.flat();
    expect(all.length).toBeGreaterThan(250 - 1);
    expect(pages[0]).toHaveLength(100);
    expect(pages.length).toBe(Math.ceil(all.length / 100));
    expect(new Set(all).size).toBe(all.length);
    // Same order as one walk with another page size, and as the generated body.
    const other = await collectPaginatedAPI(notion.blocks.children.list, { block_id: large.id, page_size: 37 });
    expect(other.map((b) => b.id)).toEqual(all);
    // Notion's cursor is the id of the next block.
    const first = await notion.blocks.children.list({ block_id: large.id, page_size: 100 });
    expect(first.next_cursor).toBe(all[100]);
  });

  it('paginates data source rows', async () => {
    const db = twin.workspace.allDatabases()[1];
    const database = await notion.databases.retrieve({ database_id: db.id });
    if (!('data_sources' in database)) throw new Error('partial database');
    expect(database.data_sources.map((d) => d.id)).toEqual([db.dataSourceId]);
    const ids: string[] = [];
    let cursor: string | undefined;
    do {
      const res = await notion.dataSources.query({ data_source_id: db.dataSourceId, page_size: 3, start_cursor: cursor });
      for (const row of res.results) {
        if (!isFullPage(row)) throw new Error('partial row');
        expect(row.parent).toEqual({ type: 'data_source_id', data_source_id: db.dataSourceId, database_id: db.id });
        ids.push(row.id);
      }
      cursor = res.next_cursor ?? undefined;
    } while (cursor);
    expect(ids).toEqual(db.rowIds);
  });

  it('filters and sorts data source queries, and the SDK row helper windows past the result cap', async () => {
    const db = twin.workspace.allDatabases()[0];
    const sorted = await notion.dataSources.query({
      data_source_id: db.dataSourceId,
      sorts: [{ timestamp: 'created_time', direction: 'descending' }],
      filter: { timestamp: 'created_time', created_time: { on_or_after: twin.workspace.page(db.rowIds[3])!.createdTime } },
    });
    expect(sorted.results.map((r) => r.id)).toEqual(db.rowIds.slice(3).reverse());
    const done = await notion.dataSources.query({ data_source_id: db.dataSourceId, filter: { property: 'Done', checkbox: { equals: true } } });
    for (const row of done.results) {
      if (!isFullPage(row)) throw new Error('partial row');
      const value = row.properties.Done;
      expect(value.type === 'checkbox' && value.checkbox).toBe(true);
    }
    const bad = await apiError(notion.dataSources.query({ data_source_id: db.dataSourceId, filter: { property: 'Done', number: { equals: 1 } } }));
    expect(bad.code).toBe('validation_error');

    const capped = await startTwin({ workspace: WORKSPACE, queryResultLimit: 10 });
    try {
      const client = new Client({ auth: DEFAULT_TOKEN, baseUrl: capped.url, retry: false, logLevel: LogLevel.ERROR });
      const first = await collectPaginatedAPI(client.dataSources.query, { data_source_id: db.dataSourceId, page_size: 4 });
      expect(first).toHaveLength(10);
      const last = await client.dataSources.query({ data_source_id: db.dataSourceId, page_size: 4, start_cursor: db.rowIds[8] });
      expect(last.has_more).toBe(false);
      expect(last.request_status).toEqual({ type: 'incomplete', incomplete_reason: 'query_result_limit_reached' });
      const rows = await collectAllDataSourceRows(client, { data_source_id: db.dataSourceId });
      expect(rows.map((r) => r.id)).toEqual(db.rowIds);
    } finally {
      await capped.close();
    }
  });

  it('shows 25 relation refs with has_more in the page and pages through the rest with pages.properties.retrieve', async () => {
    const db = twin.workspace.allDatabases()[0];
    expect(db.rowIds.length).toBeGreaterThan(30);
    const row = await notion.pages.retrieve({ page_id: db.rowIds[0] });
    if (!isFullPage(row)) throw new Error('partial page');
    const related = row.properties.Related;
    if (related.type !== 'relation') throw new Error('Related is not a relation');
    expect(related.relation).toHaveLength(25);
    expect('has_more' in related && related.has_more).toBe(true);

    const ids: string[] = [];
    let cursor: string | undefined;
    let calls = 0;
    do {
      const res = await notion.pages.properties.retrieve({ page_id: row.id, property_id: related.id, page_size: 10, start_cursor: cursor });
      calls++;
      if (res.object !== 'list') throw new Error('expected a property item list');
      expect(res.property_item.type).toBe('relation');
      for (const item of res.results) if (item.type === 'relation') ids.push(item.relation.id);
      if (res.has_more) expect(res.property_item.next_url).toContain(`start_cursor=${res.next_cursor}`);
      cursor = res.next_cursor ?? undefined;
    } while (cursor);
    expect(calls).toBe(3);
    expect(ids).toEqual(db.rowIds.slice(1, 31));

    const rollup = await notion.pages.properties.retrieve({ page_id: row.id, property_id: 'zag~' });
    if (rollup.object !== 'list' || rollup.property_item.type !== 'rollup') throw new Error('expected a rollup list');
    expect(rollup.property_item.rollup).toEqual({ type: 'number', number: 30, function: 'count' });
    const status = await notion.pages.properties.retrieve({ page_id: row.id, property_id: 'sT%3Fa' });
    expect(status.object).toBe('property_item');
  });

  it('lists unshared child pages as child_page blocks but answers 404 object_not_found for them', async () => {
    const [hidden] = twin.workspace.unsharedPages();
    if (hidden.parent.type !== 'page_id') throw new Error('unshared page without page parent');
    const siblings = await collectPaginatedAPI(notion.blocks.children.list, { block_id: hidden.parent.pageId });
    const block = siblings.find((b) => b.id === hidden.id);
    expect(block && isFullBlock(block) && block.type).toBe('child_page');
    for (const call of [notion.pages.retrieve({ page_id: hidden.id }), notion.blocks.children.list({ block_id: hidden.id })]) {
      const err = await apiError(call);
      expect(err.code).toBe('object_not_found');
      expect(err.status).toBe(404);
      expect(err.message).toContain('Make sure the relevant pages and databases are shared with your integration');
    }
    expect(twin.stats().notFound).toBeGreaterThanOrEqual(2);
  });

  it('rejects a bad token with 401 unauthorized', async () => {
    const bad = new Client({ auth: 'secret_wrong', baseUrl: twin.url, retry: false, logLevel: LogLevel.ERROR });
    const err = await apiError(bad.users.me({}));
    expect(err.code).toBe('unauthorized');
    expect(err.status).toBe(401);
    expect(err.message).toBe('API token is invalid.');
  });

  it('rejects page_size 101 and a missing Notion-Version', async () => {
    const page = twin.workspace.allPages()[0];
    const err = await apiError(notion.blocks.children.list({ block_id: page.id, page_size: 101 }));
    expect(err.code).toBe('validation_error');
    expect(err.status).toBe(400);
    expect((await apiError(notion.search({ page_size: 101 }))).code).toBe('validation_error');
    expect((await apiError(notion.pages.retrieve({ page_id: 'not-a-uuid' }))).code).toBe('validation_error');
    const res = await fetch(`${twin.url}/v1/users/me`, { headers: { authorization: `Bearer ${DEFAULT_TOKEN}` } });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ object: 'error', status: 400, code: 'missing_version' });
  });

  it('rate-limits per token with 429 and an integer Retry-After', async () => {
    const limited = await startTwin({ workspace: { pages: 3, databases: 0 }, tokens: ['a', 'b'], rateLimit: { requestsPerSecond: 1, burst: 2 } });
    try {
      const get = (token: string) => fetch(`${limited.url}/v1/users/me`, { headers: { authorization: `Bearer ${token}`, 'Notion-Version': '2025-09-03' } });
      expect((await get('a')).status).toBe(200);
      expect((await get('a')).status).toBe(200);
      const refused = await get('a');
      expect(refused.status).toBe(429);
      const retryAfter = refused.headers.get('retry-after');
      expect(retryAfter).toMatch(/^\d+$/);
      expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);
      expect(await refused.json()).toMatchObject({ object: 'error', status: 429, code: 'rate_limited' });
      expect((await get('b')).status).toBe(200); // another token has its own bucket
      const sdk = new Client({ auth: 'a', baseUrl: limited.url, retry: false, logLevel: LogLevel.ERROR });
      expect((await apiError(sdk.users.me({}))).code).toBe('rate_limited');
      expect(limited.stats().rateLimited).toBe(2);
      limited.setRateLimit(null);
      expect((await get('a')).status).toBe(200);
    } finally {
      await limited.close();
    }
  });

  it('walks to every shared page exactly once from the search roots', async () => {
    const found = new Map<string, number>();
    const visit = async (blockId: string): Promise<void> => {
      for (const b of await collectPaginatedAPI(notion.blocks.children.list, { block_id: blockId })) {
        if (!isFullBlock(b)) continue;
        if (b.type === 'child_page') {
          const page = await notion.pages.retrieve({ page_id: b.id }).catch(() => null);
          if (page === null) continue;
          found.set(b.id, (found.get(b.id) ?? 0) + 1);
          await visit(b.id);
        } else if (b.type === 'child_database') {
          const database = await notion.databases.retrieve({ database_id: b.id });
          if (!('data_sources' in database)) continue;
          for (const ds of database.data_sources) {
            for (const row of await collectPaginatedAPI(notion.dataSources.query, { data_source_id: ds.id })) {
              found.set(row.id, (found.get(row.id) ?? 0) + 1);
              await visit(row.id);
            }
          }
        } else if (b.has_children) await visit(b.id);
      }
    };
    const roots = await collectPaginatedAPI(notion.search, { filter: { property: 'object', value: 'page' } });
    for (const r of roots) {
      if (isFullPageOrDataSource(r) && r.object === 'page' && r.parent.type === 'workspace') {
        found.set(r.id, 1);
        await visit(r.id);
      }
    }
    expect([...found.values()].every((n) => n === 1)).toBe(true);
    expect(new Set(found.keys())).toEqual(new Set(twin.workspace.allPages().map((p) => p.id)));
  });

  it('serves block types with nested children, synced references and hosted files', async () => {
    const gallery = twin.workspace.allPages()[0];
    const top = await collectPaginatedAPI(notion.blocks.children.list, { block_id: gallery.id });
    const types = new Set(top.filter(isFullBlock).map((b) => b.type));
    for (const t of ['paragraph', 'heading_1', 'bulleted_list_item', 'numbered_list_item', 'to_do', 'toggle', 'code', 'quote', 'callout', 'divider', 'equation', 'table', 'image', 'bookmark', 'column_list', 'synced_block', 'child_page']) {
      expect(types).toContain(t);
    }
    const table = top.find((b) => isFullBlock(b) && b.type === 'table');
    const rows = await collectPaginatedAPI(notion.blocks.children.list, { block_id: table!.id });
    expect(rows.every((r) => isFullBlock(r) && r.type === 'table_row')).toBe(true);
    const [original, reference] = top.filter((b) => isFullBlock(b) && b.type === 'synced_block');
    if (!isFullBlock(reference) || reference.type !== 'synced_block') throw new Error('no synced reference');
    expect(reference.synced_block.synced_from?.block_id).toBe(original.id);
    const viaReference = await collectPaginatedAPI(notion.blocks.children.list, { block_id: reference.id });
    const viaOriginal = await collectPaginatedAPI(notion.blocks.children.list, { block_id: original.id });
    expect(viaReference.map((b) => b.id)).toEqual(viaOriginal.map((b) => b.id));

    const hosted = top.find((b) => isFullBlock(b) && b.type === 'image' && b.image.type === 'file');
    if (!hosted || !isFullBlock(hosted) || hosted.type !== 'image' || hosted.image.type !== 'file') throw new Error('no hosted image');
    const file = await fetch(hosted.image.file.url);
    expect(file.status).toBe(200);
    expect(file.headers.get('content-type')).toBe('image/png');
    expect(Date.parse(hosted.image.file.expiry_time)).toBeGreaterThan(Date.now());
    const again = await notion.blocks.retrieve({ block_id: hosted.id });
    expect(isFullBlock(again) && again.id).toBe(hosted.id);
    const expired = signedFileUrl(twin.url, hosted.id, 'image-x.png', Date.now() - 2 * 3_600_000, 3_600_000);
    const refused = await fetch(expired.url);
    expect(refused.status).toBe(403);
    expect(await refused.text()).toContain('Request has expired');
  });

  it('injects faults: JSON 5xx, edge HTML and connection resets', async () => {
    const page = twin.workspace.allPages()[0];
    twin.injectFault({ kind: 'error', status: 503 }, { endpoint: 'pages.retrieve' });
    expect((await apiError(notion.pages.retrieve({ page_id: page.id }))).code).toBe('service_unavailable');
    expect(isFullPage(await notion.pages.retrieve({ page_id: page.id }))).toBe(true);
    twin.injectFault({ kind: 'html', status: 502 });
    const html = await notion.users.me({}).catch((e: unknown) => e);
    expect(UnknownHTTPResponseError.isUnknownHTTPResponseError(html)).toBe(true);
    twin.injectFault({ kind: 'reset' });
    await expect(notion.users.me({})).rejects.toThrow();
    expect((await notion.users.me({})).type).toBe('bot');
  });

  it('counts requests per endpoint, status and id', async () => {
    twin.resetStats();
    const page = twin.workspace.allPages()[1];
    await notion.pages.retrieve({ page_id: page.id });
    await notion.blocks.children.list({ block_id: page.id });
    await notion.users.me({});
    await apiError(notion.pages.retrieve({ page_id: '00000000-0000-0000-0000-000000000000' }));
    const stats = twin.stats();
    expect(stats.requests).toBe(4);
    expect(stats.byEndpoint).toEqual({ 'pages.retrieve': 2, 'blocks.children.list': 1, 'users.me': 1 });
    expect(stats.byStatus).toEqual({ '200': 3, '404': 1 });
    expect(stats.notFound).toBe(1);
    expect(stats.byId[page.id]).toBe(2);
    const remote = await (await fetch(`${twin.url}/__twin/stats`)).json();
    expect(remote.requests).toBe(4);
    await fetch(`${twin.url}/__twin/reset-stats`, { method: 'POST' });
    expect(twin.stats().requests).toBe(0);
  });

  it('edits bump last_edited_time and change the first text block', async () => {
    const page = twin.workspace.allPages()[2];
    const before = await notion.pages.retrieve({ page_id: page.id });
    const at = Date.UTC(2026, 0, 1, 12, 0);
    twin.workspace.editPage(page.id, at);
    const after = await notion.pages.retrieve({ page_id: page.id });
    if (!isFullPage(before) || !isFullPage(after)) throw new Error('partial page');
    expect(after.last_edited_time).toBe('2026-01-01T12:00:00.000Z');
    expect(after.last_edited_time).not.toBe(before.last_edited_time);
    const blocks = await collectPaginatedAPI(notion.blocks.children.list, { block_id: page.id });
    expect(JSON.stringify(blocks)).toContain('(edited 1)');
  });
});

describe('generated workspace', () => {
  it('is deterministic per seed', async () => {
    const a = generateWorkspace({ seed: 1, pages: 30, databases: 3, rowsPerDatabase: 8, unsharedPages: 2 });
    const b = generateWorkspace({ seed: 2, pages: 30, databases: 3, rowsPerDatabase: 8, unsharedPages: 2 });
    const identity = (p: TwinPage) => ({ id: p.id, title: p.title, parent: p.parent, kind: p.kind });
    expect(a.allPages().map(identity)).toEqual(twin.workspace.allPages().map(identity)); // (the shared twin has seen edits)
    expect(a.allDatabases()).toEqual(twin.workspace.allDatabases());
    const idsB = new Set(b.allPages().map((p) => p.id));
    expect(a.allPages().some((p) => idsB.has(p.id))).toBe(false);
    const other = await startTwin({ workspace: WORKSPACE });
    try {
      const strip = (x: object) => JSON.stringify({ ...x, request_id: undefined });
      const c2 = new Client({ auth: DEFAULT_TOKEN, baseUrl: other.url, retry: false, logLevel: LogLevel.ERROR });
      const id = a.allPages()[5].id;
      expect(strip(await c2.pages.retrieve({ page_id: id }))).toBe(strip(await notion.pages.retrieve({ page_id: id })));
      const blocksA = await collectPaginatedAPI(c2.blocks.children.list, { block_id: id });
      const blocksB = await collectPaginatedAPI(notion.blocks.children.list, { block_id: id });
      expect(blocksA.map((x) => x.id)).toEqual(blocksB.map((x) => x.id));
    } finally {
      await other.close();
    }
  });

  it('respects the structure options', () => {
    const ws = generateWorkspace({ seed: 9, pages: 200, databases: 4, rowsPerDatabase: 5, depth: 2, largePages: 3, unsharedPages: 4, manyRelationRefs: 0 });
    const pages = ws.allPages();
    expect(pages.filter((p) => p.kind === 'page')).toHaveLength(200);
    expect(pages.filter((p) => p.kind === 'row')).toHaveLength(20);
    expect(pages.filter((p) => p.large)).toHaveLength(3);
    expect(ws.unsharedPages()).toHaveLength(4);
    expect(Math.max(...pages.filter((p) => p.kind === 'page').map((p) => p.depth))).toBe(2);
    expect(new Set(pages.map((p) => p.id)).size).toBe(pages.length);
    // Every non-root page is a child_page block of its parent exactly once.
    for (const p of [...pages, ...ws.unsharedPages()]) {
      if (p.parent.type !== 'page_id') continue;
      const parentId = p.parent.pageId;
      const parent = ws.pages.find((s) => s.id === parentId)!;
      const body = pageBody(ws, parent);
      const hits = body.top.filter((i) => body.nodes[i].type === 'child_page' && ws.pages[body.nodes[i].ref].id === p.id);
      expect(hits).toHaveLength(1);
    }
    for (const id of pages.map((p) => p.id)) expect(ws.page(id.replaceAll('-', '').toUpperCase())?.id).toBe(id);
  });

  it('generates 10,000 pages quickly and compactly', () => {
    const t = performance.now();
    const ws = generateWorkspace({ pages: 10_000, databases: 10, rowsPerDatabase: 100 });
    expect(performance.now() - t).toBeLessThan(3000);
    expect(ws.summary()).toMatchObject({ pages: 10_000, rows: 1000, databases: 10 });
  });
});
