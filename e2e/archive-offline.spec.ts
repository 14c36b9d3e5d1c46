/**
 * The export as people keep it: an HTML export of the twin, made by the CLI, opened from its
 * folder as `file://` in Chromium with no server at all. From index.html: open the tree down to a
 * database, sort its table, follow a relation to a row's page; search for a page by a word of its
 * body. Screenshots are kept in the test's output folder and attached to the report.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { expect, type Page, type TestInfo, test } from '@playwright/test';
import { searchTextOfHtml } from '../server/export/archive/search-index';
import { setTwinRateLimit, TWIN_TOKEN, TWIN_URL, twinWorkspace } from './fixtures';

const run = promisify(execFile);

test.describe.configure({ mode: 'serial' });

let folder: string;
let exportRoot: string;

/** Every file of the export, relative to its root (posix). */
function exportFiles(): string[] {
  return fs
    .readdirSync(exportRoot, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => path.relative(exportRoot, path.join(entry.parentPath, entry.name)).split(path.sep).join('/'));
}

const fileUrl = (relative: string) => pathToFileURL(path.join(exportRoot, ...relative.split('/'))).href;

/** The export file a `file://` URL opens (links percent-encode other characters than pathToFileURL does). */
const fileOf = (url: string | URL) => path.relative(exportRoot, decodeURIComponent(new URL(url).pathname)).split(path.sep).join('/');

async function screenshot(page: Page, testInfo: TestInfo, name: string): Promise<void> {
  const file = testInfo.outputPath(name);
  await page.screenshot({ path: file, fullPage: true });
  await testInfo.attach(name, { path: file, contentType: 'image/png' });
}

test.beforeAll(async () => {
  test.setTimeout(300_000);
  // Another spec may have left the twin rate-limited.
  await setTwinRateLimit(null);
  folder = fs.mkdtempSync(path.join(os.tmpdir(), 'notion-sync-archive-'));
  exportRoot = path.join(folder, 'export');
  // The CLI exactly as people run it, with a state database of its own, against the twin.
  const { stderr } = await run(
    process.execPath,
    ['--import', 'tsx', 'server/cli.ts', 'export', '--out', exportRoot, '--format', 'html,csv', '--progress', 'json'],
    {
      env: {
        ...process.env,
        DATABASE_URL: `file:${path.join(folder, 'state.db')}`,
        NOTION_SYNC_SECRET: 'archive-offline-secret',
        NOTION_TOKEN: TWIN_TOKEN,
        NOTION_BASE_URL: TWIN_URL,
        NOTION_RATE_LIMIT: '1000',
      },
      timeout: 240_000,
      maxBuffer: 64 * 1024 * 1024,
    },
  ).catch((error: { code?: number; stderr?: string }) => {
    // Exit code 2: completed with pages that could not be exported (the twin has a linked database view).
    if (error.code === 2) return { stderr: error.stderr ?? '' };
    throw new Error(`the CLI export failed (${error.code}): ${error.stderr}`);
  });
  expect(stderr).toContain('"type":"result"');
  expect(fs.existsSync(path.join(exportRoot, 'index.html'))).toBe(true);
});

test.afterAll(() => {
  if (folder) fs.rmSync(folder, { recursive: true, force: true });
});

