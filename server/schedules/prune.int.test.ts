import fs from 'node:fs';
import path from 'node:path';
import { eq } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { auditEvents, events, exports, schedules } from '@/db/schema';
import { DEFAULT_EXPORT_OPTIONS, exportStreamId } from '@/server/export/domain/export';
import type { ExportStatus } from '@/server/export/domain/export-status';
import { handle } from '@/server/export/domain/handle';
import { manualClock } from '@/server/testing/fake-clock';
import { writeFiles } from '@/server/testing/files';
import { completeTestExport, seedConnections } from '@/server/testing/seed';
import { createTestContext, type TestContext } from '@/server/testing/test-context';
import { previewRetention, pruneSnapshots } from './prune';
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

interface SnapshotSpec {
  status?: ExportStatus;
  trigger?: 'manual' | 'cli' | 'schedule';
  pinned?: boolean;
  outDir?: string;
  baselineExportId?: string;
  connectionId?: string;
}

/** A finished export of c1 requested at `time`, with a file in its own folder. */
async function snapshot(id: string, time: string, spec: SnapshotSpec = {}): Promise<string> {
  const outDir = spec.outDir ?? path.join(ctx.config.exportsDir, id);
  await handle(ctx.store, id, {
    type: 'RequestExport',
    data: {
      exportId: id,
      connectionId: spec.connectionId ?? 'c1',
      formats: ['json'],
      outDir,
      requestedBy: 'scheduler',
      options: DEFAULT_EXPORT_OPTIONS,
      mode: spec.baselineExportId ? 'sync' : 'full',
      ...(spec.baselineExportId ? { baselineExportId: spec.baselineExportId } : {}),
      trigger: spec.trigger ?? 'schedule',
    },
  });
  writeFiles(outDir, { 'page.json': '{}' });
  const status = spec.status ?? 'completed';
  if (status !== 'queued') await completeTestExport(ctx, id);
  await ctx.database.db
    .update(exports)
    .set({ requestedAt: new Date(time), pinned: spec.pinned ?? false, ...(status !== 'completed' && status !== 'queued' ? { status } : {}) })
    .where(eq(exports.id, id));
  return outDir;
}

const ids = async () => (await ctx.database.db.select({ id: exports.id }).from(exports)).map((r) => r.id).sort();
const NOW = new Date('2026-12-10T00:00:00Z');

describe('previewRetention', () => {
  it("lists the connection's snapshots newest first with what the policy does and why", async () => {
    await snapshot('d1', '2026-12-01T02:00:00Z');
    await snapshot('d2', '2026-12-02T02:00:00Z', { pinned: true });
    await snapshot('d3', '2026-12-03T02:00:00Z');
    await snapshot('d4', '2026-12-04T02:00:00Z');
    const preview = await previewRetention(ctx, 'c1', { keepLast: 1 }, { timeZone: 'UTC', now: NOW });
    expect(preview.decisions.map((d) => [d.id, d.keep, d.reasons])).toEqual([
      ['d4', true, ['last snapshot', 'latest snapshot']],
      ['d3', false, []],
      ['d2', true, ['pinned']],
      ['d1', false, []],
    ]);
    expect(preview).toMatchObject({ kept: 2, removed: 2, timeZone: 'UTC' });
    expect(preview.decisions[0]).toMatchObject({ status: 'completed', trigger: 'schedule', pinned: false, time: new Date('2026-12-04T02:00:00Z') });
    // A preview changes nothing.
    expect(await ids()).toEqual(['d1', 'd2', 'd3', 'd4']);
  });

  it('leaves out failed and cancelled exports, CLI exports, folders outside EXPORTS_DIR and other connections; keeps what is under way and its baseline', async () => {
    await snapshot('old', '2026-12-01T02:00:00Z');
    await snapshot('base', '2026-12-02T02:00:00Z');
    await snapshot('failed', '2026-12-03T02:00:00Z', { status: 'failed' });
    await snapshot('cancelled', '2026-12-03T03:00:00Z', { status: 'cancelled' });
    await snapshot('cli', '2026-12-03T04:00:00Z', { trigger: 'cli' });
    await snapshot('elsewhere', '2026-12-03T05:00:00Z', { trigger: 'manual', outDir: path.join(ctx.dir, 'mine') });
    await snapshot('other', '2026-12-03T06:00:00Z', { connectionId: 'c2' });
    await snapshot('newest', '2026-12-04T02:00:00Z');
    await snapshot('syncing', '2026-12-05T02:00:00Z', { status: 'queued', baselineExportId: 'base' });
    const preview = await previewRetention(ctx, 'c1', { keepLast: 1 }, { timeZone: 'UTC', now: NOW });
    expect(preview.decisions.map((d) => [d.id, d.keep, d.reasons])).toEqual([
      ['syncing', true, ['not finished']],
      ['newest', true, ['last snapshot', 'latest snapshot']],
      ['base', true, ['a sync under way starts from it']],
      ['old', false, []],
    ]);
  });
});

