/**
 * The Notion REST endpoints the twin serves. Each handler turns a parsed request into a Reply whose
 * body is built with the SDK's response types.
 */
import type {
  BlockObjectResponse,
  CommentObjectResponse,
  GetSelfResponse,
  ListBlockChildrenResponse,
  ListCommentsResponse,
  ListCustomEmojisResponse,
  ListUsersResponse,
  PageObjectResponse,
  QueryDataSourceResponse,
  SearchResponse,
  UserObjectResponse,
} from '@notionhq/client';
import { customEmoji } from './icons';
import { compactId, dashedId, IdKind, safeDecodeURIComponent } from './ids';
import {
  childDatabaseBlock,
  childPageBlock,
  childrenOf,
  linkedDatabaseBlock,
  nodeForBlockNumber,
  nodeId,
  pageBody,
  pageParent,
  renderBlock,
} from './page-content';
import { propertyItem, schemaOf } from './properties';
import { queryRows } from './query';
import { pageComments, renderBot, renderDatabase, renderDataSource, renderPage, renderPerson, type TwinDataSourceObject } from './render';
import type { RenderContext } from './render-context';
import { apiError, ok, type Reply, validationError } from './replies';
import type { PageSpec, SearchItem, Workspace } from './workspace';

export const MAX_PAGE_SIZE = 100;

/**
 * How `databases.retrieve` refuses a linked database view. Notion has answered 400 validation_error
 * with "Database with ID … does not contain any data sources accessible by this API bot."
 * (2025-09-03, the default) and "… is a linked database. Database retrievals do not support linked
 * databases." (earlier); `not_found` answers 404 object_not_found.
 */
export type LinkedDatabaseError = 'no_data_sources' | 'linked_database' | 'not_found';

/** A search result page as the twin sends it (data sources may carry schema entries the SDK lacks). */
type TwinSearchResponse = Omit<SearchResponse, 'results'> & { results: Array<PageObjectResponse | TwinDataSourceObject> };

export interface RequestInfo {
  method: string;
  /** Path parameters captured by the route. */
  params: string[];
  query: URLSearchParams;
  /** Parsed JSON body (POST), `{}` when empty. */
  body: Record<string, unknown>;
  ctx: RenderContext;
  /** Maximum rows one data source query may walk through (Notion: 10,000). */
  queryResultLimit: number;
  linkedDatabaseError: LinkedDatabaseError;
}

export type Handler = (req: RequestInfo) => Reply;

export interface Route {
  /** SDK method name, used in stats. */
  name: string;
  method: 'GET' | 'POST';
  pattern: RegExp;
  handler: Handler;
}

// ---- shared helpers ------------------------------------------------------------------------------

function notFound(ws: Workspace, noun: string, rawId: string): Reply {
  const compact = compactId(rawId);
  const shown = compact ? dashedId(compact) : rawId;
  return apiError(
    404,
    'object_not_found',
    `Could not find ${noun} with ID: ${shown}. Make sure the relevant pages and databases are shared with your integration "${ws.integrationName}".`,
    { additional_data: { integration_id: ws.botUserId } },
  );
}

function invalidId(section: 'path' | 'query', name: string, raw: string): Reply | null {
  return compactId(raw) === null ? validationError(`${section} failed validation: ${section}.${name} should be a valid uuid, instead was \`${JSON.stringify(raw)}\`.`) : null;
}

type Parsed<T> = { ok: true; value: T } | { ok: false; reply: Reply };

/** `page_size` from a query string (GET) or a JSON body (POST): integer in [1, 100], default 100. */
function pageSize(raw: unknown, section: 'query' | 'body'): Parsed<number> {
  if (raw === undefined || raw === null || raw === '') return { ok: true, value: MAX_PAGE_SIZE };
  const n = section === 'query' && typeof raw === 'string' && /^-?\d+$/.test(raw) ? Number(raw) : raw;
  if (typeof n !== 'number' || !Number.isInteger(n)) {
    return { ok: false, reply: validationError(`${section} failed validation: ${section}.page_size should be a number or \`undefined\`, instead was \`${JSON.stringify(raw)}\`.`) };
  }
  if (n > MAX_PAGE_SIZE) return { ok: false, reply: validationError(`${section} failed validation: ${section}.page_size should be ≤ \`${MAX_PAGE_SIZE}\`, instead was \`${n}\`.`) };
  if (n < 1) return { ok: false, reply: validationError(`${section} failed validation: ${section}.page_size should be ≥ \`1\`, instead was \`${n}\`.`) };
  return { ok: true, value: n };
}

