import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connections, exports } from '@/db/schema';
import { startTwin, type Twin } from '@/e2e/notion-twin';
import { createConnection } from '@/server/connections/connections';
import { requestExport } from '@/server/export/control/request-export';
import { resetWorkspaceLimiters, workspaceKey, workspaceRates } from '@/server/notion/workspace-limiter';
import { cliEnv, doneAtLeast, spawnCli } from '@/server/testing/export-checks';
import { exportRow } from '@/server/testing/export-row';
import { createTestContext, type TestContext } from '@/server/testing/test-context';
import { writeRunnerSettings } from '@/server/settings';
import { Runner } from './runner';
import { runnerOf, workspaceSharing } from './workspace-sharing';

let twin: Twin;
let ctx: TestContext;
let dir: string;
beforeAll(async () => {
  // One workspace, two integrations into it; Notion allows the workspace 10 requests a second in
  // all, each token alone far more.
  twin = await startTwin({
    workspace: { seed: 71, pages: 40, databases: 1, rowsPerDatabase: 5, blocksPerPage: 1, blocksPerRow: 1, largePages: 0, linkedDatabases: 0, multiSourceDatabases: 0 },
    tokens: ['secret_team_a', 'secret_team_b'],
    workspaceRateLimit: { windowMs: 1000, budget: 10 },
    latencyMs: [2, 6],
  });
  ctx = await createTestContext({ runnerId: 'runner-a' });
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'notion-sync-sharing-'));
});
afterAll(async () => {
  await twin.close();
  await ctx.cleanup();
  fs.rmSync(dir, { recursive: true, force: true });
  resetWorkspaceLimiters();
});

describe('two runners in two processes exporting two connections of one workspace', () => {
  it('share the workspace budget between them: the twin refuses hardly a request, and both complete', async () => {
    const db = ctx.database.db;
    // Each token may send 1000 a second (the tests' and the CLI's budget); the workspace is given
    // 9 a second. Each process on its own would spend all 9.
    await writeRunnerSettings(db, { workspaceRequestsPerSecond: 9 });
    const a = await createConnection(ctx, { token: 'secret_team_a', baseUrl: twin.url });
    const exportA = await requestExport(ctx, { connectionId: a.id, formats: ['json'], requestedBy: 'dashboard' });

    // Runner B: the CLI in a process of its own, on the same database file, with the other token.
    const databaseFile = ctx.config.databaseUrl.replace(/^file:/, '');
    const b = spawnCli(['export', '--out', path.join(dir, 'b'), '--format', 'json', '--progress', 'json'], {
      ...cliEnv(twin, databaseFile, { NOTION_TOKEN: 'secret_team_b', RUNNER_ID: 'runner-b', RUNNER_LEASE_MS: '3000' }),
      NOTION_SYNC_SECRET: ctx.config.secret ?? "",
    });
    await b.record(doneAtLeast(1), 'runner B exporting');
    const runnerA = new Runner(ctx, { maxExports: 1 });
    runnerA.start();
    try {
      // A sees B's live lease before it claims, and paces at half the budget.
      await exportRow(ctx, exportA, (r) => r.status === 'running' && r.pagesDone >= 1);
      const key = workspaceKey(twin.url, { workspaceId: twin.workspace.workspaceId })!;
      expect(workspaceRates(key)).toMatchObject({ budgetPerSecond: 9, sharedBy: 2, sharePerSecond: 4.5 });
      // B was still under way: the two ran at once.
      const exportB = (await db.select().from(exports).where(eq(exports.connectionId, (await connectionOf('secret_team_b')).id)))[0]!;
      expect(exportB.status).toBe('running');

      expect(await exportRow(ctx, exportA, (r) => r.status !== 'running' && r.status !== 'queued')).toMatchObject({ status: 'completed' });
      const exitB = await b.done;
      expect(exitB.code).toBe(0);
      expect((await db.select().from(exports).where(eq(exports.id, exportB.id)))[0]).toMatchObject({ status: 'completed' });
      // Both exported the workspace; the workspace's window refused a few requests at most (when
      // a runner arrives, the other notices within seconds).
      expect(twin.stats().requests).toBeGreaterThan(2 * twin.workspace.allPages().length);
      expect(twin.stats().rateLimited).toBeLessThanOrEqual(3);
    } finally {
      await runnerA.stop();
      b.child.kill('SIGKILL');
    }
  }, 120_000);
});

async function connectionOf(token: string) {
  const rows = await ctx.database.db.select().from(connections);
  const row = rows.find((r) => r.tokenHint === `…${token.slice(-4)}`);
  if (!row) throw new Error(`no connection for ${token}`);
  return row;
}

describe('workspaceSharing', () => {
  it('counts the other runners with live leases per workspace, one per process whatever its nonces', async () => {
    expect(runnerOf('host:123:ab12cd34')).toBe('host:123');
    expect(runnerOf('worker-1:ab12cd34')).toBe('worker-1');
    expect(runnerOf('plain')).toBe('plain');
    const test = await createTestContext();
    try {
      const db = test.database.db;
      const insert = (id: string, workspaceId: string | null, workspaceName: string | null) =>
        test.database.client.execute({
          sql: "insert into connections (id, name, base_url, token_ciphertext, token_hash, token_hint, workspace_id, workspace_name, created_at) values (?, ?, 'https://api.notion.com', 'x', ?, '…x', ?, ?, 0)",
          args: [id, id, id, workspaceId, workspaceName],
        });
      await insert('c1', 'w1', 'Team');
      await insert('c2', 'w1', 'Team');
      await insert('c3', 'w1', 'Team');
      await insert('c4', null, 'Elsewhere');
      const job = (exportId: string, connectionId: string, owner: string | null, status: string, expires: number | null) =>
        test.database.client.execute({
          sql: 'insert into export_jobs (export_id, connection_id, status, lease_owner, lease_expires_at, attempt, run_at) values (?, ?, ?, ?, ?, 1, 0)',
          args: [exportId, connectionId, status, owner, expires],
        });
      const now = 1_000_000;
      await job('e1', 'c1', 'me:11111111', 'running', now + 5000);
      await job('e2', 'c2', 'other:22222222', 'running', now + 5000);
      await job('e3', 'c3', 'other:33333333', 'running', now + 5000); // the same process again
      await job('e4', 'c4', 'third:44444444', 'running', now + 5000);
      await job('e5', 'c1', 'gone:55555555', 'running', now - 1); // an expired lease
      await job('e6', 'c2', null, 'queued', null);
      const sharing = await workspaceSharing(db, {}, { self: 'me', now });
      expect(sharing).toEqual(
        new Map([
          [workspaceKey('https://api.notion.com', { workspaceId: 'w1' }), 2],
          [workspaceKey('https://api.notion.com', { workspaceName: 'Elsewhere' }), 2],
        ]),
      );
      // Seen from `other`: only `me` shares w1 with it; and a workspace it alone uses is left out.
      const w1 = workspaceKey('https://api.notion.com', { workspaceId: 'w1' }) ?? '';
      const elsewhere = workspaceKey('https://api.notion.com', { workspaceName: 'Elsewhere' }) ?? '';
      expect((await workspaceSharing(db, {}, { self: 'other', now })).get(w1)).toBe(2);
      expect((await workspaceSharing(db, {}, { self: 'third', now })).has(elsewhere)).toBe(false);
    } finally {
      await test.cleanup();
    }
  });
});
