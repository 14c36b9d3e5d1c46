/**
 * Changes to the twin's workspace between two syncs, seen through the real SDK over HTTP: edits,
 * new pages and rows, moves, the trash, lost access, synced block originals and schema changes.
 * Each test starts its own twin, so changes never leak between tests.
 */
import {
  APIResponseError,
  type BlockObjectResponse,
  Client,
  collectPaginatedAPI,
  type DataSourceObjectResponse,
  isFullBlock,
  isFullDataSource,
  isFullPage,
  LogLevel,
  type PageObjectResponse,
} from '@notionhq/client';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_TOKEN, generateWorkspace, startTwin, type Twin, TwinChangeError, type TwinPage, type WorkspaceOptions } from './index';
import { pageBody } from './page-content';

const WORKSPACE: WorkspaceOptions = { seed: 3, pages: 24, databases: 2, rowsPerDatabase: 5, unsharedPages: 1 };
const T0 = Date.UTC(2026, 5, 1, 10, 0, 0);
const MINUTE = 60_000;

const open: Twin[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((t) => t.close()));
});

async function start(workspace: WorkspaceOptions = WORKSPACE, clock?: () => number): Promise<{ twin: Twin; notion: Client }> {
  const twin = await startTwin({ workspace, clock });
  open.push(twin);
  return { twin, notion: new Client({ auth: DEFAULT_TOKEN, baseUrl: twin.url, retry: false, logLevel: LogLevel.ERROR }) };
}

