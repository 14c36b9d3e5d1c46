import fs from 'node:fs';
import { defineConfig, devices } from '@playwright/test';

// Keep in step with e2e/fixtures.ts (TWIN_URL, TWIN_WORKSPACE, APP_URL, E2E_ADMIN, E2E_DATABASE_URL).
const TWIN_PORT = 4311;
const APP_PORT = 3211;

const baseURL = `http://127.0.0.1:${APP_PORT}`;

// Debian's chromium by default (see TOOLCHAIN.md gotcha 6); Playwright's own browser otherwise.
const executablePath = process.env.CHROMIUM_PATH ?? (fs.existsSync('/usr/bin/chromium') ? '/usr/bin/chromium' : undefined);

export default defineConfig({
  testDir: './e2e',
  // Only Playwright specs: e2e/notion-twin/ holds the twin's own Vitest tests (*.test.ts).
  testMatch: '**/*.spec.ts',
  timeout: 300_000,
  expect: { timeout: 15_000 },
  fullyParallel: false,
  workers: 1,
  forbidOnly: !!process.env.CI,
  retries: process.env.CI ? 1 : 0,
  reporter: [['list']],
  use: { baseURL, trace: 'on-first-retry', acceptDownloads: true },
  projects: [
    {
      name: 'chromium',
      use: {
        ...devices['Desktop Chrome'],
        launchOptions: {
          executablePath,
          args: [
            '--no-sandbox',
            '--disable-gpu',
            '--disable-dev-shm-usage',
            '--disable-background-networking',
            '--disable-component-update',
            '--disable-sync',
            '--no-first-run',
          ],
        },
      },
    },
  ],
  webServer: [
    {
      // The Notion twin: a deterministic fake of the Notion API (accepts the token `secret_twin`).
      command: `node_modules/.bin/tsx e2e/notion-twin/main.ts --port ${TWIN_PORT} --pages 40 --databases 2 --rows 10 --seed 7`,
      url: `http://127.0.0.1:${TWIN_PORT}/__twin/stats`,
      reuseExistingServer: false,
      timeout: 60_000,
      stdout: 'pipe',
      stderr: 'pipe',
    },
    {
      // The app, from a prior `next build` (npm test builds first), on a fresh database.
      command: `rm -rf data/e2e && exec node_modules/.bin/next start -H 127.0.0.1 -p ${APP_PORT}`,
      url: `${baseURL}/api/health`,
      reuseExistingServer: false,
      timeout: 120_000,
      stdout: 'pipe',
      stderr: 'pipe',
      env: {
        DATABASE_URL: 'file:./data/e2e/notion-sync.db',
        EXPORTS_DIR: './data/e2e/exports',
        NEXT_TELEMETRY_DISABLED: '1',
        NOTION_SYNC_SECRET: 'e2e-secret-e2e-secret',
        // The first admin, made at start-up; the tests sign in as them (e2e/fixtures.ts).
        ADMIN_EMAIL: 'admin@e2e.test',
        ADMIN_PASSWORD: 'e2e admin password',
        // The origin the browser uses: better-auth trusts it alone.
        PUBLIC_URL: baseURL,
        // The connection the tests add points at the twin (http://127.0.0.1), refused in production.
        NOTION_SYNC_ENV: 'development',
        // The twin runs without a rate limit; at the default 3 req/s the ~450 requests of this
        // workspace take 2.5 minutes. 10/s keeps the limiter in play and the run under a minute.
        NOTION_RATE_LIMIT: '10',
      },
    },
  ],
});
