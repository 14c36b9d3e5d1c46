import { expect, test } from './fixtures';

test('[PAGES]: an unknown export and an unknown address answer 404 with the app’s own page; the app has a favicon', async ({ page, request }) => {
  for (const url of ['/exports/00000000-0000-0000-0000-000000000000', '/no-such-page']) {
    const response = await page.goto(url);
    expect(response?.status(), url).toBe(404);
    await expect(page.getByRole('heading', { name: 'Nothing here' })).toBeVisible();
    await expect(page.getByRole('link', { name: 'Notion Sync' })).toBeVisible();
    await expect(page.getByRole('link', { name: 'Back to the dashboard' })).toHaveAttribute('href', '/');
  }
  const icon = await page.locator('link[rel="icon"]').first().getAttribute('href');
  expect(icon).toBeTruthy();
  const served = await request.get(String(icon));
  expect(served.status()).toBe(200);
  expect(served.headers()['content-type']).toContain('image/svg+xml');
});
