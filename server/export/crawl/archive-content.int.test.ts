import fs from 'node:fs';
import path from 'node:path';
import { Client } from '@notionhq/client';
import type { PageObjectResponse } from '@notionhq/client/build/src/api-endpoints';
import { parse } from 'csv-parse/sync';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { exports } from '@/db/schema';
import { servedExternalUrl } from '@/e2e/notion-twin/external';
import { startTwin, type Twin } from '@/e2e/notion-twin/index';
import { createConnection } from '@/server/connections/connections';
import { escapeHtml } from '@/server/export/archive/archive-model';
import { REPORT_HTML_FILE } from '@/server/export/archive/index-page';
import { requestExport } from '@/server/export/control/request-export';
import type { ExportFormat } from '@/server/export/domain/export';
import { setFlag } from '@/server/feature-flags';
import { Runner } from '@/server/runner/runner';
import { createTestContext, type TestContext } from '@/server/testing/test-context';
import type { ExportReport } from './report';

const WORKSPACE = { seed: 21, pages: 20, databases: 2, rowsPerDatabase: 6, depth: 2, largePages: 0, multiSourceDatabases: 0 };
const UNKNOWN = '(unknown user)';

const hex = (id: string) => id.replace(/-/g, '');

function listFiles(root: string): string[] {
  return fs
    .readdirSync(root, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile())
    .map((d) => path.relative(root, path.join(d.parentPath, d.name)).split(path.sep).join('/'));
}

async function runExport(
  ctx: TestContext,
  twin: Twin,
  { token = 'secret_twin', formats, downloadExternal = false }: { token?: string; formats?: ExportFormat[]; downloadExternal?: boolean } = {},
) {
  const connection = await createConnection(ctx, { token, baseUrl: twin.url });
  const exportId = await requestExport(ctx, { connectionId: connection.id, formats, requestedBy: 'cli', options: { downloadExternal } });
  const outcome = await new Runner(ctx, { concurrency: 4 }).runOnce();
  const [row] = await ctx.database.db.select().from(exports).where(eq(exports.id, exportId));
  const root = row!.outDir;
  return { outcome, exportId, root, files: listFiles(root), report: JSON.parse(fs.readFileSync(path.join(root, 'report.json'), 'utf8')) as ExportReport };
}

/** The rows of a CSV by their title, as a CSV reader reads them. */
function csvRows(root: string, file: string): Record<string, string>[] {
  return parse(fs.readFileSync(path.join(root, file), 'utf8'), { bom: true, columns: true }) as Record<string, string>[];
}

function frontMatter(root: string, file: string): Record<string, unknown> {
  const text = fs.readFileSync(path.join(root, file), 'utf8');
  return YAML.parse(text.split('---\n')[1]!) as Record<string, unknown>;
}

/** The names Notion gives: the workspace's people and the integration's bot (guests are not listed). */
function listedNames(twin: Twin): Map<string, string> {
  const names = new Map(twin.workspace.users.filter((u) => !u.guest && u.name).map((u) => [u.id, u.name!]));
  names.set(twin.workspace.botUserId, twin.workspace.integrationName);
  return names;
}

