import { eq } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { exportJobs, exports, settings } from '@/db/schema';
import { startTwin, type Twin } from '@/e2e/notion-twin';
import { createConnection } from '@/server/connections/connections';
import { requestExport } from '@/server/export/control/request-export';
import { exportStreamId } from '@/server/export/domain/export';
import { resetWorkspaceLimiters } from '@/server/notion/workspace-limiter';
import { manualClock } from '@/server/testing/fake-clock';
import { exportRow } from '@/server/testing/export-row';
import { createTestContext, type TestContext } from '@/server/testing/test-context';
import { readRunnerSettings, writeRunnerSettings, writeSettings } from '@/server/settings';
import { Runner } from './runner';

const SMALL = { pages: 12, databases: 1, rowsPerDatabase: 3, largePages: 0, linkedDatabases: 0, multiSourceDatabases: 0 };

/** Twins started by a test, closed after it. */
const twins: Twin[] = [];
async function twinOf(options: Parameters<typeof startTwin>[0]): Promise<Twin> {
  const twin = await startTwin({ latencyMs: [2, 6], ...options });
  twins.push(twin);
  return twin;
}
afterEach(async () => {
  for (const twin of twins.splice(0)) await twin.close();
  resetWorkspaceLimiters();
});

let ctx: TestContext;
beforeAll(async () => {
  ctx = await createTestContext();
});
afterAll(async () => {
  await ctx.cleanup();
});

async function exportOf(twin: Twin, token: string): Promise<string> {
  const connection = await createConnection(ctx, { token, baseUrl: twin.url });
  return requestExport(ctx, { connectionId: connection.id, formats: ['json'], requestedBy: 'dashboard' });
}

const row = async (id: string) => (await ctx.database.db.select().from(exports).where(eq(exports.id, id)))[0]!;
const job = async (id: string) => (await ctx.database.db.select().from(exportJobs).where(eq(exportJobs.exportId, id)))[0]!;
const done = (id: string) => exportRow(ctx, id, (r) => r.status === 'completed' || r.status === 'failed');

