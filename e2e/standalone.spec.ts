import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect, test, TWIN_TOKEN, TWIN_URL, twinPages } from './fixtures';

/**
 * The dashboard as the container image runs it: the files the Dockerfile copies (Next's
 * standalone output, its static files, the migrations, the entry point) in a folder of their own
 * outside the project — so that nothing resolves from the project's node_modules — started by
 * `deploy/container/entrypoint.sh dashboard` (`node server.js`) on an empty data folder. It
 * applies the migrations at start, answers the readiness probe, prints the one-time setup link,
 * and then an admin made through that link signs in and exports the twin's workspace.
 */
const PORT = 3213;
const ORIGIN = `http://127.0.0.1:${PORT}`;
// Playwright runs from the project's root (playwright.config.ts is there).
const ROOT = process.cwd();

let dir: string;
let server: ChildProcess | undefined;
/** Everything the server wrote so far (stdout and stderr). */
let output = '';

test.use({ storageState: { cookies: [], origins: [] }, baseURL: ORIGIN });

/** The image's /app, as the Dockerfile's runtime stage copies it from the build. */
function assembleImageFolder(app: string): void {
  const standalone = path.join(ROOT, '.next', 'standalone');
  if (!fs.existsSync(path.join(standalone, 'server.js'))) throw new Error('No .next/standalone/server.js: run `next build` first (output: standalone)');
  fs.cpSync(standalone, app, { recursive: true, verbatimSymlinks: true });
  fs.cpSync(path.join(ROOT, '.next', 'static'), path.join(app, '.next', 'static'), { recursive: true });
  fs.cpSync(path.join(ROOT, 'db', 'migrations'), path.join(app, 'db', 'migrations'), { recursive: true });
  fs.mkdirSync(path.join(app, 'deploy', 'container'), { recursive: true });
  fs.copyFileSync(path.join(ROOT, 'deploy', 'container', 'entrypoint.sh'), path.join(app, 'deploy', 'container', 'entrypoint.sh'));
}

test.beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'notion-sync-standalone-'));
  const app = path.join(dir, 'app');
  const data = path.join(dir, 'data');
  fs.mkdirSync(data);
  assembleImageFolder(app);
  // The image's environment (Dockerfile ENV), a data folder of its own, and a staging profile:
  // production's rules, but the operator's NOTION_BASE_URL may be a test API such as the twin.
  server = spawn('sh', [path.join(app, 'deploy', 'container', 'entrypoint.sh'), 'dashboard'], {
    cwd: dir,
    env: {
      PATH: process.env.PATH,
      NODE_ENV: 'production',
      NEXT_TELEMETRY_DISABLED: '1',
      PORT: String(PORT),
      DATABASE_URL: `file:${data}/notion-sync.db`,
      EXPORTS_DIR: `${data}/exports`,
      NOTION_SYNC_ENV: 'staging',
      NOTION_SYNC_SECRET: 'standalone-secret-standalone',
      PUBLIC_URL: ORIGIN,
      NOTION_BASE_URL: TWIN_URL,
      NOTION_RATE_LIMIT: '50',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  for (const stream of [server.stdout, server.stderr]) {
    stream?.setEncoding('utf8').on('data', (chunk: string) => {
      output += chunk;
    });
  }
});

test.afterAll(async () => {
  if (server && server.exitCode === null && server.signalCode === null) {
    const exited = new Promise((resolve) => server?.once('exit', resolve));
    server.kill('SIGTERM');
    await exited;
  }
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

test('[STANDALONE]: the traced output carries libSQL’s native binary for this platform', () => {
  const libsql = path.join(dir, 'app', 'node_modules', '@libsql');
  // The package libsql loads here: on Linux the glibc build (the image is Debian), else the platform's.
  const wanted = process.platform === 'linux' ? `linux-${process.arch}-gnu` : `${process.platform}-${process.arch}`;
  const binary = fs.readdirSync(libsql).find((name) => name.startsWith(wanted));
  expect(binary, `@libsql/${wanted}* in ${fs.readdirSync(libsql).join(', ')}`).toBeDefined();
  expect(fs.readdirSync(path.join(libsql, binary ?? '')).some((f) => f.endsWith('.node'))).toBe(true);
});

test('[STANDALONE]: node server.js on an empty data folder is ready, makes the first admin, signs in and exports', async ({ page, request }) => {
  // Ready: migrations applied, the database and the exports folder answer.
  await expect
    .poll(
      async () => {
        if (server?.exitCode !== null) throw new Error(`the server stopped:\n${output}`);
        return (await request.get('/api/health/ready').catch(() => undefined))?.status();
      },
      { timeout: 60_000, message: 'GET /api/health/ready answers 200' },
    )
    .toBe(200);

  // The one-time setup link, printed at start, makes the first admin.
  const link = output.match(/https?:\/\/\S+\/setup\?token=[\w-]+/)?.[0];
  expect(link, output).toBeDefined();
  await page.goto(link ?? '');
  const setup = page.getByRole('form', { name: 'Create the first admin' });
  await setup.getByLabel('Email').fill('owner@example.test');
  await setup.getByLabel('Name').fill('Owner');
  await setup.getByLabel('Password', { exact: true }).fill('the owner password');
  await setup.getByLabel('Password again').fill('the owner password');
  await setup.getByRole('button', { name: /create/i }).click();
  await expect(page).toHaveURL(`${ORIGIN}/`);

  // Signed out, then in again through the sign-in form.
  await page.context().clearCookies();
  await page.goto('/');
  await expect(page).toHaveURL(/\/sign-in/);
  const signIn = page.getByRole('form', { name: 'Sign in' });
  await signIn.getByLabel('Email').fill('owner@example.test');
  await signIn.getByLabel('Password').fill('the owner password');
  await signIn.getByRole('button', { name: 'Sign in' }).click();
  await expect(page).toHaveURL(`${ORIGIN}/`);
  // The static files came along: Tailwind's classes apply.
  const title = page.getByRole('heading', { level: 1, name: 'Notion Sync' });
  await expect(title).toHaveCSS('font-weight', '700');

  // An export of the twin's workspace through the API the dashboard calls, with the session's cookies.
  const call = async (procedure: string, input: unknown) => {
    const response = await page.request.post(`/api/trpc/${procedure}`, { data: input, headers: { Origin: ORIGIN } });
    expect(response.status(), `${procedure}: ${await response.text()}`).toBe(200);
    return ((await response.json()) as { result: { data: unknown } }).result.data;
  };
  const connection = (await call('connections.create', { name: 'Twin', token: TWIN_TOKEN })) as { id: string };
  const started = (await call('exports.start', { connectionId: connection.id, formats: ['markdown', 'json'] })) as { id: string };
  let last: { status?: string; pagesDone?: number } = {};
  await expect
    .poll(
      async () => {
        const response = await page.request.get(`/api/trpc/exports.get?input=${encodeURIComponent(JSON.stringify({ id: started.id }))}`);
        last = ((await response.json()) as { result?: { data?: typeof last } }).result?.data ?? {};
        return last.status;
      },
      { timeout: 120_000, intervals: [500], message: 'the export finishes' },
    )
    .toBe('completed');
  expect(last.pagesDone).toBeGreaterThanOrEqual(twinPages().length);

  // Its page shows it done, with the download.
  await page.goto(`/exports/${started.id}`);
  await expect(page.getByRole('link', { name: /download/i }).first()).toBeVisible();
  expect(output).not.toContain(TWIN_TOKEN);
});
