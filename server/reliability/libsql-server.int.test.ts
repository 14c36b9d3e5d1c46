/**
 * The libSQL server variant (compose.libsql.yaml, the production-libsql overlay): the database
 * in sqld instead of a file, so workers may run on several machines. Two workers — processes
 * with runner ids of their own, as on two machines — share one sqld database; the one holding
 * an export is killed with SIGKILL halfway, and the other must take the export over when the
 * lease runs out and finish it, every page exported once, the folder whole.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportJobs, exports } from '@/db/schema';
import { startTwin, type Twin } from '@/e2e/notion-twin';
import { loadConfig } from '@/server/config';
import { createConnection } from '@/server/connections/connections';
import { type AppContext, createAppContext } from '@/server/context';
import { requestExport } from '@/server/export/control/request-export';
import { exportStreamId } from '@/server/export/domain/export';
import { LiveFeed } from '@/server/events/live-feed';
import { expectCompleteExport, exportedCounts, pagesExportedTwice, type Spawned, spawnScript } from '@/server/testing/export-checks';
import { type LibsqlServer, startLibsqlServer } from '@/server/testing/libsql-server';

const SECRET = 'libsql-server-test-secret';
const LEASE_MS = 3000;
const FORMATS = ['markdown', 'json'] as const;

let twin: Twin;
let dir: string;
let server: LibsqlServer;
let ctx: AppContext;
const workers: Spawned[] = [];

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'notion-sync-sqld-'));
  server = await startLibsqlServer(dir);
  twin = await startTwin({ workspace: { seed: 23, pages: 240, databases: 2, rowsPerDatabase: 20, depth: 3, unsharedPages: 0, linkedDatabases: 0 } });
  // This process only requests and watches (no runner), migrating the server's database first.
  ctx = await createAppContext(
    { ...loadConfig({ ...process.env, DATABASE_URL: server.url, NOTION_SYNC_SECRET: SECRET, NOTION_SYNC_ENV: 'development', EXPORTS_DIR: path.join(dir, 'exports'), DATA_DIR: dir }), runnerEnabled: false },
    new LiveFeed(),
  );
});
afterAll(async () => {
  for (const w of workers) if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill('SIGKILL');
  await Promise.all(workers.map((w) => w.done));
  ctx?.database.close();
  await twin?.close();
  await server?.close();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

/** Polls `read` until it yields a value (another process changes the database: no feed reaches here). */
async function until<T>(what: string, read: () => Promise<T | undefined>, timeoutMs = 120_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms\n${workers.map((w) => w.stdout() + w.stderr()).join('\n---\n')}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function startWorker(runnerId: string): Spawned {
  const worker = spawnScript('server/worker.ts', [], {
    DATABASE_URL: server.url,
    NOTION_SYNC_SECRET: SECRET,
    NOTION_SYNC_ENV: 'development',
    EXPORTS_DIR: path.join(dir, 'exports'),
    DATA_DIR: dir,
    RUNNER_ID: runnerId,
    RUNNER_LEASE_MS: String(LEASE_MS),
    // Slow enough that the kill lands in the middle of the export.
    NOTION_RATE_LIMIT: '60',
    METRICS_PORT: undefined,
  });
  workers.push(worker);
  return worker;
}

describe('the libSQL server variant', () => {
  it('two workers on one sqld database: the one killed halfway is taken over by the other, nothing lost or doubled', { timeout: 240_000 }, async () => {
    const connection = await createConnection(ctx, { token: 'secret_twin', baseUrl: twin.url });
    const outDir = path.join(dir, 'export');
    const exportId = await requestExport(ctx, { connectionId: connection.id, formats: [...FORMATS], outDir, requestedBy: 'dashboard' });
    const items = twin.workspace.allPages().length + twin.workspace.allDatabases().length;

    const leaseOwner = async () => (await ctx.database.db.select().from(exportJobs).where(eq(exportJobs.exportId, exportId)))[0]?.leaseOwner ?? undefined;
    const row = async () => (await ctx.database.db.select().from(exports).where(eq(exports.id, exportId)))[0];

    const a = startWorker('sqld-worker-a');
    const first = await until('worker a claims the export', leaseOwner);
    expect(first).toMatch(/^sqld-worker-a:/);
    const b = startWorker('sqld-worker-b');
    await b.line((l) => l.includes('running on'), 'worker b running', { stream: 'stdout' });
    const atKill = await until('the export is 30 % done', async () => {
      const r = await row();
      return r && r.phase === 'exporting' && r.pagesDiscovered > 0 && r.pagesDone >= 0.3 * r.pagesDiscovered ? r : undefined;
    });
    a.child.kill('SIGKILL');
    expect((await a.done).signal).toBe('SIGKILL');

    const next = await until('worker b takes the lease', async () => {
      const owner = await leaseOwner();
      return owner && owner !== first ? owner : undefined;
    });
    expect(next).toMatch(/^sqld-worker-b:/);
    const done = await until('the export ends', async () => {
      const r = await row();
      return r && ['completed', 'failed', 'cancelled'].includes(r.status) ? r : undefined;
    });
    expect(done).toMatchObject({ status: 'completed', pagesDone: items, pagesFailed: 0 });
    expect(atKill.pagesDone).toBeLessThan(items);

    // Both runners recorded events on the one stream; every item exported once; the folder whole.
    const runners = new Set((await ctx.store.readStream(exportStreamId(exportId))).map((e) => String((e.metadata as { runner?: string }).runner ?? '').split(':')[0]));
    expect([...runners].filter(Boolean).sort()).toEqual(['sqld-worker-a', 'sqld-worker-b']);
    expect(await pagesExportedTwice(server.url)).toEqual([]);
    expect([...(await exportedCounts(server.url)).values()]).toEqual([items]);
    await expectCompleteExport(outDir, twin, [...FORMATS]);
  });
});
