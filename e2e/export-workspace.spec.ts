import path from 'node:path';
import type { Page } from '@playwright/test';
import { compactId, expect, listZipEntries, readZipText, setTwinRateLimit, test, TWIN_TOKEN, TWIN_URL, twinPages, twinWorkspace } from './fixtures';

/** Records every value the export progress bar shows (installed before the app's scripts run). */
async function recordProgressValues(page: Page): Promise<void> {
  await page.addInitScript(() => {
    const seen: number[] = [];
    (window as unknown as { __progressValues: number[] }).__progressValues = seen;
    const record = () => {
      const bar = document.querySelector('[role="progressbar"][aria-label="Export progress"]');
      const value = bar?.getAttribute('aria-valuenow');
      if (value != null && Number(value) !== seen[seen.length - 1]) seen.push(Number(value));
    };
    new MutationObserver(record).observe(document, {
      subtree: true,
      childList: true,
      attributes: true,
      attributeFilter: ['aria-valuenow'],
    });
  });
}

const progressValues = (page: Page) =>
  page.evaluate(() => (window as unknown as { __progressValues?: number[] }).__progressValues ?? []);

test.describe.configure({ mode: 'serial' });

test('[DASHBOARD]: the dashboard loads with its styles applied', async ({ page }, testInfo) => {
  await page.goto('/');
  const title = page.getByRole('heading', { level: 1, name: 'Notion Sync' });
  await expect(title).toBeVisible();
  await expect(page).toHaveTitle('Notion Sync');
  // Tailwind is compiled in: `font-bold` on the h1 and the body's background come from its classes.
  await expect(title).toHaveCSS('font-weight', '700');
  await expect(page.locator('body')).not.toHaveCSS('background-color', 'rgba(0, 0, 0, 0)');
  await expect(page.getByRole('heading', { name: 'Connections' })).toBeVisible();
  await expect(page.getByRole('heading', { name: 'Start export' })).toBeVisible();
  await expect(page.getByRole('heading', { name: 'Exports', exact: true })).toBeVisible();
  await page.screenshot({ path: testInfo.outputPath('dashboard.png'), fullPage: true });
});

test('[CONNECTIONS]: a token Notion rejects shows the server’s message', async ({ page }) => {
  await page.goto('/');
  const form = page.getByRole('form', { name: 'Add connection' });
  await form.getByLabel('Integration token').fill('secret_not_the_twin');
  await form.getByLabel('API base URL').fill(TWIN_URL);
  await form.getByRole('button', { name: 'Add connection' }).click();
  await expect(form.getByRole('alert')).toContainText('Notion rejected the integration token');
  await expect(form.getByRole('status')).toHaveCount(0);
});

test.afterAll(async () => {
  await setTwinRateLimit(null);
});

