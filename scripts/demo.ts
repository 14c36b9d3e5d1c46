/**
 * `npm run demo`: the Notion twin with a generated workspace, and the dashboard with a ready
 * connection to it, so a newcomer sees a real export without a Notion account.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { DEFAULT_TOKEN, startTwin } from '@/e2e/notion-twin';
import { loadConfig } from '@/server/config';
import { createUser, findUserByEmail } from '@/server/auth/user-admin';
import { ensureConnection } from '@/server/connections/connections';
import { createAppContext } from '@/server/context';

/** The demo's admin: a local demo only, never a deployment. */
const DEMO_ADMIN = { email: 'demo@example.com', password: 'notion-sync-demo' };

async function main(): Promise<void> {
  const twinPort = Number(process.env.TWIN_PORT ?? 4100);
  const env = {
    ...process.env,
    DATABASE_URL: process.env.DATABASE_URL ?? `file:${path.join('data', 'demo', 'notion-sync.db')}`,
    EXPORTS_DIR: process.env.EXPORTS_DIR ?? path.join('data', 'demo', 'exports'),
    // The demo's connection points at the twin on http://127.0.0.1, which production refuses.
    NOTION_SYNC_ENV: process.env.NOTION_SYNC_ENV ?? 'demo',
  };
  const twin = await startTwin({
    port: twinPort,
    workspace: { seed: 1, pages: 60, databases: 3, rowsPerDatabase: 12, depth: 3, unsharedPages: 1 },
    latencyMs: [80, 300],
    rateLimit: { requestsPerSecond: 3, burst: 3 },
  });
  const summary = twin.workspace.summary();
  console.log(
    `Notion twin on ${twin.url}: ${summary.pages} pages, ${summary.databases} databases with ${summary.rows} rows, ` +
      `${summary.unshared} page not shared with the integration (token ${DEFAULT_TOKEN})`,
  );

  const ctx = await createAppContext({ ...loadConfig(env), runnerEnabled: false });
  const connection = await ensureConnection(ctx, { token: DEFAULT_TOKEN, baseUrl: twin.url, name: 'Demo workspace (Notion twin)' });
  // A demo admin to sign in with (a real deployment makes its first admin with the setup link or ADMIN_EMAIL).
  if (!(await findUserByEmail(ctx, DEMO_ADMIN.email))) await createUser(ctx, { ...DEMO_ADMIN, role: 'admin', name: 'Demo admin' });
  ctx.database.close();
  console.log(`Connection "${connection.name}" is ready. Open http://localhost:${process.env.PORT ?? 3000} and start an export.`);
  console.log(`Sign in as ${DEMO_ADMIN.email} with the password ${DEMO_ADMIN.password} (unless you changed it).`);

  const server = spawn(process.execPath, ['scripts/start.mjs'], { stdio: 'inherit', env });
  const stop = (signal: NodeJS.Signals) => server.kill(signal);
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  server.on('exit', (code) => {
    void twin.close().finally(() => process.exit(code ?? 0));
  });
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
