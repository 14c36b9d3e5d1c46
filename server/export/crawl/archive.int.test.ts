import fs from 'node:fs';
import path from 'node:path';
import { runInNewContext } from 'node:vm';
import { and, eq } from 'drizzle-orm';
import { fromHtml } from 'hast-util-from-html';
import MiniSearch from 'minisearch';
import { beforeAll, describe, expect, it } from 'vitest';
import { exportItems, exports } from '@/db/schema';
import { createConnection } from '@/server/connections/connections';
import { SEARCH_GLOBAL } from '@/server/export/archive/search-index';
import { requestExport, requestSync } from '@/server/export/control/request-export';
import { readManifest, verifyManifest } from '@/server/export/files/manifest';
import { Runner } from '@/server/runner/runner';
import { createTestContext } from '@/server/testing/test-context';
import { runQueuedExports, sharedTwinConnection } from '@/server/testing/twin-connection';

/**
 * The archive through the whole crawl, against the twin over HTTP: an export in every format, its
 * database pages as tables, its index and search; then syncs of it, whose folders are archives too.
 */

const WORKSPACE = { seed: 5, pages: 16, databases: 2, rowsPerDatabase: 4, depth: 3, largePages: 0, unsharedPages: 0 };

const conn = sharedTwinConnection({ workspace: WORKSPACE });

const hex = (id: string) => id.replace(/-/g, '');

function filesOf(root: string): string[] {
  return fs
    .readdirSync(root, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile())
    .map((d) => path.relative(root, path.join(d.parentPath, d.name)).split(path.sep).join('/'));
}

/** The pages the export's search finds for `query`, as the search box asks its shards. */
function search(root: string, query: string): string[] {
  const window: Record<string, unknown> = {};
  window.window = window;
  for (const file of filesOf(root).filter((f) => /^search\/index-\d+\.js$/.test(f))) runInNewContext(fs.readFileSync(path.join(root, file), 'utf8'), window);
  const shards = (window[SEARCH_GLOBAL] ?? []) as { index: never; options: never }[];
  return shards.flatMap((shard) => MiniSearch.loadJS(shard.index, shard.options).search(query, { prefix: true }).map((hit) => String(hit.path)));
}