describe('people by name', () => {
  let twin: Twin;
  let ctx: TestContext;
  let done: Awaited<ReturnType<typeof runExport>>;
  const rows = new Map<string, PageObjectResponse>();

  let requestsOfTheExport = 0;

  beforeAll(async () => {
    twin = await startTwin({ workspace: WORKSPACE });
    ctx = await createTestContext();
    done = await runExport(ctx, twin);
    requestsOfTheExport = twin.stats().requests - 1; // all but the connection's check
    const notion = new Client({ auth: 'secret_twin', baseUrl: twin.url, retry: false });
    for (const id of twin.workspace.allDatabases()[0]!.rowIds) rows.set(id, (await notion.pages.retrieve({ page_id: id })) as PageObjectResponse);
  });
  afterAll(async () => {
    await ctx.cleanup();
    await twin.close();
  });

  it('lists the users once, through the gateway, and counts that request with the others', async () => {
    expect(done.outcome).toBe('completed');
    expect(twin.stats().byEndpoint['users.list']).toBe(1);
    const [row] = await ctx.database.db.select().from(exports).where(eq(exports.id, done.exportId));
    expect(row!.requests).toBe(requestsOfTheExport);
  });

  it('shows Created by, Edited by, Verified and People by name in CSV, Markdown front matter and HTML', () => {
    const names = listedNames(twin);
    const db = twin.workspace.allDatabases()[0]!;
    const csvFile = done.files.find((f) => f.endsWith(`${hex(db.id)}.csv`))!;
    const cells = new Map(csvRows(done.root, csvFile).map((r) => [r.Name, r]));
    let verified = 0;
    for (const [id, page] of rows) {
      const props = page.properties;
      const createdBy = props['Created by']!.type === 'created_by' ? names.get(props['Created by']!.created_by.id) : undefined;
      const editedBy = props['Edited by']!.type === 'last_edited_by' ? names.get(props['Edited by']!.last_edited_by.id) : undefined;
      expect(createdBy).toBeTruthy();
      expect(editedBy).toBeTruthy();
      const title = twin.workspace.page(id)!.title;
      const cell = cells.get(title)!;
      expect(cell, title).toBeDefined();
      expect(cell['Created by']).toBe(createdBy);
      expect(cell['Edited by']).toBe(editedBy);
      const verification = props.Verified!.type === 'verification' ? props.Verified!.verification : null;
      if (verification?.verified_by) {
        verified++;
        expect(cell.Verified).toContain(`by ${names.get(verification.verified_by.id)}`);
      }
      const md = done.files.find((f) => f.endsWith(`${hex(id)}.md`))!;
      const front = frontMatter(done.root, md);
      expect(front['Created by']).toBe(createdBy);
      expect(front['Edited by']).toBe(editedBy);
      const html = fs.readFileSync(path.join(done.root, md.replace(/\.md$/, '.html')), 'utf8');
      expect(html).toContain(createdBy!);
      for (const text of [cell['Created by'], cell['Edited by'], cell.Verified, JSON.stringify(front), html]) {
        expect(text).not.toContain(UNKNOWN);
      }
    }
    expect(verified).toBeGreaterThan(0);
  });

  it('names guests from the values that carry them, in every person of a crowded People cell', () => {
    const db = twin.workspace.allDatabases()[0]!;
    const crowded = rows.get(db.rowIds[1]!)!;
    const csvFile = done.files.find((f) => f.endsWith(`${hex(db.id)}.csv`))!;
    const cell = csvRows(done.root, csvFile).find((r) => r.Name === twin.workspace.page(crowded.id)!.title)!;
    const guests = twin.workspace.users.filter((u) => u.guest && u.name);
    const shown = guests.filter((g) => cell.Owner!.includes(g.name!));
    expect(shown.length).toBeGreaterThan(10); // more than the 25 a page object holds, guests among them
    expect(cell.Owner!.split(', ').length).toBeGreaterThan(25);
  });
});

describe('a token that may not read user information', () => {
  it('exports every page, showing people Notion does not name by id with a note', async () => {
    const token = 'secret_no_users';
    const twin = await startTwin({ workspace: WORKSPACE, tokensWithoutUserInformation: [token] });
    const ctx = await createTestContext();
    try {
      const done = await runExport(ctx, twin, { token, formats: ['markdown', 'csv'] });
      expect(done.outcome).toBe('completed');
      expect(twin.stats().byEndpoint['users.list']).toBe(1);
      expect(twin.stats().byStatus['403']).toBe(1);
      const db = twin.workspace.allDatabases()[0]!;
      const csvFile = done.files.find((f) => f.endsWith(`${hex(db.id)}.csv`))!;
      for (const cell of csvRows(done.root, csvFile)) {
        expect(cell['Created by']).toMatch(/^[0-9a-f-]{36} \(unknown user\)$/);
      }
    } finally {
      await ctx.cleanup();
      await twin.close();
    }
  });
});

