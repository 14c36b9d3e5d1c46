import AxeBuilder from '@axe-core/playwright';
import type { APIRequestContext, Locator, Page } from '@playwright/test';
import { APP_URL, compactId, expect, listZipEntries, readZipText, test, TWIN_TOKEN, TWIN_URL } from './fixtures';

/**
 * Snapshots of a connection: an operator (the admin here) adds a schedule with the schedule form,
 * makes a snapshot with "Sync now", edits a page in Notion (the twin's control API), syncs again,
 * opens "What changed" between the two and sees the edited page with its Markdown diff (signs, not
 * only colour), opens the page's history, and downloads the newest snapshot as a zip holding the
 * edited page. Runs after export-workspace.spec.ts when the whole suite runs (the connection
 * "Twin" exists then), and makes it when run alone. The page it adds to the twin is deleted at the
 * end, so the specs after it see the workspace they expect.
 */
test.describe.configure({ mode: 'serial' });

const TITLE = 'Snapshot diary';
let addedPageId: string | undefined;

/** A change to the twin's workspace over its control API; the answer's body. */
async function twinChange(change: string, body: object): Promise<Record<string, unknown>> {
  const response = await fetch(`${TWIN_URL}/__twin/${change}`, { method: 'POST', body: JSON.stringify(body) });
  const answer = (await response.json()) as Record<string, unknown>;
  if (!response.ok) throw new Error(`the twin refused ${change}: ${response.status} ${JSON.stringify(answer)}`);
  return answer;
}

test.afterAll(async () => {
  if (addedPageId) await twinChange('delete', { id: addedPageId });
});

/** Calls a tRPC procedure with the page's session, as the dashboard does. */
async function call<T>(request: APIRequestContext, procedure: string, input: unknown, kind: 'query' | 'mutation'): Promise<T> {
  const response =
    kind === 'query'
      ? await request.get(`/api/trpc/${procedure}?input=${encodeURIComponent(JSON.stringify(input))}`)
      : await request.post(`/api/trpc/${procedure}`, { data: input, headers: { Origin: APP_URL } });
  expect(response.status(), `${procedure}: ${await response.text()}`).toBe(200);
  return ((await response.json()) as { result: { data: T } }).result.data;
}

/** The twin's connection: the one export-workspace.spec.ts made, or a new one. */
async function twinConnection(request: APIRequestContext): Promise<string> {
  const connections = await call<{ id: string; name: string }[]>(request, 'connections.list', undefined, 'query');
  const existing = connections.find((c) => c.name === 'Twin');
  if (existing) return existing.id;
  const created = await call<{ id: string }>(request, 'connections.create', { name: 'Twin', token: TWIN_TOKEN, baseUrl: TWIN_URL }, 'mutation');
  return created.id;
}

/** No WCAG 2.1 A/AA violation in what the page shows now (within `selector` when given). */
async function expectAccessible(page: Page, name: string, selector?: string): Promise<void> {
  const axe = new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']);
  const results = await (selector ? axe.include(selector) : axe).analyze();
  const problems = results.violations.map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  expect(problems, `accessibility problems on ${name}`).toEqual([]);
}

const snapshots = (page: Page) => page.getByRole('list', { name: 'Snapshots' }).getByTestId('snapshot');

/** Clicks "Sync now" and waits for the new snapshot at the top of the list to complete; its id and its item. */
async function syncNow(page: Page): Promise<{ id: string; item: Locator }> {
  // Counted once the list has loaded ("Sync now" waits for it too).
  await expect(page.getByRole('button', { name: 'Sync now' })).toBeEnabled();
  const before = await snapshots(page).count();
  await page.getByRole('button', { name: 'Sync now' }).click();
  await expect(snapshots(page)).toHaveCount(before + 1);
  const id = await snapshots(page).first().getAttribute('data-snapshot-id');
  if (!id) throw new Error('the new snapshot has no id');
  // Found by its id: newer snapshots go above it.
  const item = page.locator(`[data-snapshot-id="${id}"]`);
  await expect(item.getByText(/^Completed/)).toBeVisible({ timeout: 180_000 });
  await expect(page.getByRole('button', { name: 'Sync now' })).toBeEnabled();
  return { id, item };
}

