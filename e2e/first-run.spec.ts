import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import { expect, test } from './fixtures';

/**
 * A first start without ADMIN_EMAIL / ADMIN_PASSWORD: the server prints a one-time setup link, and
 * only that link makes the first admin. A second app server of its own (fresh database, no
 * admin) so the shared one keeps its seeded admin.
 */
const PORT = 3212;
const ORIGIN = `http://127.0.0.1:${PORT}`;
const DATA = 'data/e2e-first-run';

let server: ChildProcess | undefined;
/** Everything the server wrote to stderr so far. */
let stderr = '';

test.use({ storageState: { cookies: [], origins: [] }, baseURL: ORIGIN });

test.beforeAll(async () => {
  fs.rmSync(DATA, { recursive: true, force: true });
  server = spawn('node_modules/.bin/next', ['start', '-H', '127.0.0.1', '-p', String(PORT)], {
    env: {
      ...process.env,
      ADMIN_EMAIL: '',
      ADMIN_PASSWORD: '',
      DATABASE_URL: `file:./${DATA}/notion-sync.db`,
      EXPORTS_DIR: `./${DATA}/exports`,
      NOTION_SYNC_SECRET: 'first-run-secret-first-run',
      PUBLIC_URL: ORIGIN,
      NEXT_TELEMETRY_DISABLED: '1',
      RUNNER_ENABLED: 'false',
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  server.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
});

test.afterAll(async () => {
  if (server && server.exitCode === null) {
    const exited = new Promise((resolve) => server?.once('exit', resolve));
    server.kill('SIGTERM');
    await exited;
  }
  fs.rmSync(DATA, { recursive: true, force: true });
});

/** The setup link, once the server has printed it. */
async function setupLink(): Promise<string> {
  let link: string | undefined;
  await expect
    .poll(
      () => {
        link = stderr.match(/https?:\/\/\S+\/setup\?token=[\w-]+/)?.[0];
        return link !== undefined || server?.exitCode !== null;
      },
      { timeout: 60_000, message: 'the server prints a setup link' },
    )
    .toBe(true);
  if (!link) throw new Error(`the server stopped without a setup link:\n${stderr}`);
  return link;
}

test('[FIRST RUN]: only the printed one-time link makes the first admin, who lands signed in', async ({ page, request }, testInfo) => {
  const link = await setupLink();
  expect(link.startsWith(`${ORIGIN}/setup?token=`)).toBe(true);

  // Whoever finds the setup page without the link cannot claim it.
  await page.goto('/setup');
  await expect(page.getByText('Open the one-time setup link')).toBeVisible();
  await expect(page.getByRole('form', { name: 'Create the first admin' })).toHaveCount(0);
  const guessed = await request.post('/api/setup', {
    headers: { Origin: ORIGIN },
    data: { token: 'guessed', email: 'intruder@example.test', password: 'a long enough password' },
  });
  expect(guessed.status()).toBe(403);

  await page.goto(link);
  const form = page.getByRole('form', { name: 'Create the first admin' });
  await form.getByLabel('Email').fill('owner@example.test');
  await form.getByLabel('Name').fill('Owner');
  await form.getByLabel('Password', { exact: true }).fill('the owner password');
  await form.getByLabel('Password again').fill('the owner password');
  await page.screenshot({ path: testInfo.outputPath('setup.png'), fullPage: true });
  await form.getByRole('button', { name: /create/i }).click();
  await expect(page).toHaveURL(`${ORIGIN}/`);
  await expect(page.getByRole('link', { name: 'Users' })).toBeVisible();

  // The link worked once.
  await page.context().clearCookies();
  await page.goto(link);
  await page.getByRole('form', { name: 'Create the first admin' }).getByLabel('Email').fill('second@example.test');
  await form.getByLabel('Password', { exact: true }).fill('another long password');
  await form.getByLabel('Password again').fill('another long password');
  await form.getByRole('button', { name: /create/i }).click();
  await expect(form.getByRole('alert')).toContainText('not valid');
});