describe('a resumed export', () => {
  it('shows the names the first run showed, without listing the users again', async () => {
    const twin = await startTwin({ workspace: WORKSPACE });
    const ctx = await createTestContext();
    try {
      const connection = await createConnection(ctx, { token: 'secret_twin', baseUrl: twin.url });
      const exportId = await requestExport(ctx, { connectionId: connection.id, formats: ['markdown'], requestedBy: 'cli' });
      const first = new Runner(ctx, { concurrency: 2 });
      const stopped = new Promise<void>((resolve) => {
        const unsubscribe = ctx.feed.subscribe(async () => {
          const [row] = await ctx.database.db.select().from(exports).where(eq(exports.id, exportId));
          if (row && row.pagesDone >= 10) {
            unsubscribe();
            await first.stop();
            resolve();
          }
        });
      });
      first.start();
      await stopped;
      const [mid] = await ctx.database.db.select().from(exports).where(eq(exports.id, exportId));
      expect(mid!.status).toBe('queued');
      expect(mid!.pagesDone).toBeLessThan(mid!.pagesDiscovered);
      expect(twin.stats().byEndpoint['users.list']).toBe(1);

      expect(await new Runner(ctx).runOnce()).toBe('completed');
      expect(twin.stats().byEndpoint['users.list']).toBe(1);
      const [row] = await ctx.database.db.select().from(exports).where(eq(exports.id, exportId));
      const names = [...listedNames(twin).values()];
      const rowFiles = listFiles(row!.outDir).filter((f) => twin.workspace.allDatabases().some((d) => d.rowIds.some((r) => f.endsWith(`${hex(r)}.md`))));
      expect(rowFiles.length).toBeGreaterThan(10);
      for (const file of rowFiles) {
        const front = frontMatter(row!.outDir, file);
        expect(names, file).toContain(front['Created by']);
      }
    } finally {
      await ctx.cleanup();
      await twin.close();
    }
  });
});

describe('CSV cells', () => {
  it('carry every related row of a relation with more than 25, as the front matter does', async () => {
    const twin = await startTwin({ workspace: WORKSPACE });
    const ctx = await createTestContext();
    try {
      const done = await runExport(ctx, twin, { formats: ['markdown', 'csv'] });
      const db = twin.workspace.allDatabases()[0]!;
      const many = db.rowIds[0]!;
      const csvFile = done.files.find((f) => f.endsWith(`${hex(db.id)}.csv`))!;
      const cell = csvRows(done.root, csvFile).find((r) => r.Name === twin.workspace.page(many)!.title)!;
      const front = frontMatter(done.root, done.files.find((f) => f.endsWith(`${hex(many)}.md`))!);
      const related = front.Related as string[];
      expect(related.length).toBe(30);
      expect(cell.Related).toBe(related.join(', '));
      expect(Number(cell['Related count'])).toBe(30);
      // A rollup showing the related rows' titles carries all of them too.
      const rolled = front['Related names'] as string[];
      expect(rolled.length).toBe(30);
      expect(cell['Related names']).toBe(rolled.join(', '));
    } finally {
      await ctx.cleanup();
      await twin.close();
    }
  });
});

