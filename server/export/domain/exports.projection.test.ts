import { eq } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { exportJobs, exports } from '@/db/schema';
import { PROJECTIONS } from '@/server/context';
import { EventStore } from '@/server/events/event-store';
import { createTestContext, type TestContext } from '@/server/testing/test-context';
import { type ExportEvent, exportStreamId } from './export';
import { tallyExport } from './exports.projection';
import { rebuildExportReadModels } from '@/server/testing/read-models';

let ctx: TestContext;
let store: EventStore;
let clock = 0;
beforeEach(async () => {
  ctx = await createTestContext();
  store = new EventStore(ctx.database.db, { projections: PROJECTIONS, now: () => new Date(clock) });
  await ctx.database.client.execute(
    "insert into connections (id, name, token_ciphertext, token_hash, token_hint, created_at) values ('c1','c','x','h','…1',0)",
  );
});
afterEach(async () => {
  await ctx.cleanup();
});

const stats = { requests: 1, rateLimited: 0, retries: 0 };
const sha = 'a'.repeat(64);

/** Appends `events` to export e1 at time `at` (ms). */
async function at(time: number, ...events: ExportEvent[]) {
  clock = time;
  await store.append(exportStreamId('e1'), 'any', events);
}
const row = async () => (await ctx.database.db.select().from(exports).where(eq(exports.id, 'e1')))[0]!;
const job = async () => (await ctx.database.db.select().from(exportJobs).where(eq(exportJobs.exportId, 'e1')))[0]!;
const started = (claim: number): ExportEvent => ({ type: 'ExportStarted', data: { attempt: claim, runner: 'r' } });
const requested: ExportEvent = {
  type: 'ExportRequested',
  data: {
    exportId: 'e1',
    connectionId: 'c1',
    formats: ['json'],
    outDir: '/o',
    requestedBy: 'cli',
    options: { naming: 'notion', downloadExternal: false },
  },
};