function startCursor(raw: unknown, section: 'query' | 'body'): Parsed<string | null> {
  if (raw === undefined || raw === null) return { ok: true, value: null };
  if (typeof raw !== 'string' || raw === '') {
    return { ok: false, reply: validationError(`${section} failed validation: ${section}.start_cursor should be a string or \`undefined\`, instead was \`${JSON.stringify(raw)}\`.`) };
  }
  return { ok: true, value: raw };
}

function badCursor(section: 'query' | 'body', cursor: string): Reply {
  return validationError(`${section} failed validation: ${section}.start_cursor should be a valid cursor, instead was \`${JSON.stringify(cursor)}\`.`);
}

interface Window {
  from: number;
  to: number;
  hasMore: boolean;
}

/**
 * Cursor pagination over `length` items. Cursors are the id of the first item of the next page,
 * as Notion does for block children; `positionOf` maps a cursor back to an item position (-1 if
 * the cursor names no item of this list).
 */
function pageWindow(length: number, cursor: string | null, size: number, positionOf: (cursor: string) => number, section: 'query' | 'body'): Parsed<Window> {
  let from = 0;
  if (cursor !== null) {
    from = positionOf(cursor);
    if (from < 0) return { ok: false, reply: badCursor(section, cursor) };
  }
  const to = Math.min(length, from + size);
  return { ok: true, value: { from, to, hasMore: to < length } };
}

function paging(req: RequestInfo, section: 'query' | 'body'): Parsed<{ cursor: string | null; size: number }> {
  const source = section === 'query' ? (k: string) => req.query.get(k) ?? undefined : (k: string) => req.body[k];
  const size = pageSize(source('page_size'), section);
  if (!size.ok) return size;
  const cursor = startCursor(source('start_cursor'), section);
  if (!cursor.ok) return cursor;
  return { ok: true, value: { cursor: cursor.value, size: size.value } };
}

/** Decodes a twin id to (kind, a, b), or null. */
function decode(ws: Workspace, raw: string): { kind: number; a: number; b: number } | null {
  const compact = compactId(raw);
  return compact === null ? null : ws.codec.decode(compact);
}

// ---- handlers ------------------------------------------------------------------------------------

const usersMe: Handler = ({ ctx }) => {
  const me: GetSelfResponse = renderBot(ctx.ws);
  return ok(me);
};

const usersList: Handler = (req) => {
  const ws = req.ctx.ws;
  const p = paging(req, 'query');
  if (!p.ok) return p.reply;
  // Notion leaves guests out of the list ("Guests are not included in the response"); the bot is in it.
  const all: UserObjectResponse[] = [...ws.users.filter((u) => !u.guest).map(renderPerson), renderBot(ws)];
  const w = pageWindow(all.length, p.value.cursor, p.value.size, (c) => all.findIndex((u) => u.id === dashedId(compactId(c) ?? '')), 'query');
  if (!w.ok) return w.reply;
  const body: ListUsersResponse = {
    object: 'list',
    results: all.slice(w.value.from, w.value.to),
    next_cursor: w.value.hasMore ? all[w.value.to].id : null,
    has_more: w.value.hasMore,
    type: 'user',
    user: {},
  };
  return ok(body);
};

const usersRetrieve: Handler = (req) => {
  const ws = req.ctx.ws;
  const raw = req.params[0];
  const bad = invalidId('path', 'user_id', raw);
  if (bad) return bad;
  const r = ws.resolve(raw);
  if (r.kind === 'user') return ok(renderPerson(r.user));
  if (compactId(raw) === ws.botUserId.replaceAll('-', '')) return ok(renderBot(ws));
  return notFound(ws, 'user', raw);
};

/** Whether the integration sees a page (in the trash or not): else it answers 404. */
function sees(ws: Workspace, page: PageSpec): boolean {
  return ws.pageAccess(page) !== 'gone';
}

