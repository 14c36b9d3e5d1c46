import { randomUUID } from 'node:crypto';
import { Client, collectPaginatedAPI, isFullPage, LogLevel, type PageObjectResponse } from '@notionhq/client';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DATA_SOURCE_SCHEMA, startTwin, type Twin, type TwinRequest } from '@/e2e/notion-twin';
import { fakeClock } from '@/server/testing/fake-clock';
import { NotionGatewayError, toGatewayError } from './errors';
import { checkConnection, createNotionGateway } from './notion-gateway';
import { collectPropertyItems, iterateBlockChildren, iterateDataSourceRows, iterateSearch } from './paginate';
import { RateLimiter } from './rate-limiter';

// The gateway (our limiter, breaker and retrying fetch under the real SDK) against the twin over
// HTTP. Sizes are chosen so that every list takes more than one page of 100.
const RELATION_REFS = 120;
const WORKSPACE = { seed: 3, pages: 5, databases: 1, rowsPerDatabase: 130, manyRelationRefs: RELATION_REFS, multiSourceDatabases: 0, largePages: 1, largePageBlocks: 250, unsharedPages: 1 };

/** One token per gateway: the limiter and circuit breaker are shared per token across the process. */
const TOKENS = Array.from({ length: 10 }, () => `secret_${randomUUID()}`);
const READER_TOKEN = `secret_reader_${randomUUID()}`;
let tokensUsed = 0;
function freshToken(): string {
  const token = TOKENS[tokensUsed++];
  if (!token) throw new Error('notion-gateway.int.test: add tokens to TOKENS');
  return token;
}

let twin: Twin;
/** A plain SDK client (no gateway), to read what the twin serves. */
let plain: Client;

beforeAll(async () => {
  twin = await startTwin({ workspace: WORKSPACE, tokens: [...TOKENS, READER_TOKEN], recordRequests: true });
  plain = new Client({ auth: READER_TOKEN, baseUrl: twin.url, retry: false, logLevel: LogLevel.ERROR });
});

afterAll(() => twin.close());

beforeEach(() => {
  twin.clearFaults();
  twin.resetStats();
});

const gatewayFor = (overrides: Partial<Parameters<typeof createNotionGateway>[0]> = {}) =>
  createNotionGateway({ token: freshToken(), baseUrl: twin.url, requestsPerSecond: 50, baseDelayMs: 5, ...overrides });

const requestsTo = (endpoint: string): TwinRequest[] => twin.requests().filter((r) => r.endpoint === endpoint);

async function retrievePage(id: string): Promise<PageObjectResponse> {
  const page = await plain.pages.retrieve({ page_id: id });
  if (!isFullPage(page)) throw new Error(`partial page ${id}`);
  return page;
}