describe('the archive of an export and of its syncs', () => {
  let root: string;
  let files: string[];

  beforeAll(async () => {
    const exportId = await requestExport(conn.ctx, { connectionId: conn.connectionId, requestedBy: 'dashboard' });
    await runQueuedExports(conn.ctx);
    root = await conn.outDirOf(exportId);
    files = filesOf(root);
  });

  it('shows each database as a table of its rows, relations linked to the row pages, and a GFM table in Markdown', () => {
    const database = conn.twin.workspace.allDatabases().find((d) => d.dataSources.length === 1 && d.rowIds.length > 1)!;
    const htmlFile = files.find((f) => f.endsWith(`${hex(database.id)}.html`))!;
    const html = fs.readFileSync(path.join(root, htmlFile), 'utf8');
    expect(fromHtml(html, { onerror: (e) => expect.unreachable(e.message) })).toBeDefined();
    const body = html.slice(html.indexOf('<tbody>'), html.indexOf('</tbody>'));
    expect(body.match(/<tr>/g)).toHaveLength(database.rowIds.length);
    for (const rowId of database.rowIds) expect(body, rowId).toContain(`${hex(rowId)}.html"`);
    expect(html).toContain('<th scope="col">Related</th>');
    expect(html).toContain("document.querySelectorAll('table.database-table')");
    // Relations resolved at the finish: relative links to files of the export, no placeholder left.
    expect(html).not.toContain('#notion-sync-page-');
    // Links in cells (relations; the title's is in a th) lead to pages of the export.
    const relations = [...body.matchAll(/<td data-sort="[^"]*"><a href="([^"]+\.html)">/g)].map((m) => m[1]!);
    expect(relations.length).toBeGreaterThan(0);
    for (const href of relations) expect(fs.existsSync(path.join(root, path.posix.dirname(htmlFile), decodeURIComponent(href))), href).toBe(true);
    const md = fs.readFileSync(path.join(root, htmlFile.replace(/\.html$/, '.md')), 'utf8');
    expect(md).toMatch(/^\| Name +\| /m);
    expect(md.split('\n').filter((line) => line.startsWith('| ['))).toHaveLength(database.rowIds.length);
  });

  it('writes index.html, index.md, report.html and the search, each in the manifest, and verify passes', async () => {
    for (const file of ['index.html', 'index.md', 'report.html', 'search/minisearch.js', 'search/index-1.js']) expect(files).toContain(file);
    const manifest = await readManifest(root);
    expect(manifest.files.map((f) => f.path).sort()).toEqual(files.filter((f) => f !== 'manifest.json').sort());
    expect(await verifyManifest(root)).toEqual({ missing: [], changed: [], extra: [] });
    const index = fs.readFileSync(path.join(root, 'index.html'), 'utf8');
    for (const page of conn.twin.workspace.allPages().filter((p) => !p.inTrash)) expect(index, page.title).toContain(hex(page.id));
    // Every page is in the search, found by its title.
    const page = conn.twin.workspace.allPages().find((p) => p.kind === 'page' && p.depth === 1)!;
    expect(search(root, page.title.split(/\s+/)[0]!)).toEqual(expect.arrayContaining([expect.stringContaining(hex(page.id))]));
  });

  it('a sync’s folder is an archive too: an unchanged sync keeps the search files, a new page is found', async () => {
    const first = await requestSync(conn.ctx, { connectionId: conn.connectionId, trigger: 'manual' });
    await runQueuedExports(conn.ctx);
    const base = await conn.outDirOf(first.exportId);
    const unchanged = await requestSync(conn.ctx, { connectionId: conn.connectionId, trigger: 'manual' });
    await runQueuedExports(conn.ctx);
    const next = await conn.outDirOf(unchanged.exportId);
    for (const file of ['search/minisearch.js', 'search/index-1.js']) {
      expect(fs.statSync(path.join(next, file)).ino, file).toBe(fs.statSync(path.join(base, file)).ino);
    }
    expect(fs.statSync(path.join(next, 'index.html')).ino).not.toBe(fs.statSync(path.join(base, 'index.html')).ino);
    expect(await verifyManifest(next)).toEqual({ missing: [], changed: [], extra: [] });

    const added = conn.twin.workspace.addPage({ title: 'Zanzibar expedition' });
    const later = await requestSync(conn.ctx, { connectionId: conn.connectionId, trigger: 'manual' });
    await runQueuedExports(conn.ctx);
    const latest = await conn.outDirOf(later.exportId);
    expect(search(latest, 'zanzibar')).toEqual([expect.stringContaining(hex(added))]);
    expect(fs.readFileSync(path.join(latest, 'index.html'), 'utf8')).toContain('Zanzibar expedition');
    expect(await verifyManifest(latest)).toEqual({ missing: [], changed: [], extra: [] });
    // The snapshot before it is as it was.
    expect(search(next, 'zanzibar')).toEqual([]);
  });

  it('an export stopped halfway and resumed still finds every page: the text comes from the files, not from the run', async () => {
    const own = await createTestContext();
    try {
      const connection = await createConnection(own, { token: 'secret_twin', baseUrl: conn.twin.url });
      const exportId = await requestExport(own, { connectionId: connection.id, formats: ['html'], requestedBy: 'cli' });
      const first = new Runner(own, { concurrency: 2 });
      const stopped = new Promise<void>((resolve) => {
        const unsubscribe = own.feed.subscribe(async () => {
          const [row] = await own.database.db.select().from(exports).where(eq(exports.id, exportId));
          if (row && row.pagesDone >= 8) {
            unsubscribe();
            await first.stop();
            resolve();
          }
        });
      });
      first.start();
      await stopped;
      const [mid] = await own.database.db.select().from(exports).where(eq(exports.id, exportId));
      expect(mid!.status).toBe('queued');
      const before = (
        await own.database.db
          .select({ id: exportItems.itemId })
          .from(exportItems)
          .where(and(eq(exportItems.exportId, exportId), eq(exportItems.status, 'done')))
      ).map((r) => r.id);
      expect(before.length).toBeGreaterThanOrEqual(8);
      expect(await new Runner(own).runOnce()).toMatch(/^completed/);
      const [row] = await own.database.db.select().from(exports).where(eq(exports.id, exportId));
      const window: Record<string, unknown> = {};
      window.window = window;
      for (const file of filesOf(row!.outDir).filter((f) => /^search\/index-\d+\.js$/.test(f))) {
        runInNewContext(fs.readFileSync(path.join(row!.outDir, file), 'utf8'), window);
      }
      // Each document's id and its number of words in the title and the text.
      type Shard = { index: { documentIds: Record<string, string>; fieldLength: Record<string, [number, number]> } };
      const words = new Map(
        (window[SEARCH_GLOBAL] as Shard[]).flatMap((shard) =>
          Object.entries(shard.index.documentIds).map(([short, id]) => [id, shard.index.fieldLength[short]?.[1] ?? 0] as const),
        ),
      );
      const live = [...conn.twin.workspace.allPages(), ...conn.twin.workspace.allDatabases()].filter((item) => !item.inTrash);
      expect(live.filter((item) => !words.has(item.id)).map((item) => item.title)).toEqual([]);
      // The pages exported before the stop are indexed with their text, not by their title alone
      // (a linked database view is done but has no file: it is in no index).
      const linked = new Set(conn.twin.workspace.linkedDatabases().map((l) => l.id));
      expect(before.filter((id) => !linked.has(id) && !((words.get(id) ?? 0) > 0))).toEqual([]);
    } finally {
      await own.cleanup();
    }
  });
});