/** The page the integration sees named by a raw id, or the reply to send instead. */
function sharedPage(ws: Workspace, raw: string, noun: string): Parsed<PageSpec> {
  const r = ws.resolve(raw);
  if (r.kind === 'page' && sees(ws, r.page)) return { ok: true, value: r.page };
  return { ok: false, reply: notFound(ws, noun, raw) };
}

const pagesRetrieve: Handler = (req) => {
  const ws = req.ctx.ws;
  const raw = req.params[0];
  const bad = invalidId('path', 'page_id', raw);
  if (bad) return bad;
  const r = ws.resolve(raw);
  if (r.kind === 'database') {
    return validationError(`Provided ID ${r.db.id} is a database, not a page. Use the retrieve database API instead, \`https://api.notion.com/v1/databases/${r.db.id}\`.`);
  }
  const page = sharedPage(ws, raw, 'page');
  if (!page.ok) return page.reply;
  const body: PageObjectResponse = renderPage(req.ctx, page.value, req.query.getAll('filter_properties'));
  return ok(body);
};

const pagePropertyRetrieve: Handler = (req) => {
  const ws = req.ctx.ws;
  const [raw, propertyId] = req.params;
  const bad = invalidId('path', 'page_id', raw);
  if (bad) return bad;
  const page = sharedPage(ws, raw, 'page');
  if (!page.ok) return page.reply;
  const p = paging(req, 'query');
  if (!p.ok) return p.reply;
  const result = propertyItem(req.ctx, page.value, propertyId, p.value.cursor, p.value.size);
  if (!result.ok) return apiError(result.status, result.code, result.message);
  return ok(result.body);
};

const blocksRetrieve: Handler = (req) => {
  const { ctx } = req;
  const ws = ctx.ws;
  const raw = req.params[0];
  const bad = invalidId('path', 'block_id', raw);
  if (bad) return bad;
  const r = ws.resolve(raw);
  let block: BlockObjectResponse | null = null;
  if (r.kind === 'page' && sees(ws, r.page)) block = childPageBlock(ctx, r.page, pageParent(ws, r.page));
  else if (r.kind === 'database' && ws.databaseAccess(r.db) !== 'gone') block = childDatabaseBlock(ctx, r.db);
  else if (r.kind === 'linked_database') block = linkedDatabaseBlock(ctx, r.link);
  else if (r.kind === 'block' && sees(ws, r.page)) {
    const body = pageBody(ws, r.page);
    const idx = nodeForBlockNumber(body, r.block);
    if (idx >= 0) block = renderBlock(ctx, r.page, body, idx);
  }
  return block ? ok(block) : notFound(ws, 'block', raw);
};

const blocksChildren: Handler = (req) => {
  const { ctx } = req;
  const ws = ctx.ws;
  const raw = req.params[0];
  const bad = invalidId('path', 'block_id', raw);
  if (bad) return bad;
  const p = paging(req, 'query');
  if (!p.ok) return p.reply;
  const r = ws.resolve(raw);
  let page: PageSpec;
  let items: number[];
  if (r.kind === 'page' && sees(ws, r.page)) {
    page = r.page;
    items = pageBody(ws, page).top;
  } else if (r.kind === 'block' && sees(ws, r.page)) {
    const idx = nodeForBlockNumber(pageBody(ws, r.page), r.block);
    if (idx < 0) return notFound(ws, 'block', raw);
    // A synced reference lists its original's children, which may live on another page.
    const children = childrenOf(ws, r.page, pageBody(ws, r.page), idx);
    page = children.page;
    items = children.items;
  } else if ((r.kind === 'database' && ws.databaseAccess(r.db) !== 'gone') || r.kind === 'linked_database') {
    const empty: ListBlockChildrenResponse = { object: 'list', results: [], next_cursor: null, has_more: false, type: 'block', block: {} };
    return ok(empty);
  } else {
    return notFound(ws, 'block', raw);
  }
  const body = pageBody(ws, page);
  const positionOf = (cursor: string): number => {
    const d = decode(ws, cursor);
    if (d === null) return -1;
    if (d.kind === IdKind.block && d.a === page.index) return items.indexOf(d.b - 1);
    if (d.kind === IdKind.page) return items.findIndex((i) => body.nodes[i].type === 'child_page' && body.nodes[i].ref === d.a);
    if (d.kind === IdKind.database) return items.findIndex((i) => body.nodes[i].type === 'child_database' && body.nodes[i].ref === d.a);
    return -1;
  };
  const w = pageWindow(items.length, p.value.cursor, p.value.size, positionOf, 'query');
  if (!w.ok) return w.reply;
  const { from, to, hasMore } = w.value;
  const results: BlockObjectResponse[] = [];
  for (let i = from; i < to; i++) results.push(renderBlock(ctx, page, body, items[i]));
  const list: ListBlockChildrenResponse = {
    object: 'list',
    results,
    next_cursor: hasMore ? nodeId(ws, page, body, items[to]) : null,
    has_more: hasMore,
    type: 'block',
    block: {},
  };
  return ok(list);
};