describe('Notion gateway over real HTTP (the twin)', () => {
  it('checks the connection with users.me and keeps the SDK default Notion-Version', async () => {
    const gateway = gatewayFor({ baseUrl: `${twin.url}/` });
    expect(gateway.baseUrl).toBe(twin.url);
    await expect(checkConnection(gateway)).resolves.toEqual({
      botId: twin.workspace.botUserId,
      botName: twin.workspace.integrationName,
      workspaceName: twin.workspace.workspaceName,
      workspaceId: twin.workspace.workspaceId,
    });
    expect(twin.requests()).toEqual([{ method: 'GET', path: '/v1/users/me', endpoint: 'users.me', notionVersion: '2025-09-03', body: null, status: 200 }]);
    expect(gateway.stats()).toMatchObject({ requests: 1, rateLimited: 0, retries: 0 });
  });

  it('waits out a 429 with Retry-After: 1 and counts it', async () => {
    const clock = fakeClock(1_000_000);
    const limiter = new RateLimiter({ requestsPerSecond: 50, now: clock.now, sleep: clock.sleep });
    const gateway = gatewayFor({ limiter, now: clock.now, sleep: clock.sleep });
    const [expected] = twin.workspace.allPages();
    twin.injectFault({ kind: 'error', status: 429, retryAfterSeconds: 1 }, { endpoint: 'pages.retrieve' });

    const started = clock.now();
    const page = await gateway.client.pages.retrieve({ page_id: expected.id });
    expect(clock.now() - started).toBeGreaterThanOrEqual(1000);
    expect(page.id).toBe(expected.id);
    expect(isFullPage(page) && page.url).toBe(expected.url);
    expect(requestsTo('pages.retrieve').map((r) => r.status)).toEqual([429, 200]);
    expect(gateway.stats()).toMatchObject({ requests: 2, rateLimited: 1, retries: 0 });
    expect(limiter.stats()).toMatchObject({ pauses: 1, pausedMs: 1000, rateLimited: 1 });
  });

  it('retries an HTML 502 and a 503 on POST /search (which the SDK itself would not retry)', async () => {
    const gateway = gatewayFor();
    twin.injectFault({ kind: 'html', status: 502 }, { endpoint: 'search' });
    twin.injectFault({ kind: 'error', status: 503 }, { endpoint: 'search' });

    const results: string[] = [];
    for await (const result of iterateSearch(gateway.client)) results.push(result.id);
    const ws = twin.workspace;
    const visible = [...ws.allPages().map((p) => p.id), ...ws.allDatabases().flatMap((d) => d.dataSources.map((s) => s.id))];
    expect(visible.length).toBeGreaterThan(100);
    expect(results).toHaveLength(visible.length);
    expect(new Set(results)).toEqual(new Set(visible));

    const searches = requestsTo('search');
    expect(searches.map((r) => r.status)).toEqual([502, 503, 200, 200]);
    expect(searches.map((r) => r.body)).toEqual([
      { page_size: 100 },
      { page_size: 100 },
      { page_size: 100 },
      { page_size: 100, start_cursor: expect.any(String) },
    ]);
    expect(gateway.stats()).toMatchObject({ requests: 4, rateLimited: 0, retries: 2 });
  });

  it('retries a dropped connection and an answer slower than the attempt timeout', async () => {
    const gateway = gatewayFor({ timeoutMs: 200 });
    const [expected] = twin.workspace.allPages();
    twin.injectFault({ kind: 'reset' }, { endpoint: 'pages.retrieve' });
    twin.injectFault({ kind: 'delay', ms: 30_000 }, { endpoint: 'pages.retrieve' });

    const page = await gateway.client.pages.retrieve({ page_id: expected.id });
    expect(page.id).toBe(expected.id);
    expect(twin.stats()).toMatchObject({ faultsInjected: 2, byEndpoint: { 'pages.retrieve': 3 } });
    expect(gateway.stats()).toMatchObject({ requests: 3, rateLimited: 0, retries: 2 });
  });

  it('follows every cursor of block children, data source rows and property items', async () => {
    const gateway = gatewayFor();
    const ws = twin.workspace;

    const large = ws.allPages().find((p) => p.large);
    if (!large) throw new Error('the workspace has no large page');
    const blocks: string[] = [];
    for await (const block of iterateBlockChildren(gateway.client, large.id)) blocks.push(block.id);
    const served = await collectPaginatedAPI(plain.blocks.children.list, { block_id: large.id });
    expect(blocks.length).toBeGreaterThan(200);
    expect(blocks).toEqual(served.map((b) => b.id));
    const listings = requestsTo('blocks.children.list').slice(0, 3);
    expect(listings.map((r) => new URL(r.path, twin.url).searchParams.get('page_size'))).toEqual(['100', '100', '100']);
    expect(listings.map((r) => new URL(r.path, twin.url).searchParams.has('start_cursor'))).toEqual([false, true, true]);

    const [database] = ws.allDatabases();
    const source = database.dataSources[0];
    const rows: string[] = [];
    for await (const row of iterateDataSourceRows(gateway.client, source.id)) rows.push(row.id);
    expect(rows).toEqual(source.rowIds);
    expect(requestsTo('dataSources.query').map((r) => r.body)).toEqual([
      expect.objectContaining({ page_size: 100 }),
      expect.objectContaining({ page_size: 100, start_cursor: source.rowIds[100] }),
    ]);

    // The first row relates to RELATION_REFS rows; its page object shows the first 25.
    const firstRow = source.rowIds[0];
    const related = DATA_SOURCE_SCHEMA.find((p) => p.name === 'Related');
    const estimate = DATA_SOURCE_SCHEMA.find((p) => p.name === 'Estimate');
    if (!related || !estimate) throw new Error('schema changed');
    const relation = await collectPropertyItems(gateway.client, firstRow, related.id);
    expect(relation.items.map((item) => (item.type === 'relation' ? item.relation.id : item.type))).toEqual(
      source.rowIds.slice(1, 1 + RELATION_REFS),
    );
    expect(relation.propertyItem?.type).toBe('relation');
    const pageObject = await retrievePage(firstRow);
    const inline = pageObject.properties.Related;
    expect(inline.type === 'relation' && [inline.relation.map((r) => r.id), 'has_more' in inline && inline.has_more]).toEqual([
      source.rowIds.slice(1, 26),
      true,
    ]);

    const simple = await collectPropertyItems(gateway.client, firstRow, estimate.id);
    const number = pageObject.properties.Estimate;
    expect(simple).toEqual({
      items: [
        {
          object: 'property_item',
          id: estimate.id,
          type: 'number',
          number: number.type === 'number' ? number.number : 'not a number',
          request_id: expect.any(String),
        },
      ],
    });
    expect(gateway.stats()).toMatchObject({ requests: 3 + 2 + 2 + 1, rateLimited: 0, retries: 0 });
  });

  it('reports a rejected token as unauthorized', async () => {
    const gateway = createNotionGateway({ token: `secret_bad_${randomUUID()}`, baseUrl: twin.url });
    const error = await checkConnection(gateway).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NotionGatewayError);
    expect(error).toMatchObject({
      kind: 'unauthorized',
      status: 401,
      userMessage:
        'Notion rejected the integration token (401 unauthorized). Check the token in the connection settings.',
    });
    expect(gateway.stats().requests).toBe(1);
    expect(twin.stats().unauthorized).toBe(1);
  });

  it('reports an unshared page as not_found', async () => {
    const gateway = gatewayFor();
    const [unshared] = twin.workspace.unsharedPages();
    const error = await gateway.client.pages
      .retrieve({ page_id: unshared.id })
      .catch((e: unknown) => toGatewayError(e, { baseUrl: gateway.baseUrl }));
    expect(error).toMatchObject({ kind: 'not_found', status: 404, objectId: unshared.id });
    expect(gateway.stats()).toMatchObject({ requests: 1, retries: 0 });
  });

  it('reports an unreachable base URL as a network error with a clear message', async () => {
    const blocked = createNotionGateway({ token: `secret_${randomUUID()}`, baseUrl: 'http://127.0.0.1:9' });
    const error = await checkConnection(blocked).catch((e: unknown) => e);
    expect(error).toMatchObject({ kind: 'network' });
    expect((error as NotionGatewayError).userMessage).toMatch(/^Cannot reach the Notion API at http:\/\/127\.0\.0\.1:9\/: /);

    // A twin that has stopped: its port refuses connections, which are retried, then reported.
    const stopped = await startTwin({ workspace: { pages: 0, databases: 0 } });
    await stopped.close();
    const refused = createNotionGateway({ token: `secret_${randomUUID()}`, baseUrl: stopped.url, maxAttempts: 2, baseDelayMs: 1 });
    const refusedError = await checkConnection(refused).catch((e: unknown) => e);
    expect(refusedError).toMatchObject({
      kind: 'network',
      userMessage: `Cannot reach the Notion API at ${stopped.url}/: connection refused.`,
    });
    expect(refused.stats()).toMatchObject({ requests: 2, retries: 1 });
  });

  it('uses the real API origin by default and shares the limiter per token', () => {
    const token = `secret_${randomUUID()}`;
    const a = createNotionGateway({ token });
    const b = createNotionGateway({ token });
    expect(a.baseUrl).toBe('https://api.notion.com');
    expect(a.limiter).toBe(b.limiter);
  });
});