describe('exports read model', () => {
  it('pins and unpins from the export’s events, and the read models rebuilt from the log keep the pin', async () => {
    await at(0, requested, started(1));
    await at(1_000, { type: 'ExportCompleted', data: { pages: 0, databases: 0, skipped: 0, failed: 0, files: 0, bytes: 0, stats } });
    expect((await row()).pinned).toBe(false);
    await at(2_000, { type: 'ExportPinned', data: { by: 'ann@example.com' } });
    expect(await row()).toMatchObject({ pinned: true, status: 'completed' });
    await at(3_000, { type: 'ExportUnpinned', data: {} }, { type: 'ExportPinned', data: {} });
    const live = await row();
    expect(live.pinned).toBe(true);
    await rebuildExportReadModels(store);
    expect(await row()).toEqual(live);
    await at(4_000, { type: 'ExportUnpinned', data: {} });
    expect((await row()).pinned).toBe(false);
  });

  it('keeps a chosen pause apart from errors, counts no attempt for it, and leaves paused time out of the running time', async () => {
    await at(0, requested);
    await at(1_000, started(1));
    await at(5_000, { type: 'ExportPaused', data: { reason: 'Paused by the dashboard', cause: 'user' } });
    expect(await row()).toMatchObject({
      status: 'paused',
      statusReason: 'Paused by the dashboard',
      lastError: null,
      attempt: 1,
      activeMs: 4_000,
      runningSince: null,
    });
    await at(60_000, { type: 'ExportResumed', data: { by: 'the dashboard' } });
    await at(61_000, started(2));
    expect(await row()).toMatchObject({ status: 'running', statusReason: null, attempt: 1, activeMs: 4_000, runningSince: new Date(61_000) });
    await at(62_000, { type: 'ExportPaused', data: { reason: 'Notion rejected the token', cause: 'auth' } });
    expect(await row()).toMatchObject({ statusReason: 'Notion rejected the token', lastError: 'Notion rejected the token', activeMs: 5_000 });
    await at(70_000, { type: 'ExportCancelled', data: { reason: 'Cancelled from the CLI' } });
    expect(await row()).toMatchObject({ status: 'cancelled', statusReason: 'Cancelled from the CLI', activeMs: 5_000 });
  });

  it('queues a retryable failure for its retry time, on the export and its job, and counts the attempt', async () => {
    await at(0, requested);
    await at(1_000, started(1));
    await at(3_000, {
      type: 'ExportRetryScheduled',
      data: { reason: 'Cannot reach the Notion API', retryAt: new Date(33_000).toISOString(), retry: 1, maxRetries: 5 },
    });
    expect(await row()).toMatchObject({
      status: 'queued',
      attempt: 2,
      maxAttempts: 6,
      retryAt: new Date(33_000),
      lastError: 'Cannot reach the Notion API',
      activeMs: 2_000,
    });
    expect(await job()).toMatchObject({ status: 'queued', runAt: 33_000, leaseOwner: null });
    await at(34_000, started(2));
    expect(await row()).toMatchObject({ status: 'running', attempt: 2, retryAt: null, lastError: null });
    await at(35_000, { type: 'ExportFailed', data: { reason: 'Cannot reach the Notion API', retryable: true, attempts: 6 } });
    expect(await row()).toMatchObject({ status: 'failed', lastError: 'Failed after 6 attempts: Cannot reach the Notion API', activeMs: 3_000 });
    expect(await job()).toMatchObject({ status: 'finished' });
    // A person resuming it starts a new series of attempts.
    await at(40_000, { type: 'ExportResumed', data: { by: 'the CLI' } });
    expect(await row()).toMatchObject({ status: 'queued', attempt: 0, maxAttempts: null, lastError: null, finishedAt: null });
    await at(41_000, started(3));
    expect(await row()).toMatchObject({ attempt: 1 });
  });

  it('gives an interrupted export back to the queue with its job, the lease released at once', async () => {
    await at(0, requested);
    await ctx.database.db.update(exportJobs).set({ status: 'running', leaseOwner: 'r', leaseExpiresAt: 99_999 }).where(eq(exportJobs.exportId, 'e1'));
    await at(1_000, started(1));
    await at(4_000, { type: 'ExportInterrupted', data: { reason: 'the runner shut down' } });
    expect(await row()).toMatchObject({ status: 'queued', statusReason: 'the runner shut down', attempt: 1, activeMs: 3_000 });
    expect(await job()).toMatchObject({ status: 'queued', leaseOwner: null, leaseExpiresAt: null, runAt: 4_000 });
  });

  it('counts pages, databases, skipped linked databases and files as report.json does, and a retry of failed pages apart', async () => {
    const item = (id: string, kind: 'page' | 'database' = 'page') => ({ id, kind, title: id, parentId: null, dir: '', stem: id, status: 'pending' as const });
    const file = (path: string, sourceId: string, bytes = 10) => ({ path, bytes, sha256: sha, sourceId });
    await at(0, requested);
    await at(1_000, started(1), { type: 'ItemsDiscovered', data: { items: [item('p1'), item('p2'), item('p3'), item('d1', 'database'), item('l1', 'database')] } });
    await at(2_000, { type: 'PageFailed', data: { id: 'p2', kind: 'page', title: 'P2', code: 'x', message: 'gone' } }, { type: 'PageFailed', data: { id: 'p3', kind: 'page', title: 'P3', code: 'x', message: 'gone' } }, {
      type: 'PagesExported',
      data: {
        items: [
          { id: 'p1', files: [file('p1.json', 'p1'), file('attachments/x/a.png', 'p1', 100)] },
          { id: 'd1', files: [file('d1.csv', 'd1')] },
          { id: 'l1', files: [], issues: [{ kind: 'linked_database', sourceId: 'l1', message: 'linked' }] },
        ],
        stats,
      },
    });
    await at(3_000, { type: 'FilesWritten', data: { files: [file('report.json', 'e1', 500)], reason: 'report' } });
    await at(4_000, { type: 'ExportCompleted', data: { pages: 3, failed: 2, files: 3, bytes: 120, stats } });
    expect(await row()).toMatchObject({
      status: 'completed_with_errors',
      pagesDiscovered: 5,
      pagesDone: 3,
      pagesFailed: 2,
      pagesExported: 1,
      databasesExported: 1,
      skipped: 1,
      filesWritten: 3,
      bytesWritten: 120,
      retriedPages: null,
    });
    expect(await tallyExport(ctx.database.db, 'e1')).toMatchObject({ pagesFailed: 2, databasesFailed: 0, files: 3, bytes: 120 });

    await at(10_000, { type: 'FailedPagesRequeued', data: { ids: ['p2', 'p3'] } });
    expect(await row()).toMatchObject({ status: 'queued', attempt: 0, retryingPages: { requested: 2, failedBefore: 0 }, pagesFailed: 0 });
    await at(11_000, started(2), { type: 'PagesExported', data: { items: [{ id: 'p2', files: [file('p2.json', 'p2')] }], stats } });
    await at(12_000, { type: 'PageFailed', data: { id: 'p3', kind: 'page', title: 'P3', code: 'x', message: 'gone' } });
    const retried = { requested: 2, exported: 1, failed: 1 };
    await at(13_000, { type: 'ExportCompleted', data: { pages: 4, failed: 1, files: 4, bytes: 130, stats, retried } });
    expect(await row()).toMatchObject({ pagesExported: 2, pagesFailed: 1, filesWritten: 4, retriedPages: retried, retryingPages: null, activeMs: 5_000 });

    // The read models are a function of the log: rebuilt from it, they are the same.
    const live = await row();
    const liveJob = await job();
    await rebuildExportReadModels(store);
    expect(await row()).toEqual(live);
    expect(await job()).toEqual(liveJob);
  });
});