const databasesRetrieve: Handler = (req) => {
  const ws = req.ctx.ws;
  const raw = req.params[0];
  const bad = invalidId('path', 'database_id', raw);
  if (bad) return bad;
  const r = ws.resolve(raw);
  if (r.kind === 'database' && ws.databaseAccess(r.db) !== 'gone') return ok(renderDatabase(req.ctx, r.db));
  if (r.kind === 'linked_database') {
    const id = r.link.id;
    switch (req.linkedDatabaseError) {
      case 'not_found':
        return notFound(ws, 'database', raw);
      case 'linked_database':
        return validationError(`Database with ID ${id} is a linked database. Database retrievals do not support linked databases.`);
      case 'no_data_sources':
        return validationError(`Database with ID ${id} does not contain any data sources accessible by this API bot.`);
    }
  }
  if (r.kind === 'page' && sees(ws, r.page)) {
    return validationError(`Provided ID ${r.page.id} is a page, not a database. Use the retrieve page API instead, \`https://api.notion.com/v1/pages/${r.page.id}\`.`);
  }
  return notFound(ws, 'database', raw);
};

const dataSourcesRetrieve: Handler = (req) => {
  const ws = req.ctx.ws;
  const raw = req.params[0];
  const bad = invalidId('path', 'data_source_id', raw);
  if (bad) return bad;
  const r = ws.resolve(raw);
  return r.kind === 'data_source' && ws.databaseAccess(r.db) !== 'gone' ? ok(renderDataSource(req.ctx, r.db, r.ds)) : notFound(ws, 'data_source', raw);
};

const dataSourcesQuery: Handler = (req) => {
  const { ctx, body } = req;
  const ws = ctx.ws;
  const raw = req.params[0];
  const bad = invalidId('path', 'data_source_id', raw);
  if (bad) return bad;
  const r = ws.resolve(raw);
  if (r.kind !== 'data_source' || ws.databaseAccess(r.db) === 'gone') return notFound(ws, 'data_source', raw);
  const p = paging(req, 'body');
  if (!p.ok) return p.reply;
  const trashed = body.in_trash === true || body.archived === true;
  const dataSourcesOnly = body.result_type === 'data_source';
  // Rows in the trash: only under `in_trash`, and flagged among the others while Notion's index lags.
  const rows = dataSourcesOnly
    ? []
    : r.ds.rows.filter((i) => {
        const access = ws.pageAccess(ws.pages[i]);
        return trashed ? access === 'trashed' : access === 'live' || (access === 'trashed' && ws.trashInResults);
      });
  const matched = queryRows(ws, schemaOf(r.ds), rows, body.filter, body.sorts);
  if (!matched.ok) return validationError(matched.message);
  const limit = req.queryResultLimit;
  const capped = matched.value.length > limit;
  const results = capped ? matched.value.slice(0, limit) : matched.value;
  const w = pageWindow(
    results.length,
    p.value.cursor,
    p.value.size,
    (c) => {
      const d = decode(ws, c);
      return d !== null && d.kind === IdKind.page ? results.findIndex((row) => row.index === d.a) : -1;
    },
    'body',
  );
  if (!w.ok) return w.reply;
  const { from, to, hasMore } = w.value;
  const filterProperties = req.query.getAll('filter_properties');
  const result: QueryDataSourceResponse = {
    object: 'list',
    results: results.slice(from, to).map((row) => renderPage(ctx, row, filterProperties)),
    next_cursor: hasMore ? results[to].id : null,
    has_more: hasMore,
    type: 'page_or_data_source',
    page_or_data_source: {},
  };
  if (capped && !hasMore) result.request_status = { type: 'incomplete', incomplete_reason: 'query_result_limit_reached' };
  return ok(result);
};

