import fs from 'node:fs';
import path from 'node:path';
import { TRPCError } from '@trpc/server';
import { eq } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { auditEvents, exports, schedules } from '@/db/schema';
import { DEFAULT_EXPORT_OPTIONS } from '@/server/export/domain/export';
import { handle } from '@/server/export/domain/handle';
import { callerAs } from '@/server/testing/call-as';
import { writeFiles } from '@/server/testing/files';
import { completeTestExport, seedConnections } from '@/server/testing/seed';
import { createTestContext, type TestContext } from '@/server/testing/test-context';

let ctx: TestContext;
beforeEach(async () => {
  ctx = await createTestContext();
  await seedConnections(ctx, ['c1']);
});
afterEach(async () => {
  await ctx.cleanup();
});

const daily = { connectionId: 'c1', cron: '0 2 * * *', timezone: 'Europe/Berlin', enabled: true };
const auditOf = async (action: string) => ctx.database.db.select().from(auditEvents).where(eq(auditEvents.action, action));

/** The code and message a call is refused with. */
async function refusal(call: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await call;
  } catch (error) {
    if (error instanceof TRPCError) return { code: error.code, message: error.message };
    throw error;
  }
  return { code: 'OK', message: '' };
}

describe('schedules router', () => {
  it('an operator sets a schedule; anyone signed in reads it with its next runs in words; the change is audited', async () => {
    const operator = callerAs(ctx, 'operator');
    expect(await operator.schedules.set({ ...daily, retention: { keepDaily: 7, keepWithin: '2w' } })).toEqual({
      cron: '0 2 * * *',
      timezone: 'Europe/Berlin',
      enabled: true,
    });
    const seen = await callerAs(ctx, 'viewer').schedules.get({ connectionId: 'c1' });
    expect(seen.connection).toEqual({ id: 'c1', name: 'n', workspaceName: null });
    expect(seen.schedule).toMatchObject({
      cron: '0 2 * * *',
      enabled: true,
      formats: ['markdown', 'html', 'json', 'csv'],
      retention: { keepDaily: 7, keepWithin: '2w', keepLast: null },
      updatedBy: 'operator@example.test',
      description: { words: 'At 02:00 (Europe/Berlin)' },
    });
    expect(seen.schedule?.description.nextRuns).toHaveLength(5);
    expect(seen.schedule?.description.nextRuns[0]?.local).toMatch(/, 02:00 \(GMT\+0[12]:00\)$/);
    expect(seen.lastRun).toBeNull();
    const [entry] = await auditOf('schedule.set');
    expect(entry).toMatchObject({
      outcome: 'ok',
      actorEmail: 'operator@example.test',
      targetType: 'connection',
      targetId: 'c1',
      detail: { cron: '0 2 * * *', timezone: 'Europe/Berlin', enabled: true, name: 'n' },
    });
  });

  it('a change that leaves out formats or retention keeps what was saved', async () => {
    const operator = callerAs(ctx, 'operator');
    await operator.schedules.set({ ...daily, formats: ['json', 'markdown'], retention: { keepLast: 3 } });
    await operator.schedules.set({ ...daily, cron: '@hourly', enabled: false });
    const [row] = await ctx.database.db.select().from(schedules);
    expect(row).toMatchObject({ cron: '0 * * * *', enabled: false, formats: ['json', 'markdown'], keepLast: 3, keepDaily: null });
    // A policy sent is the whole policy: rules left out are not used any more.
    await operator.schedules.set({ ...daily, retention: { keepDaily: 5, keepLast: 0 } });
    expect((await ctx.database.db.select().from(schedules))[0]).toMatchObject({ keepLast: null, keepDaily: 5 });
  });

  it('without a schedule, get says so', async () => {
    expect(await callerAs(ctx, 'viewer').schedules.get({ connectionId: 'c1' })).toMatchObject({ schedule: null, lastRun: null });
  });

  it('refuses what croner or zod refuse, in words, and records a refused change', async () => {
    const operator = callerAs(ctx, 'operator');
    expect(await refusal(operator.schedules.set({ ...daily, cron: '* * * * *' }))).toEqual({
      code: 'BAD_REQUEST',
      message: 'Every 5 minutes is the most often a schedule may run',
    });
    expect(await refusal(operator.schedules.set({ ...daily, cron: '0 24 * * *' }))).toMatchObject({ code: 'BAD_REQUEST', message: expect.stringMatching(/hour/) });
    expect((await refusal(operator.schedules.set({ ...daily, timezone: 'Mars/Olympus' }))).code).toBe('BAD_REQUEST');
    expect((await refusal(operator.schedules.set({ ...daily, retention: { keepWithin: '3 days' } }))).code).toBe('BAD_REQUEST');
    expect((await refusal(operator.schedules.set({ ...daily, retention: { keepDaily: 1.5 } }))).code).toBe('BAD_REQUEST');
    expect((await refusal(operator.schedules.set({ ...daily, retention: { keepDaily: -2 } }))).code).toBe('BAD_REQUEST');
    expect(await refusal(operator.schedules.set({ ...daily, connectionId: 'nope' }))).toEqual({ code: 'NOT_FOUND', message: 'Connection nope does not exist' });
    expect(await ctx.database.db.select().from(schedules)).toEqual([]);
    expect((await auditOf('schedule.set')).map((e) => e.outcome)).toEqual(['refused', 'refused', 'refused']);
  });

  it('describes an expression as it is typed, or says why it cannot be one', async () => {
    const viewer = callerAs(ctx, 'viewer');
    expect(await viewer.schedules.describe({ cron: '0 * * * *', timezone: 'UTC' })).toMatchObject({ ok: true, description: { words: 'Every hour (UTC)' } });
    expect(await viewer.schedules.describe({ cron: '*/2 * * * *', timezone: 'UTC' })).toEqual({
      ok: false,
      message: 'Every 5 minutes is the most often a schedule may run',
    });
  });

  it('removes a schedule (audited), and says when there is none', async () => {
    const operator = callerAs(ctx, 'operator');
    await operator.schedules.set(daily);
    await operator.schedules.remove({ connectionId: 'c1' });
    expect(await ctx.database.db.select().from(schedules)).toEqual([]);
    expect(await refusal(operator.schedules.remove({ connectionId: 'c1' }))).toEqual({ code: 'NOT_FOUND', message: 'This connection has no schedule' });
    expect((await auditOf('schedule.removed')).map((e) => e.outcome)).toEqual(['ok', 'refused']);
  });

  it('previews retention without removing anything, then applies it', async () => {
    for (const [id, time] of [
      ['a', '2026-11-01T02:00:00Z'],
      ['b', '2026-11-02T02:00:00Z'],
      ['c', '2026-11-03T02:00:00Z'],
    ] as const) {
      const outDir = path.join(ctx.config.exportsDir, id);
      await handle(ctx.store, id, {
        type: 'RequestExport',
        data: { exportId: id, connectionId: 'c1', formats: ['json'], outDir, requestedBy: 'dashboard', options: DEFAULT_EXPORT_OPTIONS, trigger: 'manual' },
      });
      writeFiles(outDir, { 'x.json': '{}' });
      await completeTestExport(ctx, id);
      await ctx.database.db.update(exports).set({ requestedAt: new Date(time) }).where(eq(exports.id, id));
    }
    const operator = callerAs(ctx, 'operator');
    const preview = await operator.schedules.previewRetention({ connectionId: 'c1', policy: { keepLast: 2 } });
    expect(preview.decisions.map((d) => [d.id, d.keep])).toEqual([
      ['c', true],
      ['b', true],
      ['a', false],
    ]);
    expect(fs.existsSync(path.join(ctx.config.exportsDir, 'a'))).toBe(true);
    const applied = await operator.schedules.applyRetention({ connectionId: 'c1', policy: { keepLast: 2 } });
    expect(applied.removed.map((r) => r.id)).toEqual(['a']);
    expect(fs.existsSync(path.join(ctx.config.exportsDir, 'a'))).toBe(false);
    expect((await auditOf('retention.applied'))[0]).toMatchObject({ actorEmail: 'operator@example.test', detail: { removed: ['a'], trigger: 'manual' } });
    expect((await refusal(operator.schedules.applyRetention({ connectionId: 'c1', policy: { keepWithin: 'soon' } }))).code).toBe('BAD_REQUEST');
    expect((await refusal(operator.schedules.previewRetention({ connectionId: 'gone', policy: {} }))).code).toBe('NOT_FOUND');
  });

  it('removing a connection removes its schedule, whether its exports are kept or not', async () => {
    await seedConnections(ctx, ['c2']);
    const operator = callerAs(ctx, 'operator');
    await operator.schedules.set(daily);
    await operator.schedules.set({ ...daily, connectionId: 'c2' });
    const admin = callerAs(ctx, 'admin');
    await admin.connections.remove({ id: 'c1', keepExports: true });
    await admin.connections.remove({ id: 'c2', keepExports: false });
    expect(await ctx.database.db.select().from(schedules)).toEqual([]);
    expect((await refusal(callerAs(ctx, 'viewer').schedules.get({ connectionId: 'c1' }))).code).toBe('NOT_FOUND');
  });
});
