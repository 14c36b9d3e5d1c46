import {
  APIResponseError,
  type BlockObjectResponse,
  Client,
  collectAllDataSourceRows,
  collectPaginatedAPI,
  isFullBlock,
  isFullDataSource,
  isFullPage,
  isFullPageOrDataSource,
  LogLevel,
  type PageObjectResponse,
  type PropertyItemObjectResponse,
  type RichTextItemResponse,
  UnknownHTTPResponseError,
} from '@notionhq/client';
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signedFileUrl } from './files';
import { DEFAULT_TOKEN, generateWorkspace, LARGE_FILE_NAME, startTwin, type Twin, type TwinPage } from './index';
import { pageBody } from './page-content';
import { API_COLORS } from './rich-text';
import { SIBLING_TITLES } from './words';

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
    const dataSourceIds = ws.allDatabases().flatMap((d) => d.dataSources.map((ds) => ds.id));
    expect(dataSourceIds.length).toBe(ws.allDatabases().length + 1); // one database has two data sources
    const expected = [...ws.allPages().map((p) => p.id), ...dataSourceIds];
    expect(calls).toBe(Math.ceil(expected.length / 7));
    expect(new Set(seen).size).toBe(seen.length);
    expect(new Set(seen)).toEqual(new Set(expected));
    for (const root of ws.rootPages()) expect(seen).toContain(root.id);
    for (const hidden of ws.unsharedPages()) expect(seen).not.toContain(hidden.id);

    const dataSources = await collectPaginatedAPI(notion.search, { filter: { property: 'object', value: 'data_source' } });
    expect(dataSources.map((d) => d.id).sort()).toEqual([...dataSourceIds].sort());
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

  it('window limit: a fixed budget per token per window, then 429 with the seconds until the window resets and the reason', async () => {
    let now = 1_000_000; // the limits read this clock, so no assertion below depends on timing
    const limited = await startTwin({ workspace: { pages: 3, databases: 0 }, tokens: ['a', 'b'], rateLimit: { windowMs: 1000, budget: 5 }, rateLimitClock: () => now });
    try {
      const get = (token: string) => fetch(`${limited.url}/v1/users/me`, { headers: { authorization: `Bearer ${token}`, 'Notion-Version': '2025-09-03' } });
      const start = now;
      for (let i = 0; i < 5; i++) {
        expect((await get('a')).status).toBe(200);
        now += 150; // any pace: spread out here, all at once below
      }
      const refused = await get('a');
      expect(refused.status).toBe(429);
      expect(refused.headers.get('retry-after')).toBe('1');
      expect(await refused.json()).toMatchObject({ object: 'error', status: 429, code: 'rate_limited', additional_data: { rate_limit_reason: 'connection_limit' } });
      expect((await get('b')).status).toBe(200); // budgets are per token
      now = start + 999;
      expect((await get('a')).status).toBe(429);
      now = start + 1000; // the window opened by the first request has closed
      for (let i = 0; i < 5; i++) expect((await get('a')).status).toBe(200);
      const sdk = new Client({ auth: 'a', baseUrl: limited.url, retry: false, logLevel: LogLevel.ERROR });
      const err = await apiError(sdk.users.me({}));
      expect(err.code).toBe('rate_limited');
      expect(err.additional_data).toEqual({ rate_limit_reason: 'connection_limit' });
      expect(limited.stats().rateLimited).toBe(3);

      // Retry-After counts whole seconds up to the end of the window: ≤ 60 for a minute's window.
      limited.setRateLimit({ windowMs: 60_000, budget: 1 });
      const opened = now;
      expect((await get('a')).status).toBe(200);
      now = opened + 100;
      expect((await get('a')).headers.get('retry-after')).toBe('60');
      now = opened + 59_050;
      expect((await get('a')).headers.get('retry-after')).toBe('1');

      // Switching back to the token bucket at run time.
      limited.setRateLimit({ requestsPerSecond: 1, burst: 1 });
      expect((await get('a')).status).toBe(200);
      expect((await get('a')).status).toBe(429);
    } finally {
      await limited.close();
    }
  });

  it('workspace limit: one window shared by all tokens, with Retry-After beyond a minute', async () => {
    let now = 5_000_000;
    const limited = await startTwin({
      workspace: { pages: 3, databases: 0 },
      tokens: ['a', 'b'],
      rateLimit: { windowMs: 60_000, budget: 2 },
      workspaceRateLimit: { windowMs: 120_000, budget: 3 },
      rateLimitClock: () => now,
    });
    try {
      const get = (token: string) => fetch(`${limited.url}/v1/users/me`, { headers: { authorization: `Bearer ${token}`, 'Notion-Version': '2025-09-03' } });
      const reason = async (res: Response) => ((await res.json()) as { additional_data?: { rate_limit_reason?: string } }).additional_data?.rate_limit_reason;
      const start = now;
      expect((await get('a')).status).toBe(200);
      expect((await get('a')).status).toBe(200);
      const byToken = await get('a'); // refused by its token's budget, so it spends nothing of the workspace's
      expect([byToken.status, byToken.headers.get('retry-after'), await reason(byToken)]).toEqual([429, '60', 'connection_limit']);
      expect((await get('b')).status).toBe(200); // the workspace's third request
      const byWorkspace = await get('b'); // b is within its own budget
      expect([byWorkspace.status, byWorkspace.headers.get('retry-after'), await reason(byWorkspace)]).toEqual([429, '120', 'workspace_limit']);
      const both = await get('a'); // both limits refuse: the answer names the longer wait
      expect([both.status, both.headers.get('retry-after'), await reason(both)]).toEqual([429, '120', 'workspace_limit']);
      now = start + 60_000; // a's window has reset, the workspace's has not
      const stillWorkspace = await get('a');
      expect([stillWorkspace.status, stillWorkspace.headers.get('retry-after'), await reason(stillWorkspace)]).toEqual([429, '60', 'workspace_limit']);
      now = start + 120_000;
      expect((await get('a')).status).toBe(200);
      expect(limited.stats().rateLimited).toBe(4);

      // The control API changes both at run time.
      const control = (path: string, body: unknown) => fetch(`${limited.url}/__twin/${path}`, { method: 'POST', body: JSON.stringify(body) });
      expect((await control('workspace-rate-limit', null)).status).toBe(200);
      expect((await control('rate-limit', { windowMs: 60_000, budget: 1 })).status).toBe(200);
      expect((await get('b')).status).toBe(200);
      expect((await get('b')).status).toBe(429);
      expect((await control('workspace-rate-limit', { windowMs: 60_000, budget: 1 })).status).toBe(200);
      expect((await control('rate-limit', null)).status).toBe(200);
      expect((await get('b')).status).toBe(200);
      expect(await reason(await get('a'))).toBe('workspace_limit');
      expect((await control('rate-limit', { windowMs: 0, budget: 1 })).status).toBe(400);
      expect((await control('workspace-rate-limit', { windowMs: 1000, budget: 0.5 })).status).toBe(400);
      expect((await control('workspace-rate-limit', { requestsPerSecond: 3 })).status).toBe(400);
    } finally {
      await limited.close();
    }
  });

  it('window limit on the real clock: after a 429, waiting one window lets requests through again', async () => {
    const windowMs = 300;
    const limited = await startTwin({ workspace: { pages: 3, databases: 0 }, tokens: ['a'], rateLimit: { windowMs, budget: 1 } });
    try {
      const get = () => fetch(`${limited.url}/v1/users/me`, { headers: { authorization: 'Bearer a', 'Notion-Version': '2025-09-03' } });
      // One request per window: the second normally lands in the first's window, but a slow machine may
      // need a few tries. Whatever the timing, a 429 means the window closes within windowMs from now.
      let refused: Response | null = null;
      for (let i = 0; i < 10 && !refused; i++) {
        const res = await get();
        if (res.status === 429) refused = res;
        else expect(res.status).toBe(200);
      }
      expect(refused?.headers.get('retry-after')).toBe('1');
      await new Promise((resolve) => setTimeout(resolve, windowMs + 50));
      expect((await get()).status).toBe(200);
    } finally {
      await limited.close();
    }
  });

  it('walks to every shared page exactly once from the search roots, and every hosted file is listed by allAttachments', async () => {
    const found = new Map<string, number>();
    const refused: string[] = [];
    const hosted = new Map<string, string>(); // "<owner hex>/<name>" → a URL seen
    const collect = (response: object) => {
      for (const m of JSON.stringify(response).matchAll(/"(http:\/\/[^"]+\/files\/([0-9a-f]{32})\/([^?"]+)\?[^"]+)"/g)) {
        hosted.set(`${m[2]}/${decodeURIComponent(m[3])}`, m[1]);
      }
    };
    const visit = async (blockId: string): Promise<void> => {
      for (const b of await collectPaginatedAPI(notion.blocks.children.list, { block_id: blockId })) {
        if (!isFullBlock(b)) continue;
        collect(b);
        if (b.type === 'child_page') {
          const page = await notion.pages.retrieve({ page_id: b.id }).catch(() => null);
          if (page === null) continue;
          collect(page);
          found.set(b.id, (found.get(b.id) ?? 0) + 1);
          await visit(b.id);
        } else if (b.type === 'child_database') {
          const database = await notion.databases.retrieve({ database_id: b.id }).catch((e: unknown) => {
            if (APIResponseError.isAPIResponseError(e) && e.code === 'validation_error') refused.push(b.id);
            return null;
          });
          if (database === null || !('data_sources' in database)) continue;
          collect(database);
          for (const ds of database.data_sources) {
            for (const row of await collectPaginatedAPI(notion.dataSources.query, { data_source_id: ds.id })) {
              collect(row);
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
        collect(r);
        found.set(r.id, 1);
        await visit(r.id);
      }
    }
    const ws = twin.workspace;
    expect([...found.values()].every((n) => n === 1)).toBe(true);
    expect(new Set(found.keys())).toEqual(new Set(ws.allPages().map((p) => p.id)));
    expect(refused).toEqual(ws.linkedDatabases().map((l) => l.id));

    const attachments = ws.allAttachments().filter((a) => a.kind === 'file');
    expect(new Set(hosted.keys())).toEqual(new Set(attachments.map((a) => `${a.ownerId.replaceAll('-', '')}/${a.name}`)));
    for (const a of attachments) {
      const url = hosted.get(`${a.ownerId.replaceAll('-', '')}/${a.name}`)!;
      const res = await fetch(url);
      expect(res.status, url).toBe(200);
      const body = Buffer.from(await res.arrayBuffer());
      expect({ name: a.name, bytes: body.length, sha256: createHash('sha256').update(body).digest('hex') }).toEqual({ name: a.name, bytes: a.bytes, sha256: a.sha256 });
    }
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
    twin.injectFault({ kind: 'error', status: 529, retryAfterSeconds: 7 });
    const overload = await apiError(notion.users.me({}));
    const overloadRetryAfter = overload.headers instanceof Headers ? overload.headers.get('retry-after') : null; // typed unknown by the SDK
    expect([overload.status, overload.code, overloadRetryAfter]).toEqual([529, 'service_overload', '7']);
    twin.injectFault({ kind: 'html', status: 502 });
    const html = await notion.users.me({}).catch((e: unknown) => e);
    expect(UnknownHTTPResponseError.isUnknownHTTPResponseError(html)).toBe(true);
    twin.injectFault({ kind: 'reset' });
    await expect(notion.users.me({})).rejects.toThrow();
    expect((await notion.users.me({})).type).toBe('bot');
  });

  it('gives injected errors the code and message Notion sends with their status, and refuses unknown codes', async () => {
    const page = twin.workspace.allPages()[0];
    twin.injectFault({ kind: 'error', status: 429, retryAfterSeconds: 2 }, { endpoint: 'pages.retrieve', times: 2 });
    for (let i = 0; i < 2; i++) {
      const limited = await apiError(notion.pages.retrieve({ page_id: page.id }));
      const retryAfter = limited.headers instanceof Headers ? limited.headers.get('retry-after') : null; // typed unknown by the SDK
      expect([limited.status, limited.code, limited.message, retryAfter]).toEqual([429, 'rate_limited', 'You have been rate limited. Please try again in a few minutes.', '2']);
    }
    expect(isFullPage(await notion.pages.retrieve({ page_id: page.id }))).toBe(true);
    twin.injectFault({ kind: 'error', status: 404 });
    expect((await apiError(notion.users.me({}))).code).toBe('object_not_found');
    twin.injectFault({ kind: 'error', status: 400, code: 'restricted_resource' });
    expect(await apiError(notion.users.me({}))).toMatchObject({ status: 400, code: 'restricted_resource', message: 'Insufficient permissions for this endpoint.' });

    const refused = await fetch(`${twin.url}/__twin/faults`, { method: 'POST', body: JSON.stringify({ fault: { kind: 'error', status: 500, code: 'teapot' } }) });
    expect(refused.status).toBe(400);
    expect((await refused.json()).error).toMatch(/^unknown error code "teapot"/);
    const accepted = await fetch(`${twin.url}/__twin/faults`, { method: 'POST', body: JSON.stringify({ fault: { kind: 'error', status: 409, code: 'conflict_error' }, endpoint: 'users.me' }) });
    expect(accepted.status).toBe(200);
    expect((await apiError(notion.users.me({}))).code).toBe('conflict_error');
  });

  it('logs API requests with their Notion-Version, body and status when asked to', async () => {
    expect(twin.requests()).toEqual([]); // not recorded by default
    const recording = await startTwin({ workspace: { pages: 3, databases: 0 }, recordRequests: true });
    try {
      const client = new Client({ auth: DEFAULT_TOKEN, baseUrl: recording.url, retry: false, logLevel: LogLevel.ERROR });
      await client.search({ page_size: 2 });
      recording.injectFault({ kind: 'reset' });
      await expect(client.users.me({})).rejects.toThrow();
      await fetch(`${recording.url}/v1/users/me`, { headers: { authorization: `Bearer ${DEFAULT_TOKEN}` } });
      const expected = [
        { method: 'POST', path: '/v1/search', endpoint: 'search', notionVersion: '2025-09-03', body: { page_size: 2 }, status: 200 },
        { method: 'GET', path: '/v1/users/me', endpoint: 'users.me', notionVersion: '2025-09-03', body: null, status: null },
        { method: 'GET', path: '/v1/users/me', endpoint: 'users.me', notionVersion: null, body: null, status: 400 },
      ];
      expect(recording.requests()).toEqual(expected);
      expect(await (await fetch(`${recording.url}/__twin/requests`)).json()).toEqual(expected);
      recording.resetStats();
      expect(recording.requests()).toEqual([]);
    } finally {
      await recording.close();
    }
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
    expect(pages.filter((p) => p.kind === 'row')).toHaveLength(4 * 5 + 5); // the last database has a second data source
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
    expect(ws.summary()).toMatchObject({ pages: 10_000, rows: 10 * 100 + 100, databases: 10, dataSources: 11 });
  });
});

// ---- hard cases ---------------------------------------------------------------------------------

type PropertyValue = PageObjectResponse['properties'][string];
type MentionType = Extract<RichTextItemResponse, { type: 'mention' }>['mention']['type'];

/** Every block type of SDK 5.26's `BlockObjectResponse` (the Record makes the list exhaustive). */
const BLOCK_TYPES: Record<BlockObjectResponse['type'], true> = {
  paragraph: true, heading_1: true, heading_2: true, heading_3: true, heading_4: true, bulleted_list_item: true,
  numbered_list_item: true, quote: true, to_do: true, toggle: true, template: true, synced_block: true,
  child_page: true, child_database: true, equation: true, code: true, callout: true, divider: true, breadcrumb: true,
  table_of_contents: true, tab: true, column_list: true, column: true, link_to_page: true, table: true, table_row: true,
  meeting_notes: true, transcription: true, embed: true, bookmark: true, image: true, video: true, pdf: true, file: true,
  audio: true, link_preview: true, unsupported: true,
};
/** Every page property value type of SDK 5.26. */
const PROPERTY_TYPES: Record<PropertyValue['type'], true> = {
  title: true, rich_text: true, number: true, select: true, multi_select: true, status: true, date: true, people: true,
  files: true, checkbox: true, url: true, email: true, phone_number: true, formula: true, relation: true, rollup: true,
  created_time: true, created_by: true, last_edited_time: true, last_edited_by: true, unique_id: true,
  verification: true, button: true, place: true,
};
const MENTION_TYPES: Record<MentionType, true> = {
  user: true, date: true, link_preview: true, link_mention: true, page: true, database: true, template_mention: true, custom_emoji: true,
};

/** Every block below `blockId`, depth first (child pages and databases are not entered). */
async function walkBlocks(client: Client, blockId: string): Promise<BlockObjectResponse[]> {
  const out: BlockObjectResponse[] = [];
  for (const b of await collectPaginatedAPI(client.blocks.children.list, { block_id: blockId })) {
    if (!isFullBlock(b)) continue;
    out.push(b);
    if (b.has_children && b.type !== 'child_page' && b.type !== 'child_database') out.push(...(await walkBlocks(client, b.id)));
  }
  return out;
}

function isRichText(x: unknown): x is RichTextItemResponse {
  return typeof x === 'object' && x !== null && 'plain_text' in x && 'annotations' in x && 'type' in x;
}

/** Every rich text item anywhere inside `value`. */
function richTexts(value: unknown, out: RichTextItemResponse[] = []): RichTextItemResponse[] {
  if (isRichText(value)) out.push(value);
  else if (Array.isArray(value)) for (const v of value) richTexts(v, out);
  else if (typeof value === 'object' && value !== null) for (const v of Object.values(value)) richTexts(v, out);
  return out;
}

/** Every item of a paginated page property (`pages.properties.retrieve`), following cursors. */
async function propertyItems(client: Client, pageId: string, propertyId: string, pageSize = 100): Promise<PropertyItemObjectResponse[]> {
  const out: PropertyItemObjectResponse[] = [];
  let cursor: string | undefined;
  do {
    const res = await client.pages.properties.retrieve({ page_id: pageId, property_id: propertyId, page_size: pageSize, start_cursor: cursor });
    if (res.object !== 'list') throw new Error(`${propertyId} is not paginated`);
    out.push(...res.results);
    cursor = res.next_cursor ?? undefined;
  } while (cursor);
  return out;
}

async function rowsOf(client: Client, dataSourceId: string): Promise<PageObjectResponse[]> {
  return (await collectPaginatedAPI(client.dataSources.query, { data_source_id: dataSourceId })).filter((r): r is PageObjectResponse => r.object === 'page' && isFullPage(r));
}

describe('hard cases an exporter must survive', () => {
  let gallery: BlockObjectResponse[];
  beforeAll(async () => {
    gallery = await walkBlocks(notion, twin.workspace.allPages()[0].id);
  });
  const ofType = <T extends BlockObjectResponse['type']>(type: T) => gallery.filter((b): b is Extract<BlockObjectResponse, { type: T }> => b.type === type);

  it('the gallery holds every block type of the SDK union (meeting_notes under Notion-Version 2026-03-11)', async () => {
    const seen = new Set(gallery.map((b) => b.type));
    const missing = Object.keys(BLOCK_TYPES).filter((t) => !seen.has(t as BlockObjectResponse['type']));
    expect(missing).toEqual(['meeting_notes']);
    const [transcription] = ofType('transcription');
    expect(transcription.has_children).toBe(true);
    const parts = transcription.transcription.children;
    const children = await collectPaginatedAPI(notion.blocks.children.list, { block_id: transcription.id });
    expect(children.map((c) => c.id)).toEqual([parts?.summary_block_id, parts?.notes_block_id, parts?.transcript_block_id]);
    const newer = new Client({ auth: DEFAULT_TOKEN, baseUrl: twin.url, retry: false, logLevel: LogLevel.ERROR, notionVersion: '2026-03-11' });
    const renamed = await newer.blocks.retrieve({ block_id: transcription.id });
    expect(isFullBlock(renamed) && renamed.type === 'meeting_notes' && renamed.meeting_notes.status).toBe('notes_ready');
  });

  it('has toggleable headings, list formats, to-dos, code languages, tabs, templates and links of every kind', () => {
    for (const h of [...ofType('heading_1'), ...ofType('heading_2'), ...ofType('heading_3'), ...ofType('heading_4')]) {
      const payload = h.type === 'heading_1' ? h.heading_1 : h.type === 'heading_2' ? h.heading_2 : h.type === 'heading_3' ? h.heading_3 : h.heading_4;
      expect(payload.is_toggleable).toBe(h.has_children);
    }
    expect(new Set(ofType('heading_4').map((h) => h.heading_4.is_toggleable))).toEqual(new Set([true, false]));
    expect(ofType('numbered_list_item').map((b) => b.numbered_list_item.list_format).filter(Boolean)).toEqual(['roman', 'letters']);
    expect(ofType('numbered_list_item').some((b) => b.numbered_list_item.list_start_index === 5)).toBe(true);
    expect(new Set(ofType('to_do').map((b) => b.to_do.checked))).toEqual(new Set([true, false]));
    const languages = new Set(ofType('code').map((b) => b.code.language));
    for (const l of ['typescript', 'python', 'markdown', 'c++', 'plain text']) expect(languages).toContain(l);
    expect(ofType('code').some((b) => b.code.rich_text.length > 1 && b.code.rich_text.every((t) => t.plain_text.length <= 2000))).toBe(true);
    expect(ofType('code').some((b) => b.code.rich_text[0]?.plain_text.includes('```'))).toBe(true);
    const tabItems = gallery.filter((b) => b.parent.type === 'block_id' && ofType('tab').some((t) => t.id === (b.parent.type === 'block_id' ? b.parent.block_id : '')));
    expect(tabItems.length).toBe(2);
    expect(tabItems.every((b) => b.type === 'paragraph' && b.paragraph.icon !== null && b.has_children)).toBe(true);
    expect(ofType('template')[0].has_children).toBe(true);
    expect(new Set(ofType('link_to_page').map((b) => b.link_to_page.type))).toEqual(new Set(['page_id', 'database_id', 'comment_id']));
    const ws = twin.workspace;
    const unshared = ws.unsharedPages().map((p) => p.id);
    expect(ofType('link_to_page').some((b) => b.link_to_page.type === 'page_id' && unshared.includes(b.link_to_page.page_id))).toBe(true);
    expect(new Set(ofType('callout').map((b) => b.callout.icon?.type ?? null))).toEqual(new Set(['emoji', 'external', 'file', 'custom_emoji', 'icon', null]));
    expect(ofType('unsupported')[0].unsupported.block_type).toBe('form');
  });

  it('has hosted and external media of every kind, one of about 1 MB', () => {
    for (const type of ['image', 'video', 'audio', 'pdf', 'file'] as const) {
      const sources = new Set(
        gallery.flatMap((b) => (b.type === type ? [b.type === 'image' ? b.image.type : b.type === 'video' ? b.video.type : b.type === 'audio' ? b.audio.type : b.type === 'pdf' ? b.pdf.type : b.type === 'file' ? b.file.type : '']: [])),
      );
      expect(sources, type).toEqual(new Set(['file', 'external']));
    }
    const attachments = twin.workspace.allAttachments();
    const big = attachments.filter((a) => a.bytes > 64 * 1024);
    expect(big.map((a) => [a.name, a.bytes])).toEqual([[LARGE_FILE_NAME, 1_048_576]]);
    expect(attachments.filter((a) => a.kind === 'file' && a !== big[0]).every((a) => a.bytes > 0 && a.bytes < 8 * 1024)).toBe(true);
    expect(new Set(attachments.map((a) => a.where))).toEqual(
      new Set(['image', 'video', 'audio', 'pdf', 'file', 'callout_icon', 'page_icon', 'page_cover', 'database_icon', 'database_cover', 'property']),
    );
    expect(attachments.some((a) => a.kind === 'file' && a.name.includes('#') && a.name.includes('?'))).toBe(true);
    const external = attachments.filter((a) => a.kind === 'external');
    expect(external.length).toBeGreaterThan(0);
    expect(external.every((a) => a.url?.startsWith('https://') && a.sha256 === '' && a.bytes === 0)).toBe(true);
  });

  it('synced references list their original’s children, also when the original lives on another page', async () => {
    const references = ofType('synced_block').filter((b) => b.synced_block.synced_from !== null);
    expect(references).toHaveLength(2);
    const ws = twin.workspace;
    const galleryBlockIds = new Set(gallery.map((b) => b.id));
    const remote = references.find((r) => !galleryBlockIds.has(r.synced_block.synced_from!.block_id))!;
    const originalId = remote.synced_block.synced_from!.block_id;
    const original = await notion.blocks.retrieve({ block_id: originalId });
    expect(isFullBlock(original) && original.type === 'synced_block' && original.synced_block.synced_from).toBeNull();
    expect(isFullBlock(original) && original.parent).toEqual({ type: 'page_id', page_id: ws.allPages()[1].id });
    const viaReference = await collectPaginatedAPI(notion.blocks.children.list, { block_id: remote.id });
    const viaOriginal = await collectPaginatedAPI(notion.blocks.children.list, { block_id: originalId });
    expect(viaReference.map((b) => b.id)).toEqual(viaOriginal.map((b) => b.id));
    expect(viaReference.every((b) => isFullBlock(b) && b.parent.type === 'block_id' && b.parent.block_id === originalId)).toBe(true);
  });

  it('rich text has every annotation, every colour, links, inline equations and every mention kind', () => {
    const items = richTexts(gallery);
    for (const flag of ['bold', 'italic', 'strikethrough', 'underline', 'code'] as const) expect(items.some((t) => t.annotations[flag]), flag).toBe(true);
    expect(new Set(items.map((t) => t.annotations.color))).toEqual(new Set(API_COLORS));
    expect(items.some((t) => t.type === 'text' && t.text.link?.url.startsWith('/'))).toBe(true);
    expect(items.some((t) => t.type === 'equation')).toBe(true);
    const mentions = items.flatMap((t) => (t.type === 'mention' ? [t.mention] : []));
    expect(new Set(mentions.map((m) => m.type))).toEqual(new Set(Object.keys(MENTION_TYPES)));
    const dates = mentions.flatMap((m) => (m.type === 'date' ? [m.date] : []));
    expect(dates.some((d) => d.end !== null && d.time_zone !== null)).toBe(true);
    const templates = mentions.flatMap((m) => (m.type === 'template_mention' ? [m.template_mention.type] : []));
    expect(new Set(templates)).toEqual(new Set(['template_mention_date', 'template_mention_user']));
    expect(mentions.some((m) => m.type === 'user' && 'name' in m.user)).toBe(true);
    expect(gallery.some((b) => b.type === 'paragraph' && b.paragraph.rich_text.length === 0)).toBe(true);
  });

  it('a linked database is a child_database block that databases.retrieve refuses, as Notion does', async () => {
    const ws = twin.workspace;
    const [linked] = ws.linkedDatabases();
    expect(ws.allDatabases().map((d) => d.id)).not.toContain(linked.id);
    const block = ofType('child_database').find((b) => b.id === linked.id);
    expect(block?.child_database.title).toBe('Untitled');
    expect(linked.parentPageId).toBe(ws.allPages()[0].id);
    const err = await apiError(notion.databases.retrieve({ database_id: linked.id }));
    expect([err.status, err.code]).toEqual([400, 'validation_error']);
    expect(err.message).toBe(`Database with ID ${linked.id} does not contain any data sources accessible by this API bot.`);
    const again = await notion.blocks.retrieve({ block_id: linked.id });
    expect(isFullBlock(again) && again.type).toBe('child_database');
    for (const [mode, expected] of [
      ['linked_database', { status: 400, code: 'validation_error', message: /is a linked database\. Database retrievals do not support linked databases\.$/ }],
      ['not_found', { status: 404, code: 'object_not_found', message: /^Could not find database with ID/ }],
    ] as const) {
      const other = await startTwin({ workspace: { seed: 1, pages: 3, databases: 1, rowsPerDatabase: 1 }, linkedDatabaseError: mode });
      try {
        const client = new Client({ auth: DEFAULT_TOKEN, baseUrl: other.url, retry: false, logLevel: LogLevel.ERROR });
        const e = await apiError(client.databases.retrieve({ database_id: other.workspace.linkedDatabases()[0].id }));
        expect({ status: e.status, code: e.code }).toEqual({ status: expected.status, code: expected.code });
        expect(e.message).toMatch(expected.message);
      } finally {
        await other.close();
      }
    }
  });

  it('one database has two data sources, each with its own schema and rows', async () => {
    const ws = twin.workspace;
    const databases = ws.allDatabases();
    expect(databases).toHaveLength(WORKSPACE.databases);
    const multi = databases.filter((d) => d.dataSources.length > 1);
    expect(multi).toHaveLength(1);
    const [db] = multi;
    expect(db.dataSourceId).toBe(db.dataSources[0].id);
    expect(db.rowIds).toEqual(db.dataSources.flatMap((ds) => ds.rowIds));
    const database = await notion.databases.retrieve({ database_id: db.id });
    if (!('data_sources' in database)) throw new Error('partial database');
    expect(database.data_sources).toEqual(db.dataSources.map((ds) => ({ id: ds.id, name: ds.name })));
    const [main, second] = await Promise.all(db.dataSources.map((ds) => notion.dataSources.retrieve({ data_source_id: ds.id })));
    if (!isFullDataSource(main) || !isFullDataSource(second)) throw new Error('partial data source');
    expect(Object.keys(main.properties)).toContain('Related');
    expect(Object.keys(second.properties)).toEqual(['Name', 'When', 'Project', 'Lead', 'Progress', 'Shipped', 'Stage', 'Code', 'Created']);
    expect(second.parent).toEqual({ type: 'database_id', database_id: db.id });
    const project = second.properties.Project;
    expect(project.type === 'relation' && project.relation.data_source_id).toBe(db.dataSources[0].id);
    for (const ds of db.dataSources) {
      const rows = await rowsOf(notion, ds.id);
      expect(rows.map((r) => r.id)).toEqual(ds.rowIds);
      for (const row of rows) expect(row.parent).toEqual({ type: 'data_source_id', data_source_id: ds.id, database_id: db.id });
    }
    const shipped = await rowsOf(notion, db.dataSources[1].id);
    const filtered = await notion.dataSources.query({ data_source_id: db.dataSources[1].id, filter: { property: 'Shipped', checkbox: { equals: true } } });
    expect(filtered.results.map((r) => r.id)).toEqual(shipped.filter((r) => r.properties.Shipped.type === 'checkbox' && r.properties.Shipped.checkbox).map((r) => r.id));
    expect((await apiError(notion.dataSources.query({ data_source_id: db.dataSources[1].id, filter: { property: 'Done', checkbox: { equals: true } } }))).code).toBe('validation_error');
    expect(ws.database(db.dataSources[1].id)?.id).toBe(db.id);
  });

  it('rows hold every property type, formula and rollup result type, number format, and date ranges with time zones', async () => {
    const ws = twin.workspace;
    const values: PropertyValue[] = [];
    const schemaTypes = new Set<string>();
    const formats = new Set<string>();
    for (const db of ws.allDatabases()) {
      for (const ds of db.dataSources) {
        const source = await notion.dataSources.retrieve({ data_source_id: ds.id });
        if (!isFullDataSource(source)) throw new Error('partial data source');
        for (const p of Object.values(source.properties)) {
          schemaTypes.add(p.type);
          if (p.type === 'number') formats.add(p.number.format);
        }
        for (const row of await rowsOf(notion, ds.id)) values.push(...Object.values(row.properties));
      }
    }
    expect(new Set(values.map((v) => v.type))).toEqual(new Set(Object.keys(PROPERTY_TYPES)));
    for (const t of ['button', 'verification', 'place']) expect(schemaTypes).toContain(t);
    expect(formats).toEqual(new Set(['number', 'dollar', 'percent', 'euro']));
    expect(new Set(values.flatMap((v) => (v.type === 'formula' ? [v.formula.type] : [])))).toEqual(new Set(['string', 'number', 'boolean', 'date']));
    expect(new Set(values.flatMap((v) => (v.type === 'rollup' ? [v.rollup.type] : [])))).toEqual(new Set(['number', 'date', 'array']));
    const dates = values.flatMap((v) => (v.type === 'date' && v.date ? [v.date] : []));
    expect(dates.some((d) => d.end !== null && d.time_zone === null)).toBe(true);
    expect(dates.some((d) => d.time_zone !== null)).toBe(true);
    expect(new Set(values.flatMap((v) => (v.type === 'files' ? v.files.map((f) => f.type) : [])))).toEqual(new Set(['file', 'external']));
    expect(new Set(values.flatMap((v) => (v.type === 'verification' && v.verification ? [v.verification.state] : [])))).toEqual(new Set(['verified', 'expired', 'unverified']));
    expect(values.some((v) => v.type === 'place' && v.place !== null) && values.some((v) => v.type === 'place' && v.place === null)).toBe(true);
    expect(values.every((v) => v.type !== 'unique_id' || (v.unique_id.prefix !== null && v.unique_id.number !== null))).toBe(true);
    // One database relates to itself, the others to another one.
    const db0 = ws.allDatabases()[0];
    for (const db of ws.allDatabases()) {
      const rows = await rowsOf(notion, db.dataSourceId);
      const targets = rows.flatMap((r) => (r.properties.Related.type === 'relation' ? r.properties.Related.relation.map((x) => x.id) : []));
      expect(targets.length, db.title).toBeGreaterThan(0);
      expect(targets.every((id) => db0.rowIds.includes(id))).toBe(true);
    }
    // Property items of the newer types.
    const row = db0.rowIds[0];
    for (const [id, type] of [['vF%3Ad', 'verification'], ['pL%3Ac', 'place'], ['bT%3An', 'button'], ['oV%3Ad', 'formula'], ['nR%3Av', 'formula']] as const) {
      const item = await notion.pages.properties.retrieve({ page_id: row, property_id: id });
      expect(item.object === 'property_item' && item.type).toBe(type);
    }
    for (const [id, type] of [['lR%3Ad', 'date'], ['rN%3Am', 'array']] as const) {
      expect(await propertyItems(notion, row, id, 7)).toHaveLength(30);
      const last = await notion.pages.properties.retrieve({ page_id: row, property_id: id, page_size: 100 });
      expect(last.object === 'list' && last.property_item.type === 'rollup' && last.property_item.rollup.type).toBe(type);
    }
  });

  it('shows 25 people and mentions in page objects and the rest only through pages.properties.retrieve', async () => {
    const ws = twin.workspace;
    const crowded = ws.allDatabases()[0].rowIds[1];
    const page = await notion.pages.retrieve({ page_id: crowded });
    if (!isFullPage(page)) throw new Error('partial page');
    const countMentions = (items: RichTextItemResponse[]) => items.filter((t) => t.type === 'mention').length;
    const { Owner, Notes, Name } = page.properties;
    expect(Owner.type === 'people' && Owner.people.length).toBe(25);
    expect(Notes.type === 'rich_text' && countMentions(Notes.rich_text)).toBe(25);
    expect(Name.type === 'title' && countMentions(Name.title)).toBe(25);

    const people = await propertyItems(notion, crowded, 'Iowm', 10);
    expect(people).toHaveLength(30);
    expect(new Set(people.map((p) => (p.type === 'people' ? p.people.id : ''))).size).toBe(30);
    const notes = await propertyItems(notion, crowded, '_Tc_', 25);
    expect(countMentions(notes.flatMap((n) => (n.type === 'rich_text' ? [n.rich_text] : [])))).toBe(30);
    const title = await propertyItems(notion, crowded, 'title');
    const full = title.flatMap((t) => (t.type === 'title' ? [t.title] : []));
    expect(countMentions(full)).toBe(30);
    expect(full.map((t) => t.plain_text).join('')).toBe(ws.page(crowded)?.title);
  });

  it('pages and databases have emoji, external, hosted, custom emoji and native icons, and covers', async () => {
    const ws = twin.workspace;
    const pages = await Promise.all(ws.allPages().slice(1, 5).map((p) => notion.pages.retrieve({ page_id: p.id })));
    const full = pages.filter(isFullPage);
    expect(full.map((p) => p.icon?.type)).toEqual(['external', 'file', 'custom_emoji', 'icon']);
    expect(full.slice(0, 2).map((p) => p.cover?.type)).toEqual(['file', 'external']);
    const [db0, db1] = await Promise.all(ws.allDatabases().slice(0, 2).map((d) => notion.databases.retrieve({ database_id: d.id })));
    if (!('icon' in db0) || !('icon' in db1)) throw new Error('partial database');
    expect([db0.icon?.type, db0.cover?.type, db1.icon?.type, db1.cover?.type]).toEqual(['file', 'file', 'external', 'external']);
    const emojis = await notion.customEmojis.list({});
    expect(emojis.results.map((e) => e.name)).toEqual(['party-parrot', 'shipit', 'this-is-fine']);
    expect((await notion.customEmojis.list({ name: 'shipit' })).results).toHaveLength(1);
    const custom = full[2].icon;
    if (custom?.type !== 'custom_emoji') throw new Error('no custom emoji icon');
    const image = await fetch(custom.custom_emoji.url);
    expect([image.status, image.headers.get('content-type')]).toEqual([200, 'image/png']);
  });

  it('gives the gallery sibling pages with titles that break naive file naming', async () => {
    const ws = twin.workspace;
    const children = ofType('child_page');
    const titles = children.map((c) => c.child_page.title);
    for (const t of SIBLING_TITLES) expect(titles.filter((x) => x === t).length, JSON.stringify(t)).toBeGreaterThanOrEqual(SIBLING_TITLES.filter((x) => x === t).length);
    expect(titles.filter((t) => t === 'Meeting notes')).toHaveLength(2);
    expect(titles).toContain('MEETING NOTES');
    expect(titles.filter((t) => t.normalize('NFC') === 'Caf\u00e9')).toHaveLength(2);
    expect(titles.filter((t) => t === '')).toHaveLength(2);
    expect(titles.some((t) => t.length === 300 && Buffer.byteLength(t) === 300)).toBe(true);
    expect(titles.some((t) => t.length === 300 && Buffer.byteLength(t) > 255)).toBe(true);
    for (const ch of ['/', '\\', ':', '*', '?', '"', '<', '>', '|']) expect(titles.some((t) => t.includes(ch)), ch).toBe(true);
    for (const t of ['CON', 'nul', '.', '..', 'Trailing dots...', 'Trailing space ']) expect(titles).toContain(t);
    const empty = children.find((c) => c.child_page.title === '')!;
    const page = await notion.pages.retrieve({ page_id: empty.id });
    expect(isFullPage(page) && page.properties.title).toMatchObject({ type: 'title', title: [] });
    expect(new Set(children.map((c) => c.id)).size).toBe(children.length);
    expect(ws.page(empty.id)?.parent).toEqual({ type: 'page_id', pageId: ws.allPages()[0].id });
  });

  it('hosted file URLs expire (403 AccessDenied XML) and re-reading the block gives a fresh one', async () => {
    // The file clock stands still, so a URL with whole seconds in it stays valid however slow the machine is.
    const now = Date.UTC(2026, 0, 5, 10, 30, 0, 500);
    const short = await startTwin({ workspace: { seed: 2, pages: 3, databases: 1, rowsPerDatabase: 2 }, fileUrlTtlMs: 1000, fileClock: () => now });
    try {
      const client = new Client({ auth: DEFAULT_TOKEN, baseUrl: short.url, retry: false, logLevel: LogLevel.ERROR });
      const top = await collectPaginatedAPI(client.blocks.children.list, { block_id: short.workspace.allPages()[0].id });
      const block = top.find((b) => isFullBlock(b) && b.type === 'image' && b.image.type === 'file');
      if (!block || !isFullBlock(block) || block.type !== 'image' || block.image.type !== 'file') throw new Error('no hosted image');
      const first = block.image.file;
      expect(new URL(first.url).searchParams.get('X-Amz-Expires')).toBe('1');
      expect(first.expiry_time).toBe('2026-01-05T10:30:01.000Z');
      const attachment = short.workspace.allAttachments().find((a) => a.ownerId === block.id)!;
      const ok = await fetch(first.url);
      expect(ok.status).toBe(200);
      expect(createHash('sha256').update(Buffer.from(await ok.arrayBuffer())).digest('hex')).toBe(attachment.sha256);

      short.advanceFileClock(5_000);
      const expired = await fetch(first.url);
      expect(expired.status).toBe(403);
      expect(expired.headers.get('content-type')).toBe('application/xml');
      const xml = await expired.text();
      expect(xml).toMatch(/^<\?xml version="1\.0" encoding="UTF-8"\?>\n<Error><Code>AccessDenied<\/Code><Message>Request has expired<\/Message><X-Amz-Expires>1<\/X-Amz-Expires>/);
      expect(xml).toContain('<RequestId>');

      const again = await client.blocks.retrieve({ block_id: block.id });
      if (!isFullBlock(again) || again.type !== 'image' || again.image.type !== 'file') throw new Error('block changed');
      expect(again.image.file.url).not.toBe(first.url);
      const fresh = await fetch(again.image.file.url);
      expect(fresh.status).toBe(200);
      expect(createHash('sha256').update(Buffer.from(await fresh.arrayBuffer())).digest('hex')).toBe(attachment.sha256);
      const control = await fetch(`${short.url}/__twin/advance-file-clock`, { method: 'POST', body: JSON.stringify({ ms: 5_000 }) });
      expect(control.status).toBe(200);
      expect((await fetch(again.image.file.url)).status).toBe(403);
    } finally {
      await short.close();
    }
  });
});
