
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { requestTestExport, seedConnections } from '@/server/testing/seed';
import { createTestContext, type TestContext } from '@/server/testing/test-context';
import { handle } from '@/server/export/domain/handle';
import { LeaseLostError } from '@/server/export/domain/export-lease';
import { claimNext, holdsLease, leaseFence, releaseLease, renewLease } from './job-queue';

let ctx: TestContext;
beforeEach(async () => {
  ctx = await createTestContext();
  await seedConnections(ctx, ['c1', 'c2']);
});
afterEach(async () => {
  await ctx.cleanup();
});

const request = (exportId: string, connectionId = 'c1') => requestTestExport(ctx, exportId, connectionId);

describe('job queue', () => {
  it('queues a requested export in the same transaction and lets one runner claim it', async () => {
    await request('e1');
    const now = Date.now() + 10;
    const [a, b] = await Promise.all([
      claimNext(ctx.database.db, { owner: 'A', leaseMs: 1000, now }),
      claimNext(ctx.database.db, { owner: 'B', leaseMs: 1000, now }),
    ]);
    const winners = [a, b].filter(Boolean);
    expect(winners).toHaveLength(1);
    expect(winners[0]).toMatchObject({ exportId: 'e1', attempt: 1 });
  });

  it('runs one export per connection at a time, others in parallel', async () => {
    await request('e1', 'c1');
    await request('e2', 'c1');
    await request('e3', 'c2');
    const now = Date.now() + 10;
    const first = await claimNext(ctx.database.db, { owner: 'A', leaseMs: 1000, now });
    const second = await claimNext(ctx.database.db, { owner: 'B', leaseMs: 1000, now });
    const third = await claimNext(ctx.database.db, { owner: 'C', leaseMs: 1000, now });
    expect(first?.exportId).toBe('e1');
    expect(second?.exportId).toBe('e3');
    expect(third).toBeUndefined();
  });

  it('hands an expired lease to the next runner and fences the old one out', async () => {
    await request('e1');
    const t0 = Date.now() + 10;
    const old = (await claimNext(ctx.database.db, { owner: 'A', leaseMs: 1000, now: t0 }))!;
    expect(await claimNext(ctx.database.db, { owner: 'B', leaseMs: 1000, now: t0 + 500 })).toBeUndefined();
    const next = (await claimNext(ctx.database.db, { owner: 'B', leaseMs: 1000, now: t0 + 1500 }))!;
    expect(next.attempt).toBe(2);
    expect(await renewLease(ctx.database.db, old, 1000, t0 + 1600)).toBe(false);
    expect(await releaseLease(ctx.database.db, old)).toBe(false);
    expect(await holdsLease(ctx.database.db, next, t0 + 1600)).toBe(true);
    expect(await renewLease(ctx.database.db, next, 5000, t0 + 1600)).toBe(true);
    expect(next.leaseExpiresAt).toBe(t0 + 6600);
  });

  it('requeues a released export for immediate resumption, only for the named export when asked', async () => {
    await request('e1');
    await request('e2', 'c2');
    const claim = (await claimNext(ctx.database.db, { owner: 'A', leaseMs: 60_000, exportId: 'e2', now: Date.now() + 10 }))!;
    expect(claim.exportId).toBe('e2');
    expect(await releaseLease(ctx.database.db, claim)).toBe(true);
    const again = await claimNext(ctx.database.db, { owner: 'B', leaseMs: 60_000, exportId: 'e2', now: Date.now() + 10 });
    expect(again).toMatchObject({ exportId: 'e2', attempt: 2 });
  });

  it('never claims a finished export', async () => {
    await request('e1');
    await handle(ctx.store, 'e1', { type: 'CancelExport', data: { reason: 'test' } });
    expect(await claimNext(ctx.database.db, { owner: 'A', leaseMs: 1000, now: Date.now() + 10 })).toBeUndefined();
  });

  it('lets file writes share a lease check for a short while, and notices a lost lease after it', async () => {
    await request('e1');
    const t0 = Date.now() + 10;
    const claim = (await claimNext(ctx.database.db, { owner: 'A', leaseMs: 10_000, now: t0 }))!;
    let now = t0 + 100;
    const fence = leaseFence(ctx.database.db, claim, { maxAgeMs: 250, now: () => now });
    await Promise.all([fence(), fence(), fence()]);
    // Paused from the dashboard: the job is no longer running.
    await ctx.database.client.execute({ sql: "update export_jobs set status = 'queued' where export_id = 'e1'" });
    now += 200;
    await fence(); // the check of 200 ms ago stands
    now += 100;
    await expect(fence()).rejects.toBeInstanceOf(LeaseLostError);
    await expect(fence()).rejects.toBeInstanceOf(LeaseLostError); // a failed check is never reused
  });

  it('checks again when the lease it saw is about to expire', async () => {
    await request('e1');
    const t0 = Date.now() + 10;
    const claim = (await claimNext(ctx.database.db, { owner: 'A', leaseMs: 1000, now: t0 }))!;
    let now = t0 + 700;
    const fence = leaseFence(ctx.database.db, claim, { maxAgeMs: 250, now: () => now });
    await fence();
    now += 100; // 200 ms of lease left: less than maxAgeMs
    await ctx.database.client.execute({ sql: "update export_jobs set lease_owner = 'B' where export_id = 'e1'" });
    await expect(fence()).rejects.toBeInstanceOf(LeaseLostError);
  });
});