const search: Handler = (req) => {
  const { ctx, body } = req;
  const ws = ctx.ws;
  const p = paging(req, 'body');
  if (!p.ok) return p.reply;
  const filter = body.filter;
  let only: 'page' | 'data_source' | null = null;
  let inTrash = false;
  if (filter !== undefined) {
    if (typeof filter !== 'object' || filter === null || Array.isArray(filter)) {
      return validationError('body failed validation: body.filter should be an object or `undefined`.');
    }
    const f = Object.fromEntries(Object.entries(filter));
    if (f.property !== undefined || f.value !== undefined) {
      if (f.property !== 'object') return validationError(`body failed validation: body.filter.property should be \`"object"\`, instead was \`${JSON.stringify(f.property)}\`.`);
      if (f.value !== 'page' && f.value !== 'data_source') {
        return validationError(`body failed validation: body.filter.value should be \`"page"\` or \`"data_source"\`, instead was \`${JSON.stringify(f.value)}\`.`);
      }
      only = f.value;
    }
    inTrash = f.in_trash === true;
  }
  const query = body.query;
  if (query !== undefined && typeof query !== 'string') return validationError(`body failed validation: body.query should be a string or \`undefined\`, instead was \`${JSON.stringify(query)}\`.`);
  const sort = body.sort;
  let ascending = false;
  if (sort !== undefined) {
    const s = typeof sort === 'object' && sort !== null ? Object.fromEntries(Object.entries(sort)) : {};
    if (s.timestamp === 'last_edited_time' && (s.direction === 'ascending' || s.direction === 'descending')) ascending = s.direction === 'ascending';
    else if (s.property !== 'relevance') {
      return validationError('body failed validation: body.sort should be `{ timestamp: "last_edited_time", direction }` or `{ property: "relevance" }`.');
    }
  }
  const needle = (query ?? '').trim().toLowerCase();
  let items = ws.searchItems();
  // Items in the trash: only under `in_trash`, and flagged among the others while Notion's index lags.
  const hideTrash = !inTrash && !ws.trashInResults;
  if (only !== null || needle !== '' || inTrash || hideTrash || ascending) {
    items = items.filter((it) => {
      if (inTrash ? !it.inTrash : hideTrash && it.inTrash) return false;
      if (only !== null && it.kind !== only) return false;
      if (needle === '') return true;
      const title = it.kind === 'page' ? ws.pages[it.index].title : ws.databases[it.index].dataSources[it.source].name;
      return title.toLowerCase().includes(needle);
    });
    if (ascending) items = [...items].reverse();
  }
  const list = items;
  const positionOf = (cursor: string): number => {
    const d = decode(ws, cursor);
    if (d === null) return -1;
    if (d.kind === IdKind.page) return list.findIndex((it) => it.kind === 'page' && it.index === d.a);
    if (d.kind === IdKind.dataSource) return list.findIndex((it) => it.kind === 'data_source' && it.index === d.a && it.source === d.b);
    return -1;
  };
  const w = pageWindow(list.length, p.value.cursor, p.value.size, positionOf, 'body');
  if (!w.ok) return w.reply;
  const { from, to, hasMore } = w.value;
  const idOf = (it: SearchItem) => (it.kind === 'page' ? ws.pages[it.index].id : ws.databases[it.index].dataSources[it.source].id);
  const result: TwinSearchResponse = {
    object: 'list',
    results: list.slice(from, to).map((it) => {
      if (it.kind === 'page') return renderPage(ctx, ws.pages[it.index]);
      const db = ws.databases[it.index];
      return renderDataSource(ctx, db, db.dataSources[it.source]);
    }),
    next_cursor: hasMore ? idOf(list[to]) : null,
    has_more: hasMore,
    type: 'page_or_data_source',
    page_or_data_source: {},
  };
  return ok(result);
};

