import { eq } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { exports } from '@/db/schema';
import { removeConnection } from '@/server/connections/connections';
import { handle } from '@/server/export/domain/handle';
import { claimNext } from '@/server/runner/job-queue';
import { completeTestExport, requestTestExport, seedConnections } from '@/server/testing/seed';
import { createTestContext, type TestContext } from '@/server/testing/test-context';
import { readDatabaseFigures, reportDatabaseMetrics } from './database-metrics';
import { metricsText } from './metrics';

let ctx: TestContext;
beforeEach(async () => {
  ctx = await createTestContext();
  await seedConnections(ctx, ['c1', 'c2', 'c3', 'gone']);
});
afterEach(async () => {
  await ctx.cleanup();
});

/** Runs an export to "completed with errors": one page exported, one that could not be. */
async function completeWithOneFailure(exportId: string, connectionId: string): Promise<void> {
  await requestTestExport(ctx, exportId, connectionId);
  await handle(ctx.store, exportId, { type: 'StartExport', data: { attempt: 1, runner: 'r' } });
  const item = (id: string) => ({ id, kind: 'page' as const, title: id, parentId: null, dir: '', stem: id, status: 'pending' as const });
  await handle(ctx.store, exportId, {
    type: 'RecordProgress',
    data: {
      discovered: [item(`${exportId}-a`), item(`${exportId}-b`)],
      exported: [{ id: `${exportId}-a`, files: [] }],
      failed: [{ id: `${exportId}-b`, kind: 'page', title: 'b', code: 'object_not_found', message: 'not shared' }],
      stats: { requests: 3, rateLimited: 0, retries: 0 },
    },
  });
  await handle(ctx.store, exportId, {
    type: 'CompleteExport',
    data: { pages: 1, databases: 0, skipped: 0, failed: 1, files: 0, bytes: 0, stats: { requests: 3, rateLimited: 0, retries: 0 } },
  });
}

const finishedAt = async (id: string) => ((await ctx.database.db.select().from(exports).where(eq(exports.id, id)))[0]?.finishedAt?.getTime() ?? 0) / 1000;

describe('database figures', () => {
  it('counts exports by status, the queue by state and lease, and the newest completed export of each connection in use', async () => {
    const t0 = Date.now();
    await requestTestExport(ctx, 'c1-done', 'c1');
    await completeTestExport(ctx, 'c1-done');
    await completeWithOneFailure('c2-errors', 'c2');
    await requestTestExport(ctx, 'gone-done', 'gone');
    await completeTestExport(ctx, 'gone-done');
    await removeConnection(ctx, { id: 'gone', keepExports: true }, () => Promise.reject(new Error('nothing is deleted')));
    // c1: one export running under a lease, one queued behind it; c3: one retry scheduled later.
    await requestTestExport(ctx, 'c1-running', 'c1');
    await requestTestExport(ctx, 'c1-queued', 'c1');
    const claim = await claimNext(ctx.database.db, { owner: 'host:1:x', leaseMs: 60_000, now: t0 + 1000 });
    expect(claim?.exportId).toBe('c1-running');
    await requestTestExport(ctx, 'c3-retry', 'c3');
    await handle(ctx.store, 'c3-retry', { type: 'StartExport', data: { attempt: 1, runner: 'r' } });
    await handle(ctx.store, 'c3-retry', { type: 'FailExport', data: { reason: 'Notion is down', retryable: true, now: new Date(t0), jitter: 0.5 } });

    const figures = await readDatabaseFigures(ctx.database.db, t0 + 11_000);
    expect(Object.fromEntries(figures.exportsByStatus.map((s) => [s.status, s.count]))).toEqual({
      queued: 3,
      running: 0,
      paused: 0,
      completed: 2,
      completed_with_errors: 1,
      failed: 0,
      cancelled: 0,
    });
    expect(figures.queue).toMatchObject({ due: 1, scheduled: 1, activeLeases: 1, expiredLeases: 0 });
    expect(figures.queue.oldestDueAgeSeconds).toBeGreaterThanOrEqual(10);
    expect(figures.connections.sort((a, b) => a.connectionId.localeCompare(b.connectionId))).toEqual([
      { connectionId: 'c1', lastSuccessSeconds: await finishedAt('c1-done'), deadLetters: 0 },
      { connectionId: 'c2', lastSuccessSeconds: await finishedAt('c2-errors'), deadLetters: 1 },
    ]);

    // A lease that ran out (its runner stopped without giving the export back).
    const later = await readDatabaseFigures(ctx.database.db, t0 + 120_000);
    expect(later.queue).toMatchObject({ activeLeases: 0, expiredLeases: 1 });

    // A newer export of c2 without failures clears its dead letters.
    await requestTestExport(ctx, 'c2-clean', 'c2');
    await completeTestExport(ctx, 'c2-clean');
    const cleared = await readDatabaseFigures(ctx.database.db);
    expect(cleared.connections.find((c) => c.connectionId === 'c2')).toEqual({ connectionId: 'c2', lastSuccessSeconds: await finishedAt('c2-clean'), deadLetters: 0 });
  });

  it('is what the scrape shows, an empty queue as zeros', async () => {
    reportDatabaseMetrics(ctx.database.db);
    const text = await metricsText();
    expect(text).toMatch(/^notion_sync_queue_depth\{state="due"\} 0$/m);
    expect(text).toMatch(/^notion_sync_queue_oldest_due_age_seconds 0$/m);
    expect(text).toMatch(/^notion_sync_exports\{status="failed"\} 0$/m);
    expect(text).toMatch(/^notion_sync_database_up 1$/m);
    expect(text).not.toMatch(/^notion_sync_last_successful_export_timestamp_seconds\{/m);
  });
});
