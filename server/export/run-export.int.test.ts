import fs from 'node:fs';
import path from 'node:path';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exports } from '@/db/schema';
import { startTwin, type Twin } from '@/e2e/notion-twin';
import { createConnection } from '@/server/connections/connections';
import { createTestContext, type TestContext } from '@/server/testing/test-context';
import { Runner } from '@/server/runner/runner';
import { exportStreamId } from './export';
import { readManifest, verifyManifest } from './manifest';
import { requestExport } from './request-export';

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

  it('writes every page the twin holds exactly once, in Markdown and JSON', () => {
    const pages = twin.workspace.allPages();
    expect(pages.length).toBeGreaterThanOrEqual(300);
    for (const page of pages) {
      for (const ext of ['.md', '.json']) {
        const matches = files.filter((f) => f.endsWith(`${hex(page.id)}${ext}`));
        expect(matches, `${page.title} ${page.id}${ext}`).toHaveLength(1);
      }
    }
    for (const db of twin.workspace.allDatabases()) {
      expect(files.filter((f) => f.endsWith(`${hex(db.id)}.json`)), db.title).toHaveLength(1);
    }
    const expected = (pages.length + twin.workspace.allDatabases().length) * 2 + 1;
    expect(files).toHaveLength(expected);
  });

  it('places children in their parent folder and rows in their database folder, like Notion', () => {
    const byId = new Map(files.map((f) => [f.match(/([0-9a-f]{32})\.md$/)?.[1], f]));
    for (const page of twin.workspace.allPages()) {
      const file = byId.get(hex(page.id))!;
      if (page.parent.type === 'page_id') {
        const parentFile = byId.get(hex(page.parent.pageId))!;
        expect(path.posix.dirname(file)).toBe(parentFile.replace(/\.md$/, ''));
      } else if (page.parent.type === 'data_source_id') {
        const dbFile = byId.get(hex(page.parent.databaseId))!;
        expect(path.posix.dirname(file)).toBe(dbFile.replace(/\.md$/, ''));
      } else {
        expect(file).not.toContain('/');
      }
    }
  });

  it('links child pages with relative links that resolve inside the export', () => {
    const withChildren = twin.workspace.allPages().find((p) => p.parent.type === 'page_id')!;
    const parentId = (withChildren.parent as { pageId: string }).pageId;
    const parentFile = files.find((f) => f.endsWith(`${hex(parentId)}.md`))!;
    const md = fs.readFileSync(path.join(root, parentFile), 'utf8');
    const links = [...md.matchAll(/\]\(<?([^)>]+\.md)>?\)/g)].map((m) => decodeURIComponent(m[1]!));
    expect(links.length).toBeGreaterThan(0);
    for (const link of links) {
      expect(fs.existsSync(path.join(root, path.posix.dirname(parentFile), link)), link).toBe(true);
    }
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
    expect(unshared).toHaveLength(2);
    expect(row).toMatchObject({ status: 'completed_with_errors', phase: 'done', pagesFailed: 2 });
    expect(row!.pagesDone).toBe(twin.workspace.allPages().length + twin.workspace.allDatabases().length);
    const events = await ctx.store.readStream(exportStreamId(exportId));
    const failed = events.filter((e) => e.type === 'PageFailed').map((e) => e.data as { id: string; message: string });
    expect(failed.map((f) => f.id).sort()).toEqual(unshared.map((p) => p.id).sort());
    for (const f of failed) expect(f.message).toMatch(/not shared with the integration/i);
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
      expect(mid!.status).toBe('running');
      const doneBefore = mid!.pagesDone;
      expect(doneBefore).toBeGreaterThanOrEqual(60);
      const requestsBefore = twin.stats().requests;

      const outcome = await new Runner(ctx).runOnce();
      expect(outcome).toBe('completed_with_errors');
      const [row] = await ctx.database.db.select().from(exports).where(eq(exports.id, exportId));
      expect(row!.attempt).toBe(2);
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

  it('fails an export whose API became unreachable, saying so, instead of completing partially', async () => {
    const other = await startTwin({ workspace: { seed: 3, pages: 20, databases: 1, rowsPerDatabase: 3 } });
    const ctx = await createTestContext({ notionRetry: { maxAttempts: 2, baseDelayMs: 10, maxDelayMs: 20 } });
    try {
      const connection = await createConnection(ctx, { token: 'secret_twin', baseUrl: other.url });
      const exportId = await requestExport(ctx, { connectionId: connection.id, requestedBy: 'cli' });
      await other.close();
      expect(await new Runner(ctx).runOnce()).toBe('failed');
      const [row] = await ctx.database.db.select().from(exports).where(eq(exports.id, exportId));
      expect(row).toMatchObject({ status: 'failed' });
      expect(row!.lastError).toMatch(/Cannot reach the Notion API/);
      expect(fs.existsSync(path.join(row!.outDir, 'manifest.json'))).toBe(false);
    } finally {
      await ctx.cleanup();
    }
  });
});
