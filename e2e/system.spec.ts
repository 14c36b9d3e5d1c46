import AxeBuilder from '@axe-core/playwright';
import { expect, test } from './fixtures';

/**
 * The System view, as the admin sees it: reached from the header, its charts drawn on canvases
 * inside captioned figures, the health badges, and samples that keep coming over the stream.
 */
test('[SYSTEM]: the System view streams live samples into its charts, with health badges, under the CSP and on a phone', async ({ page }) => {
  const violations: string[] = [];
  page.on('console', (message) => {
    if (/Content[- ]Security[- ]Policy|Refused to (execute|load|apply)/i.test(message.text())) violations.push(message.text());
  });
  await page.goto('/');
  await page.getByRole('navigation', { name: 'Account' }).getByRole('link', { name: 'System', exact: true }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'System' })).toBeVisible();

  for (const caption of ['Memory', 'Event-loop lag', 'Export queue', 'Notion latency, 95th percentile', 'Pages and databases exported']) {
    await expect(page.getByRole('figure', { name: caption }).locator('canvas').first(), caption).toBeVisible();
  }
  await expect(page.getByTestId('health-database')).toContainText('OK');
  await expect(page.getByTestId('health-migrations')).toContainText('OK');

  // The stream is live and its samples keep coming (one every 2 s).
  await expect(page.getByTestId('stream-status')).toHaveText('Live');
  const samples = async () => Number((await page.getByTestId('sample-count').textContent())?.replace(/\D/g, '') || 0);
  await expect.poll(samples).toBeGreaterThan(0);
  const seen = await samples();
  await expect.poll(samples).toBeGreaterThan(seen);
  await expect(page.getByRole('figure', { name: 'Memory' }).getByTestId('chart-summary')).toContainText(/RSS \d[\d,.]* MB/);
  await expect(page.getByTestId('no-conditions').or(page.getByRole('list', { name: 'Conditions worth an alert' }))).toBeVisible();

  const audit = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
  expect(audit.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`)).toEqual([]);

  // On a phone: one column, nothing wider than the screen.
  await page.setViewportSize({ width: 375, height: 812 });
  await expect.poll(() => page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth)).toBeLessThanOrEqual(0);
  expect(violations).toEqual([]);
});