describe('pruneSnapshots', () => {
  it("removes what the policy does not keep through deleteExport (folder, rows, events) and records it in the audit log", async () => {
    const oldDir = await snapshot('d1', '2026-12-01T02:00:00Z');
    await snapshot('d2', '2026-12-02T02:00:00Z');
    const keptDir = await snapshot('d3', '2026-12-03T02:00:00Z');
    const result = await pruneSnapshots(ctx, 'c1', { keepLast: 2 }, {
      timeZone: 'UTC',
      now: NOW,
      trigger: 'manual',
      by: { actor: { id: 'u1', email: 'op@example.test' }, address: '203.0.113.9' },
    });
    expect(result).toMatchObject({ kept: 2, removed: [{ id: 'd1', bytes: 2 }], failed: [], bytesRemoved: 2 });
    expect(fs.existsSync(oldDir)).toBe(false);
    expect(fs.existsSync(keptDir)).toBe(true);
    expect(await ids()).toEqual(['d2', 'd3']);
    expect(await ctx.database.db.select().from(events).where(eq(events.streamId, exportStreamId('d1')))).toEqual([]);
    const [entry] = await ctx.database.db.select().from(auditEvents).where(eq(auditEvents.action, 'retention.applied'));
    expect(entry).toMatchObject({
      outcome: 'ok',
      actorEmail: 'op@example.test',
      address: '203.0.113.9',
      targetType: 'connection',
      targetId: 'c1',
      detail: { trigger: 'manual', policy: { keepLast: 2 }, kept: 2, removed: ['d1'], bytesRemoved: 2 },
    });
  });

  it('a policy with no rule removes nothing; an automatic run that removed nothing leaves no audit entry', async () => {
    await snapshot('d1', '2026-12-01T02:00:00Z');
    await snapshot('d2', '2026-12-02T02:00:00Z');
    expect((await pruneSnapshots(ctx, 'c1', {}, { timeZone: 'UTC', now: NOW, trigger: 'schedule' })).removed).toEqual([]);
    expect(await ids()).toEqual(['d1', 'd2']);
    expect(await ctx.database.db.select().from(auditEvents).where(eq(auditEvents.action, 'retention.applied'))).toEqual([]);
  });

  it('is applied by the scheduler once a scheduled sync finished after the policy was set, and once per finished sync', async () => {
    const clock = manualClock();
    // The policy was set an hour before the real time the test's exports finish at; the schedule
    // (29 February) is not due meanwhile, so no sync is requested.
    await saveSchedule(
      ctx,
      { connectionId: 'c1', cron: '0 0 29 2 *', timezone: 'UTC', enabled: true, retention: { keepLast: 1 } },
      {},
      new Date(Date.now() - 3_600_000),
    );
    // No scheduled sync finished since: nothing is pruned.
    await snapshot('m1', '2026-12-08T02:00:00Z', { trigger: 'manual' });
    await ctx.database.db.update(exports).set({ finishedAt: new Date(Date.now() - 7_200_000) });
    const scheduler = new Scheduler(ctx, { clock });
    expect((await scheduler.runOnce()).pruned).toEqual([]);
    await snapshot('s1', '2026-12-09T02:00:00Z');
    const pass = await scheduler.runOnce();
    expect(pass.pruned).toEqual([{ connectionId: 'c1', kept: 1, removed: [{ id: 'm1', bytes: 2 }], failed: [], bytesRemoved: 2 }]);
    expect(await ids()).toEqual(['s1']);
    // The same finished sync does not prune again.
    expect((await scheduler.runOnce()).pruned).toEqual([]);
    // A change of the policy waits for the next scheduled sync (or for Apply).
    await snapshot('m2', '2026-12-10T01:00:00Z', { trigger: 'manual' });
    await ctx.database.db.update(schedules).set({ updatedAt: new Date(Date.now() + 1000) });
    expect((await scheduler.runOnce()).pruned).toEqual([]);
    expect(await ids()).toEqual(['m2', 's1']);
  });
});