test('[EXPORTS]: exporting the workspace streams progress until complete and downloads every page', async ({
  page,
}, testInfo) => {
  const workspace = twinWorkspace();
  const pageErrors: string[] = [];
  page.on('pageerror', (error) => pageErrors.push(error.message));
  await recordProgressValues(page);
  await page.goto('/');

  // Connect to the twin.
  const form = page.getByRole('form', { name: 'Add connection' });
  await form.getByLabel('Name').fill('Twin');
  await form.getByLabel('Integration token').fill(TWIN_TOKEN);
  await form.getByLabel('API base URL').fill(TWIN_URL);
  await form.getByRole('button', { name: 'Add connection' }).click();
  await expect(form.getByRole('status')).toHaveText(
    `Connected to ${workspace.workspaceName} as ${workspace.integrationName}`,
  );
  await expect(page.getByRole('list', { name: 'Connections' })).toContainText(workspace.workspaceName);

  // Notion allows this token less than the app's budget (10/s): the limiter must learn it from the 429s.
  await setTwinRateLimit({ requestsPerSecond: 6, burst: 6 });

  // Start a Markdown + JSON export of it.
  const startForm = page.getByRole('form', { name: 'Start export' });
  await startForm.getByLabel('Connection').selectOption({ label: `Twin (${workspace.workspaceName})` });
  await expect(startForm.getByRole('checkbox', { name: 'Markdown', exact: true })).toBeChecked();
  await expect(startForm.getByRole('checkbox', { name: 'JSON', exact: true })).toBeChecked();
  await page.getByRole('button', { name: 'Start export' }).click();
  await page.waitForURL(/\/exports\/[^/]+$/);
  const exportId = new URL(page.url()).pathname.split('/').pop()!;

  // From here on the page must update itself: no navigation, same document.
  let navigations = 0;
  page.on('framenavigated', (frame) => {
    if (frame === page.mainFrame()) navigations += 1;
  });
  await page.evaluate(() => {
    (window as unknown as { __sameDocument: boolean }).__sameDocument = true;
  });

  const status = page.getByTestId('export-status');
  const progress = page.getByRole('progressbar', { name: 'Export progress' });
  await expect(progress).toBeVisible();
  await expect(status).toHaveText(/Queued|Running|Completed/);
  await expect(page.getByRole('list', { name: 'Activity log' })).toContainText('Export requested');
  await page.screenshot({ path: testInfo.outputPath('export-in-progress.png'), fullPage: true });

  // Long enough for the default 3 req/s too (about 450 requests).
  await expect(status).toHaveText('Completed', { timeout: 240_000 });
  await expect(progress).toHaveAttribute('aria-valuenow', '100');
  await expect(page.getByTestId('export-pages')).toHaveText(/^(\d+) \/ \1 pages and databases$/);
  await expect(page.getByTestId('export-phase')).toHaveText('Done');
  await expect(page.getByRole('list', { name: 'Activity log' })).toContainText('Completed:');
  await expect(page.getByRole('button', { name: 'Cancel export' })).toHaveCount(0);

  const requests = Number((await page.getByTestId('stat-requests').textContent())?.replace(/\D/g, ''));
  expect(requests).toBeGreaterThan(0);
  expect(Number(await page.getByTestId('stat-rate-limited').textContent())).toBeGreaterThan(0);
  const paced = await page.getByTestId('stat-paced-rate').textContent();
  expect(paced).toMatch(/^[\d.]+\/s, learned from its 429s$/);
  expect(Number(/([\d.]+)\/s/.exec(paced!)![1])).toBeLessThan(10);

  const seen = await progressValues(page);
  expect(seen.at(-1)).toBe(100);
  expect(seen.some((v) => v < 100), `the bar should move while the export runs; saw ${seen.join(', ')}`).toBe(true);
  expect(navigations, 'the detail page must not navigate or reload').toBe(0);
  expect(await page.evaluate(() => (window as unknown as { __sameDocument?: boolean }).__sameDocument)).toBe(true);
  await page.screenshot({ path: testInfo.outputPath('export-detail.png'), fullPage: true });

  // Download the zip and check it holds the manifest and one Markdown file per page.
  const downloadLink = page.getByRole('link', { name: 'Download zip' });
  await expect(downloadLink).toHaveAttribute('href', `/api/exports/${exportId}/download`);
  const downloading = page.waitForEvent('download');
  await downloadLink.click();
  const download = await downloading;
  const zipFile = testInfo.outputPath('export.zip');
  await download.saveAs(zipFile);

  const entries = await listZipEntries(zipFile);
  expect(entries).toContain('manifest.json');
  const manifest: unknown = JSON.parse(await readZipText(zipFile, 'manifest.json'));
  expect(manifest).toBeTruthy();

  // The pages' own files (the archive's index.md at the root is no page).
  expect(entries).toEqual(expect.arrayContaining(['index.md', 'index.html', 'report.html']));
  const markdownNames = entries.filter((e) => e.endsWith('.md') && e !== 'index.md').map((e) => path.posix.basename(e));
  for (const name of markdownNames) expect(name, 'Notion-style file name').toMatch(/ [0-9a-f]{32}\.md$/);
  const pages = twinPages();
  expect(pages.length).toBeGreaterThan(40);
  const notExactlyOnce = pages
    .map((p) => ({ title: p.title, id: compactId(p.id), files: markdownNames.filter((n) => n.includes(compactId(p.id))) }))
    .filter((p) => p.files.length !== 1);
  expect(notExactlyOnce, 'pages without exactly one .md file').toEqual([]);

  // The dashboard lists the finished export with its download link.
  await page.getByRole('link', { name: 'Dashboard', exact: true }).click();
  const shortName = `Export ${exportId.slice(0, 8)}`;
  const row = page.getByRole('row').filter({ has: page.getByRole('link', { name: shortName, exact: true }) });
  await expect(row.getByText('Completed', { exact: true })).toBeVisible();
  await expect(row.getByRole('link', { name: `Download ${shortName} as zip` })).toHaveAttribute(
    'href',
    `/api/exports/${exportId}/download`,
  );
  await page.screenshot({ path: testInfo.outputPath('dashboard-after-export.png'), fullPage: true });
  expect(pageErrors, 'uncaught errors in the page').toEqual([]);
});
