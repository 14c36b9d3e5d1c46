import fs from 'node:fs';
import path from 'node:path';
import { desc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exports } from '@/db/schema';
import { startTwin, type Twin } from '@/e2e/notion-twin/index';
import { createConnection } from '@/server/connections/connections';
import { requestExport, requestSync } from '@/server/export/control/request-export';
import type { ExportChanges } from '@/server/export/domain/export';
import { ARCHIVE_ROOT_NAMES } from '@/server/export/archive/index-page';
import { verifyManifest } from '@/server/export/files/manifest';
import { REPORT_FILE } from '@/server/export/files/layout';
import { Runner } from '@/server/runner/runner';
import { withoutVolatileParts } from '@/server/export/files/volatile-parts';
import { createTestContext, type TestContext } from '@/server/testing/test-context';
import type { ExportReport } from './report';

/**
 * Syncs against the Notion twin over HTTP, after each kind of change, each checked file by file
 * against a fresh full export of the changed workspace (another database, same twin).
 */

const WORKSPACE = { seed: 7, pages: 30, databases: 2, rowsPerDatabase: 5, depth: 3, largePages: 0, unsharedPages: 1, trashedPages: 1 };

let twin: Twin;
let ctx: TestContext;
let fresh: TestContext;
let connectionId: string;
let freshConnectionId: string;

beforeAll(async () => {
  twin = await startTwin({ workspace: WORKSPACE });
  ctx = await createTestContext();
  fresh = await createTestContext();
  connectionId = (await createConnection(ctx, { token: 'secret_twin', baseUrl: twin.url })).id;
  freshConnectionId = (await createConnection(fresh, { token: 'secret_twin', baseUrl: twin.url })).id;
});
afterAll(async () => {
  await ctx?.cleanup();
  await fresh?.cleanup();
  await twin?.close();
});

const rowOf = async (c: TestContext, id: string) => (await c.database.db.select().from(exports).where(eq(exports.id, id)))[0]!;

async function runAll(c: TestContext): Promise<void> {
  const runner = new Runner(c, { concurrency: 4 });
  while ((await runner.runOnce()) !== undefined) {}
}

/** The export's own pages at the root (report, manifest, the archive's index and search) describe the export itself. */
const isExportPage = (rel: string) => ARCHIVE_ROOT_NAMES.includes(rel.split('/')[0]!.replace(/\.[^.]*$/, ''));
const TEXT = /\.(json|md|html|csv)$/;

