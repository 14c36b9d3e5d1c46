import os from 'node:os';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportJobs, exports } from '@/db/schema';
import { startTwin, type Twin } from '@/e2e/notion-twin';
import { createConnection } from '@/server/connections/connections';
import { requestExport } from '@/server/export/control/request-export';
import { createTestContext, type TestContext } from '@/server/testing/test-context';
import { ownerProcessGone, Runner } from './runner';

let twin: Twin;
beforeAll(async () => {
  twin = await startTwin({ workspace: { seed: 4, pages: 40, databases: 1, rowsPerDatabase: 5 }, latencyMs: [5, 10] });
});
afterAll(async () => {
  await twin.close();
});

async function setup(): Promise<{ ctx: TestContext; exportId: string }> {
  const ctx = await createTestContext();
  const connection = await createConnection(ctx, { token: 'secret_twin', baseUrl: twin.url });
  const exportId = await requestExport(ctx, { connectionId: connection.id, formats: ['json'], requestedBy: 'dashboard' });
  return { ctx, exportId };
}

const row = async (ctx: TestContext, id: string) =>
  (await ctx.database.db.select().from(exports).where(eq(exports.id, id)))[0]!;

describe('runner', () => {
  it('stops an export whose lease was taken over, and records nothing more for it', async () => {
    const { ctx, exportId } = await setup();
    try {
      const runner = new Runner(ctx, { leaseMs: 60_000, heartbeatMs: 30 });
      const outcome = runner.runOnce();
      // Another runner takes the export over (as after this one was paused past its lease).
      await new Promise((r) => setTimeout(r, 150));
      await ctx.database.db
        .update(exportJobs)
        .set({ leaseOwner: 'someone-else', attempt: 99 })
        .where(eq(exportJobs.exportId, exportId));
      expect(await outcome).toBe('aborted');
      const after = await row(ctx, exportId);
      const versionAfter = after.streamVersion;
      await new Promise((r) => setTimeout(r, 200));
      expect((await row(ctx, exportId)).streamVersion).toBe(versionAfter);
      expect(after.status).toBe('running');
    } finally {
      await ctx.cleanup();
    }
  });

  it('stops a cancelled export it is running', async () => {
    const { ctx, exportId } = await setup();
    try {
      const runner = new Runner(ctx);
      const outcome = runner.runOnce();
      await new Promise((r) => setTimeout(r, 100));
      const { handle } = await import('@/server/export/domain/handle');
      await handle(ctx.store, exportId, { type: 'CancelExport', data: { reason: 'test' } });
      expect(await runner.abortExport(exportId)).toBe(true);
      expect(await runner.abortExport('other')).toBe(false);
      expect(await outcome).toBe('aborted');
      expect((await row(ctx, exportId)).status).toBe('cancelled');
    } finally {
      await ctx.cleanup();
    }
  });

  it('keeps polling for work and picks up an export requested later', async () => {
    const ctx = await createTestContext();
    try {
      const outcomes: string[] = [];
      const runner = new Runner(ctx, { pollMs: 20, onOutcome: (_, o) => outcomes.push(o) });
      runner.start();
      runner.start(); // idempotent
      const connection = await createConnection(ctx, { token: 'secret_twin', baseUrl: twin.url });
      const exportId = await requestExport(ctx, { connectionId: connection.id, formats: ['json'], requestedBy: 'cli' });
      runner.poke();
      for (let i = 0; i < 200 && outcomes.length === 0; i++) await new Promise((r) => setTimeout(r, 25));
      await runner.stop();
      expect(outcomes).toEqual(['completed']);
      expect((await row(ctx, exportId)).status).toBe('completed');
    } finally {
      await ctx.cleanup();
    }
  });

  it('stops gracefully: finishes and records the pages in flight, releases the lease, fetches nothing twice', async () => {
    // Reference: what an uninterrupted export asks Notion for, per id.
    const reference = await setup();
    twin.resetStats();
    expect(await new Runner(reference.ctx).runOnce()).toBe('completed');
    const expected = { ...twin.stats().byEndpoint };
    await reference.ctx.cleanup();

    const { ctx, exportId } = await setup();
    try {
      twin.resetStats();
      const runner = new Runner(ctx, { concurrency: 6 });
      runner.start();
      await new Promise<void>((resolve) => {
        const unsubscribe = ctx.feed.subscribe(async () => {
          if ((await row(ctx, exportId)).pagesDone >= 10) {
            unsubscribe();
            resolve();
          }
        });
      });
      await runner.stop(30_000);
      const [job] = await ctx.database.db.select().from(exportJobs).where(eq(exportJobs.exportId, exportId));
      expect(job).toMatchObject({ status: 'queued', leaseOwner: null });
      expect((await row(ctx, exportId)).status).toBe('running');
      expect(await new Runner(ctx).runOnce()).toBe('completed');
      const actual = twin.stats().byEndpoint;
      // Every block list and every data source query was read exactly as often as without the
      // stop: no page in flight was dropped and read again. (Page objects cached from search
      // are not kept across runners, so pages.retrieve may differ.)
      for (const endpoint of ['blocks.children.list', 'dataSources.query', 'databases.retrieve', 'search']) {
        expect(actual[endpoint] ?? 0, endpoint).toBe(expected[endpoint] ?? 0);
      }
    } finally {
      await ctx.cleanup();
    }
  });

  it('knows a runner of a process that no longer exists on this host is gone', () => {
    expect(ownerProcessGone(`${os.hostname()}:${process.pid}:x`)).toBe(false);
    expect(ownerProcessGone(`${os.hostname()}:${process.ppid}:x`)).toBe(false);
    expect(ownerProcessGone(`${os.hostname()}:999999999:x`)).toBe(true);
    expect(ownerProcessGone('another-host:1:x')).toBe(false);
  });
});
