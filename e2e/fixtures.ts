/**
 * Shared helpers for the browser tests: where the Notion twin runs, what it holds, and how to read
 * the zip an export downloads.
 */
import { execFileSync } from 'node:child_process';
import { type APIRequestContext, test as base } from '@playwright/test';
import yauzl from 'yauzl';
import { generateWorkspace, type TwinPage, type WorkspaceOptions } from './notion-twin';

export { expect } from '@playwright/test';

/** Must match the app's webServer in playwright.config.ts. */
export const APP_URL = 'http://127.0.0.1:3211';
export const E2E_ENV = { DATABASE_URL: 'file:./data/e2e/notion-sync.db', NOTION_SYNC_SECRET: 'e2e-secret-e2e-secret' };
/** The first admin, made by the server at start-up from ADMIN_EMAIL / ADMIN_PASSWORD. */
export const E2E_ADMIN = { email: 'admin@e2e.test', password: 'e2e admin password' };

type StorageState = Awaited<ReturnType<APIRequestContext['storageState']>>;

/** Signs in over better-auth's route (POST /api/auth/sign-in/email) and returns the cookies. */
export async function signIn(request: APIRequestContext, user: { email: string; password: string }): Promise<StorageState> {
  const response = await request.post('/api/auth/sign-in/email', { data: user, headers: { Origin: APP_URL } });
  if (response.status() !== 200) throw new Error(`sign-in of ${user.email} answered ${response.status()}`);
  return request.storageState();
}

/** Adds a user with the CLI (`users add … --password-stdin`), on the app's database, as a script would. */
export function addUser(email: string, role: 'admin' | 'operator' | 'viewer', password: string): void {
  execFileSync('node_modules/.bin/tsx', ['server/cli.ts', 'users', 'add', email, '--role', role, '--password-stdin'], {
    input: password,
    env: { ...process.env, ...E2E_ENV },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
}

/**
 * Every test's browser starts signed in as the admin: one sign-in per worker (better-auth allows
 * three per 10 s per client), its cookies reused by each test's context.
 */
export const test = base.extend<object, { adminState: StorageState }>({
  adminState: [
    async ({ playwright }, use) => {
      const request = await playwright.request.newContext({ baseURL: APP_URL });
      const state = await signIn(request, E2E_ADMIN);
      await request.dispose();
      await use(state);
    },
    { scope: 'worker' },
  ],
  storageState: async ({ adminState }, use) => {
    await use(adminState);
  },
});

/** Must match the twin's webServer command in playwright.config.ts. */
export const TWIN_URL = 'http://127.0.0.1:4311';
export const TWIN_TOKEN = 'secret_twin';
export const TWIN_WORKSPACE: WorkspaceOptions = { seed: 7, pages: 40, databases: 2, rowsPerDatabase: 10 };

/** Sets the twin's per-token limit (`{ requestsPerSecond, burst? }`, `{ windowMs, budget }`) or removes it (null). */
export async function setTwinRateLimit(limit: { requestsPerSecond: number; burst?: number } | { windowMs: number; budget: number } | null) {
  const response = await fetch(`${TWIN_URL}/__twin/rate-limit`, { method: 'POST', body: JSON.stringify(limit) });
  if (!response.ok) throw new Error(`the twin refused the rate limit: ${response.status} ${await response.text()}`);
}

/** The twin's workspace, regenerated locally (generation is deterministic per seed and options). */
export const twinWorkspace = () => generateWorkspace(TWIN_WORKSPACE);

/** Every page the twin lets the integration see, database rows included. */
export const twinPages = (): TwinPage[] => twinWorkspace().allPages();

/** Notion ids without dashes, as they appear in exported file names (`Title <32 hex>.md`). */
export const compactId = (id: string): string => id.replaceAll('-', '').toLowerCase();

/** The names of every entry in a zip file, in central-directory order. */
export async function listZipEntries(file: string): Promise<string[]> {
  const zip = await yauzl.openPromise(file, { lazyEntries: true });
  return new Promise<string[]>((resolve, reject) => {
    const names: string[] = [];
    zip.on('entry', (entry: yauzl.Entry) => {
      names.push(entry.fileName);
      zip.readEntry();
    });
    zip.once('end', () => resolve(names));
    zip.once('error', reject);
    zip.readEntry();
  });
}

/** The text of one zip entry. */
export async function readZipText(file: string, name: string): Promise<string> {
  const zip = await yauzl.openPromise(file, { lazyEntries: true });
  try {
    return await new Promise<string>((resolve, reject) => {
      zip.on('entry', (entry: yauzl.Entry) => {
        if (entry.fileName !== name) {
          zip.readEntry();
          return;
        }
        zip.openReadStreamPromise(entry).then((stream) => {
          const chunks: Buffer[] = [];
          stream.on('data', (chunk: Buffer) => chunks.push(chunk));
          stream.once('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
          stream.once('error', reject);
        }, reject);
      });
      zip.once('end', () => reject(new Error(`${name} is not in ${file}`)));
      zip.once('error', reject);
      zip.readEntry();
    });
  } finally {
    zip.close();
  }
}