test('[SNAPSHOTS]: a schedule, two syncs with an edit between them, what changed, the page’s history, and a download', async ({ page }, testInfo) => {
  const pageErrors: string[] = [];
  page.on('pageerror', (error) => pageErrors.push(error.message));
  const connectionId = await twinConnection(page.request);
  const pageId = String((await twinChange('add-page', { parentId: null, title: TITLE })).id);
  addedPageId = pageId;

  // A schedule, added with its form (yearly, so it does not run during the test).
  await page.goto(`/connections/${connectionId}`);
  const schedule = page.getByRole('form', { name: 'Schedule' });
  await schedule.getByLabel('Cron expression').fill('0 2 1 1 *');
  await schedule.getByLabel('Time zone').selectOption('UTC');
  await expect(schedule.getByRole('list', { name: 'Next runs' })).toBeVisible();
  await schedule.getByRole('button', { name: /Add schedule|Save schedule/ }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Schedule saved.' })).toBeVisible();

  // Two snapshots, the page edited in Notion between them.
  const { id: firstId, item: first } = await syncNow(page);
  await twinChange('edit-page', { id: pageId });
  const { id: secondId, item: second } = await syncNow(page);
  expect(secondId).not.toBe(firstId);
  await expect(second).toContainText(/Manual (sync|full export)/);
  await expect(second).toContainText(/Disk: .* own · .* shared/);
  await page.screenshot({ path: testInfo.outputPath('snapshots.png'), fullPage: true });
  await expectAccessible(page, 'the snapshots panel', '[data-testid="snapshots-panel"]');

  // Pinned and unpinned, with the state told to assistive technology.
  const pin = second.getByRole('button', { name: /^Pin the snapshot of / });
  await pin.click();
  await expect(second.getByRole('button', { name: /^Unpin the snapshot of / })).toHaveAttribute('aria-pressed', 'true');
  await second.getByRole('button', { name: /^Unpin the snapshot of / }).click();
  await expect(second.getByRole('button', { name: /^Pin the snapshot of / })).toHaveAttribute('aria-pressed', 'false');

  // Download the newest: the zip holds the edited page.
  const downloading = page.waitForEvent('download');
  await second.getByRole('link', { name: /^Download the snapshot of / }).click();
  const download = await downloading;
  const zipPath = testInfo.outputPath('snapshot.zip');
  await download.saveAs(zipPath);
  const entries = await listZipEntries(zipPath);
  const pageFile = entries.find((name) => name.endsWith(`${TITLE} ${compactId(pageId)}.md`));
  expect(pageFile, entries.join('\n')).toBeDefined();
  expect(await readZipText(zipPath, pageFile ?? '')).toContain('(edited 1)');

  // The two picked and compared: the edited page, with its diff in signs as well as colours.
  await first.getByRole('checkbox', { name: /^Choose the snapshot of / }).check();
  await second.getByRole('checkbox', { name: /^Choose the snapshot of / }).check();
  await page.getByRole('link', { name: 'Compare the two' }).click();
  await page.waitForURL(new RegExp(`/connections/${connectionId}/snapshots/compare\\?from=${firstId}&to=${secondId}$`));
  await expect(page.getByRole('heading', { level: 1, name: 'What changed' })).toBeVisible();
  const edited = page.getByRole('list', { name: 'Edited' }).getByTestId('changed-item').filter({ hasText: TITLE });
  await expect(edited).toBeVisible();
  await edited.getByRole('button', { name: `Show changes of ${TITLE}` }).click();
  const diff = edited.getByTestId('page-diff');
  await expect(diff).toContainText('(edited 1)');
  await expect(diff).toContainText(/\+\d+ added/);
  // The added line carries its sign as text (hidden from screen readers, which hear "Added:").
  await expect(diff.locator('li').filter({ hasText: '(edited 1)' }).filter({ hasText: 'Added:' }).first()).toContainText('+');
  await page.screenshot({ path: testInfo.outputPath('what-changed.png'), fullPage: true });
  await expectAccessible(page, 'what changed');

  // At a phone's width nothing scrolls sideways.
  await page.setViewportSize({ width: 375, height: 800 });
  expect(await page.evaluate(() => document.documentElement.scrollWidth <= document.documentElement.clientWidth)).toBe(true);
  await page.screenshot({ path: testInfo.outputPath('what-changed-phone.png'), fullPage: true });
  await page.setViewportSize({ width: 1280, height: 800 });

  // The page's history: its versions, the newest being the edit.
  await edited.getByRole('link', { name: `History of ${TITLE}` }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Page history' })).toBeVisible();
  const versions = page.getByRole('list', { name: 'Versions' }).getByTestId('page-version');
  await expect(versions.first()).toContainText('Edited');
  await expect(versions.last()).toContainText('First seen');
  await expectAccessible(page, 'page history');

  // "What changed" from the list goes to the same comparison.
  await page.goto(`/connections/${connectionId}`);
  await snapshots(page).first().getByRole('link', { name: /^What changed in the snapshot of / }).click();
  await expect(page).toHaveURL(new RegExp(`from=${firstId}&to=${secondId}$`));

  expect(pageErrors).toEqual([]);
});
