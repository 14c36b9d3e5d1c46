import path from 'node:path';
import { eq } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { auditEvents, schedules } from '@/db/schema';
import { DomainError } from '@/server/errors';
import { DEFAULT_EXPORT_OPTIONS } from '@/server/export/domain/export';
import { handle } from '@/server/export/domain/handle';
import { SCHEDULE_SKIPS_METRIC } from '@/server/observability/schedule-metrics';
import { manualClock } from '@/server/testing/fake-clock';
import { sampleValue } from '@/server/testing/metric-samples';
import { completeTestExport, seedConnections } from '@/server/testing/seed';
import { createTestContext, type TestContext } from '@/server/testing/test-context';

/*
 * What the scheduler and pruning do when the commands they call fail in ways a real database
 * rarely shows on demand: requestSync and deleteExport are stubbed here (the database is real).
 */
const failures = vi.hoisted(() => ({ requestSync: undefined as Error | undefined, deleteExport: undefined as Error | undefined }));

vi.mock('@/server/export/control/request-export', async (original) => {
  const real = await original<typeof import('@/server/export/control/request-export')>();
  return {
    ...real,
    requestSync: async (...args: Parameters<typeof real.requestSync>) => {
      if (failures.requestSync) throw failures.requestSync;
      return real.requestSync(...args);
    },
  };
});
vi.mock('@/server/export/control/delete-export', async (original) => {
  const real = await original<typeof import('@/server/export/control/delete-export')>();
  return {
    ...real,
    deleteExport: async (...args: Parameters<typeof real.deleteExport>) => {
      if (failures.deleteExport) throw failures.deleteExport;
      return real.deleteExport(...args);
    },
  };
});

const { Scheduler } = await import('./scheduler');
const { pruneSnapshots } = await import('./prune');
const { saveSchedule } = await import('./schedule-store');

/** The process's count of skipped due times for `reason`. */
const skipsOf = (reason: string) => sampleValue(SCHEDULE_SKIPS_METRIC, { reason });

let ctx: TestContext;
beforeEach(async () => {
  ctx = await createTestContext();
  await seedConnections(ctx, ['c1']);
  failures.requestSync = undefined;
  failures.deleteExport = undefined;
});
afterEach(async () => {
  await ctx.cleanup();
});

describe('when a command fails', () => {
  it('an unexpected failure to request the sync gives the due time back, and the next look requests it', async () => {
    await saveSchedule(ctx, { connectionId: 'c1', cron: '0 2 * * *', timezone: 'UTC', enabled: true }, {}, new Date('2026-12-01T12:00:00Z'));
    const warned: string[] = [];
    const clock = manualClock(Date.parse('2026-12-02T02:00:05Z'));
    const scheduler = new Scheduler(ctx, { clock, log: { info: () => undefined, warn: (_, message) => warned.push(message) } });
    failures.requestSync = new Error('disk I/O error');
    expect((await scheduler.runOnce()).due).toEqual([]);
    expect(warned).toEqual(['scheduler: disk I/O error']);
    expect((await ctx.database.db.select().from(schedules).where(eq(schedules.connectionId, 'c1')))[0]?.lastDueAt).toBeNull();
    failures.requestSync = undefined;
    clock.advance(20_000);
    expect((await scheduler.runOnce()).due.map((d) => d.outcome)).toEqual(['requested']);
  });

  it('a sync refused for another reason than a busy connection (the connection removed as the pass ran) skips the due time, counted as refused', async () => {
    await saveSchedule(ctx, { connectionId: 'c1', cron: '0 2 * * *', timezone: 'UTC', enabled: true }, {}, new Date('2026-12-01T12:00:00Z'));
    const warned: string[] = [];
    const clock = manualClock(Date.parse('2026-12-02T02:00:05Z'));
    const scheduler = new Scheduler(ctx, { clock, log: { info: () => undefined, warn: (_, message) => warned.push(message) } });
    const refusedBefore = await skipsOf('refused');
    const busyBefore = await skipsOf('busy');
    failures.requestSync = new DomainError('NOT_FOUND', 'Connection c1 does not exist');
    const pass = await scheduler.runOnce();
    expect(pass.due).toEqual([{ connectionId: 'c1', dueAt: new Date('2026-12-02T02:00:00Z'), outcome: 'skipped', reason: 'Connection c1 does not exist' }]);
    expect((await skipsOf('refused')) - refusedBefore).toBe(1);
    expect(await skipsOf('busy')).toBe(busyBefore);
    expect(scheduler.counts).toEqual({ requested: 0, skipped: 1 });
    expect(warned).toEqual(['scheduler: the run due 2026-12-02T02:00:00.000Z is skipped: Connection c1 does not exist']);
    // The time is done with: the next look does not ask again, even once the request would pass.
    failures.requestSync = undefined;
    clock.advance(20_000);
    expect((await scheduler.runOnce()).due).toEqual([]);
  });

  it('a snapshot that cannot be removed is reported, and the audit entry says so', async () => {
    for (const [id, time] of [
      ['a', '2026-11-01T02:00:00Z'],
      ['b', '2026-11-02T02:00:00Z'],
    ] as const) {
      await handle(ctx.store, id, {
        type: 'RequestExport',
        data: {
          exportId: id,
          connectionId: 'c1',
          formats: ['json'],
          outDir: path.join(ctx.config.exportsDir, id),
          requestedBy: 'scheduler',
          options: DEFAULT_EXPORT_OPTIONS,
          trigger: 'schedule',
        },
      });
      await completeTestExport(ctx, id);
      await ctx.database.client.execute({ sql: 'update exports set requested_at = ? where id = ?', args: [Date.parse(time), id] });
    }
    failures.deleteExport = new DomainError('CONFLICT', 'Export a changed while it was being deleted (resumed or retried?); look at it again');
    const result = await pruneSnapshots(ctx, 'c1', { keepLast: 1 }, { timeZone: 'UTC', trigger: 'schedule' });
    expect(result).toMatchObject({ removed: [], failed: [{ id: 'a', reason: expect.stringMatching(/changed while/) }] });
    const [entry] = await ctx.database.db.select().from(auditEvents).where(eq(auditEvents.action, 'retention.applied'));
    expect(entry).toMatchObject({ outcome: 'refused', detail: { failed: ['a'], removed: [] } });
    // Gone already (another process pruned it): not a failure.
    failures.deleteExport = new DomainError('NOT_FOUND', 'Export a does not exist');
    expect(await pruneSnapshots(ctx, 'c1', { keepLast: 1 }, { timeZone: 'UTC', trigger: 'manual' })).toMatchObject({ removed: [], failed: [] });
    failures.deleteExport = new Error('EACCES');
    await expect(pruneSnapshots(ctx, 'c1', { keepLast: 1 }, { timeZone: 'UTC', trigger: 'manual' })).rejects.toThrow('EACCES');
  });
});