describe('externally linked files', () => {
  let twin: Twin;
  let ctx: TestContext;
  let done: Awaited<ReturnType<typeof runExport>>;

  beforeAll(async () => {
    twin = await startTwin({ workspace: { ...WORKSPACE, pages: 40 }, serveExternalFiles: true });
    ctx = await createTestContext();
    await setFlag(ctx.database.db, 'downloadExternalFiles', true);
    done = await runExport(ctx, twin, { formats: ['markdown', 'json'], downloadExternal: true });
  });
  afterAll(async () => {
    await ctx.cleanup();
    await twin.close();
  });

  it('downloads what is a file, and keeps web pages and oversized files as links, saying why', () => {
    expect(done.outcome).toBe('completed');
    const external = twin.workspace.allAttachments().filter((a) => a.kind === 'external');
    const files = external.filter((a) => !a.url!.includes('youtube.com') && !a.url!.endsWith('podcast.mp3'));
    expect(files.length).toBeGreaterThan(3);
    const saved = done.files.filter((f) => f.startsWith('attachments/'));
    for (const a of files) expect(saved.some((f) => f.endsWith(`/${a.name}`)), a.url).toBe(true);

    const skipped = done.report.issues.filter((i) => i.kind === 'attachment_skipped');
    const watch = external.filter((a) => a.url!.includes('youtube.com/watch'));
    const podcast = external.filter((a) => a.url!.endsWith('podcast.mp3'));
    expect(watch.length).toBeGreaterThan(0);
    expect(podcast.length).toBeGreaterThan(0);
    for (const a of watch) {
      expect(skipped.find((i) => i.sourceId === a.ownerId)?.message).toMatch(/is a web page \(text\/html\), not a file/);
    }
    for (const a of podcast) {
      expect(skipped.find((i) => i.sourceId === a.ownerId)?.message).toMatch(/is larger than 100 MB \(2048 MB\)/);
    }
    expect(done.report.attachments.skipped).toBe(skipped.length);
    expect(done.report.attachments.failed).toBe(0);
    expect(saved.some((f) => /watch|podcast/.test(f))).toBe(false);
  });

  it('lists each external link the export does not hold once, with every page that uses it', () => {
    const links = done.report.externalLinks;
    expect(new Set(links.map((l) => l.url)).size).toBe(links.length);
    const kept = twin.workspace.allAttachments().filter((a) => a.kind === 'external' && /youtube\.com|podcast\.mp3/.test(a.url!));
    for (const l of links) expect(l.url).toMatch(/youtube\.com|podcast\.mp3/);
    expect(links.length).toBeGreaterThan(0);
    for (const l of links) {
      const users = new Set(kept.filter((a) => servedExternalUrl(a.url!, twin.url) === l.url).map((a) => pageOf(twin, a.ownerId)));
      expect([...l.pageIds].sort(), l.url).toEqual([...users].sort());
    }
    expect(done.report.issues.some((i) => i.kind === 'external_link')).toBe(false);
  });
});

/** The page a block or page id belongs to (the twin's ids name their page). */
function pageOf(twin: Twin, ownerId: string): string {
  const r = twin.workspace.resolve(ownerId);
  return r.kind === 'block' ? r.page.id : ownerId;
}

describe('items in the trash', () => {
  it('are never exported, and report.json counts them as skipped: pages, rows and databases, each of its kind', async () => {
    const twin = await startTwin({ workspace: { ...WORKSPACE, trashedPages: 2, databases: 3 } });
    const ctx = await createTestContext();
    try {
      const ws = twin.workspace;
      const [, second, third] = ws.allDatabases();
      const row = second!.rowIds[2]!;
      ws.trash(row);
      ws.trash(third!.id);
      const trashedPages = ws.allPages().filter((p) => p.inTrash);
      expect(trashedPages.length).toBeGreaterThanOrEqual(3);
      const done = await runExport(ctx, twin, { formats: ['markdown', 'csv'] });
      expect(done.outcome).toBe('completed');
      for (const id of [...trashedPages.map((p) => p.id), third!.id]) {
        expect(done.files.filter((f) => f.includes(hex(id))), id).toEqual([]);
      }
      const csv = csvRows(done.root, done.files.find((f) => f.endsWith(`${hex(second!.id)}.csv`))!);
      expect(csv.map((r) => r.Name)).not.toContain(ws.page(row)!.title);
      const inTrash = done.report.skipped.filter((s) => s.reason === 'in trash');
      expect(new Set(inTrash.map((s) => s.id)).size).toBe(inTrash.length);
      const ids = inTrash.map((s) => s.id);
      for (const p of trashedPages.filter((p) => p.parent.type !== 'data_source_id' || p.parent.databaseId !== third!.id)) {
        expect(ids, p.title).toContain(p.id);
      }
      expect(ids).toContain(third!.id);
      expect(ids).toContain(row);
      // The database is named as one; pages and rows as pages.
      for (const s of inTrash) expect(s.kind, s.title).toBe(s.id === third!.id ? 'database' : 'page');
      const title = inTrash.find((s) => s.id === third!.id)!.title;
      expect(fs.readFileSync(path.join(done.root, REPORT_HTML_FILE), 'utf8')).toContain(`${escapeHtml(title)} <span class="kind">database</span>`);
    } finally {
      await ctx.cleanup();
      await twin.close();
    }
  });
});
