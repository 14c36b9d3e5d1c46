import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { runInNewContext } from 'node:vm';
import { fromHtml } from 'hast-util-from-html';
import MiniSearch from 'minisearch';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SEARCH_GLOBAL, SEARCH_SHARD_SIZE } from '@/server/export/archive/search-index';
import type { DiscoveredItem, ExportFormat, WrittenFile } from '@/server/export/domain/export';
import { handle } from '@/server/export/domain/handle';
import { writeFiles } from '@/server/testing/files';
import { requestTestExport, seedConnections } from '@/server/testing/seed';
import { createTestContext, type TestContext } from '@/server/testing/test-context';
import { type ExportTarget, placeAtRoot, placeItems } from './export-target';
import { buildReport } from './report';
import { writeArchive } from './write-archive';

let ctx: TestContext;
let root: string;
beforeEach(async () => {
  ctx = await createTestContext();
  await seedConnections(ctx, ['c1']);
  root = path.join(ctx.dir, 'out');
});
afterEach(async () => {
  await ctx.cleanup();
});

const uuid = (n: number) => `00000000-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;
const HOME = uuid(1);
const TASKS = uuid(2);
const LINKED = uuid(3);
const GONE = uuid(4);
const row = (n: number) => uuid(100 + n);

/** A page's HTML as the writer lays it out: a style sheet, then the article. */
const pageHtml = (title: string, body: string) =>
  `<!doctype html><html><head><title>${title}</title><style>:root{color-scheme:light dark}</style></head><body><article><h1>${title}</h1><p>${body}</p></article></body></html>\n`;

const sha = (text: string | Buffer) => createHash('sha256').update(text).digest('hex');

/**
 * An export as a finished crawl leaves it, its pages written by "an earlier run" (nothing of them
 * in memory): Home with the Tasks database and its rows, a linked database (done, no files), a
 * page that failed, and `extraRows` more rows in Tasks. Returns what the finish needs.
 */
async function crawledExport(options: { extraRows?: number; formats?: ExportFormat[]; missingHtml?: string } = {}) {
  await requestTestExport(ctx, 'e1', 'c1', root);
  await handle(ctx.store, 'e1', { type: 'StartExport', data: { attempt: 1, runner: 'r' } });
  const items: { item: DiscoveredItem; body: string }[] = [
    { item: { id: HOME, kind: 'page', title: 'Home', parentId: null, dir: '', stem: 'Home 1', status: 'pending' }, body: 'Welcome to the garden journal.' },
    { item: { id: TASKS, kind: 'database', title: 'Tasks', parentId: HOME, dir: 'Home 1', stem: 'Tasks 2', status: 'pending' }, body: 'Rows as a table.' },
    { item: { id: row(1), kind: 'page', title: 'Water <the> tomatoes', parentId: TASKS, dir: 'Home 1/Tasks 2', stem: 'Water the tomatoes 3', status: 'pending' }, body: 'Every morning, zucchini &amp; basil too.' },
    { item: { id: row(2), kind: 'page', title: 'Buy seeds', parentId: TASKS, dir: 'Home 1/Tasks 2', stem: 'Buy seeds 4', status: 'pending' }, body: 'Heirloom varieties.' },
  ];
  for (let i = 0; i < (options.extraRows ?? 0); i++) {
    items.push({
      item: { id: row(1000 + i), kind: 'page', title: `Row ${i}`, parentId: TASKS, dir: 'Home 1/Tasks 2', stem: `Row ${i}`, status: 'pending' },
      body: i === 0 ? 'The first extra row mentions quinoa.' : 'Filler text.',
    });
  }
  const files: Record<string, string> = {};
  const exported = items.map(({ item, body }) => {
    const file = `${item.dir === '' ? '' : `${item.dir}/`}${item.stem}.html`;
    const html = pageHtml(item.title, body);
    if (file !== options.missingHtml) files[file] = html;
    return { id: item.id, files: [{ path: file, bytes: Buffer.byteLength(html), sha256: sha(html), sourceId: item.id }] };
  });
  writeFiles(root, files);
  await handle(ctx.store, 'e1', {
    type: 'RecordProgress',
    data: {
      discovered: [
        ...items.map((i) => i.item),
        { id: LINKED, kind: 'database', title: 'Linked view', parentId: HOME, dir: 'Home 1', stem: 'Linked view 5', status: 'pending' },
        { id: GONE, kind: 'page', title: 'Secret plans', parentId: HOME, dir: 'Home 1', stem: 'Secret plans 6', status: 'pending' },
      ],
      exported: [
        ...exported,
        { id: LINKED, files: [], issues: [{ kind: 'linked_database', sourceId: LINKED, message: 'Linked database "Linked view" is not available' }] },
      ],
      failed: [{ id: GONE, kind: 'page', title: 'Secret plans', code: 'object_not_found', message: 'Not shared with the integration' }],
      stats: { requests: 0, rateLimited: 0, retries: 0 },
    },
  });
  const recorded: WrittenFile[] = [];
  const fences: string[] = [];
  const run = {
    db: ctx.database.db,
    exportId: 'e1',
    root,
    formats: options.formats ?? (['html', 'markdown', 'csv'] as ExportFormat[]),
    mode: 'full' as const,
    report: await buildReport(ctx.database.db, 'e1', new Date('2026-12-02T10:31:00Z')),
    record: async (written: WrittenFile[]) => void recorded.push(...written),
    fence: async () => void fences.push('checked'),
  };
  return { run, recorded, fences };
}

const read = (file: string) => fs.readFileSync(path.join(root, file), 'utf8');

/** The shards as index.html loads them (each script pushes its index onto the global), each loaded by MiniSearch. */
function loadShards(files: string[]): MiniSearch[] {
  const window: Record<string, unknown> = {};
  window.window = window;
  for (const file of files) runInNewContext(read(file), window);
  const shards = window[SEARCH_GLOBAL] as { index: unknown; options: ConstructorParameters<typeof MiniSearch>[0] }[];
  return shards.map((shard) => MiniSearch.loadJS(shard.index as never, shard.options));
}

/** What the search box finds in the shards. */
function searchShards(files: string[], query: string): { id: string; title: string; path: string }[] {
  return loadShards(files).flatMap((engine) =>
    engine.search(query, { prefix: true }).map((hit) => ({ id: String(hit.id), title: String(hit.title), path: String(hit.path) })),
  );
}

describe('the archive written at the finish', () => {
  it('writes index.html, index.md, the search files and report.html, and records each with its checksum', async () => {
    const { run, recorded, fences } = await crawledExport();
    await writeArchive(run);
    const names = recorded.map((f) => f.path).sort();
    expect(names).toEqual(['index.html', 'index.md', 'report.html', 'search/index-1.js', 'search/minisearch.js']);
    for (const file of recorded) {
      expect(file.sourceId, file.path).toBe('e1');
      expect(file.sha256, file.path).toBe(sha(fs.readFileSync(path.join(root, file.path))));
      expect(file.bytes, file.path).toBe(fs.statSync(path.join(root, file.path)).size);
    }
    // Each file became visible only after the lease was checked.
    expect(fences).toHaveLength(recorded.length);

    const index = read('index.html');
    expect(fromHtml(index, { onerror: (e) => expect.unreachable(e.message) })).toBeDefined();
    expect(index).toContain('<a href="Home%201.html">Home</a>');
    expect(index).toContain('<a href="Home%201/Tasks%202.html">Tasks</a><span class="kind">database · 2 rows</span>');
    expect(index).toContain('<a href="Home%201/Tasks%202/Water%20the%20tomatoes%203.html">Water &lt;the&gt; tomatoes</a>');
    // The linked database has no file of its own, the failed page none either: neither is in the tree.
    expect(index).not.toContain('Linked view');
    expect(index).not.toContain('Secret plans');
    expect(index).toContain('<script src="search/index-1.js"></script>');
    expect(index).toContain('3 pages');
    expect(read('index.md')).toContain('  - [Tasks](<Home%201/Tasks%202.md>) (database, 2 rows)');

    const report = read('report.html');
    expect(report).toContain('Secret plans');
    expect(report).toContain('Not shared with the integration');
    expect(report).toContain('<a href="index.html">');
  });

  it('finds pages by a word of their body, read from the HTML files an earlier run wrote', async () => {
    const { run } = await crawledExport({ missingHtml: 'Home 1/Tasks 2/Buy seeds 4.html' });
    await writeArchive(run);
    expect(searchShards(['search/index-1.js'], 'zucchini')).toEqual([
      { id: row(1), title: 'Water <the> tomatoes', path: 'Home 1/Tasks 2/Water the tomatoes 3.html' },
    ]);
    // Entities decoded, the title not mistaken for the style sheet.
    expect(searchShards(['search/index-1.js'], 'basil').map((h) => h.id)).toEqual([row(1)]);
    expect(searchShards(['search/index-1.js'], 'color')).toEqual([]);
    // A page whose file is gone is still found by its title.
    expect(searchShards(['search/index-1.js'], 'seeds').map((h) => h.id)).toEqual([row(2)]);
  });

  it('splits the index into shards of SEARCH_SHARD_SIZE pages that index.html loads one after another', async () => {
    const { run, recorded } = await crawledExport({ extraRows: SEARCH_SHARD_SIZE });
    await writeArchive(run);
    const shards = recorded.map((f) => f.path).filter((p) => /^search\/index-\d+\.js$/.test(p));
    expect(shards).toEqual(['search/index-1.js', 'search/index-2.js']);
    const index = read('index.html');
    expect(index.indexOf('search/minisearch.js')).toBeLessThan(index.indexOf('search/index-1.js'));
    expect(index.indexOf('search/index-1.js')).toBeLessThan(index.indexOf('search/index-2.js'));
    // One page in the first shard, one in the second: both found.
    expect(searchShards(shards, 'quinoa').map((h) => h.title)).toEqual(['Row 0']);
    expect(loadShards(shards).map((engine) => engine.documentCount)).toEqual([SEARCH_SHARD_SIZE, 4]);
    expect(searchShards(shards, 'zucchini').map((h) => h.id)).toEqual([row(1)]);
    expect(index.match(/<li>(<details( open)?><summary>)?<a /g)?.length).toBe(4 + SEARCH_SHARD_SIZE);
  });

  it('writes no search and no index.md for an export without HTML and Markdown', async () => {
    const { run, recorded } = await crawledExport({ formats: ['json', 'csv'] });
    await writeArchive(run);
    expect(recorded.map((f) => f.path).sort()).toEqual(['index.html', 'report.html']);
    const index = read('index.html');
    expect(index).not.toContain('<script');
    expect(index).toContain('<a href="Home%201.json">Home</a>');
  });

  it('makes nothing visible when the lease is lost', async () => {
    const { run, recorded } = await crawledExport();
    await expect(writeArchive({ ...run, fence: async () => Promise.reject(new Error('lease lost')) })).rejects.toThrow('lease lost');
    expect(recorded).toEqual([]);
    expect(fs.existsSync(path.join(root, 'index.html'))).toBe(false);
    expect(fs.existsSync(path.join(root, 'search'))).toBe(true);
    expect(fs.readdirSync(path.join(root, 'search'))).toEqual([]);
  });

  it('keeps the archive’s names at the root free: pages titled "index", "Report", "search" or "manifest" are named otherwise', async () => {
    const target = { stemsIn: async () => [], options: { naming: 'clean', downloadExternal: false } } as unknown as ExportTarget;
    const titles = ['index', 'Report', 'search', 'manifest', 'Notes'];
    const found = titles.map((title, i) => ({ id: uuid(500 + i), kind: 'page' as const, title }));
    const atRoot = await placeAtRoot(
      target,
      found.map((f) => ({ ...f, parentId: null, dir: '', stem: null, status: 'pending' as const })),
    );
    const placed = await placeItems(target, found, HOME, '');
    for (const stems of [atRoot.map((i) => i.stem), placed.map((i) => i.stem)]) {
      expect(stems).toEqual(['index (2)', 'Report (2)', 'search (2)', 'manifest (2)', 'Notes']);
    }
  });
});
