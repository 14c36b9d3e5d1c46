import { createHash } from 'node:crypto';
import { getEventListeners } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import { eq } from 'drizzle-orm';
import { parse } from 'csv-parse/sync';
import { fromHtml } from 'hast-util-from-html';
import { fromMarkdown } from 'mdast-util-from-markdown';
import { frontmatterFromMarkdown } from 'mdast-util-frontmatter';
import { gfmFromMarkdown } from 'mdast-util-gfm';
import { mathFromMarkdown } from 'mdast-util-math';
import { frontmatter } from 'micromark-extension-frontmatter';
import { gfm } from 'micromark-extension-gfm';
import { math } from 'micromark-extension-math';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { exports } from '@/db/schema';
import { startTwin, type Twin } from '@/e2e/notion-twin/index';
import { createConnection } from '@/server/connections/connections';
import { createTestContext, type TestContext } from '@/server/testing/test-context';
import { Runner } from '@/server/runner/runner';
import { exportStreamId } from '@/server/export/domain/export';
import { childFolder } from '@/server/export/files/layout';
import { readManifest, verifyManifest } from '@/server/export/files/manifest';
import { requestExport } from '@/server/export/control/request-export';
import { describeExportEvent } from '@/server/export/delivery/describe-export-event';
import type { ExportLease } from '@/server/export/domain/export-lease';
import { countsOf, describeCounts } from '@/server/export/domain/export-status';
import { assertLease, claimNext, leaseFence } from '@/server/runner/job-queue';
import { runExport } from './run-export';

const WORKSPACE = { seed: 11, pages: 300, databases: 4, rowsPerDatabase: 15, depth: 4, unsharedPages: 2, largePages: 2 };

let twin: Twin;
beforeAll(async () => {
  twin = await startTwin({ workspace: WORKSPACE });
});
afterAll(async () => {
  await twin.close();
});

function listFiles(root: string): string[] {
  return fs
    .readdirSync(root, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile())
    .map((d) => path.relative(root, path.join(d.parentPath, d.name)).split(path.sep).join('/'));
}

const hex = (id: string) => id.replace(/-/g, '');

/** The folder of an item's children: beside its file, or under _deep/ when that is too deep. */
const folderOf = (file: string) => {
  const dir = path.posix.dirname(file);
  return childFolder(dir === '.' ? '' : dir, path.posix.basename(file).replace(/\.md$/, ''));
};

/** Link and image destinations of a Markdown document, read by a Markdown parser. */
function markdownUrls(text: string): string[] {
  const tree = fromMarkdown(text, {
    extensions: [gfm(), frontmatter(['yaml']), math()],
    mdastExtensions: [gfmFromMarkdown(), frontmatterFromMarkdown(['yaml']), mathFromMarkdown()],
  });
  const urls: string[] = [];
  const walk = (node: { type: string; url?: string; children?: unknown[] }) => {
    if ((node.type === 'link' || node.type === 'image') && node.url) urls.push(node.url);
    for (const child of node.children ?? []) walk(child as typeof node);
  };
  walk(tree as never);
  return urls;
}

/** href and src values of an HTML document, read by an HTML parser. */
function htmlUrls(text: string): string[] {
  const urls: string[] = [];
  const walk = (node: { type: string; properties?: Record<string, unknown>; children?: unknown[] }) => {
    for (const key of ['href', 'src']) {
      const value = node.properties?.[key];
      if (typeof value === 'string') urls.push(value);
    }
    for (const child of node.children ?? []) walk(child as typeof node);
  };
  walk(fromHtml(text) as never);
  return urls;
}

async function exportWorkspace(ctx: TestContext, formats?: ('markdown' | 'json')[]) {
  const connection = await createConnection(ctx, { token: 'secret_twin', baseUrl: twin.url });
  const exportId = await requestExport(ctx, { connectionId: connection.id, formats, requestedBy: 'dashboard' });
  return { connection, exportId };
}

