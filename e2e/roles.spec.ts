import { addUser, APP_URL, E2E_ADMIN, expect, signIn, test } from './fixtures';

const VIEWER = { email: 'viewer@e2e.test', password: 'viewer password e2e' };

// Runs after export-workspace.spec.ts (files run in name order, one worker): an export exists.
test.describe.configure({ mode: 'serial' });

test.describe('a viewer', () => {
  test.use({ storageState: { cookies: [], origins: [] } });

  test('[ACCESS]: a viewer sees the exports but no start button, and the API refuses them a start with 403', async ({ page, playwright }) => {
    addUser(VIEWER.email, 'viewer', VIEWER.password);
    const request = await playwright.request.newContext({ baseURL: APP_URL });
    await page.context().addCookies((await signIn(request, VIEWER)).cookies);

    await page.goto('/');
    await expect(page.getByRole('heading', { name: 'Exports', exact: true })).toBeVisible();
    // The export made by export-workspace.spec.ts (this file runs after it).
    const details = page.getByRole('link', { name: /^Details of / }).first();
    await expect(details).toBeVisible();
    await expect(page.getByRole('link', { name: /viewer@e2e\.test|\(viewer\)/ })).toBeVisible();
    await expect(page.getByRole('heading', { name: 'Start export' })).toHaveCount(0);
    await expect(page.getByRole('button', { name: 'Start export' })).toHaveCount(0);
    await expect(page.getByRole('form', { name: 'Add connection' })).toHaveCount(0);
    await expect(page.getByRole('link', { name: 'Users' })).toHaveCount(0);

    await details.click();
    await expect(page.getByRole('link', { name: 'Download zip' })).toBeVisible();
    for (const name of ['Pause', 'Resume', 'Retry failed pages', 'Cancel export']) await expect(page.getByRole('button', { name })).toHaveCount(0);

    const start = await request.post('/api/trpc/exports.start', { data: { connectionId: 'any' }, headers: { Origin: APP_URL } });
    expect(start.status()).toBe(403);
    const users = await request.get('/api/trpc/users.list');
    expect(users.status()).toBe(403);
    expect((await request.get('/api/trpc/exports.list')).status()).toBe(200);
    await request.dispose();
  });
});

test.describe('signed out', () => {
  test.use({ storageState: { cookies: [], origins: [] } });

  test('[ACCESS]: an anonymous visit is sent to the sign-in page, which signs in and goes back', async ({ page }) => {
    await page.goto('/users');
    await expect(page).toHaveURL(/\/sign-in\?next=%2Fusers$/);
    const form = page.getByRole('form', { name: 'Sign in' });
    await form.getByLabel('Email').fill(E2E_ADMIN.email);
    await form.getByLabel('Password').fill('not the password');
    await form.getByRole('button', { name: 'Sign in' }).click();
    await expect(form.getByRole('alert')).toHaveText('The email or the password is wrong.');
    await form.getByLabel('Password').fill(E2E_ADMIN.password);
    await form.getByRole('button', { name: 'Sign in' }).click();
    await expect(page).toHaveURL(`${APP_URL}/users`);
    await expect(page.getByRole('heading', { level: 1, name: 'Users' })).toBeVisible();
    await page.getByRole('button', { name: 'Sign out' }).click();
    await expect(page).toHaveURL(/\/sign-in$/);
    await page.goto('/');
    await expect(page).toHaveURL(/\/sign-in\?next=%2F$/);
  });

  test('[ACCESS]: the API answers 401 without a session', async ({ request }) => {
    expect((await request.get('/api/trpc/exports.list')).status()).toBe(401);
    expect((await request.get('/api/exports/0b6a3c3e-4f7e-4d1b-9a55-8d0f7c3b2a10/download')).status()).toBe(401);
    expect((await request.get('/api/health')).status()).toBe(200);
  });
});