test('[ARCHIVE]: index.html opens from file:// and leads to a database table that sorts and links its relations', async ({ page }, testInfo) => {
  const pageErrors: string[] = [];
  page.on('pageerror', (error) => pageErrors.push(error.message));
  // Nothing but the export's own files: any request to the network fails the test.
  const outside: string[] = [];
  page.on('request', (request) => {
    if (!request.url().startsWith('file://')) outside.push(request.url());
  });

  await page.goto(fileUrl('index.html'));
  await expect(page.getByRole('heading', { level: 1, name: 'Notion export' })).toBeVisible();
  await expect(page.getByRole('link', { name: 'Report: what was skipped or failed, and why' })).toBeVisible();
  await expect(page.getByRole('heading', { level: 2, name: 'Workspace' })).toBeVisible();
  await screenshot(page, testInfo, 'index.png');

  // The Tasks database of the twin, in the tree under its page: opened level by level, by keyboard.
  const tasks = twinWorkspace()
    .allDatabases()
    .find((db) => db.title === 'Tasks' && !db.inTrash);
  expect(tasks, 'the twin has a Tasks database').toBeDefined();
  const databaseFile = exportFiles().find((f) => f.endsWith(`${tasks!.id.replaceAll('-', '')}.html`));
  expect(databaseFile, 'the database has its HTML page').toBeDefined();
  const link = page.locator(`ul.tree a[href="${databaseFile!.split('/').map(encodeURIComponent).join('/')}"]`);
  await expect(link).toHaveCount(1);
  const ancestors = link.locator('xpath=ancestor::details');
  for (let i = 0; i < (await ancestors.count()); i++) {
    const details = ancestors.nth(i);
    if (await details.evaluate((el) => (el as HTMLDetailsElement).open)) continue;
    await details.locator(':scope > summary').press('Enter');
    await expect(details).toHaveAttribute('open', '');
  }
  await expect(link).toBeVisible();
  await screenshot(page, testInfo, 'index-tree-open.png');
  await link.click();
  await page.waitForURL((url) => fileOf(url) === databaseFile);

  // A real table: a column per property, a row per row, the CSV linked.
  const table = page.locator('table.database-table').first();
  await expect(table).toBeVisible();
  await expect(page.getByRole('link', { name: 'All rows as CSV' }).first()).toBeVisible();
  const headers = (await table.locator('thead th').allTextContents()).map((t) => t.trim());
  expect(headers).toEqual(expect.arrayContaining(['Name', 'Status', 'Related']));
  const rows = table.locator('tbody tr');
  expect(await rows.count()).toBeGreaterThan(1);
  await screenshot(page, testInfo, 'database-table.png');

  // Sorted by the title column: ascending, then descending, as the page's own script sorts.
  const nameColumn = headers.indexOf('Name') + 1;
  const names = () => table.locator(`tbody tr > :nth-child(${nameColumn})`).evaluateAll((cells) => cells.map((c) => c.getAttribute('data-sort') ?? ''));
  const sortButton = table.locator('thead th').nth(nameColumn - 1).getByRole('button', { name: 'Name' });
  await sortButton.click();
  await expect(table.locator('thead th').nth(nameColumn - 1)).toHaveAttribute('aria-sort', 'ascending');
  const ascending = await names();
  const expected = await page.evaluate(
    (keys) => [...keys].sort((a, b) => a.localeCompare(b, undefined, { numeric: true, sensitivity: 'base' })),
    ascending,
  );
  expect(ascending).toEqual(expected);
  await sortButton.click();
  await expect(table.locator('thead th').nth(nameColumn - 1)).toHaveAttribute('aria-sort', 'descending');
  expect(await names()).toEqual([...expected].reverse());
  await screenshot(page, testInfo, 'database-table-sorted.png');

  // A relation cell links to the related row's page in the export.
  const relatedColumn = headers.indexOf('Related') + 1;
  const relation = table.locator(`tbody tr > :nth-child(${relatedColumn}) a:not([href^="http"])`).first();
  await expect(relation).toBeVisible();
  const href = (await relation.getAttribute('href')) ?? '';
  expect(href).not.toMatch(/^(https?:|#)/);
  const target = fileOf(new URL(href, page.url()));
  expect(exportFiles(), 'the relation links a page of the export').toContain(target);
  const relatedTitle = (await relation.textContent())?.trim() ?? '';
  await relation.click();
  await page.waitForURL((url) => fileOf(url) === target);
  await expect(page.getByRole('heading', { level: 1 })).toContainText(relatedTitle);
  await screenshot(page, testInfo, 'relation-target.png');

  expect(pageErrors, 'uncaught errors in the pages').toEqual([]);
  expect(outside, 'requests that left the export folder').toEqual([]);
});

test('[ARCHIVE]: the search box on index.html finds a page by a word of its body, offline', async ({ page }, testInfo) => {
  const pageErrors: string[] = [];
  page.on('pageerror', (error) => pageErrors.push(error.message));

  // A word of some pages' text (as the index holds it) that no title has: found only by the body.
  const files = exportFiles().filter((f) => f.endsWith('.html') && /[0-9a-f]{32}\.html$/.test(f));
  const workspace = twinWorkspace();
  const titles = [...workspace.allPages(), ...workspace.allDatabases()].map((item) => item.title.toLowerCase()).join(' ');
  const pagesWith = new Map<string, string[]>();
  for (const file of files) {
    const words = new Set(searchTextOfHtml(fs.readFileSync(path.join(exportRoot, file), 'utf8')).toLowerCase().match(/\p{L}{6,}/gu) ?? []);
    for (const word of words) pagesWith.set(word, [...(pagesWith.get(word) ?? []), file]);
  }
  const [word, holders] = [...pagesWith]
    .filter(([w, list]) => !titles.includes(w) && list.length <= 10)
    .sort(([a, x], [b, y]) => x.length - y.length || a.localeCompare(b))[0] ?? ['', []];
  expect(word, 'a word of the pages’ bodies that no title has').not.toBe('');

  await page.goto(fileUrl('index.html'));
  const box = page.getByRole('searchbox', { name: 'Search pages by title or text' });
  await expect(box).toBeVisible();
  await box.fill(word);
  await expect(page.locator('#search-status')).toHaveText(/^\d+ pages? found/);
  const results = page.locator('#search-results a');
  expect(await results.count()).toBeGreaterThan(0);
  await screenshot(page, testInfo, 'search-results.png');

  // Every page that holds the word is among the results; one of them opens, and has the word.
  const found = (await results.evaluateAll((links) => links.map((a) => (a as HTMLAnchorElement).href))).map(fileOf);
  for (const file of holders) expect(found, `${file} holds "${word}"`).toContain(file);
  await results.nth(found.indexOf(holders[0]!)).click();
  await page.waitForURL((url) => fileOf(url) === holders[0]);
  await expect(page.locator('article')).toContainText(word, { ignoreCase: true });
  await screenshot(page, testInfo, 'search-result-page.png');
  expect(pageErrors, 'uncaught errors in the pages').toEqual([]);
});