/** A change through the control API, as another process makes it. */
async function control(twin: Twin, change: string, body: object): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${twin.url}/__twin/${change}`, { method: 'POST', body: JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

async function apiError(p: Promise<unknown>): Promise<APIResponseError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  if (!APIResponseError.isAPIResponseError(err)) throw new Error(`expected an APIResponseError, got ${String(err)}`);
  return err;
}

async function page(notion: Client, id: string): Promise<PageObjectResponse> {
  const p = await notion.pages.retrieve({ page_id: id });
  if (!isFullPage(p)) throw new Error('partial page');
  return p;
}

async function children(notion: Client, id: string): Promise<BlockObjectResponse[]> {
  return (await collectPaginatedAPI(notion.blocks.children.list, { block_id: id })).filter(isFullBlock);
}

async function childPageIds(notion: Client, id: string): Promise<string[]> {
  return (await children(notion, id)).filter((b) => b.type === 'child_page').map((b) => b.id);
}

/** Every search result, newest first (pages and data sources). */
async function search(notion: Client, body: Record<string, unknown> = {}): Promise<Array<PageObjectResponse | DataSourceObjectResponse>> {
  const out: Array<PageObjectResponse | DataSourceObjectResponse> = [];
  let cursor: string | undefined;
  do {
    const res = await notion.request<{ results: Array<PageObjectResponse | DataSourceObjectResponse>; next_cursor: string | null }>({
      path: 'search',
      method: 'post',
      body: { ...body, start_cursor: cursor, sort: { timestamp: 'last_edited_time', direction: 'descending' } },
    });
    out.push(...res.results);
    cursor = res.next_cursor ?? undefined;
  } while (cursor);
  return out;
}

async function query(notion: Client, dataSourceId: string, body: Record<string, unknown> = {}): Promise<PageObjectResponse[]> {
  const res = await notion.request<{ results: PageObjectResponse[]; has_more: boolean }>({ path: `data_sources/${dataSourceId}/query`, method: 'post', body });
  expect(res.has_more).toBe(false);
  return res.results;
}

function titleOf(p: PageObjectResponse): string {
  const title = Object.values(p.properties).find((v) => v.type === 'title');
  return title?.type === 'title' ? title.title.map((t) => t.plain_text).join('') : '';
}

function plainText(p: PageObjectResponse, name: string): string {
  const v = p.properties[name];
  return v?.type === 'rich_text' ? v.rich_text.map((t) => t.plain_text).join('') : `(not rich text: ${v?.type})`;
}

const minute = (ms: number) => new Date(Math.floor(ms / MINUTE) * MINUTE).toISOString();

/** An ordinary page below another ordinary page (not the gallery), with children of its own when asked. */
function nestedPage(twin: Twin, withChildren = false): TwinPage & { parent: { type: 'page_id'; pageId: string } } {
  const pages = twin.workspace.allPages();
  const gallery = pages[0].id;
  const found = pages.find(
    (p): p is TwinPage & { parent: { type: 'page_id'; pageId: string } } =>
      p.kind === 'page' && p.parent.type === 'page_id' && p.parent.pageId !== gallery && (!withChildren || pages.some((c) => c.parent.type === 'page_id' && c.parent.pageId === p.id)),
  );
  if (!found) throw new Error('no nested page in the workspace');
  return found;
}

describe('edits', () => {
  it('edits content and title: the text and last_edited_time change, to the minute; the parent is not bumped', async () => {
    const { twin, notion } = await start();
    const target = nestedPage(twin);
    const parentBefore = await page(notion, target.parent.pageId);

    expect(twin.workspace.editPage(target.id, { atMs: T0 + 5_000, title: 'Renamed page' })).toBe(1);
    const after = await page(notion, target.id);
    expect(after.last_edited_time).toBe(minute(T0));
    expect(titleOf(after)).toBe('Renamed page');
    expect(JSON.stringify(await children(notion, target.id))).toContain('(edited 1)');
    // The parent lists the new title but keeps its own last_edited_time (an edit to a child never bumps it).
    const listed = (await children(notion, target.parent.pageId)).find((b) => b.id === target.id);
    expect(listed?.type === 'child_page' && listed.child_page.title).toBe('Renamed page');
    expect((await page(notion, target.parent.pageId)).last_edited_time).toBe(parentBefore.last_edited_time);
    expect((await search(notion))[0].id).toBe(target.id);

    // Another process, the same minute: the text changes, last_edited_time does not (minute precision).
    const same = await control(twin, 'edit-page', { id: target.id, atMs: T0 + 50_000 });
    expect(same).toEqual({ status: 200, body: { ok: true, edits: 2 } });
    expect((await page(notion, target.id)).last_edited_time).toBe(minute(T0));
    expect(JSON.stringify(await children(notion, target.id))).toContain('(edited 2)');
    // Time never runs back; the next minute shows.
    twin.workspace.editPage(target.id, T0 - 3_600_000);
    expect((await page(notion, target.id)).last_edited_time).toBe(minute(T0));
    await control(twin, 'rename-page', { id: target.id, title: 'Renamed again', atMs: T0 + 61_000 });
    const renamed = await page(notion, target.id);
    expect([renamed.last_edited_time, titleOf(renamed)]).toEqual([minute(T0 + MINUTE), 'Renamed again']);
    expect(twin.workspace.page(target.id)).toMatchObject({ title: 'Renamed again', lastEditedTime: minute(T0 + MINUTE) });
  });

  it('an edit changes the text even of a page without text blocks', async () => {
    const { twin, notion } = await start({ seed: 4, pages: 2, databases: 1, rowsPerDatabase: 2, blocksPerRow: 0 });
    const rowId = twin.workspace.allDatabases()[0].rowIds[1];
    expect(await children(notion, rowId)).toEqual([]);
    twin.workspace.editPage(rowId, { atMs: T0 });
    const blocks = await children(notion, rowId);
    expect(blocks.map((b) => b.type)).toEqual(['paragraph']);
    expect(JSON.stringify(blocks)).toContain('(edited 1)');
    expect(blocks[0].last_edited_time).toBe(minute(T0));
  });

  it('without atMs a change takes the twin clock', async () => {
    let now = T0 + 7 * MINUTE;
    const { twin, notion } = await start(WORKSPACE, () => now);
    const target = nestedPage(twin);
    await control(twin, 'edit-page', { id: target.id });
    expect((await page(notion, target.id)).last_edited_time).toBe(minute(T0 + 7 * MINUTE));
    now += 2 * MINUTE;
    const id = twin.workspace.addPage();
    expect((await page(notion, id)).created_time).toBe(minute(T0 + 9 * MINUTE));
  });

  it("edits a row's property: the value changes and only the row is bumped", async () => {
    const { twin, notion } = await start();
    const db = twin.workspace.allDatabases()[0];
    const rowId = db.rowIds[3];
    const before = await page(notion, rowId);
    const sourceBefore = await notion.dataSources.retrieve({ data_source_id: db.dataSourceId });

    expect(await control(twin, 'edit-property', { id: rowId, property: 'Notes', atMs: T0 })).toEqual({ status: 200, body: { ok: true, edits: 1 } });
    twin.workspace.editProperty(rowId, { property: 'Done', atMs: T0 });
    twin.workspace.editProperty(rowId, { property: 'Estimate', atMs: T0 });
    const after = await page(notion, rowId);
    expect(after.last_edited_time).toBe(minute(T0));
    expect(plainText(before, 'Notes')).not.toContain('(edited');
    expect(plainText(after, 'Notes')).toContain('(edited 1)');
    const done = (p: PageObjectResponse) => (p.properties.Done?.type === 'checkbox' ? p.properties.Done.checkbox : null);
    expect(done(after)).toBe(!done(before));
    const estimate = (p: PageObjectResponse) => (p.properties.Estimate?.type === 'number' ? p.properties.Estimate.number : null);
    expect(estimate(after)).toBe((estimate(before) ?? 0) + 1);
    // The content did not change; the data source and the other rows were not bumped.
    expect(JSON.stringify(await children(notion, rowId))).not.toContain('(edited');
    const sourceAfter = await notion.dataSources.retrieve({ data_source_id: db.dataSourceId });
    expect(isFullDataSource(sourceAfter) && sourceAfter.last_edited_time).toBe(isFullDataSource(sourceBefore) && sourceBefore.last_edited_time);
    const changed = await query(notion, db.dataSourceId, { filter: { timestamp: 'last_edited_time', last_edited_time: { on_or_after: minute(T0) } } });
    expect(changed.map((r) => r.id)).toEqual([rowId]);
    // The value is the one filters see, and the property item endpoint agrees.
    const notes = await notion.pages.properties.retrieve({ page_id: rowId, property_id: '_Tc_' });
    expect(JSON.stringify(notes)).toContain('(edited 1)');
    const byNotes = await query(notion, db.dataSourceId, { filter: { property: 'Notes', rich_text: { contains: '(edited 1)' } } });
    expect(byNotes.map((r) => r.id)).toEqual([rowId]);

    const refused = await control(twin, 'edit-property', { id: rowId, property: 'Created' });
    expect(refused.status).toBe(400);
    expect(refused.body.error).toMatch(/Created .* cannot be edited/);
    expect(() => twin.workspace.editProperty(twin.workspace.allPages()[1].id)).toThrow(TwinChangeError);
  });
});

describe('property edits of every editable kind', () => {
  it('changes each editable value, and refuses what it cannot edit', async () => {
    const { twin, notion } = await start();
    const db = twin.workspace.allDatabases()[0];
    const rowId = db.rowIds[4];
    const before = await page(notion, rowId);
    const editable = ['Status', 'Priority', 'Tags', 'Website', 'Contact', 'Phone', 'Budget'];
    for (const property of editable) twin.workspace.editProperty(rowId, { property, atMs: T0 });
    const after = await page(notion, rowId);
    for (const property of editable) expect([property, JSON.stringify(after.properties[property])]).not.toEqual([property, JSON.stringify(before.properties[property])]);
    // Without a name, the first editable property (Notes) changes.
    expect(twin.workspace.editProperty(rowId)).toBe(1);
    expect(plainText(await page(notion, rowId), 'Notes')).toContain('(edited 1)');
    const milestones = twin.workspace.allDatabases().find((d) => d.dataSources.length > 1)?.dataSources[1];
    if (!milestones) throw new Error('no second data source');
    expect(() => twin.workspace.editProperty(milestones.rowIds[0], { property: 'Lead' })).toThrow(/cannot be edited/);
    expect(() => twin.workspace.editProperty(milestones.rowIds[0], { property: 'Nope' })).toThrow(/no property "Nope"/);
    expect(twin.workspace.editProperty(milestones.rowIds[0])).toBe(1);

    expect(() => twin.workspace.renameProperty(db.dataSourceId, 'Notes', 'Status')).toThrow(/taken/);
    expect(() => twin.workspace.addProperty(db.dataSourceId, { name: ' ' })).toThrow(/empty/);
    twin.workspace.trash(db.id);
    expect(() => twin.workspace.addRow(db.dataSourceId)).toThrow(/outside the trash/);
    expect(() => twin.workspace.editSyncedBlock(twin.workspace.allPages()[1].id)).toThrow(/not a block/);
    expect((await control(twin, 'edit-page', { id: rowId, title: 7 })).body.error).toMatch(/title to be a string/);
  });
});

describe('new pages and rows', () => {
  it('adds pages under a page and at the root: listed by the parent (unbumped), searched, retrievable', async () => {
    const { twin, notion } = await start();
    const parent = nestedPage(twin);
    const parentBefore = await page(notion, parent.id);
    const added = await control(twin, 'add-page', { parentId: parent.id, title: 'Fresh page', atMs: T0 });
    expect(added.status).toBe(200);
    const id = String(added.body.id);
    const rootId = twin.workspace.addPage({ atMs: T0 + MINUTE });

    const fresh = await page(notion, id);
    expect(fresh.parent).toEqual({ type: 'page_id', page_id: parent.id });
    expect([fresh.created_time, fresh.last_edited_time, titleOf(fresh)]).toEqual([minute(T0), minute(T0), 'Fresh page']);
    expect((await children(notion, id)).length).toBeGreaterThan(0);
    expect(await childPageIds(notion, parent.id)).toContain(id);
    expect((await page(notion, parent.id)).last_edited_time).toBe(parentBefore.last_edited_time);
    expect((await page(notion, rootId)).parent).toEqual({ type: 'workspace', workspace: true });
    expect((await search(notion)).slice(0, 2).map((r) => r.id)).toEqual([rootId, id]);
    expect(twin.workspace.allPages().find((p) => p.id === id)).toMatchObject({ parent: { type: 'page_id', pageId: parent.id }, depth: parent.depth + 1, inTrash: false });
    expect(twin.workspace.rootPages().map((p) => p.id)).toContain(rootId);

    // Deterministic: the same change on the same seed gives the same page, content included.
    const again = generateWorkspace(WORKSPACE);
    expect(again.addPage({ parentId: parent.id, title: 'Fresh page', atMs: T0 })).toBe(id);
    expect(pageBody(again, again.pages[again.pages.length - 1]).nodes.length).toBe(pageBody(twin.workspace, twin.workspace.pages[twin.workspace.pages.length - 2]).nodes.length);

    expect((await control(twin, 'add-page', { parentId: twin.workspace.allDatabases()[0].rowIds[0] })).status).toBe(400);
  });

  it('adds rows: they show in queries and search; other rows keep their values', async () => {
    const { twin, notion } = await start();
    const db = twin.workspace.allDatabases()[0];
    const rowsBefore = await query(notion, db.dataSourceId);
    const res = await control(twin, 'add-row', { dataSourceId: db.dataSourceId, title: 'New row', atMs: T0 });
    const rowId = String(res.body.id);
    const rowsAfter = await query(notion, db.dataSourceId);
    expect(rowsAfter.map((r) => r.id)).toEqual([...rowsBefore.map((r) => r.id), rowId]);
    expect(JSON.stringify(rowsAfter.slice(0, -1))).toBe(JSON.stringify(rowsBefore));
    const row = rowsAfter[rowsAfter.length - 1];
    expect(row.parent).toEqual({ type: 'data_source_id', data_source_id: db.dataSourceId, database_id: db.id });
    expect(titleOf(row)).toBe('New row');
    expect(row.properties.ID?.type === 'unique_id' && row.properties.ID.unique_id.number).toBe(rowsBefore.length + 1);
    expect((await search(notion))[0].id).toBe(rowId);

    // A multi-source database keeps its rows in data source order.
    const multi = twin.workspace.allDatabases().find((d) => d.dataSources.length > 1);
    if (!multi) throw new Error('no multi-source database');
    const firstSourceRow = twin.workspace.addRow(multi.id, { atMs: T0 });
    const milestone = twin.workspace.addRow(multi.dataSources[1].id, { atMs: T0 });
    const now = twin.workspace.database(multi.id);
    expect(now?.dataSources.map((ds) => ds.rowIds.at(-1))).toEqual([firstSourceRow, milestone]);
    expect(now?.rowIds).toEqual([...(now?.dataSources[0].rowIds ?? []), ...(now?.dataSources[1].rowIds ?? [])]);
    expect(titleOf(await page(notion, milestone))).toMatch(/^Milestone \d+: /);
  });
});

describe('moves', () => {
  it('moves a page: parent and time change, the old parent stops listing it, the new one lists it, neither is bumped', async () => {
    const { twin, notion } = await start();
    const target = nestedPage(twin, true);
    const oldParent = target.parent.pageId;
    const newParent = twin.workspace.allPages().find((p) => p.kind === 'page' && p.parent.type === 'workspace' && p.id !== twin.workspace.allPages()[0].id);
    if (!newParent) throw new Error('no second root page');
    const stamps = async () => [(await page(notion, oldParent)).last_edited_time, (await page(notion, newParent.id)).last_edited_time];
    const before = await stamps();

    expect(await control(twin, 'move-page', { id: target.id, parentId: newParent.id, atMs: T0 })).toEqual({ status: 200, body: { ok: true } });
    const moved = await page(notion, target.id);
    expect(moved.parent).toEqual({ type: 'page_id', page_id: newParent.id });
    expect(moved.last_edited_time).toBe(minute(T0));
    expect(await childPageIds(notion, oldParent)).not.toContain(target.id);
    expect(await childPageIds(notion, newParent.id)).toContain(target.id);
    expect(await stamps()).toEqual(before);
    expect(twin.workspace.page(target.id)).toMatchObject({ parent: { type: 'page_id', pageId: newParent.id }, depth: 1 });
    const child = twin.workspace.allPages().find((p) => p.parent.type === 'page_id' && p.parent.pageId === target.id);
    expect(child?.depth).toBe(2);

    // Rows of a database on a moved page move down with it.
    const db = twin.workspace.allDatabases().find((d) => d.parentPageId !== null && d.parentPageId !== twin.workspace.allPages()[0].id);
    if (db?.parentPageId) {
      twin.workspace.movePage(db.parentPageId, { parentId: target.id });
      const holder = twin.workspace.page(db.parentPageId);
      expect(twin.workspace.page(db.rowIds[0])?.depth).toBe((holder?.depth ?? -9) + 1);
    }
    twin.workspace.movePage(target.id, { parentId: null, atMs: T0 + MINUTE });
    expect((await page(notion, target.id)).parent).toEqual({ type: 'workspace', workspace: true });
    // Never below itself, never a row.
    expect((await control(twin, 'move-page', { id: target.id, parentId: child?.id })).status).toBe(400);
    expect(() => twin.workspace.movePage(twin.workspace.allDatabases()[0].rowIds[0], { parentId: null })).toThrow(/rows stay/);
  });
});

describe('the trash', () => {
  it('trashes a page: flagged on retrieve (its children too), unlisted by its parent, flagged in search until the index catches up; restores it', async () => {
    const { twin, notion } = await start();
    const target = nestedPage(twin, true);
    const child = twin.workspace.allPages().find((p) => p.parent.type === 'page_id' && p.parent.pageId === target.id);
    if (!child) throw new Error('no child');

    expect(await control(twin, 'trash', { id: target.id, atMs: T0 })).toEqual({ status: 200, body: { ok: true } });
    const trashed = await page(notion, target.id);
    expect([trashed.in_trash, trashed.archived, trashed.last_edited_time]).toEqual([true, true, minute(T0)]);
    expect((await page(notion, child.id)).in_trash).toBe(true);
    expect(await childPageIds(notion, target.parent.pageId)).not.toContain(target.id);
    const found = (await search(notion)).filter((r) => r.id === target.id || r.id === child.id);
    expect(found.map((r) => [r.id, r.in_trash, r.archived])).toEqual(
      expect.arrayContaining([
        [target.id, true, true],
        [child.id, true, true],
      ]),
    );
    expect((await search(notion, { filter: { in_trash: true } })).map((r) => r.id).sort()).toEqual([target.id, child.id].sort());
    expect(twin.workspace.page(target.id)).toMatchObject({ shared: true, inTrash: true });
    expect(twin.workspace.allPages().filter((p) => p.inTrash).map((p) => p.id)).toEqual(expect.arrayContaining([target.id, child.id]));

    // Once Notion's index catches up, search leaves them out (the in_trash filter still finds them).
    await control(twin, 'trash-in-results', { flagged: false });
    expect((await search(notion)).some((r) => r.id === target.id || r.id === child.id)).toBe(false);
    expect((await search(notion, { filter: { in_trash: true } })).length).toBe(2);

    await control(twin, 'restore', { id: target.id, atMs: T0 + MINUTE });
    const restored = await page(notion, target.id);
    expect([restored.in_trash, restored.archived, restored.last_edited_time]).toEqual([false, false, minute(T0 + MINUTE)]);
    expect(await childPageIds(notion, target.parent.pageId)).toContain(target.id);
    expect((await search(notion)).some((r) => r.id === target.id)).toBe(true);
    expect((await control(twin, 'restore', { id: target.id })).status).toBe(400);
  });

  it('deletes a page for good: 404 everywhere, gone from every list', async () => {
    const { twin, notion } = await start();
    const target = nestedPage(twin, true);
    const child = twin.workspace.allPages().find((p) => p.parent.type === 'page_id' && p.parent.pageId === target.id);
    twin.workspace.trash(target.id, { atMs: T0 });
    expect(await control(twin, 'delete', { id: target.id })).toEqual({ status: 200, body: { ok: true } });
    for (const id of [target.id, child?.id ?? '']) {
      expect((await apiError(notion.pages.retrieve({ page_id: id }))).code).toBe('object_not_found');
      expect((await apiError(notion.blocks.children.list({ block_id: id }))).code).toBe('object_not_found');
    }
    expect((await search(notion)).some((r) => r.id === target.id || r.id === child?.id)).toBe(false);
    expect((await search(notion, { filter: { in_trash: true } })).length).toBe(0);
    expect(twin.workspace.allPages().some((p) => p.id === target.id || p.id === child?.id)).toBe(false);
    expect(twin.workspace.unsharedPages().some((p) => p.id === target.id)).toBe(false);
    expect(await childPageIds(notion, target.parent.pageId)).not.toContain(target.id);
    expect((await control(twin, 'delete', { id: target.id })).status).toBe(400);
  });

  it('trashes rows: queries return them flagged, `in_trash` queries only them, and hide them once the index catches up', async () => {
    const { twin, notion } = await start();
    const db = twin.workspace.allDatabases()[0];
    const rowId = db.rowIds[2];
    twin.workspace.trash(rowId, { atMs: T0 });
    const all = await query(notion, db.dataSourceId);
    expect(all.map((r) => r.id)).toContain(rowId);
    expect(all.filter((r) => r.in_trash).map((r) => r.id)).toEqual([rowId]);
    expect((await query(notion, db.dataSourceId, { in_trash: true })).map((r) => r.id)).toEqual([rowId]);
    expect(twin.workspace.database(db.id)?.rowIds).not.toContain(rowId);
    twin.workspace.trashInResults = false;
    expect((await query(notion, db.dataSourceId)).map((r) => r.id)).not.toContain(rowId);
    expect((await query(notion, db.dataSourceId, { in_trash: true })).map((r) => r.id)).toEqual([rowId]);
    twin.workspace.deletePermanently(rowId);
    expect((await query(notion, db.dataSourceId, { in_trash: true })).length).toBe(0);
    expect((await apiError(notion.pages.retrieve({ page_id: rowId }))).status).toBe(404);
  });

  it('trashes a database: database, data sources and rows flagged, its block unlisted; deleted, all answer 404', async () => {
    const { twin, notion } = await start();
    const db = twin.workspace.allDatabases()[0];
    if (!db.parentPageId) throw new Error('workspace-level database');
    expect(await childIds(notion, db.parentPageId)).toContain(db.id);
    await control(twin, 'trash', { id: db.id, atMs: T0 });
    const retrieved = await notion.databases.retrieve({ database_id: db.id });
    expect('in_trash' in retrieved && retrieved.in_trash).toBe(true);
    const source = await notion.dataSources.retrieve({ data_source_id: db.dataSourceId });
    expect(isFullDataSource(source) && [source.in_trash, source.archived]).toEqual([true, true]);
    expect(await childIds(notion, db.parentPageId)).not.toContain(db.id);
    expect((await page(notion, db.rowIds[0])).in_trash).toBe(true);
    expect((await search(notion, { filter: { value: 'data_source', property: 'object' } })).find((r) => r.id === db.dataSourceId)?.in_trash).toBe(true);
    expect(twin.workspace.database(db.id)?.inTrash).toBe(true);

    twin.workspace.deletePermanently(db.id);
    expect((await apiError(notion.databases.retrieve({ database_id: db.id }))).code).toBe('object_not_found');
    expect((await apiError(notion.dataSources.retrieve({ data_source_id: db.dataSourceId }))).code).toBe('object_not_found');
    expect((await apiError(notion.dataSources.query({ data_source_id: db.dataSourceId }))).code).toBe('object_not_found');
    expect((await apiError(notion.pages.retrieve({ page_id: db.rowIds[0] }))).code).toBe('object_not_found');
    expect((await search(notion)).some((r) => r.id === db.dataSourceId || r.id === db.rowIds[0])).toBe(false);
    expect(twin.workspace.allDatabases().some((d) => d.id === db.id)).toBe(false);
  });

  it('hides trashed items from the start with trashInResults: false', async () => {
    const twin = await startTwin({ workspace: { ...WORKSPACE, trashedPages: 2 }, trashInResults: false });
    open.push(twin);
    const notion = new Client({ auth: DEFAULT_TOKEN, baseUrl: twin.url, retry: false, logLevel: LogLevel.ERROR });
    expect((await search(notion)).some((r) => r.in_trash)).toBe(false);
    expect((await search(notion, { filter: { in_trash: true } })).length).toBe(2);
  });

  it('generates pages already in the trash (trashedPages) without changing the rest of the workspace', async () => {
    const { twin, notion } = await start({ ...WORKSPACE, trashedPages: 3 });
    const plain = generateWorkspace(WORKSPACE);
    const trashed = twin.workspace.allPages().filter((p) => p.inTrash);
    expect(trashed).toHaveLength(3);
    expect(twin.workspace.allPages().filter((p) => !p.inTrash)).toEqual(plain.allPages());
    expect(twin.workspace.allDatabases()).toEqual(plain.allDatabases());
    const flagged = (await search(notion)).filter((r) => r.in_trash);
    expect(flagged.map((r) => r.id).sort()).toEqual(trashed.map((p) => p.id).sort());
    for (const p of trashed) {
      expect((await page(notion, p.id)).archived).toBe(true);
      if (p.parent.type === 'page_id') expect(await childPageIds(notion, p.parent.pageId)).not.toContain(p.id);
    }
    // Parents list the same blocks as without the trashed pages.
    const parent = trashed.find((p) => p.parent.type === 'page_id');
    if (parent?.parent.type === 'page_id') {
      const index = plain.pages.findIndex((p) => p.id === (parent.parent.type === 'page_id' ? parent.parent.pageId : ''));
      expect(pageBody(twin.workspace, twin.workspace.pages[index]).nodes.length).toBe(pageBody(plain, plain.pages[index]).nodes.length);
    }
  });
});

async function childIds(notion: Client, id: string): Promise<string[]> {
  return (await children(notion, id)).map((b) => b.id);
}

describe('lost access', () => {
  it('restricts a page: it and its subtree answer 404 and leave search; the parent still lists its block', async () => {
    const { twin, notion } = await start();
    const target = nestedPage(twin, true);
    const child = twin.workspace.allPages().find((p) => p.parent.type === 'page_id' && p.parent.pageId === target.id);
    if (!child) throw new Error('no child');
    const before = (await page(notion, target.id)).last_edited_time;
    expect(await control(twin, 'restrict-page', { id: target.id })).toEqual({ status: 200, body: { ok: true } });
    for (const id of [target.id, child.id]) {
      const err = await apiError(notion.pages.retrieve({ page_id: id }));
      expect([err.status, err.code]).toEqual([404, 'object_not_found']);
      expect((await apiError(notion.blocks.children.list({ block_id: id }))).code).toBe('object_not_found');
    }
    expect((await search(notion)).some((r) => r.id === target.id || r.id === child.id)).toBe(false);
    expect(await childPageIds(notion, target.parent.pageId)).toContain(target.id);
    expect(twin.workspace.unsharedPages().map((p) => p.id)).toContain(target.id);
    expect(twin.workspace.allPages().some((p) => p.id === target.id || p.id === child.id)).toBe(false);
    expect(twin.workspace.page(target.id)).toMatchObject({ shared: false, lastEditedTime: before });
  });

  it('moves a page out of the shared tree: 404, gone from search and from its old parent', async () => {
    const { twin, notion } = await start();
    const target = nestedPage(twin);
    await control(twin, 'move-out-of-shared-tree', { id: target.id, atMs: T0 });
    expect((await apiError(notion.pages.retrieve({ page_id: target.id }))).code).toBe('object_not_found');
    expect((await search(notion)).some((r) => r.id === target.id)).toBe(false);
    expect(await childPageIds(notion, target.parent.pageId)).not.toContain(target.id);
    expect(twin.workspace.unsharedPages().some((p) => p.id === target.id)).toBe(false);
    expect(twin.workspace.allPages().some((p) => p.id === target.id)).toBe(false);
    expect((await control(twin, 'restrict-page', { id: target.id })).status).toBe(400);
  });
});

describe('synced blocks', () => {
  it("edits a synced original: its page is bumped, the page showing a reference is not, yet the reference's children show the edit", async () => {
    const { twin, notion } = await start();
    const [original] = twin.workspace.syncedOriginals();
    expect(original).toBeDefined();
    const [referencePageId] = original.referencePageIds;
    const reference = (await children(notion, referencePageId)).find((b) => b.type === 'synced_block' && b.synced_block.synced_from?.block_id === original.blockId);
    if (!reference) throw new Error('the reference page shows no reference to the original');
    const shownBefore = JSON.stringify(await children(notion, reference.id));
    const referencePageBefore = (await page(notion, referencePageId)).last_edited_time;

    expect(await control(twin, 'edit-synced-block', { atMs: T0 })).toEqual({ status: 200, body: { ok: true, edits: 1 } });
    expect((await page(notion, original.pageId)).last_edited_time).toBe(minute(T0));
    expect((await page(notion, referencePageId)).last_edited_time).toBe(referencePageBefore);
    const shown = await children(notion, reference.id);
    expect(JSON.stringify(shown)).toContain('(synced edit 1)');
    expect(shownBefore).not.toContain('(synced edit');
    expect(shown.find((b) => JSON.stringify(b).includes('(synced edit 1)'))?.last_edited_time).toBe(minute(T0));
    // The original lists the same children, and the rest of its page is unchanged (no "(edited n)").
    expect(JSON.stringify(await children(notion, original.blockId))).toBe(JSON.stringify(shown));
    expect(JSON.stringify(await children(notion, original.pageId))).not.toContain('(edited');

    expect(twin.workspace.editSyncedBlock(original.blockId, { atMs: T0 + MINUTE })).toBe(2);
    expect(JSON.stringify(await children(notion, reference.id))).toContain('(synced edit 2)');
    // A reference is not an original; neither is an ordinary block.
    expect((await control(twin, 'edit-synced-block', { blockId: reference.id })).body.error).toMatch(/not a synced block original/);
    expect(() => generateWorkspace({ pages: 1, databases: 0 }).editSyncedBlock()).toThrow(TwinChangeError);
  });
});

describe('schema changes', () => {
  it('adds and renames properties: the data source is bumped and rows show the new schema, unbumped', async () => {
    const { twin, notion } = await start();
    const db = twin.workspace.allDatabases()[1];
    const rowId = db.rowIds[0];
    const rowBefore = await page(notion, rowId);

    const added = await control(twin, 'add-property', { dataSourceId: db.dataSourceId, name: 'Reviewer notes', atMs: T0 });
    expect(added.status).toBe(200);
    const propertyId = String(added.body.propertyId);
    twin.workspace.addProperty(db.dataSourceId, { name: 'Points', type: 'number', atMs: T0 });
    await control(twin, 'rename-property', { dataSourceId: db.dataSourceId, property: 'Notes', name: 'Remarks', atMs: T0 + MINUTE });

    const source = await notion.dataSources.retrieve({ data_source_id: db.dataSourceId });
    if (!isFullDataSource(source)) throw new Error('partial data source');
    expect(source.last_edited_time).toBe(minute(T0 + MINUTE));
    expect(source.properties['Reviewer notes']).toMatchObject({ id: propertyId, type: 'rich_text' });
    expect(source.properties.Points).toMatchObject({ type: 'number', number: { format: 'number' } });
    expect(source.properties.Remarks).toMatchObject({ id: '_Tc_', type: 'rich_text' });
    expect(source.properties.Notes).toBeUndefined();
    expect((await search(notion))[0].id).toBe(db.dataSourceId);
    expect(twin.workspace.database(db.id)?.dataSources[0]).toMatchObject({ lastEditedTime: minute(T0 + MINUTE) });
    expect(twin.workspace.database(db.id)?.dataSources[0].properties.slice(-2)).toEqual(['Reviewer notes', 'Points']);

    const row = await page(notion, rowId);
    expect(row.last_edited_time).toBe(rowBefore.last_edited_time);
    expect(row.properties['Reviewer notes']).toEqual({ id: propertyId, type: 'rich_text', rich_text: [] });
    expect(row.properties.Points).toMatchObject({ type: 'number', number: null });
    expect(plainText(row, 'Remarks')).toBe(plainText(rowBefore, 'Notes'));
    expect(row.properties.Notes).toBeUndefined();

    // The new property takes edits like any other, and filters see it.
    twin.workspace.editProperty(rowId, { property: 'Reviewer notes', atMs: T0 + 2 * MINUTE });
    twin.workspace.editProperty(rowId, { property: 'Points', atMs: T0 + 2 * MINUTE });
    const edited = await page(notion, rowId);
    expect(plainText(edited, 'Reviewer notes')).toBe('Edit 1');
    expect(edited.properties.Points).toMatchObject({ number: 1 });
    expect(edited.last_edited_time).toBe(minute(T0 + 2 * MINUTE));
    expect(JSON.stringify(await notion.pages.properties.retrieve({ page_id: rowId, property_id: propertyId }))).toContain('Edit 1');
    const byNew = await query(notion, db.dataSourceId, { filter: { property: 'Reviewer notes', rich_text: { contains: 'Edit' } } });
    expect(byNew.map((r) => r.id)).toEqual([rowId]);
    const byPoints = await query(notion, db.dataSourceId, { filter: { property: 'Points', number: { greater_than: 0 } } });
    expect(byPoints.map((r) => r.id)).toEqual([rowId]);

    expect((await control(twin, 'add-property', { dataSourceId: db.dataSourceId, name: 'Points' })).body.error).toMatch(/taken/);
    expect((await control(twin, 'rename-property', { dataSourceId: db.dataSourceId, property: 'Nope', name: 'X' })).body.error).toMatch(/no property/);
  });
});

describe('refused changes', () => {
  it('answers 400 with the reason for bad bodies and unknown ids, 404 for unknown routes', async () => {
    const { twin } = await start();
    const id = twin.workspace.allPages()[1].id;
    expect(await control(twin, 'edit-page', {})).toEqual({ status: 400, body: { error: 'expected id (a non-empty string)' } });
    expect((await control(twin, 'edit-page', { id, atMs: 'soon' })).body.error).toMatch(/atMs/);
    expect((await control(twin, 'edit-page', { id: '00000000-0000-0000-0000-000000000000' })).body.error).toMatch(/no page the integration sees/);
    expect((await control(twin, 'move-page', { id })).body.error).toMatch(/parentId/);
    expect((await control(twin, 'trash-in-results', { flagged: 'yes' })).status).toBe(400);
    expect((await control(twin, 'add-property', { dataSourceId: twin.workspace.allDatabases()[0].dataSourceId, name: 'X', type: 'formula' })).body.error).toMatch(/type/);
    expect((await control(twin, 'trash', { id: twin.workspace.botUserId })).status).toBe(400);
    expect((await control(twin, 'turn-off-notion', {})).status).toBe(404);
  });
});