/** Every file of an export folder but the export's own pages, with its bytes. */
function tree(root: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  for (const entry of fs.readdirSync(root, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const rel = path.relative(root, path.join(entry.parentPath, entry.name)).split(path.sep).join('/');
    if (isExportPage(rel)) continue;
    const bytes = fs.readFileSync(path.join(root, rel));
    // Notion's signed file URLs change at every read; a file differing only there is the same file.
    out.set(rel, TEXT.test(rel) ? Buffer.from(withoutVolatileParts(bytes.toString('utf8'))) : bytes);
  }
  return out;
}

/** The differences between two export folders: files only in one, files with other bytes. */
function differences(actual: string, expected: string): string[] {
  const a = tree(actual);
  const b = tree(expected);
  const out: string[] = [];
  for (const [p, bytes] of a) {
    const other = b.get(p);
    if (!other) out.push(`extra: ${p}`);
    else if (!other.equals(bytes)) out.push(`differs: ${p}`);
  }
  for (const p of b.keys()) if (!a.has(p)) out.push(`missing: ${p}`);
  return out.sort();
}

interface SyncResult {
  exportId: string;
  outDir: string;
  changes: ExportChanges | null;
  requests: number;
  status: string;
}

async function sync(): Promise<SyncResult> {
  const { exportId } = await requestSync(ctx, { connectionId, trigger: 'manual' });
  await runAll(ctx);
  const row = await rowOf(ctx, exportId);
  return { exportId, outDir: row.outDir, changes: row.changes, requests: row.requests, status: row.status };
}

/** A fresh full export of the workspace as it is now, into a folder of the other database. */
async function freshExport(): Promise<{ outDir: string; requests: number }> {
  const exportId = await requestExport(fresh, { connectionId: freshConnectionId, requestedBy: 'cli' });
  await runAll(fresh);
  const row = await rowOf(fresh, exportId);
  return { outDir: row.outDir, requests: row.requests };
}

/** Syncs, then checks the snapshot file by file against a fresh full export, and its manifest. */
async function syncAndCompare(): Promise<SyncResult> {
  const result = await sync();
  await compareWithFresh(result);
  return result;
}

async function compareWithFresh(result: SyncResult): Promise<void> {
  const expected = await freshExport();
  expect(differences(result.outDir, expected.outDir)).toEqual([]);
  expect(await verifyManifest(result.outDir)).toEqual({ missing: [], changed: [], extra: [] });
  const report = JSON.parse(fs.readFileSync(path.join(result.outDir, REPORT_FILE), 'utf8'));
  expect(report.changes).toEqual(result.changes);
}

const ids = (list: { id: string }[] | undefined) => (list ?? []).map((i) => i.id).sort();
const hex = (id: string) => id.replace(/-/g, '');

/** report.json's skipped entries for items in the trash. */
function skippedInTrash(outDir: string): ExportReport['skipped'] {
  const report = JSON.parse(fs.readFileSync(path.join(outDir, REPORT_FILE), 'utf8')) as ExportReport;
  return report.skipped.filter((s) => s.reason === 'in trash');
}

describe('syncing a workspace after each kind of change', () => {
  let baseline: SyncResult;
  let fullRequests: number;

  beforeAll(async () => {
    baseline = await sync();
    expect(baseline.changes).toBeNull();
    const first = await freshExport();
    fullRequests = first.requests;
    expect(differences(baseline.outDir, first.outDir)).toEqual([]);
  });

  it('a full export leaves pages already in the trash out, and names them in report.json as skipped "in trash"', () => {
    const trashed = twin.workspace.allPages().filter((p) => p.inTrash);
    expect(trashed.length).toBeGreaterThan(0);
    const files = fs.readdirSync(baseline.outDir, { recursive: true }).map(String);
    for (const page of trashed) expect(files.filter((f) => f.includes(hex(page.id)))).toEqual([]);
    const report = JSON.parse(fs.readFileSync(path.join(baseline.outDir, REPORT_FILE), 'utf8'));
    const inTrash = report.skipped.filter((s: { reason: string }) => s.reason === 'in trash').map((s: { id: string }) => s.id);
    expect(inTrash).toEqual(expect.arrayContaining(trashed.map((p) => p.id)));
    expect(report.issues.filter((i: { kind: string }) => i.kind === 'in_trash')).toEqual([]);
  });

  it('an unchanged workspace: only the listing is read, every file is the baseline’s (hard links), nothing changed', async () => {
    const before = await rowOf(ctx, baseline.exportId);
    const result = await syncAndCompare();
    expect(result.changes).toEqual({ added: [], updated: [], moved: [], removed: [] });
    expect(result.requests).toBeLessThanOrEqual(Math.ceil(fullRequests * 0.02) + 1);
    const baseTree = tree(before.outDir);
    for (const rel of baseTree.keys()) {
      const a = fs.statSync(path.join(before.outDir, rel));
      const b = fs.statSync(path.join(result.outDir, rel));
      expect(b.ino, rel).toBe(a.ino);
      expect(b.mtimeMs, rel).toBe(a.mtimeMs);
    }
  });

  it('a page edited: it is updated, and its parent’s JSON (which shows the child’s edit time); the rest is carried over', async () => {
    const page = twin.workspace.allPages().find((p) => p.kind === 'page' && p.depth === 2 && !p.inTrash)!;
    twin.workspace.editPage(page.id);
    const result = await syncAndCompare();
    expect(ids(result.changes?.updated)).toEqual([page.id, parentOf(page)!].sort());
    expect(result.changes?.added).toEqual([]);
    expect(result.changes?.removed).toEqual([]);
  });

  it('a row’s property edited: the row and its database’s CSV', async () => {
    const database = twin.workspace.allDatabases().find((d) => d.dataSources.length === 1)!;
    const row = database.rowIds[0]!;
    twin.workspace.editProperty(row);
    const result = await syncAndCompare();
    expect(ids(result.changes?.updated)).toEqual([database.id, row].sort());
  });

  it('a page renamed: its files and its children’s folder take the new name, its parent lists the new title', async () => {
    const parent = twin.workspace.allPages().find((p) => p.kind === 'page' && !p.inTrash && twin.workspace.allPages().some((c) => parentOf(c) === p.id && c.kind === 'page'))!;
    twin.workspace.renamePage(parent.id, 'Renamed by the sync test');
    const result = await syncAndCompare();
    expect(ids(result.changes?.updated)).toContain(parent.id);
    expect(result.changes?.moved.length).toBeGreaterThan(0);
  });

  it('a page and a row added', async () => {
    const parent = twin.workspace.allPages().find((p) => p.kind === 'page' && p.depth === 1 && !p.inTrash)!;
    const page = twin.workspace.addPage({ parentId: parent.id, title: 'Added by the sync test' });
    const database = twin.workspace.allDatabases().find((d) => d.dataSources.length === 1)!;
    const row = twin.workspace.addRow(database.dataSourceId, { title: 'Added row' });
    const result = await syncAndCompare();
    expect(ids(result.changes?.added)).toEqual([page, row].sort());
  });

  it('a page with children moved to another parent: the files move, links follow, the children are not read again', async () => {
    const pages = twin.workspace.allPages().filter((p) => p.kind === 'page' && !p.inTrash);
    const moving = pages.find((p) => p.depth === 2 && pages.some((c) => parentOf(c) === p.id))!;
    const to = pages.find((p) => p.depth === 1 && p.id !== parentOf(moving) && !isBelow(p.id, moving.id))!;
    const below = twin.workspace.allPages().filter((p) => p.id !== moving.id && !p.inTrash && p.shared !== false && isBelow(p.id, moving.id));
    expect(below.length).toBeGreaterThan(0);
    twin.workspace.movePage(moving.id, { parentId: to.id });
    twin.resetStats();
    const result = await sync();
    // The sync read the moved page (Notion bumps it) and both parents; nothing below it.
    const read = twin.stats().byId;
    for (const page of below) expect(read[page.id] ?? 0, page.title).toBe(0);
    await compareWithFresh(result);
    const moved = result.changes?.moved.find((m) => m.id === moving.id);
    expect(moved).toBeDefined();
    expect(moved?.from).not.toBe(moved?.to);
    expect(ids(result.changes?.moved)).toEqual(expect.arrayContaining(below.map((p) => p.id)));
    expect(fs.readdirSync(result.outDir, { recursive: true }).some((f) => String(f).includes(hex(moving.id)))).toBe(true);
  });

  it('a page moved whose child’s file in the last snapshot is not what it recorded: that child is read again, the snapshot still right', async () => {
    const pages = twin.workspace.allPages().filter((p) => p.kind === 'page' && !p.inTrash && p.shared !== false);
    const moving = pages.find((p) => p.depth === 1 && pages.some((c) => parentOf(c) === p.id))!;
    const child = pages.find((c) => parentOf(c) === moving.id)!;
    const to = pages.find((p) => p.depth === 0 && p.id !== parentOf(moving) && !isBelow(p.id, moving.id))!;
    const [last] = await ctx.database.db.select().from(exports).where(eq(exports.connectionId, connectionId)).orderBy(desc(exports.requestedAt)).limit(1);
    const file = fs.readdirSync(last!.outDir, { recursive: true }).map(String).find((f) => f.endsWith(`${hex(child.id)}.md`))!;
    // Replaced (a new file, as an editor saves one), so the snapshots sharing the old one keep it.
    const abs = path.join(last!.outDir, file);
    fs.writeFileSync(`${abs}.new`, `${fs.readFileSync(abs, 'utf8')}\nEdited by hand.\n`);
    fs.renameSync(`${abs}.new`, abs);
    twin.workspace.movePage(moving.id, { parentId: to.id });
    twin.resetStats();
    const result = await sync();
    expect(twin.stats().byId[child.id] ?? 0).toBeGreaterThan(0);
    await compareWithFresh(result);
    expect(ids(result.changes?.moved)).toEqual(expect.arrayContaining([moving.id, child.id]));
  });

  it('a page and a row trashed: removed "in trash", named in the report', async () => {
    const page = leaves()[0]!;
    const database = twin.workspace.allDatabases().find((d) => d.dataSources.length === 1)!;
    const row = database.rowIds[1]!;
    twin.workspace.trash(page.id);
    twin.workspace.trash(row);
    const result = await syncAndCompare();
    const removed = result.changes?.removed.filter((r) => r.reason === 'in trash');
    expect(ids(removed)).toEqual(expect.arrayContaining([page.id, row]));
    const inTrash = skippedInTrash(result.outDir);
    expect(inTrash.map((s) => s.id)).toEqual(expect.arrayContaining([page.id, row]));
    for (const s of inTrash) expect(s.kind, s.title).toBe('page');
    for (const f of fs.readdirSync(result.outDir, { recursive: true })) expect(String(f)).not.toContain(hex(page.id));
  });

  it('a page restricted and one moved out of the shared tree: removed as no longer shared', async () => {
    const [restricted, out] = leaves();
    twin.workspace.restrictPage(restricted.id);
    twin.workspace.movePageOutOfSharedTree(out.id);
    const result = await syncAndCompare();
    const removed = result.changes?.removed ?? [];
    expect(ids(removed)).toEqual(expect.arrayContaining([restricted.id, out.id]));
    expect(removed.find((r) => r.id === out.id)?.reason).toBe('no longer shared or deleted');
  });

  it('a synced block’s original edited: the pages showing it are rendered again', async () => {
    const [original] = twin.workspace.syncedOriginals();
    expect(original).toBeDefined();
    twin.workspace.editSyncedBlock(original!.blockId);
    const result = await syncAndCompare();
    expect(ids(result.changes?.updated)).toEqual(expect.arrayContaining([original!.pageId, ...original!.referencePageIds]));
  });

  it('a data source’s schema changed: its CSV and its rows are rendered again', async () => {
    const database = twin.workspace.allDatabases().find((d) => d.dataSources.length === 1 && d.rowIds.length > 0)!;
    twin.workspace.addProperty(database.dataSourceId, { name: 'Added by the sync test', type: 'rich_text' });
    const result = await syncAndCompare();
    expect(ids(result.changes?.updated)).toEqual(expect.arrayContaining([database.id, ...database.rowIds]));
  });

  it('a page deleted for good', async () => {
    const page = leaves()[0]!;
    twin.workspace.deletePermanently(page.id);
    const result = await syncAndCompare();
    expect(ids(result.changes?.removed)).toContain(page.id);
  });

  it('a database trashed: removed "in trash" with its rows, named in report.json as a database (the pages trashed before as pages)', async () => {
    const database = twin.workspace.allDatabases().find((d) => d.dataSources.length > 1 && !d.inTrash)!;
    twin.workspace.trash(database.id);
    const result = await syncAndCompare();
    const removed = result.changes?.removed.filter((r) => r.reason === 'in trash');
    expect(ids(removed)).toEqual(expect.arrayContaining([database.id, ...database.rowIds]));
    const inTrash = skippedInTrash(result.outDir);
    expect(inTrash.map((s) => s.id)).toContain(database.id);
    expect(inTrash.filter((s) => s.kind === 'page').length).toBeGreaterThan(0);
    for (const s of inTrash) expect(s.kind, s.title).toBe(s.id === database.id ? 'database' : 'page');
  });
});

const parentOf = (p: { parent: { type: string; pageId?: string } }) => (p.parent.type === 'page_id' ? (p.parent.pageId ?? null) : null);

/** Shared pages (not rows) below the top with no child pages, deepest first. */
function leaves() {
  const pages = twin.workspace.allPages().filter((p) => p.kind === 'page' && !p.inTrash && p.shared !== false);
  return pages.filter((p) => p.depth >= 2 && !pages.some((c) => parentOf(c) === p.id)).sort((a, b) => b.depth - a.depth);
}

function isBelow(id: string, ancestor: string): boolean {
  const byId = new Map(twin.workspace.allPages().map((p) => [p.id, p]));
  for (let at = byId.get(id); at; at = parentOf(at) ? byId.get(parentOf(at)!) : undefined) if (at.id === ancestor) return true;
  return false;
}
