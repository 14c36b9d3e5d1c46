import os from 'node:os';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportJobs, exports } from '@/db/schema';
import { startTwin, type Twin } from '@/e2e/notion-twin';
import { createConnection } from '@/server/connections/connections';
import { getExport } from '@/server/export/control/export-queries';
import { requestExport } from '@/server/export/control/request-export';
import { exportStreamId } from '@/server/export/domain/export';
import { LeaseLostError } from '@/server/export/domain/export-lease';
import { describeQueueWait, isFinished } from '@/server/export/domain/export-status';
import { handle } from '@/server/export/domain/handle';
import { manualClock } from '@/server/testing/fake-clock';
import { exportRow } from '@/server/testing/export-row';
import { createTestContext, type TestContext } from '@/server/testing/test-context';
import { assertLease, claimNext } from './job-queue';
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

const job = async (ctx: TestContext, id: string) =>
  (await ctx.database.db.select().from(exportJobs).where(eq(exportJobs.exportId, id)))[0]!;

/** Another runner takes the export over (as after this one was frozen past its lease). */
const takeOver = (ctx: TestContext, id: string) =>
  ctx.database.db.update(exportJobs).set({ leaseOwner: 'someone-else', attempt: 99 }).where(eq(exportJobs.exportId, id));

/** Every page of the twin recorded as exported exactly once in the export's stream. */
async function expectEveryItemOnce(ctx: TestContext, exportId: string) {
  const exported = (await ctx.store.readStream(exportStreamId(exportId)))
    .filter((e) => e.type === 'PagesExported')
    .flatMap((e) => (e.data as { items: { id: string }[] }).items.map((i) => i.id));
  expect(new Set(exported).size).toBe(exported.length);
  for (const page of twin.workspace.allPages()) expect(exported, page.id).toContain(page.id);
}