describe('exporting a generated workspace through the real SDK over HTTP', () => {
  let ctx: TestContext;
  let exportId: string;
  let root: string;
  let files: string[];

  beforeAll(async () => {
    ctx = await createTestContext();
    ({ exportId } = await exportWorkspace(ctx));
    const outcome = await new Runner(ctx, { concurrency: 6 }).runOnce();
    expect(outcome).toBe('completed_with_errors');
    const [row] = await ctx.database.db.select().from(exports).where(eq(exports.id, exportId));
    root = row!.outDir;
    files = listFiles(root);
  });
  afterAll(async () => {
    await ctx.cleanup();
  });

  it('writes every page the twin holds exactly once, in Markdown, HTML and JSON', () => {
    const pages = twin.workspace.allPages();
    expect(pages.length).toBeGreaterThanOrEqual(300);
    for (const page of pages) {
      for (const ext of ['.md', '.html', '.json']) {
        const matches = files.filter((f) => f.endsWith(`${hex(page.id)}${ext}`));
        expect(matches, `${page.title} ${page.id}${ext}`).toHaveLength(1);
      }
    }
    for (const db of twin.workspace.allDatabases()) {
      for (const ext of ['.md', '.html', '.json']) {
        expect(files.filter((f) => f.endsWith(`${hex(db.id)}${ext}`)), db.title).toHaveLength(1);
      }
    }
  });

  it('writes one CSV per data source with every row, that a CSV parser reads back', () => {
    for (const db of twin.workspace.allDatabases()) {
      const dbFile = files.find((f) => f.endsWith(`${hex(db.id)}.md`))!;
      db.dataSources.forEach((ds) => {
        const csv =
          db.dataSources.length === 1 ? dbFile.replace(/\.md$/, '.csv') : files.find((f) => f.endsWith(`${hex(ds.id)}.csv`))!;
        const text = fs.readFileSync(path.join(root, csv), 'utf8');
        const rows = parse(text, { bom: true, columns: true }) as Record<string, string>[];
        expect(rows, `${db.title} / ${ds.name}`).toHaveLength(ds.rowIds.length);
      });
    }
  });

  it('saves every Notion-hosted attachment once, with the bytes Notion served', () => {
    const hosted = twin.workspace.allAttachments().filter((a) => a.kind === 'file');
    expect(hosted.length).toBeGreaterThan(5);
    const saved = new Map<string, string>();
    for (const f of files.filter((f) => f.startsWith('attachments/'))) {
      const hash = createHash('sha256').update(fs.readFileSync(path.join(root, f))).digest('hex');
      expect(saved.has(hash), `duplicate content ${f}`).toBe(false);
      saved.set(hash, f);
    }
    for (const a of hosted) expect(saved.has(a.sha256), `${a.name} of ${a.ownerId}`).toBe(true);
    // External files stay links by default: nothing else was downloaded.
    expect(saved.size).toBe(new Set(hosted.map((a) => a.sha256)).size);
  });

  it('exports relations, people and mentions beyond the 25 a page object carries', () => {
    const db = twin.workspace.allDatabases()[0]!;
    const crowded = twin.workspace.page(db.rowIds[0]!)!;
    const file = files.find((f) => f.endsWith(`${hex(crowded.id)}.md`))!;
    const yaml = fs.readFileSync(path.join(root, file), 'utf8').split('---')[1]!;
    const front = YAML.parse(yaml) as Record<string, unknown>;
    const lists = Object.values(front).filter((v): v is unknown[] => Array.isArray(v));
    expect(Math.max(...lists.map((l) => l.length))).toBeGreaterThan(25);
    // A rollup over that relation counts every reference, not the first 25.
    const counts = Object.entries(front).filter(([k, v]) => /count/i.test(k) && typeof v === 'number');
    expect(counts.length).toBeGreaterThan(0);
    expect(Math.max(...counts.map(([, v]) => v as number))).toBeGreaterThan(25);
  });

  it('names files safely everywhere, however hostile the titles', () => {
    for (const f of files) {
      expect(f.length, f).toBeLessThan(250);
      for (const part of f.split('/')) {
        expect(part, f).not.toMatch(/[<>:"\\|?*]/);
        expect([...part].some((c) => c.charCodeAt(0) < 32), f).toBe(false);
        expect(part, f).not.toMatch(/[ .]$/);
        expect(part.split('.')[0]!.trim().toUpperCase(), f).not.toMatch(/^(CON|PRN|AUX|NUL|COM\d|LPT\d)$/);
        expect(Buffer.byteLength(part), f).toBeLessThanOrEqual(255);
      }
    }
    const folded = files.map((f) => f.toLowerCase().normalize('NFC'));
    expect(new Set(folded).size).toBe(files.length);
  });

  it('places children in their parent folder and rows in their database folder, like Notion', () => {
    const byId = new Map(files.map((f) => [f.match(/([0-9a-f]{32})\.md$/)?.[1], f]));
    for (const page of twin.workspace.allPages()) {
      const file = byId.get(hex(page.id))!;
      if (page.parent.type === 'page_id') {
        const parentFile = byId.get(hex(page.parent.pageId))!;
        expect(path.posix.dirname(file)).toBe(folderOf(parentFile));
      } else if (page.parent.type === 'data_source_id') {
        const dbFile = byId.get(hex(page.parent.databaseId))!;
        const db = twin.workspace.database(page.parent.databaseId)!;
        const dir = path.posix.dirname(file);
        if (db.dataSources.length === 1) expect(dir).toBe(folderOf(dbFile));
        else expect(path.posix.dirname(dir)).toBe(folderOf(dbFile));
      } else {
        expect(file).not.toContain('/');
      }
    }
  });

  it('links pages, databases and attachments with relative links that resolve inside the export', () => {
    let checked = 0;
    for (const file of files.filter((f) => f.endsWith('.md') || f.endsWith('.html'))) {
      const text = fs.readFileSync(path.join(root, file), 'utf8');
      expect(text, file).not.toContain('#notion-sync-page-');
      const targets = file.endsWith('.md') ? markdownUrls(text) : htmlUrls(text);
      for (const target of targets) {
        if (/^([a-z][a-z0-9+.-]*:|#)/i.test(target)) continue;
        const rel = decodeURIComponent(target.split('#')[0]!);
        expect(fs.existsSync(path.join(root, path.posix.dirname(file), rel)), `${file} -> ${rel}`).toBe(true);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(500);
  });

  it('writes a manifest last that lists and verifies every file', async () => {
    const manifest = await readManifest(root);
    expect(manifest.files.map((f) => f.path).sort()).toEqual(files.filter((f) => f !== 'manifest.json').sort());
    const check = await verifyManifest(root);
    expect(check).toMatchObject({ missing: [], changed: [], extra: [] });
  });

  it('records the pages it could not read with a clear reason, and completes with errors', async () => {
    const [row] = await ctx.database.db.select().from(exports).where(eq(exports.id, exportId));
    const unshared = twin.workspace.unsharedPages();
    const linked = twin.workspace.linkedDatabases();
    expect(unshared).toHaveLength(2);
    expect(linked).toHaveLength(1);
    expect(row).toMatchObject({ status: 'completed_with_errors', phase: 'done', pagesFailed: 2 });
    expect(row!.pagesDone).toBe(twin.workspace.allPages().length + twin.workspace.allDatabases().length + linked.length);
    const report = JSON.parse(fs.readFileSync(path.join(root, 'report.json'), 'utf8'));
    expect(report.pages).toEqual({ exported: twin.workspace.allPages().length, failed: 2 });
    expect(report.skipped.map((s: { id: string }) => s.id).sort()).toEqual(
      [...unshared.map((p) => p.id), ...linked.map((l) => l.id)].sort(),
    );
    expect(report.skipped.find((s: { kind: string }) => s.kind === 'database').reason).toMatch(/Linked database/);
    expect(report.attachments.saved).toBeGreaterThan(5);
    expect(report.api.requests).toBe(row!.requests);
    const events = await ctx.store.readStream(exportStreamId(exportId));
    const failed = events.filter((e) => e.type === 'PageFailed').map((e) => e.data as { id: string; message: string });
    expect(failed.map((f) => f.id).sort()).toEqual(unshared.map((p) => p.id).sort());
    for (const f of failed) expect(f.message).toMatch(/not shared with the integration/i);
  });

  it('says in its activity log what the row, the CLI and report.json say: pages and databases apart', async () => {
    const [row] = await ctx.database.db.select().from(exports).where(eq(exports.id, exportId));
    const completed = (await ctx.store.readStream(exportStreamId(exportId))).at(-1)!;
    expect(completed.type).toBe('ExportCompleted');
    expect(completed.data).toMatchObject({ pages: row!.pagesExported, databases: row!.databasesExported, skipped: row!.skipped, failed: 2 });
    expect(describeExportEvent(completed).text).toBe(`Completed: ${describeCounts(countsOf(row!))}`);
    const report = JSON.parse(fs.readFileSync(path.join(root, 'report.json'), 'utf8'));
    expect(completed.data).toMatchObject({ pages: report.pages.exported, databases: report.databases.exported, files: report.files.count });
  });

  it('counts the requests it made, batches progress, and fetched no page twice', async () => {
    const [row] = await ctx.database.db.select().from(exports).where(eq(exports.id, exportId));
    const stats = twin.stats();
    // users.me of the connection check is the only request outside the export.
    expect(row!.requests).toBe(stats.requests - 1);
    const events = await ctx.store.readStream(exportStreamId(exportId));
    const batches = events.filter((e) => e.type === 'PagesExported').length;
    expect(batches).toBeLessThan(row!.pagesDone / 5);
    for (const page of twin.workspace.allPages()) expect(stats.byId[page.id] ?? 0, page.id).toBeGreaterThanOrEqual(1);
    // Page objects from search and data source queries are reused: only the pages search does
    // not list (the unshared ones, which answer 404) are retrieved one by one.
    expect(stats.byEndpoint['pages.retrieve'] ?? 0).toBe(twin.workspace.unsharedPages().length);
  });
});

describe('the waits of an export', () => {
  it('listen on its signal only while they last: none is left at the end, and Node sees no leak', async () => {
    const ctx = await createTestContext();
    const warnings: Error[] = [];
    const onWarning = (warning: Error) => warnings.push(warning);
    process.on('warning', onWarning);
    try {
      const { exportId } = await exportWorkspace(ctx, ['markdown']);
      // What a runner does: claim the export with a lease and hand runExport the export's signal.
      const claim = (await claimNext(ctx.database.db, { owner: 'test', leaseMs: 60_000, now: Date.now() }))!;
      const lease: ExportLease = {
        check: async (tx) => {
          await assertLease(tx, claim, Date.now());
        },
        fence: leaseFence(ctx.database.db, claim, { now: Date.now }),
      };
      const abort = new AbortController();
      // Every listener added to the export's signal, until it is removed.
      const listening = new Set<unknown>();
      let most = 0;
      const { signal } = abort;
      const add = signal.addEventListener.bind(signal);
      const remove = signal.removeEventListener.bind(signal);
      signal.addEventListener = ((type: 'abort', listener: () => void, options?: AddEventListenerOptions) => {
        listening.add(listener);
        most = Math.max(most, listening.size);
        add(type, listener, options);
      }) as typeof signal.addEventListener;
      signal.removeEventListener = ((type: 'abort', listener: () => void, options?: EventListenerOptions) => {
        listening.delete(listener);
        remove(type, listener, options);
      }) as typeof signal.removeEventListener;

      const outcome = await runExport(ctx, { exportId, attempt: claim.attempt, runner: 'test', lease, signal, concurrency: 10 });
      expect(outcome).toBe('completed_with_errors');
      await new Promise((resolve) => setImmediate(resolve)); // warnings are emitted on the next tick
      expect(listening.size).toBe(0);
      expect(getEventListeners(signal, 'abort')).toEqual([]);
      // Ten pages at a time and their attachments: more than Node's default of 10 at once, far
      // fewer than the ~1,000 requests and 300 pages of the export.
      expect(most).toBeGreaterThan(0);
      expect(most).toBeLessThan(100);
      expect(warnings.filter((w) => w.name === 'MaxListenersExceededWarning').map((w) => w.message)).toEqual([]);
    } finally {
      process.off('warning', onWarning);
      await ctx.cleanup();
    }
  });
});

describe('Notion-hosted files whose URL expired before the download', () => {
  it('re-reads the block or page for a fresh URL and saves every file', async () => {
    const stale = await startTwin({ workspace: { seed: 8, pages: 12, databases: 2, rowsPerDatabase: 3 }, staleFileUrls: 1 });
    const ctx = await createTestContext();
    try {
      const connection = await createConnection(ctx, { token: 'secret_twin', baseUrl: stale.url });
      const exportId = await requestExport(ctx, { connectionId: connection.id, formats: ['markdown'], requestedBy: 'cli' });
      expect(await new Runner(ctx).runOnce()).toBe('completed');
      const [row] = await ctx.database.db.select().from(exports).where(eq(exports.id, exportId));
      const saved = new Set(
        listFiles(row!.outDir)
          .filter((f) => f.startsWith('attachments/'))
          .map((f) => createHash('sha256').update(fs.readFileSync(path.join(row!.outDir, f))).digest('hex')),
      );
      const hosted = stale.workspace.allAttachments().filter((a) => a.kind === 'file');
      for (const a of hosted) expect(saved.has(a.sha256), a.name).toBe(true);
      expect(stale.stats().staleFileAnswers).toBeGreaterThanOrEqual(new Set(hosted.map((a) => a.sha256)).size);
      const report = JSON.parse(fs.readFileSync(path.join(row!.outDir, 'report.json'), 'utf8'));
      expect(report.attachments.failed).toBe(0);
    } finally {
      await ctx.cleanup();
      await stale.close();
    }
  });
});

describe('resuming an interrupted export', () => {
  it('continues from its checkpoints and still writes every page exactly once', async () => {
    const ctx = await createTestContext();
    try {
      const { exportId } = await exportWorkspace(ctx, ['json']);
      const first = new Runner(ctx, { concurrency: 4 });
      const stopped = new Promise<void>((resolve) => {
        const unsubscribe = ctx.feed.subscribe(async () => {
          const [row] = await ctx.database.db.select().from(exports).where(eq(exports.id, exportId));
          if (row && row.pagesDone >= 60) {
            unsubscribe();
            await first.stop();
            resolve();
          }
        });
      });
      first.start();
      await stopped;
      const [mid] = await ctx.database.db.select().from(exports).where(eq(exports.id, exportId));
      expect(mid!.status).toBe('queued'); // given back to the queue by the stop
      const doneBefore = mid!.pagesDone;
      expect(doneBefore).toBeGreaterThanOrEqual(60);
      const requestsBefore = twin.stats().requests;

      const outcome = await new Runner(ctx).runOnce();
      expect(outcome).toBe('completed_with_errors');
      const [row] = await ctx.database.db.select().from(exports).where(eq(exports.id, exportId));
      expect(row!.attempt).toBe(1); // a stop is no failed attempt
      const files = listFiles(row!.outDir);
      for (const page of twin.workspace.allPages()) {
        expect(files.filter((f) => f.endsWith(`${hex(page.id)}.json`))).toHaveLength(1);
      }
      expect(files.some((f) => f.endsWith('.tmp'))).toBe(false);
      expect(await verifyManifest(row!.outDir)).toMatchObject({ missing: [], changed: [], extra: [] });
      // The second attempt did not start over: it made far fewer requests than a full export.
      const secondAttempt = twin.stats().requests - requestsBefore;
      expect(secondAttempt).toBeLessThan(row!.requests - (doneBefore - 10));
      const events = await ctx.store.readStream(exportStreamId(exportId));
      const exportedIds = events
        .filter((e) => e.type === 'PagesExported')
        .flatMap((e) => (e.data as { items: { id: string }[] }).items.map((i) => i.id));
      expect(new Set(exportedIds).size).toBe(exportedIds.length);
    } finally {
      await ctx.cleanup();
    }
  });
});

describe('errors people can act on', () => {
  it('refuses a bad token and an unreachable API with a clear message', async () => {
    const ctx = await createTestContext({ notionRetry: { maxAttempts: 2, baseDelayMs: 10, maxDelayMs: 20 } });
    try {
      await expect(createConnection(ctx, { token: 'secret_wrong', baseUrl: twin.url })).rejects.toThrow(/token/i);
      await expect(createConnection(ctx, { token: 'secret_twin', baseUrl: 'http://127.0.0.1:9' })).rejects.toThrow(
        /Cannot reach the Notion API/,
      );
    } finally {
      await ctx.cleanup();
    }
  });

  it('stops an export whose API became unreachable, saying so, and queues it for a retry instead of completing partially', async () => {
    const other = await startTwin({ workspace: { seed: 3, pages: 20, databases: 1, rowsPerDatabase: 3 } });
    const ctx = await createTestContext({ notionRetry: { maxAttempts: 2, baseDelayMs: 10, maxDelayMs: 20 } });
    try {
      const connection = await createConnection(ctx, { token: 'secret_twin', baseUrl: other.url });
      const exportId = await requestExport(ctx, { connectionId: connection.id, requestedBy: 'cli' });
      await other.close();
      expect(await new Runner(ctx).runOnce()).toBe('retrying');
      const [row] = await ctx.database.db.select().from(exports).where(eq(exports.id, exportId));
      expect(row).toMatchObject({ status: 'queued', attempt: 2 });
      expect(row!.lastError).toMatch(/Cannot reach the Notion API/);
      expect(fs.existsSync(path.join(row!.outDir, 'manifest.json'))).toBe(false);
    } finally {
      await ctx.cleanup();
    }
  });
});

describe('a token whose Notion budget runs out every window', () => {
  it('learns the pace from the 429s, records it on the export, and finishes every page', { timeout: 60_000 }, async () => {
    // Notion's model scaled down: 60 requests per 3-second window (20/s) for this token, while the
    // app's budget is 1,000/s. The limiter's window is scaled the same way. (~280 requests.)
    const token = 'secret_window_budget';
    const other = await startTwin({
      tokens: [token],
      workspace: { seed: 5, pages: 15, databases: 1, rowsPerDatabase: 4 },
      rateLimit: { windowMs: 3000, budget: 60 },
    });
    const ctx = await createTestContext({ notionRetry: { rateWindowMs: 3000 } });
    try {
      const connection = await createConnection(ctx, { token, baseUrl: other.url });
      const exportId = await requestExport(ctx, { connectionId: connection.id, requestedBy: 'cli' });
      expect(await new Runner(ctx, { concurrency: 4 }).runOnce()).toMatch(/^completed/);
      const [row] = await ctx.database.db.select().from(exports).where(eq(exports.id, exportId));
      const stats = other.stats();
      expect(row!.rateLimited).toBeGreaterThan(0);
      expect(row!.rateLimited).toBe(stats.rateLimited);
      expect(row!.pacedRate).not.toBeNull();
      // What the twin allows, learned from its answers; the pace recorded last may be a probe above
      // it, by at most the limiter's largest probe step (8 %, server/notion/rate-limiter.ts).
      expect(row!.pacedRate!).toBeLessThanOrEqual((60 / 3) * 1.08);
      expect(row!.pacedRate!).toBeGreaterThan(5);
      expect(stats.rateLimited / stats.requests).toBeLessThan(0.05);
      expect(row!.pagesDone).toBeGreaterThan(0);
      expect(row!.pagesDone + row!.pagesFailed).toBe(row!.pagesDiscovered);
      for (const page of other.workspace.allPages()) expect(stats.byId[page.id] ?? 0, page.id).toBeGreaterThanOrEqual(1);
    } finally {
      await ctx.cleanup();
      await other.close();
    }
  });
});
