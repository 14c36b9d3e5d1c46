import AxeBuilder from '@axe-core/playwright';
import type { Browser, Page, TestInfo } from '@playwright/test';
import { APP_URL, expect, listZipEntries, setTwinRateLimit, test, twinWorkspace } from './fixtures';

/**
 * A team sharing the dashboard: an admin invites an operator and a viewer through the Users page,
 * each accepts their link in their own browser; the operator starts, pauses, resumes and cancels an
 * export; the viewer watches, previews a file and downloads the zip; the admin reads the audit log.
 * Every main view passes an automated accessibility audit (axe-core, WCAG 2.1 A and AA) and is
 * kept as a screenshot. Runs after export-workspace.spec.ts (files run in name order, one worker):
 * the connection "Twin" and a completed export exist.
 */
test.describe.configure({ mode: 'serial' });

const OPERATOR = { email: 'operator@team.test', name: 'Olga Operator', password: 'operator password team' };
const WATCHER = { email: 'watcher@team.test', name: 'Walt Watcher', password: 'watcher password team' };

/** Pages each person keeps open across the tests of this file. */
const browsers: { operator?: Page; watcher?: Page } = {};

/** No WCAG 2.1 A/AA violation on what the page shows now; the screenshot is kept either way. */
async function auditView(page: Page, name: string, testInfo: TestInfo): Promise<void> {
  await page.screenshot({ path: testInfo.outputPath(`${name}.png`), fullPage: true });
  const results = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
  const problems = results.violations.map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  expect(problems, `accessibility problems on ${name}`).toEqual([]);
}

/** Invites `person` from the Users page, then accepts the link in a fresh browser; returns that signed-in page. */
async function invite(page: Page, browser: Browser, person: typeof OPERATOR, role: 'operator' | 'viewer'): Promise<Page> {
  const form = page.getByRole('form', { name: 'Invite' });
  await form.getByLabel('Email').fill(person.email);
  await form.getByLabel('Role').selectOption(role);
  await form.getByRole('button', { name: 'Create invite link' }).click();
  const linkField = page.getByLabel(`Invite link for ${person.email}`);
  await expect(linkField).toHaveValue(new RegExp(`^${APP_URL}/invite/[\\w-]+$`));
  const link = await linkField.inputValue();

  const context = await browser.newContext({ baseURL: APP_URL, storageState: { cookies: [], origins: [] } });
  const theirs = await context.newPage();
  await theirs.goto(link);
  const accept = theirs.getByRole('form', { name: 'Accept invite' });
  await expect(accept.getByLabel('Email')).toHaveValue(person.email);
  await accept.getByLabel('Name').fill(person.name);
  await accept.getByLabel('Password', { exact: true }).fill(person.password);
  await accept.getByLabel('Password again').fill(person.password);
  await accept.getByRole('button', { name: 'Create account and sign in' }).click();
  await expect(theirs).toHaveURL(`${APP_URL}/`);
  await expect(theirs.getByRole('heading', { name: 'Exports', exact: true })).toBeVisible();
  return theirs;
}

test.afterAll(async () => {
  await setTwinRateLimit(null);
  await browsers.operator?.context().close();
  await browsers.watcher?.context().close();
});

test('[TEAM]: an admin invites an operator and a viewer; each accepts their link once and lands signed in', async ({ page, browser }, testInfo) => {
  await page.goto('/users');
  await expect(page.getByRole('heading', { level: 1, name: 'Users' })).toBeVisible();
  browsers.operator = await invite(page, browser, OPERATOR, 'operator');
  browsers.watcher = await invite(page, browser, WATCHER, 'viewer');
  await page.reload();
  await expect(page.getByText(OPERATOR.email, { exact: true })).toBeVisible();
  await expect(page.getByText(WATCHER.email, { exact: true })).toBeVisible();
  await auditView(page, 'users', testInfo);

  // A used link says so and makes nobody.
  const stranger = await browser.newContext({ baseURL: APP_URL, storageState: { cookies: [], origins: [] } });
  const strangerPage = await stranger.newPage();
  await strangerPage.goto('/invite/not-a-real-token-at-all');
  await expect(strangerPage.getByRole('form', { name: 'Accept invite' })).toHaveCount(0);
  await auditView(strangerPage, 'invite-not-valid', testInfo);
  await stranger.close();
});

