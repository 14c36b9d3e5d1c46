import { eq } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { exports } from '@/db/schema';
import { handle } from '@/server/export/domain/handle';
import { manualClock } from '@/server/testing/fake-clock';
import { completeTestExport, requestTestExport, seedConnections } from '@/server/testing/seed';
import { createTestContext, type TestContext } from '@/server/testing/test-context';
import { WebhookSyncs } from './webhook-syncs';

let ctx: TestContext;
beforeEach(async () => {
  ctx = await createTestContext();
  await seedConnections(ctx, ['c1', 'c2']);
});
afterEach(async () => {
  await ctx.cleanup();
});

const INTERVAL = 60_000;
const rowsOf = (connectionId: string) => ctx.database.db.select().from(exports).where(eq(exports.connectionId, connectionId));
const settle = (syncs: WebhookSyncs) => Promise.all(syncs.pending());

describe('WebhookSyncs', () => {
  it('requests one sync per connection per interval, and one more at its end for the events that came meanwhile', async () => {
    const clock = manualClock();
    const syncs = new WebhookSyncs(ctx, { intervalMs: INTERVAL, clock });
    expect(await syncs.changed('c1')).toBe('sync_requested');
    expect(await syncs.changed('c2')).toBe('sync_requested');
    clock.advance(1000);
    expect(await syncs.changed('c1')).toBe('deferred');
    expect(await syncs.changed('c1')).toBe('deferred');
    expect(clock.pending()).toEqual([INTERVAL - 1000]);
    // The first sync finished before the interval ended: the look due then requests another one.
    const [first] = await rowsOf('c1');
    await completeTestExport(ctx, first.id);
    clock.advance(INTERVAL);
    await settle(syncs);
    const rows = await rowsOf('c1');
    expect(rows.map((r) => [r.status, r.trigger])).toEqual(expect.arrayContaining([['queued', 'webhook']]));
    expect(rows).toHaveLength(2);
    expect(await rowsOf('c2')).toHaveLength(1);
  });

  it('leaves the change to a queued sync (absorbed), and looks again after a running one', async () => {
    const clock = manualClock();
    const syncs = new WebhookSyncs(ctx, { intervalMs: INTERVAL, clock });
    await requestTestExport(ctx, 'queued-1', 'c1');
    expect(await syncs.changed('c1')).toBe('absorbed');
    expect(clock.pending()).toEqual([]);

    // Running: it may have listed the workspace before the change, so a look is due after the interval.
    await handle(ctx.store, 'queued-1', { type: 'StartExport', data: { attempt: 1, runner: 'r' } });
    clock.advance(INTERVAL);
    expect(await syncs.changed('c1')).toBe('deferred');
    expect(clock.pending()).toEqual([INTERVAL]);
    // Still running at the look: another interval.
    clock.advance(INTERVAL);
    await clock.waiting(INTERVAL);
    expect(clock.pending()).toEqual([INTERVAL]);
    expect(await rowsOf('c1')).toHaveLength(1);
    // Done by the next look: a sync is requested.
    await handle(ctx.store, 'queued-1', {
      type: 'CompleteExport',
      data: { pages: 0, databases: 0, skipped: 0, failed: 0, files: 0, bytes: 0, stats: { requests: 0, rateLimited: 0, retries: 0 } },
    });
    clock.advance(INTERVAL);
    await settle(syncs);
    const rows = await rowsOf('c1');
    expect(rows.map((r) => r.status).sort()).toEqual(['completed', 'queued']);
    expect(rows.find((r) => r.status === 'queued')?.trigger).toBe('webhook');
  });

  it('says a removed or unknown connection is gone, and logs a look that fails instead of throwing later', async () => {
    const clock = manualClock();
    const lines: string[] = [];
    const syncs = new WebhookSyncs(ctx, { intervalMs: INTERVAL, clock, log: (line) => lines.push(line) });
    expect(await syncs.changed('nobody')).toBe('no_connection');
    expect(await syncs.changed('c1')).toBe('sync_requested');
    expect(await syncs.changed('c1')).toBe('deferred');
    ctx.database.close();
    clock.advance(INTERVAL);
    await settle(syncs);
    expect(lines).toEqual(['webhooks: the sync of connection c1 due after events could not be requested:']);
  });
});