describe('runner', () => {
  it('notices on its heartbeat that its lease was taken over, stops, and records nothing after the takeover', async () => {
    const { ctx, exportId } = await setup();
    const clock = manualClock();
    try {
      const runner = new Runner(ctx, { leaseMs: 60_000, heartbeatMs: 20_000, concurrency: 2, clock });
      const outcome = runner.runOnce();
      await exportRow(ctx, exportId, (r) => r.pagesDone >= 5);
      // From now on every page's blocks hang: the export makes no progress of its own, so only
      // the heartbeat can find out that the lease is gone.
      twin.injectFault({ kind: 'delay', ms: 600_000 }, { times: 1_000_000, endpoint: 'blocks.children.list' });
      await takeOver(ctx, exportId);
      const versionAtTakeover = (await row(ctx, exportId)).streamVersion;
      await clock.waiting(20_000);
      clock.advance(20_000);
      expect(await outcome).toBe('aborted');
      expect(await row(ctx, exportId)).toMatchObject({ status: 'running', streamVersion: versionAtTakeover });
      expect(await job(ctx, exportId)).toMatchObject({ status: 'running', leaseOwner: 'someone-else' });
    } finally {
      twin.clearFaults();
      await ctx.cleanup();
    }
  });

  it('renews its lease on every heartbeat of its clock', async () => {
    const { ctx, exportId } = await setup();
    const clock = manualClock();
    const t0 = clock.now();
    try {
      // The pages' blocks hang: the export stays under way while the test looks at its lease.
      twin.injectFault({ kind: 'delay', ms: 600_000 }, { times: 1_000_000, endpoint: 'blocks.children.list' });
      const runner = new Runner(ctx, { leaseMs: 60_000, heartbeatMs: 20_000, clock });
      const outcome = runner.runOnce();
      await exportRow(ctx, exportId, (r) => r.phase === 'exporting');
      expect((await job(ctx, exportId)).leaseExpiresAt).toBe(t0 + 60_000);
      await clock.waiting(20_000);
      clock.advance(20_000);
      // The renewal is done once the heartbeat waits for its next beat.
      await clock.waiting(20_000);
      expect((await job(ctx, exportId)).leaseExpiresAt).toBe(t0 + 80_000);
      expect(await runner.abortExport(exportId)).toBe(true);
      expect(await outcome).toBe('aborted');
    } finally {
      twin.clearFaults();
      await ctx.cleanup();
    }
  });

  it('lets the next runner take over a crashed runner’s export once its lease expires; the old one is fenced out', async () => {
    const { ctx, exportId } = await setup();
    const clock = manualClock();
    try {
      // Runner A exports some pages, then "crashes": it stops without giving the export back.
      const a = new Runner(ctx, { leaseMs: 60_000, concurrency: 2, clock });
      const first = a.runOnce();
      await exportRow(ctx, exportId, (r) => r.pagesDone >= 5);
      // Pages hang from here on, so A is still at work when it stops.
      twin.injectFault({ kind: 'delay', ms: 600_000 }, { times: 1_000_000, endpoint: 'blocks.children.list' });
      expect(await a.abortExport(exportId)).toBe(true);
      expect(await first).toBe('aborted');
      twin.clearFaults();
      expect(await job(ctx, exportId)).toMatchObject({ status: 'running', leaseOwner: a.owner, attempt: 1 });

      // Runner B (same process, so A is not known to be gone) cannot claim it before the lease expires ...
      const b = new Runner(ctx, { leaseMs: 60_000, clock });
      clock.advance(59_000);
      expect(await b.runOnce()).toBeUndefined();
      // ... and resumes it once it has.
      clock.advance(2_000);
      expect(await b.runOnce()).toBe('completed');
      expect(await row(ctx, exportId)).toMatchObject({ status: 'completed', attempt: 1 });
      await expectEveryItemOnce(ctx, exportId);
      // A's late write is refused by the fence.
      const late = ctx.database.db.transaction((tx) => assertLease(tx, { exportId, attempt: 1, owner: a.owner }, clock.now()));
      await expect(late).rejects.toBeInstanceOf(LeaseLostError);
    } finally {
      twin.clearFaults();
      await ctx.cleanup();
    }
  });

  it('stops a cancelled export it is running', async () => {
    const { ctx, exportId } = await setup();
    try {
      const runner = new Runner(ctx);
      const outcome = runner.runOnce();
      await exportRow(ctx, exportId, (r) => r.status === 'running');
      await handle(ctx.store, exportId, { type: 'CancelExport', data: { reason: 'test' } });
      expect(await runner.abortExport(exportId)).toBe(true);
      expect(await runner.abortExport('other')).toBe(false);
      expect(await outcome).toBe('aborted');
      expect((await row(ctx, exportId)).status).toBe('cancelled');
    } finally {
      await ctx.cleanup();
    }
  });

  it('polls for work on its clock, and looks at once when poked', async () => {
    const ctx = await createTestContext();
    const clock = manualClock();
    try {
      const outcomes: string[] = [];
      let ended: () => void = () => undefined;
      const onOutcome = (_: string, outcome: string) => {
        outcomes.push(outcome);
        ended();
      };
      const next = () => new Promise<void>((resolve) => (ended = resolve));
      const runner = new Runner(ctx, { pollMs: 60_000, onOutcome, clock });
      runner.start();
      runner.start(); // idempotent
      const connection = await createConnection(ctx, { token: 'secret_twin', baseUrl: twin.url });
      // Nothing queued: the runner waits for its next poll.
      await clock.waiting(60_000);
      // Requested without waking the runner (as by another process): found at the next poll.
      let done = next();
      await handle(ctx.store, 'by-another-process', {
        type: 'RequestExport',
        data: { exportId: 'by-another-process', connectionId: connection.id, formats: ['json'], outDir: `${ctx.dir}/a`, requestedBy: 'cli', options: { naming: 'notion', downloadExternal: false } },
      });
      expect(clock.pending()).toContain(60_000);
      clock.advance(60_000);
      await done;
      // Requested in this process: the request pokes the runner, no poll needed.
      await clock.waiting(60_000);
      done = next();
      const exportId = await requestExport(ctx, { connectionId: connection.id, formats: ['json'], requestedBy: 'cli' });
      await done;
      await runner.stop();
      expect(outcomes).toEqual(['completed', 'completed']);
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
      await exportRow(ctx, exportId, (r) => r.pagesDone >= 10);
      await runner.stop(30_000);
      // The export and its job agree: queued, the lease released, the reason recorded.
      expect(await job(ctx, exportId)).toMatchObject({ status: 'queued', leaseOwner: null });
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

  it('stops what is left when the pages in flight do not finish within the grace period', async () => {
    const { ctx, exportId } = await setup();
    const clock = manualClock();
    try {
      // Every page's blocks hang (discovery and databases go on): no page in flight can finish.
      twin.injectFault({ kind: 'delay', ms: 600_000 }, { times: 1_000_000, endpoint: 'blocks.children.list' });
      const runner = new Runner(ctx, { concurrency: 3, clock });
      runner.start();
      await exportRow(ctx, exportId, (r) => r.phase === 'exporting');
      const stopped = runner.stop(5_000);
      // The grace runs out on the runner's clock; without the forced stop this would never end.
      await clock.waiting(5_000);
      clock.advance(5_000);
      await stopped;
      expect(await row(ctx, exportId)).toMatchObject({ status: 'queued', statusReason: 'the runner shut down' });
      expect(await job(ctx, exportId)).toMatchObject({ status: 'queued', leaseOwner: null });
      twin.clearFaults();
      expect(await new Runner(ctx).runOnce()).toBe('completed');
      await expectEveryItemOnce(ctx, exportId);
    } finally {
      twin.clearFaults();
      await ctx.cleanup();
    }
  });

  it('records nothing when it stops after its lease was taken over', async () => {
    const { ctx, exportId } = await setup();
    try {
      const runner = new Runner(ctx, { concurrency: 2 });
      runner.start();
      await exportRow(ctx, exportId, (r) => r.pagesDone >= 5);
      // Another runner takes the export over; this one is told to stop before it notices.
      await takeOver(ctx, exportId);
      const version = (await row(ctx, exportId)).streamVersion;
      await runner.stop(30_000);
      expect(await row(ctx, exportId)).toMatchObject({ status: 'running', streamVersion: version });
      expect(await job(ctx, exportId)).toMatchObject({ status: 'running', leaseOwner: 'someone-else' });
    } finally {
      await ctx.cleanup();
    }
  });

  it('retries a retryable failure after a backoff on its clock, saying when, and fails for good after the last attempt', async () => {
    // A token of its own, and one request per run: six failures leave its circuit breaker closed.
    const token = 'secret_retry_test';
    const other = await startTwin({ tokens: [token], workspace: { seed: 6, pages: 5, databases: 0, rowsPerDatabase: 0 } });
    const ctx = await createTestContext({ notionRetry: { maxAttempts: 1, baseDelayMs: 5, maxDelayMs: 10 } });
    try {
      const connection = await createConnection(ctx, { token, baseUrl: other.url });
      const exportId = await requestExport(ctx, { connectionId: connection.id, formats: ['json'], requestedBy: 'cli' });
      await other.close();
      // An hour ahead of the system clock: what the runner schedules must follow its own clock.
      const clock = manualClock(Date.now() + 3_600_000);
      const runner = new Runner(ctx, { clock });
      expect(await runner.runOnce()).toBe('retrying');
      const queued = await row(ctx, exportId);
      expect(queued).toMatchObject({ status: 'queued', attempt: 2, maxAttempts: 6 });
      expect(queued.lastError).toMatch(/Cannot reach the Notion API/);
      // The retry is scheduled from the runner's clock, within the first backoff (up to 30 s) ...
      const retryAt = queued.retryAt!.getTime();
      expect((await job(ctx, exportId)).runAt).toBe(retryAt);
      expect(retryAt - clock.now()).toBeGreaterThanOrEqual(0);
      expect(retryAt - clock.now()).toBeLessThanOrEqual(30_000);
      const { wait } = await getExport(ctx.database.db, exportId, { now: new Date(retryAt - 1) });
      expect(describeQueueWait(wait!)).toMatch(/^Retrying at .+ \(attempt 2 of 6\) after: Cannot reach the Notion API/);
      // ... and runs then, not before.
      clock.advance(retryAt - 1 - clock.now());
      expect(await runner.runOnce()).toBeUndefined();
      expect(await claimNext(ctx.database.db, { owner: 'x', leaseMs: 1000, now: clock.now() })).toBeUndefined();
      clock.advance(1);
      // Each retry is the next attempt; after the sixth it fails for good.
      const outcomes: (string | undefined)[] = [await runner.runOnce()];
      for (let attempt = 3; attempt <= 6; attempt++) {
        const { retryAt: next } = await row(ctx, exportId);
        clock.advance(next!.getTime() - clock.now());
        outcomes.push(await runner.runOnce());
      }
      expect(outcomes).toEqual(['retrying', 'retrying', 'retrying', 'retrying', 'failed']);
      const failed = await row(ctx, exportId);
      expect(failed).toMatchObject({ status: 'failed', attempt: 6, retryAt: null });
      expect(isFinished(failed.status)).toBe(true);
      expect(failed.lastError).toMatch(/^Failed after 6 attempts: /);
      const types = (await ctx.store.readStream(exportStreamId(exportId))).map((e) => e.type);
      expect(types.filter((t) => t === 'ExportRetryScheduled')).toHaveLength(5);
      expect(types.at(-1)).toBe('ExportFailed');
      expect((await job(ctx, exportId)).status).toBe('finished');
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