test('[TEAM]: the operator starts, pauses, resumes and cancels an export, confirming what cancel removes', async ({ browser: _browser }, testInfo) => {
  const page = browsers.operator;
  if (!page) throw new Error('the operator was not invited');
  const workspace = twinWorkspace();
  // Slow enough to pause and cancel while it runs.
  await setTwinRateLimit({ requestsPerSecond: 2, burst: 2 });
  await page.goto('/');
  await expect(page.getByRole('link', { name: 'Users' })).toHaveCount(0);
  await page.getByRole('form', { name: 'Start export' }).getByLabel('Connection').selectOption({ label: `Twin (${workspace.workspaceName})` });
  await page.getByRole('button', { name: 'Start export' }).click();
  await page.waitForURL(/\/exports\/[^/]+$/);
  const status = page.getByTestId('export-status');
  await expect(status).toHaveText(/Queued|Running/);

  await page.getByRole('button', { name: 'Pause' }).click();
  await expect(status).toHaveText('Paused');
  await page.getByRole('button', { name: 'Resume' }).click();
  await expect(status).toHaveText(/Queued|Running/);

  await page.getByRole('button', { name: 'Cancel export' }).click();
  const dialog = page.getByRole('dialog');
  await expect(dialog).toBeVisible();
  await expect(dialog).toContainText(/remove/i);
  await auditView(page, 'export-cancel-confirmation', testInfo);
  // Keeping it changes nothing.
  await dialog.getByRole('button', { name: 'Keep it' }).click();
  await expect(dialog).toBeHidden();
  await expect(status).toHaveText(/Queued|Running/);
  await page.getByRole('button', { name: 'Cancel export' }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Cancel export' }).click();
  await expect(status).toHaveText('Cancelled');
  await expect(page.getByRole('button', { name: 'Pause' })).toHaveCount(0);
  await auditView(page, 'export-cancelled', testInfo);
});

test('[TEAM]: the viewer watches a finished export, previews a page rendered, and downloads the zip named after the workspace', async ({ browser: _browser }, testInfo) => {
  const page = browsers.watcher;
  if (!page) throw new Error('the viewer was not invited');
  const workspace = twinWorkspace();
  await page.goto('/');
  await expect(page.getByRole('button', { name: 'Start export' })).toHaveCount(0);
  await auditView(page, 'dashboard-viewer', testInfo);

  const completed = page.getByRole('row').filter({ hasText: 'Completed' }).first();
  await completed.getByRole('link', { name: /^Export [0-9a-f]{8}$/ }).click();
  await page.waitForURL(/\/exports\/[^/]+$/);
  await expect(page.getByTestId('export-status')).toHaveText('Completed');
  for (const name of ['Pause', 'Resume', 'Cancel export', 'Delete export']) await expect(page.getByRole('button', { name })).toHaveCount(0);
  // Audited before the preview opens: axe cannot run inside a frame sandboxed against every script.
  await auditView(page, 'export-detail-viewer', testInfo);

  // The file tree: a top-level page of the workspace, previewed as rendered HTML in a sandboxed frame.
  const top = workspace.allPages().find((p) => p.parent.type === 'workspace');
  if (!top) throw new Error('the twin has no top-level page');
  const files = page.getByRole('list', { name: 'Files of the export' });
  const file = files.getByRole('button', { name: new RegExp(`^${top.title.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} [0-9a-f]{32}\\.md`) });
  await file.click();
  await expect(file).toHaveAttribute('aria-pressed', 'true');
  const preview = page.frameLocator('iframe[title^="Preview of"]');
  await expect(preview.locator('body')).toContainText(top.title);
  await expect(preview.locator('h1, h2, p, table').first()).toBeVisible();
  // Rendered, not raw: no Markdown heading marks and no front-matter fence left as text.
  await expect(preview.locator('body')).not.toContainText('\n---\n');
  await page.screenshot({ path: testInfo.outputPath('export-file-preview.png'), fullPage: true });

  const downloading = page.waitForEvent('download');
  await page.getByRole('link', { name: 'Download zip' }).click();
  const download = await downloading;
  const safeName = workspace.workspaceName.replace(/[^\w .-]+/g, '').trim();
  expect(download.suggestedFilename()).toMatch(/-\d{4}-\d{2}-\d{2}\.zip$/);
  expect(download.suggestedFilename().startsWith(safeName.slice(0, 10))).toBe(true);
  const zipFile = testInfo.outputPath('viewer.zip');
  await download.saveAs(zipFile);
  expect(await listZipEntries(zipFile)).toContain('manifest.json');
});

test('[TEAM]: the admin sees who did what in the audit log, filtered by person', async ({ page }, testInfo) => {
  await page.goto('/audit');
  await expect(page.getByRole('heading', { level: 1, name: 'Audit log' })).toBeVisible();
  const entries = page.getByRole('list', { name: 'Audit entries' });
  await expect(entries).toContainText(OPERATOR.email);
  await auditView(page, 'audit', testInfo);

  const filters = page.getByRole('form', { name: 'Filter the audit log' });
  await filters.getByLabel('Who (email)').fill(OPERATOR.email);
  await filters.getByRole('button', { name: 'Apply filters' }).click();
  await expect(entries).toContainText('Started an export');
  await expect(entries).toContainText('Paused an export');
  await expect(entries).not.toContainText(WATCHER.email);
});

test('[TEAM]: the other main views pass the accessibility audit (overview, account, sign-in, a phone-width list)', async ({ page, browser }, testInfo) => {
  await page.goto('/');
  await expect(page.getByRole('heading', { name: 'Exports', exact: true })).toBeVisible();
  await auditView(page, 'dashboard-admin', testInfo);
  await page.goto('/account');
  await expect(page.getByRole('heading', { level: 1 })).toBeVisible();
  await auditView(page, 'account', testInfo);

  const phone = await browser.newContext({ baseURL: APP_URL, viewport: { width: 375, height: 812 }, storageState: await page.context().storageState() });
  const phonePage = await phone.newPage();
  await phonePage.goto('/');
  await expect(phonePage.getByRole('heading', { name: 'Exports', exact: true })).toBeVisible();
  // Everything reachable without sideways scrolling.
  const overflow = await phonePage.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  expect(overflow).toBeLessThanOrEqual(0);
  const download = phonePage.getByRole('link', { name: /^Download Export [0-9a-f]{8} as zip$/ }).first();
  await download.scrollIntoViewIfNeeded();
  const box = await download.boundingBox();
  expect(box && box.x >= 0 && box.x + box.width <= 375, 'the download action lies inside the phone screen').toBe(true);
  await auditView(phonePage, 'dashboard-phone', testInfo);
  await phone.close();

  const anonymous = await browser.newContext({ baseURL: APP_URL, storageState: { cookies: [], origins: [] } });
  const signIn = await anonymous.newPage();
  await signIn.goto('/sign-in');
  await expect(signIn.getByRole('form', { name: 'Sign in' })).toBeVisible();
  await auditView(signIn, 'sign-in', testInfo);
  await anonymous.close();
});