const commentsList: Handler = (req) => {
  const { ctx } = req;
  const ws = ctx.ws;
  const raw = req.query.get('block_id');
  if (raw === null) return validationError('query failed validation: query.block_id should be defined, instead was `undefined`.');
  const bad = invalidId('query', 'block_id', raw);
  if (bad) return bad;
  const p = paging(req, 'query');
  if (!p.ok) return p.reply;
  const r = ws.resolve(raw);
  let comments: CommentObjectResponse[];
  if (r.kind === 'page' && sees(ws, r.page)) comments = pageComments(ctx, r.page);
  else if (r.kind === 'block' && sees(ws, r.page) && nodeForBlockNumber(pageBody(ws, r.page), r.block) >= 0) comments = [];
  else return notFound(ws, 'block', raw);
  const w = pageWindow(comments.length, p.value.cursor, p.value.size, (c) => comments.findIndex((x) => x.id === dashedId(compactId(c) ?? '')), 'query');
  if (!w.ok) return w.reply;
  const { from, to, hasMore } = w.value;
  const body: ListCommentsResponse = {
    object: 'list',
    results: comments.slice(from, to),
    next_cursor: hasMore ? comments[to].id : null,
    has_more: hasMore,
    type: 'comment',
    comment: {},
  };
  return ok(body);
};

const customEmojisList: Handler = (req) => {
  const { ctx } = req;
  const ws = ctx.ws;
  const p = paging(req, 'query');
  if (!p.ok) return p.reply;
  const name = req.query.get('name');
  const all = ws.customEmojis.filter((e) => name === null || e.name === name).map((e) => customEmoji(ws, ctx.baseUrl, e.index));
  const w = pageWindow(all.length, p.value.cursor, p.value.size, (c) => all.findIndex((e) => e.id === dashedId(compactId(c) ?? '')), 'query');
  if (!w.ok) return w.reply;
  const { from, to, hasMore } = w.value;
  const body: ListCustomEmojisResponse = { object: 'list', type: 'custom_emoji', results: all.slice(from, to), has_more: hasMore, next_cursor: hasMore ? all[to].id : null };
  return ok(body);
};

const SEGMENT = '([^/]+)';

/** Routes in match order (`users/me` before `users/{id}`). */
export const ROUTES: readonly Route[] = [
  { name: 'search', method: 'POST', pattern: /^\/v1\/search$/, handler: search },
  { name: 'pages.properties.retrieve', method: 'GET', pattern: new RegExp(`^/v1/pages/${SEGMENT}/properties/${SEGMENT}$`), handler: pagePropertyRetrieve },
  { name: 'pages.retrieve', method: 'GET', pattern: new RegExp(`^/v1/pages/${SEGMENT}$`), handler: pagesRetrieve },
  { name: 'blocks.children.list', method: 'GET', pattern: new RegExp(`^/v1/blocks/${SEGMENT}/children$`), handler: blocksChildren },
  { name: 'blocks.retrieve', method: 'GET', pattern: new RegExp(`^/v1/blocks/${SEGMENT}$`), handler: blocksRetrieve },
  { name: 'databases.retrieve', method: 'GET', pattern: new RegExp(`^/v1/databases/${SEGMENT}$`), handler: databasesRetrieve },
  { name: 'dataSources.query', method: 'POST', pattern: new RegExp(`^/v1/data_sources/${SEGMENT}/query$`), handler: dataSourcesQuery },
  { name: 'dataSources.retrieve', method: 'GET', pattern: new RegExp(`^/v1/data_sources/${SEGMENT}$`), handler: dataSourcesRetrieve },
  { name: 'users.me', method: 'GET', pattern: /^\/v1\/users\/me$/, handler: usersMe },
  { name: 'users.list', method: 'GET', pattern: /^\/v1\/users$/, handler: usersList },
  { name: 'users.retrieve', method: 'GET', pattern: new RegExp(`^/v1/users/${SEGMENT}$`), handler: usersRetrieve },
  { name: 'comments.list', method: 'GET', pattern: /^\/v1\/comments$/, handler: commentsList },
  { name: 'customEmojis.list', method: 'GET', pattern: /^\/v1\/custom_emojis$/, handler: customEmojisList },
];

/** Finds the route for a request; `params` are URL-decoded path segments. */
export function matchRoute(method: string, pathname: string): { route: Route; params: string[] } | { route: null; methodMismatch: boolean } {
  let methodMismatch = false;
  for (const route of ROUTES) {
    const m = route.pattern.exec(pathname);
    if (!m) continue;
    if (route.method !== method) {
      methodMismatch = true;
      continue;
    }
    return { route, params: m.slice(1).map(safeDecodeURIComponent) };
  }
  return { route: null, methodMismatch };
}
