import os from 'node:os';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportJobs, exports } from '@/db/schema';
import { startTwin, type Twin } from '@/e2e/notion-twin';
import { createConnection } from '@/server/connections/connections';
import { getExport } from '@/server/export/control/export-queries';
import { requestExport } from '@/server/export/control/request-export';
import { exportStreamId } from '@/server/export/domain/export';
import { describeQueueWait } from '@/server/export/domain/export-status';
import { exportRow as exportRowWhere } from '@/server/testing/export-row';
import { createTestContext, type TestContext } from '@/server/testing/test-context';
import { claimNext } from './job-queue';
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

  it('stops gracefully: finishes and records the pages in flight, gives the export back to the queue, fetches nothing twice', async () => {
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
      // The export and its job agree: queued, the lease released, the reason recorded.
      const [job] = await ctx.database.db.select().from(exportJobs).where(eq(exportJobs.exportId, exportId));
      expect(job).toMatchObject({ status: 'queued', leaseOwner: null });
      expect(await row(ctx, exportId)).toMatchObject({ status: 'queued', statusReason: 'the runner shut down', attempt: 1, runningSince: null });
      expect((await ctx.store.readStream(exportStreamId(exportId))).at(-1)!.type).toBe('ExportInterrupted');
      expect(await new Runner(ctx).runOnce()).toBe('completed');
      // The stop was no failed attempt.
      expect((await row(ctx, exportId)).attempt).toBe(1);
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

  it('records nothing when it stops after its lease was taken over', async () => {
    const { ctx, exportId } = await setup();
    try {
      const runner = new Runner(ctx, { concurrency: 2 });
      runner.start();
      await exportRowWhere(ctx, exportId, (r) => r.pagesDone >= 5);
      // Another runner takes the export over; this one is told to stop before it notices.
      await ctx.database.db.update(exportJobs).set({ leaseOwner: 'someone-else', attempt: 99 }).where(eq(exportJobs.exportId, exportId));
      const version = (await row(ctx, exportId)).streamVersion;
      await runner.stop(30_000);
      expect(await row(ctx, exportId)).toMatchObject({ status: 'running', streamVersion: version });
      const [job] = await ctx.database.db.select().from(exportJobs).where(eq(exportJobs.exportId, exportId));
      expect(job).toMatchObject({ status: 'running', leaseOwner: 'someone-else' });
    } finally {
      await ctx.cleanup();
    }
  });

  it('retries a retryable failure after a backoff, saying when, and fails for good after the last attempt', async () => {
    // A token of its own, and one request per run: six failures leave its circuit breaker closed.
    const token = 'secret_retry_test';
    const other = await startTwin({ tokens: [token], workspace: { seed: 6, pages: 5, databases: 0, rowsPerDatabase: 0 } });
    const ctx = await createTestContext({ notionRetry: { maxAttempts: 1, baseDelayMs: 5, maxDelayMs: 10 } });
    try {
      const connection = await createConnection(ctx, { token, baseUrl: other.url });
      const exportId = await requestExport(ctx, { connectionId: connection.id, formats: ['json'], requestedBy: 'cli' });
      await other.close();
      const runner = new Runner(ctx);
      expect(await runner.runOnce()).toBe('retrying');
      const queued = await row(ctx, exportId);
      expect(queued).toMatchObject({ status: 'queued', attempt: 2, maxAttempts: 6 });
      expect(queued.lastError).toMatch(/Cannot reach the Notion API/);
      // The job runs at the retry time, within the first backoff (up to 30 s), not before.
      const [job] = await ctx.database.db.select().from(exportJobs).where(eq(exportJobs.exportId, exportId));
      expect(job!.runAt).toBe(queued.retryAt!.getTime());
      expect(job!.runAt - Date.now()).toBeLessThanOrEqual(30_000);
      expect(await claimNext(ctx.database.db, { owner: 'x', leaseMs: 1000, now: job!.runAt - 1 })).toBeUndefined();
      const { wait } = await getExport(ctx.database.db, exportId, { now: new Date(job!.runAt - 1) });
      expect(describeQueueWait(wait!)).toMatch(/^Retrying at .+ \(attempt 2 of 6\) after: Cannot reach the Notion API/);
      // Each retry is the next attempt; after the sixth it fails for good.
      const outcomes: (string | undefined)[] = [];
      for (let attempt = 2; attempt <= 6; attempt++) {
        await ctx.database.db.update(exportJobs).set({ runAt: 0 }).where(eq(exportJobs.exportId, exportId)); // its time has come
        outcomes.push(await runner.runOnce());
      }
      expect(outcomes).toEqual(['retrying', 'retrying', 'retrying', 'retrying', 'failed']);
      const failed = await row(ctx, exportId);
      expect(failed).toMatchObject({ status: 'failed', attempt: 6, retryAt: null });
      expect(failed.lastError).toMatch(/^Failed after 6 attempts: /);
      const types = (await ctx.store.readStream(exportStreamId(exportId))).map((e) => e.type);
      expect(types.filter((t) => t === 'ExportRetryScheduled')).toHaveLength(5);
      expect(types.at(-1)).toBe('ExportFailed');
      const [finished] = await ctx.database.db.select().from(exportJobs).where(eq(exportJobs.exportId, exportId));
      expect(finished!.status).toBe('finished');
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