describe('a runner with exports of several connections', () => {
  it('performs exports of two connections side by side, and never two of one connection', async () => {
    // Two workspaces (two twins), each counting the requests of its one token.
    const slow = await twinOf({ workspace: { seed: 11, ...SMALL }, tokens: ['secret_slow'] });
    const quick = await twinOf({ workspace: { seed: 12, ...SMALL }, tokens: ['secret_quick'] });
    // The slow workspace's pages hang for a while: a runner performing one export at a time,
    // which would claim the slow export first (requested first), could finish nothing else meanwhile.
    slow.injectFault({ kind: 'delay', ms: 1_500 }, { times: 1_000_000, endpoint: 'blocks.children.list' });
    const slowExport = await exportOf(slow, 'secret_slow');
    const quickExport = await exportOf(quick, 'secret_quick');
    const quickAgain = await requestExport(ctx, { connectionId: (await row(quickExport)).connectionId, formats: ['json'], requestedBy: 'dashboard' });
    const runner = new Runner(ctx, { maxExports: 3, concurrency: 2 });
    runner.start();
    try {
      await exportRow(ctx, slowExport, (r) => r.phase === 'exporting');
      // The quick connection's first export runs; its second waits for it (one per token).
      await exportRow(ctx, quickExport, (r) => r.pagesDone >= 1);
      expect(await job(quickAgain)).toMatchObject({ status: 'queued', leaseOwner: null });
      expect(await done(quickExport)).toMatchObject({ status: 'completed' });
      // It completed while the slow one was still under way.
      expect(await row(slowExport)).toMatchObject({ status: 'running' });
      expect((await row(slowExport)).pagesDone).toBeLessThan(slow.workspace.allPages().length);
      slow.clearFaults();
      expect(await done(slowExport)).toMatchObject({ status: 'completed' });
      expect(await done(quickAgain)).toMatchObject({ status: 'completed' });
      // Each token's requests, as its workspace counted them: the quick token made two exports' worth.
      expect(slow.stats().requests).toBeGreaterThan(slow.workspace.allPages().length);
      expect(quick.stats().requests).toBeGreaterThan(2 * quick.workspace.allPages().length);
      expect(slow.stats().rateLimited + quick.stats().rateLimited).toBe(0);
    } finally {
      await runner.stop();
    }
  });

  it('shares one workspace budget between two tokens of that workspace: Notion never refuses', async () => {
    // Notion's workspace window: 16 requests a second for every token together. Each token may
    // send 10 a second (20 together, too many); the workspace is given 10 a second.
    const workspace = await twinOf({
      workspace: { seed: 13, ...SMALL, pages: 6, databases: 0 },
      tokens: ['secret_team_a', 'secret_team_b'],
      workspaceRateLimit: { windowMs: 1000, budget: 16 },
    });
    await writeSettings(ctx.database.db, { requestsPerSecond: 10 }, ctx.config);
    await writeRunnerSettings(ctx.database.db, { workspaceRequestsPerSecond: 10 });
    const a = await exportOf(workspace, 'secret_team_a');
    const b = await exportOf(workspace, 'secret_team_b');
    const runner = new Runner(ctx, { maxExports: 2, concurrency: 3 });
    runner.start();
    try {
      // Both run at once (the budget is shared while both use it).
      await exportRow(ctx, a, (r) => r.status === 'running' && r.pagesDone >= 1);
      await exportRow(ctx, b, (r) => r.status === 'running' && r.pagesDone >= 1);
      expect(await done(a)).toMatchObject({ status: 'completed', rateLimited: 0 });
      expect(await done(b)).toMatchObject({ status: 'completed', rateLimited: 0 });
      expect(workspace.stats().rateLimited).toBe(0);
      expect(workspace.stats().requests).toBeGreaterThan(2 * workspace.workspace.allPages().length);
    } finally {
      await runner.stop();
      await writeRunnerSettings(ctx.database.db, { workspaceRequestsPerSecond: null });
      await ctx.database.db.delete(settings).where(eq(settings.key, 'runtime'));
    }
  });

  it('hands all three exports of a runner that died over to the next runner once their leases expire', async () => {
    const twin = await twinOf({ workspace: { seed: 14, ...SMALL }, tokens: ['secret_x1', 'secret_x2', 'secret_x3'] });
    const ids = [await exportOf(twin, 'secret_x1'), await exportOf(twin, 'secret_x2'), await exportOf(twin, 'secret_x3')];
    // Each runner has a clock of its own: the first one's stops with it (it never sees its leases expire).
    const clockA = manualClock();
    const a = new Runner(ctx, { maxExports: 3, concurrency: 2, leaseMs: 60_000, clock: clockA });
    a.start();
    for (const id of ids) await exportRow(ctx, id, (r) => r.pagesDone >= 2);
    expect(a.running).toBe(3);
    // The runner dies: its exports stop where they are, their leases still held, nothing given back.
    twin.injectFault({ kind: 'delay', ms: 600_000 }, { times: 1_000_000, endpoint: 'blocks.children.list' });
    await Promise.all(ids.map((id) => a.abortExport(id)));
    for (const id of ids) expect(await job(id)).toMatchObject({ status: 'running', leaseOwner: a.owner, attempt: 1 });
    twin.clearFaults();

    const clock = manualClock(clockA.now());
    const b = new Runner(ctx, { maxExports: 3, concurrency: 2, leaseMs: 60_000, clock });
    // Not before the leases run out…
    expect(await b.runOnce()).toBeUndefined();
    clock.advance(61_000);
    // …then all three at once.
    b.start();
    try {
      for (const id of ids) expect(await done(id)).toMatchObject({ status: 'completed' });
      for (const id of ids) {
        expect(await job(id)).toMatchObject({ status: 'finished', attempt: 2 });
        const started = (await ctx.store.readStream(exportStreamId(id))).filter((e) => e.type === 'ExportStarted');
        expect(started.map((e) => (e.data as { runner: string }).runner)).toEqual([a.owner, b.owner]);
      }
      // The dead runner's attempt recorded nothing after B took over: each page once in each stream.
      for (const id of ids) {
        const exported = (await ctx.store.readStream(exportStreamId(id)))
          .filter((e) => e.type === 'PagesExported')
          .flatMap((e) => (e.data as { items: { id: string }[] }).items.map((i) => i.id));
        expect(new Set(exported).size).toBe(exported.length);
        for (const page of twin.workspace.allPages()) expect(exported).toContain(page.id);
      }
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
  });

  it('stops gracefully: every export it performs is given back to the queue, and the next runner finishes all', async () => {
    const twin = await twinOf({ workspace: { seed: 15, ...SMALL }, tokens: ['secret_y1', 'secret_y2', 'secret_y3'] });
    const ids = [await exportOf(twin, 'secret_y1'), await exportOf(twin, 'secret_y2'), await exportOf(twin, 'secret_y3')];
    const runner = new Runner(ctx, { maxExports: 3, concurrency: 2 });
    runner.start();
    for (const id of ids) await exportRow(ctx, id, (r) => r.pagesDone >= 2);
    expect(runner.running).toBe(3);
    await runner.stop(30_000);
    expect(runner.running).toBe(0);
    for (const id of ids) {
      expect(await job(id)).toMatchObject({ status: 'queued', leaseOwner: null });
      expect(await row(id)).toMatchObject({ status: 'queued', statusReason: 'the runner shut down' });
      expect((await ctx.store.readStream(exportStreamId(id))).at(-1)!.type).toBe('ExportInterrupted');
    }
    const next = new Runner(ctx, { maxExports: 3 });
    next.start();
    try {
      for (const id of ids) expect(await done(id)).toMatchObject({ status: 'completed' });
    } finally {
      await next.stop();
    }
  });

  it('follows the maxExports setting, never above RUNNER_MAX_EXPORTS', async () => {
    const twin = await twinOf({ workspace: { seed: 16, ...SMALL }, tokens: ['secret_z1', 'secret_z2'] });
    twin.injectFault({ kind: 'delay', ms: 600_000 }, { times: 1_000_000, endpoint: 'blocks.children.list' });
    const ids = [await exportOf(twin, 'secret_z1'), await exportOf(twin, 'secret_z2')];
    await writeRunnerSettings(ctx.database.db, { maxExports: 1 });
    const runner = new Runner(ctx, { concurrency: 1 });
    runner.start();
    try {
      await exportRow(ctx, ids[0]!, (r) => r.phase === 'exporting');
      // One at a time: the second waits although it is of another connection.
      expect(await job(ids[1]!)).toMatchObject({ status: 'queued' });
      expect(runner.running).toBe(1);
    } finally {
      await runner.stop(0);
      twin.clearFaults();
    }
    await writeRunnerSettings(ctx.database.db, { maxExports: 16 });
    expect((await readRunnerSettings(ctx.database.db, ctx.config)).maxExports).toBe(3);
    expect((await readRunnerSettings(ctx.database.db, { runnerMaxExports: 5 })).maxExports).toBe(5);
  });
});
