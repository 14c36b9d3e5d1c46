import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { isFullPage } from '@notionhq/client';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { NotionGatewayError, toGatewayError } from './errors';
import { checkConnection, createNotionGateway } from './notion-gateway';
import { collectPropertyItems, iterateBlockChildren, iterateDataSourceRows, iterateSearch } from './paginate';

const samples = path.join(process.cwd(), '..', 'shared', 'notion-samples');
const sample = (file: string): Record<string, unknown> =>
  JSON.parse(readFileSync(path.join(samples, file), 'utf8')) as Record<string, unknown>;

const GOOD_TOKEN_PREFIX = 'secret_good';
const PAGE_ID = '393abc1e-edcd-81f5-ae94-ec2d55fe98ed';
const DATA_SOURCE_ID = '393abc1e-edcd-8179-9372-000bd163e729';

interface Seen {
  method: string;
  url: string;
  version?: string;
}

/** A tiny stand-in for api.notion.com: just the endpoints these tests need, some with scripted failures. */
function startFakeNotion() {
  const seen: Seen[] = [];
  const counters = new Map<string, number>();
  const hit = (key: string) => {
    const n = (counters.get(key) ?? 0) + 1;
    counters.set(key, n);
    return n;
  };
  const send = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(JSON.stringify(body));
  };
  const error = (res: ServerResponse, status: number, code: string, message: string, headers = {}) =>
    send(res, status, { object: 'error', status, code, message, request_id: randomUUID() }, headers);

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    let body = '';
    for await (const chunk of req) body += chunk;
    const url = new URL(req.url ?? '/', 'http://localhost');
    const version = req.headers['notion-version'];
    seen.push({ method: req.method ?? '', url: url.pathname + url.search, version: String(version) });
    const auth = req.headers.authorization ?? '';
    if (!auth.startsWith(`Bearer ${GOOD_TOKEN_PREFIX}`)) {
      return error(res, 401, 'unauthorized', 'API token is invalid.');
    }
    const route = `${req.method} ${url.pathname}`;
    const key = `${auth} ${route}`;
    if (route === 'GET /v1/users/me') return send(res, 200, sample('v2025-09-03_users.me__bot.json'));
    if (route === `GET /v1/pages/${PAGE_ID}`) {
      if (hit(key) === 1) return error(res, 429, 'rate_limited', 'Rate limited', { 'retry-after': '1' });
      return send(res, 200, sample('v2025-09-03_pages.retrieve__page-parent.json'));
    }
    if (route === 'GET /v1/pages/00000000-0000-0000-0000-000000000000') {
      return send(res, 404, sample('v2025-09-03_error-404_object_not_found.json'));
    }
    if (route === 'POST /v1/search') {
      if (hit(key) === 1) {
        res.writeHead(502, { 'content-type': 'text/html' });
        return res.end('<html><body>502 Bad Gateway</body></html>');
      }
      if (hit(`${key} second`) === 1) return error(res, 503, 'service_unavailable', 'Notion is unavailable');
      const parsed = JSON.parse(body) as { page_size?: number };
      expect(parsed.page_size).toBe(100);
      return send(res, 200, sample('v2025-09-03_search__workspace-root-page.json'));
    }
    if (route === `GET /v1/blocks/${PAGE_ID}/children`) {
      expect(url.searchParams.get('page_size')).toBe('100');
      const cursor = url.searchParams.get('start_cursor');
      if (!cursor) return send(res, 200, sample('v2025-09-03_blocks.children.list__page1-has_more.json'));
      expect(cursor).toBe('393abc1e-edcd-8166-ac96-e7304d406e8d');
      return send(res, 200, sample('v2025-09-03_blocks.children.list__last-page.json'));
    }
    if (route === `POST /v1/data_sources/${DATA_SOURCE_ID}/query`) {
      const parsed = JSON.parse(body) as { start_cursor?: string; page_size?: number };
      expect(parsed.page_size).toBe(100);
      const row = sample('v2025-09-03_pages.retrieve__page-parent.json');
      if (!parsed.start_cursor) {
        return send(res, 200, { object: 'list', results: [row], next_cursor: 'c2', has_more: true, type: 'page_or_data_source', page_or_data_source: {} });
      }
      return send(res, 200, {
        object: 'list',
        results: [{ ...row, id: '393abc1e-edcd-81f5-ae94-000000000002' }],
        next_cursor: null,
        has_more: false,
        type: 'page_or_data_source',
        page_or_data_source: {},
      });
    }
    if (route === `GET /v1/pages/${PAGE_ID}/properties/title`) {
      const list = sample('v2025-09-03_pages.properties.retrieve__title-list.json');
      if (!url.searchParams.get('start_cursor')) return send(res, 200, { ...list, has_more: true, next_cursor: 'p2' });
      return send(res, 200, list);
    }
    if (route === `GET /v1/pages/${PAGE_ID}/properties/num`) {
      return send(res, 200, { object: 'property_item', id: 'num', type: 'number', number: 4 });
    }
    return error(res, 400, 'invalid_request_url', `No route ${route}`);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(String(err));
    });
  });
  return { server, seen };
}

let server: Server;
let seen: Seen[];
let baseUrl: string;

