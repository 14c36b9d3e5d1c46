import { eq } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { connections, exports, schedules } from '@/db/schema';
import { type AppContext, createAppContext } from '@/server/context';
import { LiveFeed } from '@/server/events/live-feed';
import { requestExport } from '@/server/export/control/request-export';
import { manualClock } from '@/server/testing/fake-clock';
import { sampleValue } from '@/server/testing/metric-samples';
import { completeTestExport, seedConnections } from '@/server/testing/seed';
import { createTestContext, type TestContext } from '@/server/testing/test-context';
import { SCHEDULE_SKIPS_METRIC } from '@/server/observability/schedule-metrics';
import { saveSchedule } from './schedule-store';
import { Scheduler } from './scheduler';

let ctx: TestContext;
beforeEach(async () => {
  ctx = await createTestContext();
  await seedConnections(ctx, ['c1', 'c2']);
});
afterEach(async () => {
  await ctx.cleanup();
});

const at = (iso: string) => new Date(iso);
/** The process's count of skipped due times for `reason` (compared before and after). */
const skips = (reason: string) => sampleValue(SCHEDULE_SKIPS_METRIC, { reason });
/** A daily 02:00 UTC schedule of c1, saved at `savedAt`. */
const daily = (savedAt: string, extra: Partial<Parameters<typeof saveSchedule>[1]> = {}) =>
  saveSchedule(ctx, { connectionId: 'c1', cron: '0 2 * * *', timezone: 'UTC', enabled: true, formats: ['json'], ...extra }, {}, at(savedAt));
const scheduled = async () => ctx.database.db.select().from(exports).where(eq(exports.trigger, 'schedule'));
const lastDueAt = async () => (await ctx.database.db.select().from(schedules).where(eq(schedules.connectionId, 'c1')))[0]?.lastDueAt;
const schedulerAt = (iso: string, context: AppContext = ctx) => {
  const clock = manualClock(Date.parse(iso));
  return { clock, scheduler: new Scheduler(context, { clock, intervalMs: 20_000 }) };
};

describe('Scheduler', () => {
  it('requests nothing before the time, then one sync when it is due, and nothing more for that time', async () => {
    await daily('2026-12-01T12:00:00Z');
    const { clock, scheduler } = schedulerAt('2026-12-02T01:59:59Z');
    expect((await scheduler.runOnce()).due).toEqual([]);
    clock.advance(6_000);
    const pass = await scheduler.runOnce();
    expect(pass.due).toEqual([{ connectionId: 'c1', dueAt: at('2026-12-02T02:00:00Z'), outcome: 'requested', exportId: expect.any(String) }]);
    const [row] = await scheduled();
    expect(row).toMatchObject({ id: pass.due[0] && 'exportId' in pass.due[0] ? pass.due[0].exportId : '', connectionId: 'c1', formats: ['json'], status: 'queued' });
    expect(await lastDueAt()).toEqual(at('2026-12-02T02:00:00Z'));
    clock.advance(60_000);
    expect((await scheduler.runOnce()).due).toEqual([]);
    expect(await scheduled()).toHaveLength(1);
    expect(scheduler.counts).toEqual({ requested: 1, skipped: 0 });
  });

  it('does not run a new schedule at once for a time that passed before it was saved', async () => {
    await daily('2026-12-02T02:30:00Z');
    const { scheduler } = schedulerAt('2026-12-02T02:30:10Z');
    expect((await scheduler.runOnce()).due).toEqual([]);
    expect(await scheduled()).toEqual([]);
  });

  it('after downtime runs one catch-up, for the latest time missed; the others are counted as skipped', async () => {
    await daily('2026-11-20T12:00:00Z');
    await ctx.database.db.update(schedules).set({ lastDueAt: at('2026-11-25T02:00:00Z') });
    const { clock, scheduler } = schedulerAt('2026-12-02T12:00:00Z');
    const before = await skips('catch_up');
    const pass = await scheduler.runOnce();
    // Due on the 26th to the 2nd: 7 times, one run.
    expect((await skips('catch_up')) - before).toBe(6);
    expect(pass.due.map((d) => [d.dueAt.toISOString(), d.outcome])).toEqual([['2026-12-02T02:00:00.000Z', 'requested']]);
    clock.advance(20_000);
    expect((await scheduler.runOnce()).due).toEqual([]);
    expect(await scheduled()).toHaveLength(1);
  });

  it('two schedulers on one database (two processes) request the due sync once', async () => {
    await daily('2026-12-01T12:00:00Z');
    const other = await createAppContext(ctx.config, new LiveFeed());
    try {
      const a = schedulerAt('2026-12-02T02:00:03Z').scheduler;
      const b = schedulerAt('2026-12-02T02:00:03Z', other).scheduler;
      const passes = await Promise.all([a.runOnce(), b.runOnce(), a.runOnce(), b.runOnce()]);
      const outcomes = passes.flatMap((p) => p.due.map((d) => d.outcome));
      expect(outcomes.filter((o) => o === 'requested')).toHaveLength(1);
      expect(await scheduled()).toHaveLength(1);
      expect(a.counts.requested + b.counts.requested).toBe(1);
    } finally {
      other.database.close();
    }
  });

  it('skips the due time while an export of the connection is queued or running: counted, and never a second sync', async () => {
    await daily('2026-12-01T12:00:00Z');
    const manual = await requestExport(ctx, { connectionId: 'c1', requestedBy: 'dashboard' });
    const logged: string[] = [];
    const clock = manualClock(Date.parse('2026-12-02T02:00:05Z'));
    const scheduler = new Scheduler(ctx, { clock, log: { info: () => undefined, warn: (_, message) => logged.push(message) } });
    const [busy, caughtUp] = [await skips('busy'), await skips('catch_up')];
    const pass = await scheduler.runOnce();
    expect(pass.due).toEqual([{ connectionId: 'c1', dueAt: at('2026-12-02T02:00:00Z'), outcome: 'skipped', reason: expect.stringMatching(/already queued or running/) }]);
    expect((await skips('busy')) - busy).toBe(1);
    expect(await skips('catch_up')).toBe(caughtUp);
    expect(logged).toEqual([expect.stringMatching(/^scheduler: the run due 2026-12-02T02:00:00.000Z is skipped/)]);
    expect(scheduler.counts).toEqual({ requested: 0, skipped: 1 });
    // The time is recorded as done: the next look does not try it again.
    expect(await lastDueAt()).toEqual(at('2026-12-02T02:00:00Z'));
    clock.advance(20_000);
    expect((await scheduler.runOnce()).due).toEqual([]);
    expect((await ctx.database.db.select({ id: exports.id }).from(exports)).map((e) => e.id)).toEqual([manual]);
  });

  it('leaves disabled schedules, removed connections, and a time that passed before the last change', async () => {
    await daily('2026-12-01T12:00:00Z', { enabled: false });
    await saveSchedule(ctx, { connectionId: 'c2', cron: '0 2 * * *', timezone: 'UTC', enabled: true }, {}, at('2026-12-01T12:00:00Z'));
    await ctx.database.db.update(connections).set({ removedAt: at('2026-12-01T13:00:00Z') }).where(eq(connections.id, 'c2'));
    const { scheduler } = schedulerAt('2026-12-02T02:00:05Z');
    expect((await scheduler.runOnce()).due).toEqual([]);
    // Enabled again after 02:00: that time is not caught up.
    await daily('2026-12-02T02:00:04Z');
    expect((await scheduler.runOnce()).due).toEqual([]);
    expect(await scheduled()).toEqual([]);
  });

  it('a claim made with a schedule read before it changed fails: the changed schedule decides', async () => {
    await daily('2026-12-01T12:00:00Z');
    const { scheduler } = schedulerAt('2026-12-02T02:00:05Z');
    const stale = (await ctx.database.db.select().from(schedules))[0]!;
    await ctx.database.db.update(schedules).set({ updatedAt: at('2026-12-02T02:00:01Z') });
    // The pass reads the changed row: nothing is due after its change.
    expect((await scheduler.runOnce()).due).toEqual([]);
    // And a compare-and-set with the stale row's version changes nothing.
    const claimed = await ctx.database.db
      .update(schedules)
      .set({ lastDueAt: at('2026-12-02T02:00:00Z') })
      .where(eq(schedules.updatedAt, stale.updatedAt))
      .returning();
    expect(claimed).toEqual([]);
  });

  it('runs a look on start and every interval, and stops cleanly', async () => {
    await daily('2026-12-01T12:00:00Z', { cron: '*/5 * * * *' });
    const { clock, scheduler } = schedulerAt('2026-12-02T02:00:01Z');
    scheduler.start();
    await clock.waiting(20_000);
    expect(await scheduled()).toHaveLength(1);
    // The sync finished; five minutes later the next one is requested.
    await completeTestExport(ctx, (await scheduled())[0]!.id);
    for (let i = 0; i < 15; i++) {
      clock.advance(20_000);
      await clock.waiting(20_000);
    }
    expect(await scheduled()).toHaveLength(2);
    expect(await lastDueAt()).toEqual(at('2026-12-02T02:05:00Z'));
    await scheduler.stop();
    expect(clock.pending()).toEqual([]);
  });
});