beforeAll(async () => {
  ({ server, seen } = startFakeNotion());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

beforeEach(() => {
  seen.length = 0;
});

/** A fresh token per test so that the process-wide limiters don't carry pauses across tests. */
const gatewayFor = (overrides: Partial<Parameters<typeof createNotionGateway>[0]> = {}) =>
  createNotionGateway({
    token: `${GOOD_TOKEN_PREFIX}_${randomUUID()}`,
    baseUrl,
    requestsPerSecond: 50,
    baseDelayMs: 5,
    ...overrides,
  });

describe('Notion gateway over real HTTP', () => {
  it('checks the connection with users.me and keeps the SDK default Notion-Version', async () => {
    const gateway = gatewayFor({ baseUrl: `${baseUrl}/` });
    expect(gateway.baseUrl).toBe(baseUrl);
    await expect(checkConnection(gateway)).resolves.toEqual({
      botId: '7775f3a3-893f-43fa-b625-460c61094c78',
      botName: 'notion-sdk-py',
      workspaceName: 'notion-sdk-py',
    });
    expect(seen).toEqual([{ method: 'GET', url: '/v1/users/me', version: '2025-09-03' }]);
    expect(gateway.stats()).toMatchObject({ requests: 1, rateLimited: 0, retries: 0 });
  });

  it('waits out a 429 with Retry-After: 1 and counts it', async () => {
    const gateway = gatewayFor();
    const started = Date.now();
    const page = await gateway.client.pages.retrieve({ page_id: PAGE_ID });
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(page.id).toBe(PAGE_ID);
    expect(isFullPage(page) && page.url).toMatch(/^https:\/\/app\.notion\.com\/p\//);
    expect(gateway.stats()).toMatchObject({ requests: 2, rateLimited: 1, retries: 0 });
    expect(gateway.limiter.stats().pauses).toBeGreaterThanOrEqual(1);
  });

  it('retries an HTML 502 and a 503 on POST /search (which the SDK itself would not retry)', async () => {
    const gateway = gatewayFor();
    const results = [];
    for await (const result of iterateSearch(gateway.client)) results.push(result);
    expect(results.map((r) => r.id)).toEqual(['393abc1e-edcd-80f3-813b-e205934558c6']);
    expect(gateway.stats()).toMatchObject({ requests: 3, rateLimited: 0, retries: 2 });
  });

  it('follows every cursor of block children, data source rows and property items', async () => {
    const gateway = gatewayFor();
    const blocks = [];
    for await (const block of iterateBlockChildren(gateway.client, PAGE_ID)) blocks.push(block.id);
    expect(blocks).toEqual([
      '393abc1e-edcd-81cd-b327-ff0fec766279',
      '393abc1e-edcd-81e0-b670-f8b3ce91cbe2',
      '393abc1e-edcd-81f7-b554-d4980eb885c0',
    ]);

    const rows = [];
    for await (const row of iterateDataSourceRows(gateway.client, DATA_SOURCE_ID)) rows.push(row.id);
    expect(rows).toEqual([PAGE_ID, '393abc1e-edcd-81f5-ae94-000000000002']);

    const title = await collectPropertyItems(gateway.client, PAGE_ID, 'title');
    expect(title.items).toHaveLength(2);
    expect(title.propertyItem?.type).toBe('title');
    const simple = await collectPropertyItems(gateway.client, PAGE_ID, 'num');
    expect(simple).toEqual({ items: [{ object: 'property_item', id: 'num', type: 'number', number: 4 }] });
    expect(gateway.stats().requests).toBe(2 + 2 + 2 + 1);
  });

  it('reports a rejected token as unauthorized', async () => {
    const gateway = createNotionGateway({ token: `secret_bad_${randomUUID()}`, baseUrl });
    const error = await checkConnection(gateway).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NotionGatewayError);
    expect(error).toMatchObject({
      kind: 'unauthorized',
      status: 401,
      userMessage:
        'Notion rejected the integration token (401 unauthorized). Check the token in the connection settings.',
    });
    expect(gateway.stats().requests).toBe(1);
  });

  it('reports an unshared page as not_found', async () => {
    const gateway = gatewayFor();
    const error = await gateway.client.pages
      .retrieve({ page_id: '00000000-0000-0000-0000-000000000000' })
      .catch((e: unknown) => toGatewayError(e, { baseUrl: gateway.baseUrl }));
    expect(error).toMatchObject({ kind: 'not_found', objectId: '00000000-0000-0000-0000-000000000000' });
  });

  it('reports an unreachable base URL as a network error with a clear message', async () => {
    const blocked = createNotionGateway({ token: `secret_${randomUUID()}`, baseUrl: 'http://127.0.0.1:9' });
    const error = await checkConnection(blocked).catch((e: unknown) => e);
    expect(error).toMatchObject({ kind: 'network' });
    expect((error as NotionGatewayError).userMessage).toMatch(/^Cannot reach the Notion API at http:\/\/127\.0\.0\.1:9\/: /);

    // A port nobody listens on: refused, retried, then reported.
    const spare = createServer();
    await new Promise<void>((resolve) => spare.listen(0, '127.0.0.1', resolve));
    const port = (spare.address() as AddressInfo).port;
    await new Promise<void>((resolve) => spare.close(() => resolve()));
    const refused = createNotionGateway({
      token: `secret_${randomUUID()}`,
      baseUrl: `http://127.0.0.1:${port}`,
      maxAttempts: 2,
      baseDelayMs: 1,
    });
    const refusedError = await checkConnection(refused).catch((e: unknown) => e);
    expect(refusedError).toMatchObject({
      kind: 'network',
      userMessage: `Cannot reach the Notion API at http://127.0.0.1:${port}/: connection refused.`,
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
